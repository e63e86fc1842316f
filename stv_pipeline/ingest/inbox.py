"""What a run has to work on, decided before anything runs (DESIGN §5).

The inbox is only ever the folder the user named: a missing folder is an error, and the
shipped sample is loaded only when the user points the inbox at it (`make run` does). A file's
`origin` in raw.file_log says which: 'sample' for a file read from the shipped sample folder,
'inbox' for every other delivery. One warehouse never holds both, so sample rows cannot end up
among real deliveries (or the other way round) because a run named the wrong warehouse.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import duckdb

from stv_pipeline.settings import SAMPLE_DIR

from .contracts import CONTRACTS
from .loader import discover_files


class InboxMissing(Exception):
    def __init__(self, inbox: Path):
        super().__init__(
            f"the inbox folder {inbox} does not exist: create it (one folder per source, e.g. "
            f"{inbox / 'register_benefits'}) or name another with --inbox / STV_INBOX "
            f"(the shipped sample: --inbox {SAMPLE_DIR})"
        )


class Plan(Enum):
    LOAD = "load"  # the inbox holds files: load what is new, then rebuild
    REBUILD = "rebuild"  # nothing delivered, but the warehouse holds loaded files
    NOTHING_TO_DO = "nothing_to_do"  # nothing delivered and nothing ever loaded


def origin_of(inbox: Path) -> str:
    """'sample' when the inbox is the shipped sample folder (its files are part of the
    repository and are never moved), else 'inbox'."""
    return "sample" if inbox.resolve() == SAMPLE_DIR.resolve() else "inbox"


def delivered_files(inbox: Path) -> list[Path]:
    """Every file waiting in the inbox's source folders; InboxMissing when there is no inbox."""
    if not inbox.is_dir():
        raise InboxMissing(inbox)
    return [path for source in CONTRACTS for path in discover_files(inbox / source)]


class MixedOrigins(Exception):
    """Deliveries and the shipped sample are never mixed in one warehouse."""

    def __init__(self, warehouse: Path, origin: str):
        held = "the shipped sample" if origin == "inbox" else "real deliveries"
        incoming = "deliveries" if origin == "inbox" else "the shipped sample"
        super().__init__(
            f"the warehouse {warehouse} holds {held}; loading {incoming} would mix the two: "
            "name another warehouse with --warehouse / STV_WAREHOUSE, or delete this one"
        )


def held_origins(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many current files of each origin the warehouse holds ({} before any load)."""
    has_log = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'file_log'"
    ).fetchone()[0]
    if not has_log:
        return {}
    return dict(
        con.execute(
            "select origin, count(*) from raw.file_log where replaced_at is null group by origin"
        ).fetchall()
    )


def refuse_mixing(warehouse: Path, origin: str, held: dict[str, int]) -> None:
    if set(held) - {origin}:
        raise MixedOrigins(warehouse, origin)


def data_sources() -> list[str]:
    """The sources whose rows become published figures (Contract.becomes_figures)."""
    return [source for source, contract in CONTRACTS.items() if contract.becomes_figures]


def data_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows the warehouse holds per source whose rows become published figures (0 for a
    source not loaded yet)."""
    tables = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    return {
        source: con.execute(f"select count(*) from raw.{source}").fetchone()[0]
        if source in tables
        else 0
        for source in data_sources()
    }


def warehouse_origins(warehouse: Path) -> dict[str, int]:
    """held_origins of a warehouse file, read without writing ({} when it does not exist)."""
    if not warehouse.exists():
        return {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return held_origins(con)
    except duckdb.IOException:
        # Another process writes the warehouse: the run waits for it, and its loaders check.
        return {}


def plan_run(inbox: Path, warehouse: Path) -> Plan:
    """What `stv run` does; InboxMissing or MixedOrigins when it must not start."""
    delivered = delivered_files(inbox)
    held = warehouse_origins(warehouse)
    if delivered:
        refuse_mixing(warehouse, origin_of(inbox), held)
        return Plan.LOAD
    return Plan.REBUILD if held else Plan.NOTHING_TO_DO

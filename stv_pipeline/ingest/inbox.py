"""What a run has to work on, decided before anything runs (DESIGN §5).

The inbox is only ever the folder the user named: a missing folder is an error, and the
shipped sample is loaded only when the user points the inbox at it (`make run` does). A file's
`origin` in raw.file_log says which: 'sample' for a file read from the shipped sample folder,
'inbox' for every other delivery.
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


def loaded_file_count(warehouse: Path) -> int:
    """How many delivered files the warehouse holds (0 for a warehouse not yet created)."""
    if not warehouse.exists():
        return 0
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            has_log = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'raw' and table_name = 'file_log'"
            ).fetchone()[0]
            if not has_log:
                return 0
            return con.execute(
                "select count(*) from raw.file_log where replaced_at is null"
            ).fetchone()[0]
    except duckdb.IOException:
        # Another process writes the warehouse: it holds something; the run will wait for it.
        return 1


def plan_run(inbox: Path, warehouse: Path) -> Plan:
    if delivered_files(inbox):
        return Plan.LOAD
    return Plan.REBUILD if loaded_file_count(warehouse) else Plan.NOTHING_TO_DO

"""The publication ledger read back from the export folders (DESIGN §4).

For deployments that delivered before the ledger existed, a warehouse whose ledger was lost,
or a delivery whose ledger rows a crash took: each folder's Parquet files say which cells were
published and which suppressed (a count the folder leaves empty where the marts hold one). The
values of the suppressed cells are not in the folder; they come from the warehouse: the same
cell in the current marts (every vintage of the register figures is in
registration_revisions), or a total of cells so found (an earlier vintage's window or pool
figures add up its months or municipalities). An empty count found nowhere is taken for one
the marts did not hold (a measure unknown in its vintage) and left out; the rebuild says how
many there were. A cell published in any folder is recorded as published.

A folder belongs to this warehouse when every input file its manifest lists (by SHA-256) was
loaded into this warehouse; folders of other warehouses in the same exports folder are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from stv_pipeline.exports import ledger
from stv_pipeline.exports.cells import (
    DisclosureRules,
    TableDeclaration,
    build_system,
    cell_keys,
    rules_fingerprint,
)
from stv_pipeline.exports.disclosure import decisions_of, hidden_cells
from stv_pipeline.exports.folders import exports
from stv_pipeline.exports.manifest import read_manifest
from stv_pipeline.exports.series import series_system


@dataclass(frozen=True)
class RebuiltDelivery:
    folder: str
    cells: int
    suppressed: int
    values_not_found: int


def delivered_folders(con: duckdb.DuckDBPyConnection, exports_root: Path) -> list[Path]:
    """The export folders written from this warehouse, oldest first."""
    loaded = {sha for (sha,) in con.execute("select distinct sha256 from raw.file_log").fetchall()}
    mine = []
    for _, folder in exports(exports_root):
        manifest = read_manifest(folder)
        inputs = {i.get("sha256") for i in manifest.get("inputs", [])}
        if inputs and inputs <= loaded:
            mine.append(folder)
    return mine


def missing_folders(con: duckdb.DuckDBPyConnection, exports_root: Path) -> list[Path]:
    """This warehouse's export folders the ledger does not hold."""
    ledger.ensure_ledger(con)
    known = {d.folder for d in ledger.deliveries(con, None)}
    return [f for f in delivered_folders(con, exports_root) if f.name not in known]


def rebuild(
    con: duckdb.DuckDBPyConnection,
    folders: list[Path],
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    rules: DisclosureRules,
) -> list[RebuiltDelivery]:
    """Add each folder (oldest first) to the ledger as the delivery it was. `frames`: the
    current marts, where the suppressed cells' values are looked up."""
    if not folders:  # every run asks; the marts' whole cell system is built only for an answer
        return []
    known = _known_values(frames, tables, rules)
    rebuilt = []
    for folder in folders:
        manifest = read_manifest(folder)
        shown = {
            name: pd.read_parquet(folder / f"{name}.parquet")
            for name in tables
            if (folder / f"{name}.parquet").is_file()
        }
        truth, not_found = _recover(shown, tables, rules, known)
        masks = {name: shown[name].isna() & truth[name].notna() for name in shown}
        system = build_system(truth, tables, rules, published=shown)
        hidden = hidden_cells(system, masks)
        union = series_system(system, con)
        decisions = decisions_of(system, union, hidden, rules_fingerprint(tables, rules))
        # what the folder shows is published, whatever an earlier folder hid
        shows = ~hidden[: len(decisions.cells)]
        cells = decisions.cells.assign(
            status=np.where(shows, ledger.PUBLISHED, decisions.cells["status"]),
            revealed=shows & (decisions.cells["status"] != ledger.PUBLISHED),
        )
        delivery = ledger.record_delivery(
            con,
            run_id=manifest.get("run_id", ""),
            folder=folder.name,
            created_at=datetime.fromisoformat(manifest["created_at"]),
            cells=cells,
            relations=decisions.relations,
            terms=decisions.terms,
            rules=decisions.rules,
        )
        ledger.mark_delivered(con, delivery)
        rebuilt.append(
            RebuiltDelivery(folder.name, len(system.cells), int(hidden.sum()), not_found)
        )
    return rebuilt


def _known_values(
    frames: dict[str, pd.DataFrame], tables: dict[str, TableDeclaration], rules: DisclosureRules
) -> pd.Series:
    """The current marts' cells: value by identity."""
    system = build_system(frames, tables, rules)
    return pd.Series(system.values, index=cell_keys(system.cells))


def _recover(
    shown: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    rules: DisclosureRules,
    known: pd.Series,
) -> tuple[dict[str, pd.DataFrame], int]:
    """The folder's tables with each empty count filled in where its value can be found: the
    same cell in the current marts, or the one cell a total leaves open. Returns the tables and
    how many empty counts stayed empty (a count the marts held none of, or one found nowhere)."""
    system = build_system(shown, tables, rules, keep_empty=True)
    values = system.values.copy()
    empty = np.isnan(values)
    looked_up = known.reindex(cell_keys(system.cells)).to_numpy(dtype=float)
    values[empty] = looked_up[empty]
    sums = system.equations[system.equations["eq"] < system.total_equations]
    eq = sums["eq"].to_numpy(dtype=np.int64)
    cell = sums["cell"].to_numpy(dtype=np.int64)
    coef = sums["coef"].to_numpy(dtype=float)
    while sums.size:
        open_ = np.isnan(values[cell])
        n_open = np.bincount(eq, weights=open_, minlength=system.total_equations)
        known_part = np.bincount(
            eq,
            weights=np.where(open_, 0.0, coef * np.nan_to_num(values[cell])),
            minlength=system.total_equations,
        )
        solvable = open_ & (n_open[eq] == 1)
        if not solvable.any():
            break
        values[cell[solvable]] = -known_part[eq[solvable]] / coef[solvable]
    truth = {}
    occurrences = system.occurrences
    for name, frame in shown.items():
        frame = frame.copy()
        mine = occurrences[occurrences["table"] == name]
        for column, rows in mine.groupby("column", observed=True):
            filled = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            at = rows["row"].to_numpy(dtype=np.int64)
            filled[at] = values[rows["cell"].to_numpy(dtype=np.int64)]
            frame[column] = _like(frame[column], filled)
        truth[name] = frame
    still_empty = int(np.isnan(values).sum())
    return truth, still_empty


def _like(column: pd.Series, values: np.ndarray) -> pd.Series:
    """Values in the column's own type (a nullable integer stays one)."""
    filled = pd.Series(values, index=column.index)
    if pd.api.types.is_integer_dtype(column.dtype):
        return filled.round().astype("Int64")
    return filled.astype(column.dtype) if pd.api.types.is_float_dtype(column.dtype) else filled

"""Statistical disclosure control over all exported tables together (DESIGN §4).

Primary suppression: a count from 1 to 4 is suppressed; so is every figure computed from a
suppressed count (a share, a change, a revision, an estimate). A cell that several tables publish
is one cell (stv_pipeline/exports/cells.py), so it is suppressed in all of them or in none.

Secondary suppression, in two steps over the joint cell system:
1. Totals: a total relation with exactly one suppressed cell gives it back by subtraction, so
   each such relation gets one more suppressed cell, until none has exactly one. The heuristic
   minimises the persons hidden per relation closed: among the relation's published non-zero
   cells it hides the one with the smallest value divided by the number of open relations it
   sits in (a cell that closes several relations at once counts as cheaper), ties to the lower
   cell id so the result does not depend on the order of the tables.
2. The audit's repair: relations can also expose a cell together (two suppressed cells in two
   totals, a bound such as n_either <= n_company + n_hours), which step 1 does not see. The
   audit (stv_pipeline/exports/audit.py) finds every cell whose interval is narrower than
   `protection_width`; for each, the smallest published non-zero cell sharing a relation with
   it (or, when there is none, with the suppressed cells around it) is suppressed too, step 1
   runs again, and so on until the audit passes.
Zeros are never suppressed: a zero reveals no person.

Everything here works on aggregated tables (one row per municipality and month at the finest),
never on person-level data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse

from stv_pipeline.exports.audit import AuditResult, Witnesses, audit
from stv_pipeline.exports.cells import CellSystem, TableDeclaration, build_system

SMALLEST_PUBLISHED = 5  # counts of 1 to 4 persons are not published


def primary_suppression(values: np.ndarray) -> np.ndarray:
    return (values >= 1) & (values < SMALLEST_PUBLISHED)


def close_totals(system: CellSystem, hidden: np.ndarray) -> np.ndarray:
    """Step 1 of the secondary suppression (see the module docstring)."""
    hidden = hidden.copy()
    sums = system.equations[system.equations["eq"] < system.total_equations]
    if sums.empty:
        return hidden
    eq = sums["eq"].to_numpy(dtype=np.int64)
    cell = sums["cell"].to_numpy(dtype=np.int64)
    values = system.values
    n_eq = eq.max() + 1
    while True:
        member_hidden = hidden[cell]
        open_ = np.bincount(eq, weights=member_hidden, minlength=n_eq) == 1
        candidate = np.flatnonzero(open_[eq] & ~member_hidden & (values[cell] > 0))
        if candidate.size == 0:
            return hidden
        closes = np.bincount(cell[candidate], minlength=values.size)
        cost = values[cell[candidate]] / closes[cell[candidate]]
        ranked = candidate[np.lexsort((cell[candidate], cost, eq[candidate]))]
        first = np.r_[True, eq[ranked][1:] != eq[ranked][:-1]]
        hidden[cell[ranked[first]]] = True


def repair_candidates(
    system: CellSystem, hidden: np.ndarray, exposed: np.ndarray, max_steps: int = 8
) -> np.ndarray:
    """Step 2: per exposed cell, the smallest published non-zero cell sharing a relation with
    it; when every other cell of its relations is suppressed or zero, the smallest in a relation
    with one of those suppressed cells, and so on outwards (the nearest, then the smallest)."""
    if exposed.size == 0:
        return np.zeros(0, dtype=np.int64)
    values = system.values
    incidence = system.incidence()
    candidate = ~hidden & (values > 0)
    reach = sparse.csr_matrix(
        (np.ones(exposed.size), (np.arange(exposed.size), exposed)),
        shape=(exposed.size, values.size),
    )
    picks = []
    for _ in range(max_steps):
        if reach.shape[0] == 0:
            break
        nearby = ((reach @ incidence.T) @ incidence).tocoo()
        found = pd.DataFrame({"exposed": nearby.row, "cell": nearby.col})
        found = found[candidate[found["cell"].to_numpy()]]
        found = found.assign(value=values[found["cell"].to_numpy()])
        best = found.sort_values(["exposed", "value", "cell"]).drop_duplicates("exposed")
        picks.append(best["cell"].to_numpy(dtype=np.int64))
        # the exposed cells without a candidate yet look one relation further, from the
        # suppressed cells they reached
        waiting = np.setdiff1d(np.unique(nearby.row), best["exposed"].to_numpy())
        onward = np.isin(nearby.row, waiting) & hidden[nearby.col]
        reach = sparse.csr_matrix(
            (
                np.ones(onward.sum()),
                (np.searchsorted(waiting, nearby.row[onward]), nearby.col[onward]),
            ),
            shape=(waiting.size, values.size),
        )
    return np.unique(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def secondary_suppression(
    system: CellSystem, primary: np.ndarray, protection_width: float
) -> tuple[np.ndarray, Witnesses]:
    """Close the totals, then repair what the audit finds until it finds nothing; the
    suppressed cells and the points that prove them protected.

    Suppressing one more cell only frees the intruder's LP (a known value becomes unknown), so
    a cell proven protected stays protected: after the first audit of every suppressed cell,
    each round audits only the cells it exposed and the cells the repair added."""
    hidden = close_totals(system, primary)
    result = audit(system, hidden, protection_width, explain=False)
    found = [result.witnesses]
    while True:
        exposed = result.exposed
        more = repair_candidates(system, hidden, exposed)
        if exposed.size == 0 or more.size == 0:
            return hidden, Witnesses.join(found, hidden.size)
        before = hidden.copy()
        hidden[more] = True
        hidden = close_totals(system, hidden)
        again = hidden & ~before
        again[exposed] = True
        result = audit(system, hidden, protection_width, only=again, explain=False)
        found.append(result.witnesses)


@dataclass(frozen=True)
class Publication:
    """The tables as published (suppressed cells empty), the masks of suppressed cells, the
    suppressions per table, and the points with which the suppression proved its cells
    protected (the audit checks them against the published tables before solving anything)."""

    tables: dict[str, pd.DataFrame]
    masks: dict[str, pd.DataFrame]
    suppressions: dict[str, dict[str, int]]
    seconds: float = 0.0  # the suppression's wall time, for the manifest and the benchmark
    witnesses: Witnesses | None = None


def masks_for(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    system: CellSystem,
    hidden: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """Which exported figures are empty when the cells `hidden` are suppressed: the counts of
    those cells in every table, and every figure computed from one of them."""
    masks = {}
    occurrences = system.occurrences
    for name, frame in frames.items():
        frame = frame.reset_index(drop=True)
        mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        table = tables.get(name)
        if table is None:
            masks[name] = mask
            continue
        mine = occurrences[occurrences["table"] == name]
        for column, rows in mine.groupby("column"):
            values = np.zeros(len(frame), dtype=bool)
            values[rows["row"].to_numpy()] = hidden[rows["cell"].to_numpy()]
            mask[column] = values
        pending = dict(table.linked)
        while pending:
            progressed = False
            for column, role in list(pending.items()):
                upstream = [s for s in role.get("from", ()) if s in pending]
                if upstream:
                    continue
                sources = system.linked[(name, column)]
                known = sources >= 0
                hides = (known & hidden[np.where(known, sources, 0)]).any(axis=1)
                for source in role.get("from", ()):
                    if source in table.linked:
                        hides |= mask[source].to_numpy()
                mask[column] = hides
                del pending[column]
                progressed = True
            if not progressed:
                raise ValueError(f"{name}: derived columns depend on each other: {list(pending)}")
        if table.derived_rows:
            mask = _mask_derived_rows(frame, mask, table)
        masks[name] = mask
    return masks


def _mask_derived_rows(
    frame: pd.DataFrame, mask: pd.DataFrame, table: TableDeclaration
) -> pd.DataFrame:
    """Rows computed from other rows (did from participants and comparison): a figure is
    suppressed when that figure of a row it is computed from is."""
    spec = table.derived_rows
    match = list(spec["match"])
    columns = list(table.linked)
    source = frame[spec["column"]].isin(spec["from"]).to_numpy()
    hidden_in_source = (
        pd.concat([frame.loc[source, match], mask.loc[source, columns]], axis=1)
        .groupby(match, dropna=False)[columns]
        .any()
    )
    derived = frame[spec["column"]].eq(spec["value"]).to_numpy()
    looked_up = frame.loc[derived, match].merge(
        hidden_in_source, left_on=match, right_index=True, how="left"
    )
    mask = mask.copy()
    for column in columns:
        extra = looked_up[column].fillna(False).to_numpy(dtype=bool)
        mask.loc[derived, column] = mask.loc[derived, column].to_numpy() | extra
    return mask


def published_tables(
    frames: dict[str, pd.DataFrame], masks: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in frames.items():
        frame = frame.reset_index(drop=True)
        mask = masks[name]
        suppressed = [c for c in mask.columns if mask[c].any()]
        out[name] = frame.astype({c: _nullable(frame[c].dtype) for c in suppressed}).mask(mask)
    return out


def _nullable(dtype) -> str | object:
    """Integer columns become nullable so a suppressed count is empty, not a float NaN."""
    return "Int64" if pd.api.types.is_integer_dtype(dtype) else dtype


def suppress_export(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    windows: dict[str, tuple[date, date]],
    protection_width: float,
) -> Publication:
    """Primary and secondary suppression over every exported table at once."""
    started = time.perf_counter()
    frames = {n: f.reset_index(drop=True) for n, f in frames.items()}
    # A derived figure is suppressed with the counts it is computed from, so its equation only
    # ever holds published cells: the suppression can leave those equations out.
    without_derived = {
        n: f.assign(**{c: np.nan for c in tables[n].linked}) if n in tables else f
        for n, f in frames.items()
    }
    system = build_system(frames, tables, windows, published=without_derived)
    primary = primary_suppression(system.values)
    hidden, witnesses = secondary_suppression(system, primary, protection_width)
    masks = masks_for(frames, tables, system, hidden)
    primary_masks = masks_for(frames, tables, system, primary)
    # a figure counts as suppressed when the mart has a value there and the export leaves it empty
    emptied = {n: int((masks[n] & frames[n].notna()).to_numpy().sum()) for n in frames}
    primary_only = {n: int((primary_masks[n] & frames[n].notna()).to_numpy().sum()) for n in frames}
    suppressions = {
        name: {
            "primary": primary_only[name],
            "secondary": emptied[name] - primary_only[name],
            "suppressed_cells": emptied[name],
        }
        for name in frames
    }
    return Publication(
        published_tables(frames, masks),
        masks,
        suppressions,
        time.perf_counter() - started,
        witnesses,
    )


def hidden_cells(system: CellSystem, masks: dict[str, pd.DataFrame]) -> np.ndarray:
    """The cells an intruder does not see: suppressed in every table that publishes them."""
    occurrences = system.occurrences
    shown = np.zeros(len(system.cells), dtype=bool)
    for name, rows in occurrences.groupby("table"):
        mask = masks[name]
        for column, part in rows.groupby("column"):
            visible = ~mask[column].to_numpy()[part["row"].to_numpy()]
            np.logical_or.at(shown, part["cell"].to_numpy()[visible], True)
    return ~shown


def audit_publication(
    frames: dict[str, pd.DataFrame],
    publication: Publication,
    tables: dict[str, TableDeclaration],
    windows: dict[str, tuple[date, date]],
    protection_width: float,
) -> tuple[CellSystem, AuditResult]:
    """The audit of what is published: the cells come from the marts, the equations of derived
    figures only from those the publication shows, the suppressed cells from its masks."""
    system = build_system(
        {n: f.reset_index(drop=True) for n, f in frames.items()},
        tables,
        windows,
        published=publication.tables,
    )
    hidden = hidden_cells(system, publication.masks)
    return system, audit(system, hidden, protection_width, witnesses=publication.witnesses)

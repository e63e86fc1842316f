"""Statistical disclosure control over all exported tables together (DESIGN §4).

Primary suppression: a count from 1 to 4 is suppressed; so is every figure computed from a
suppressed count (a share, a change, a revision, an estimate, a survey mean), and every figure
computed from such a figure on another row or in another table (a track mean from its
requirements' means, a change from the baseline's mean: the marts' `derived_rows`). A cell that
several tables publish is one cell (stv_pipeline/exports/cells.py), so it is suppressed in all
of them or in none.

Secondary suppression, in two steps over the joint cell system:
1. Totals: a total relation with exactly one suppressed cell gives it back by subtraction, so
   each such relation gets one more suppressed cell, until none has exactly one. Two cells the
   bounds make equal (tied_cells) are such a relation too. The heuristic
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
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from stv_pipeline.exports.audit import TOLERANCE, UNBOUNDED, AuditResult, Witnesses, audit
from stv_pipeline.exports.cells import (
    DIMENSIONS,
    CellSystem,
    DisclosureRules,
    TableDeclaration,
    _text,
    build_system,
    rules_fingerprint,
    with_derived_figures,
)
from stv_pipeline.exports.ledger import (
    AT_MOST,
    EQUAL,
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    History,
)
from stv_pipeline.exports.series import NewCells, SeriesSystem, series_system

SMALLEST_PUBLISHED = 5  # counts of 1 to 4 persons are not published


def primary_suppression(values: np.ndarray) -> np.ndarray:
    return (values >= 1) & (values < SMALLEST_PUBLISHED)


def close_totals(
    system: CellSystem,
    hidden: np.ndarray,
    allowed: np.ndarray | None = None,
    preferred: np.ndarray | None = None,
    protection_width: float = 0.0,
) -> np.ndarray:
    """Step 1 of the secondary suppression (see the module docstring). Only `allowed` cells
    become complements (default: all); `preferred` ones first (see `suppress_export`).

    A relation is open when one of its suppressed cells cannot move `protection_width` with
    the others of the relation moving against it, every other cell at its value (movement):
    with a single suppressed cell, always; with two, when bounds hold one of them where it is
    (n_hours when n_either = n_company + n_hours, say). An open relation gets the cheapest
    complement that lets its weakest cell move that far; one with a single suppressed cell
    gets the cheapest complement when none does."""
    hidden = hidden.copy()
    allowed = np.ones(hidden.size, dtype=bool) if allowed is None else allowed
    preferred = np.zeros(hidden.size, dtype=bool) if preferred is None else preferred
    sums = system.equations[system.equations["eq"] < system.total_equations]
    ties = tied_cells(system)
    sums = pd.concat(
        [sums[["eq", "cell", "coef"]], ties.assign(eq=ties["eq"] + system.total_equations)],
        ignore_index=True,
    )
    if sums.empty:
        return hidden
    eq = sums["eq"].to_numpy(dtype=np.int64)
    cell = sums["cell"].to_numpy(dtype=np.int64)
    coef = sums["coef"].to_numpy(dtype=float)
    values = system.values
    up, down = movement(system)
    # how far each member can raise (pos) and lower (neg) its relation's sum
    rising = coef > 0
    pos = np.abs(coef) * np.where(rising, up[cell], down[cell])
    neg = np.abs(coef) * np.where(rising, down[cell], up[cell])
    n_eq = eq.max() + 1
    while True:
        member_hidden = hidden[cell]
        n_hidden = np.bincount(eq, weights=member_hidden, minlength=n_eq)
        room_up = np.bincount(eq, weights=pos * member_hidden, minlength=n_eq)
        room_down = np.bincount(eq, weights=neg * member_hidden, minlength=n_eq)
        reach = np.minimum(pos, room_down[eq] - neg) + np.minimum(neg, room_up[eq] - pos)
        short = member_hidden & (reach < protection_width - TOLERANCE)
        if protection_width <= 0:
            short = member_hidden & (n_hidden[eq] == 1)
        # the weakest suppressed member of each open relation
        weakest = np.full(n_eq, -1, dtype=np.int64)
        order = np.flatnonzero(short)[np.argsort(-reach[short], kind="stable")]
        weakest[eq[order]] = order
        open_ = weakest >= 0
        candidate = np.flatnonzero(open_[eq] & ~member_hidden & (values[cell] > 0) & allowed[cell])
        if candidate.size == 0:
            return hidden
        w = weakest[eq[candidate]]
        e = eq[candidate]
        reach_with = np.minimum(pos[w], room_down[e] - neg[w] + neg[candidate]) + np.minimum(
            neg[w], room_up[e] - pos[w] + pos[candidate]
        )
        useless = reach_with < protection_width - TOLERANCE
        # a relation with two suppressed cells already takes only a complement that helps
        keep = ~useless | (n_hidden[e] == 1)
        candidate, useless = candidate[keep], useless[keep]
        if candidate.size == 0:
            return hidden
        c = cell[candidate]
        closes = np.bincount(c, minlength=values.size)
        cost = values[c] / closes[c]
        ranked = candidate[np.lexsort((c, cost, ~preferred[c], useless, eq[candidate]))]
        first = np.r_[True, eq[ranked][1:] != eq[ranked][:-1]]
        hidden[cell[ranked[first]]] = True


def movement(system: CellSystem) -> tuple[np.ndarray, np.ndarray]:
    """How far each cell moves up and down before a bound stops it, every other cell held at
    its value (a count stays >= 0)."""
    values = system.values
    up = np.full(values.size, UNBOUNDED)
    down = values.copy()
    rows = system.inequalities
    if rows.empty:
        return up, down
    ineq = rows["ineq"].to_numpy(dtype=np.int64)
    cell = rows["cell"].to_numpy(dtype=np.int64)
    coef = rows["coef"].to_numpy(dtype=float)
    slack = system.ineq_rhs_or_zero() - np.bincount(
        ineq, weights=coef * values[cell], minlength=system.ineq_kind.size
    )
    rising = coef > 0
    np.minimum.at(up, cell[rising], slack[ineq[rising]] / coef[rising])
    np.minimum.at(down, cell[~rising], slack[ineq[~rising]] / -coef[~rising])
    return np.maximum(up, 0.0), np.maximum(down, 0.0)


def tied_cells(system: CellSystem) -> pd.DataFrame:
    """Pairs of cells the bounds make equal, as 2-cell relations (eq, cell): a <= b and b <= a
    once the published zeros in the bounds are left out. With n_company 0, for one,
    n_hours <= n_either <= n_company + n_hours says n_either is n_hours: hiding one of them
    alone hides nothing, as a total with one suppressed part hides nothing."""
    rows = system.inequalities
    if rows.empty:
        return pd.DataFrame({"eq": [], "cell": [], "coef": []}).astype(
            {"eq": np.int64, "cell": np.int64}
        )
    values = system.values
    cell = rows["cell"].to_numpy(dtype=np.int64)
    keep = values[cell] != 0
    rows = rows[keep]
    ineq, cell = rows["ineq"].to_numpy(dtype=np.int64), rows["cell"].to_numpy(dtype=np.int64)
    coef = rows["coef"].to_numpy(dtype=float)
    n_terms = np.bincount(ineq, minlength=system.ineq_kind.size)
    pair = (n_terms[ineq] == 2) & (system.ineq_rhs_or_zero()[ineq] == 0)
    lower = pd.DataFrame({"ineq": ineq[pair & (coef == 1)], "low": cell[pair & (coef == 1)]})
    upper = pd.DataFrame({"ineq": ineq[pair & (coef == -1)], "high": cell[pair & (coef == -1)]})
    edges = lower.merge(upper, on="ineq")[["low", "high"]].drop_duplicates()
    both = edges.merge(edges, left_on=["low", "high"], right_on=["high", "low"])
    both = both[both["low_x"] < both["high_x"]][["low_x", "high_x"]].drop_duplicates()
    n = len(both)
    return pd.DataFrame(
        {
            "eq": np.repeat(np.arange(n), 2),
            "cell": both.to_numpy(dtype=np.int64).ravel(),
            "coef": np.tile([1.0, -1.0], n),  # a - b = 0
        }
    )


def repair_candidates(
    system: CellSystem,
    hidden: np.ndarray,
    exposed: np.ndarray,
    max_steps: int = 8,
    allowed: np.ndarray | None = None,
    preferred: np.ndarray | None = None,
    every: bool = False,
) -> np.ndarray:
    """Step 2: per exposed cell, the smallest published non-zero cell sharing a relation with
    it; when every other cell of its relations is suppressed or zero, the smallest in a relation
    with one of those suppressed cells, and so on outwards (the nearest, then the smallest).
    Only `allowed` cells are candidates, `preferred` ones first; with `every`, all the
    candidates at the nearest distance rather than the smallest."""
    if exposed.size == 0:
        return np.zeros(0, dtype=np.int64)
    values = system.values
    incidence = system.incidence()
    candidate = ~hidden & (values > 0)
    if allowed is not None:
        candidate &= allowed
    preferred = np.zeros(values.size, dtype=bool) if preferred is None else preferred
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
        found = found.assign(
            fresh=~preferred[found["cell"].to_numpy()], value=values[found["cell"].to_numpy()]
        )
        best = found.sort_values(["exposed", "fresh", "value", "cell"]).drop_duplicates("exposed")
        picks.append((found if every else best)["cell"].to_numpy(dtype=np.int64))
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
    system: CellSystem,
    primary: np.ndarray,
    protection_width: float,
    *,
    allowed: np.ndarray | None = None,
    preferred: np.ndarray | None = None,
    scope: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, Witnesses]:
    """Close the totals, then repair what the audit finds until it finds nothing; the
    suppressed cells and the points that prove them protected. `scope(hidden)`: the cells the
    first audit attacks (default every suppressed cell).

    Suppressing one more cell only frees the intruder's LP (a known value becomes unknown), so
    a cell proven protected stays protected: after the first audit of every suppressed cell,
    each round audits only the cells it exposed and the cells the repair added. A cell still
    exposed after its repair (relations and bounds hold it together with the complement) gets
    every candidate near it at once, so that the rounds end: a few more cells hidden around
    the few such cells, against a round of LPs for each complement tried one by one."""
    hidden = close_totals(system, primary, allowed, preferred, protection_width)
    only = scope(hidden) if scope is not None else None
    result = audit(system, hidden, protection_width, only=only, explain=False)
    found = [result.witnesses]
    repaired = np.zeros(hidden.size, dtype=bool)
    while True:
        exposed = result.exposed
        stubborn = exposed[repaired[exposed]]
        more = np.union1d(
            repair_candidates(
                system,
                hidden,
                exposed[~repaired[exposed]],
                allowed=allowed,
                preferred=preferred,
            ),
            repair_candidates(
                system, hidden, stubborn, allowed=allowed, preferred=preferred, every=True
            ),
        ).astype(np.int64)
        repaired[exposed] = True
        if exposed.size == 0 or more.size == 0:
            return hidden, Witnesses.join(found, hidden.size)
        before = hidden.copy()
        hidden[more] = True
        hidden = close_totals(system, hidden, allowed, preferred, protection_width)
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
    # what the ledger records once the delivery is written (exports/ledger.py): every cell
    # with its decision, and the relations that hold a suppressed cell
    decisions: Decisions | None = None
    # the series figures for the manifest (cells carried over, new decisions, flips, ...)
    series: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Decisions:
    """Every cell of a publication with its status, and its relations that hold a suppressed
    cell, as the publication ledger records them."""

    cells: pd.DataFrame  # dimensions, value, status, instance (ledger id or -1)
    relations: pd.DataFrame  # relation, sense, rhs, kind
    terms: pd.DataFrame  # relation, cell (a row of `cells`), coef
    rules: str = ""  # cells.rules_fingerprint of the declarations and rules used


def masks_for(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    system: CellSystem,
    hidden: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """Which exported figures are empty when the cells `hidden` are suppressed: the counts of
    those cells in every table, every figure computed from one of them, and every figure
    computed from such a figure, on its own row (`from`) or on other rows of its table or of
    another table (`derived_rows`): a track mean from its requirements' means, a change from
    the baseline's mean, case_selection's fidelity changes from implementation_fidelity's.
    Hiding a figure can hide the source of another table's figure, so the rows are looked up
    again until nothing more is hidden."""
    frames = {n: f.reset_index(drop=True) for n, f in frames.items()}
    masks = {}
    orders = {}
    occurrences = system.occurrences
    for name, frame in frames.items():
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
        orders[name] = [c for c in _linked_order(name, table) if c in frame.columns]
        for column in orders[name]:
            sources = system.linked[(name, column)]
            known = sources >= 0
            hides = (known & hidden[np.where(known, sources, 0)]).any(axis=1)
            for source in table.linked[column].get("from", ()):
                if source in table.linked and source in mask.columns:
                    hides |= mask[source].to_numpy()
            mask[column] = hides
        masks[name] = mask
    # each round looks up only the entries whose source table hid something more in the last
    changed = set(masks)
    while changed:
        sources, changed = changed, set()
        for name, table in tables.items():
            if name not in frames:
                continue
            found = [
                _mask_derived_rows(frames, masks, name, table, entry)
                for entry in table.derived_rows
                if entry.get("table", name) in sources
            ]
            if any(found):
                changed.add(name)
                _mask_on_the_row(masks[name], table, orders[name])
    return masks


def _linked_order(name: str, table: TableDeclaration) -> list[str]:
    """The linked columns, each after the linked columns it is computed from."""
    order, pending = [], dict(table.linked)
    while pending:
        ready = [c for c, r in pending.items() if not any(s in pending for s in r.get("from", ()))]
        if not ready:
            raise ValueError(f"{name}: derived columns depend on each other: {list(pending)}")
        order += ready
        for column in ready:
            del pending[column]
    return order


def _mask_on_the_row(mask: pd.DataFrame, table: TableDeclaration, order: list[str]) -> None:
    """A derived figure is empty where a figure of its row it is computed from is."""
    for column in order:
        for source in table.linked[column].get("from", ()):
            if source in mask.columns:
                mask[column] |= mask[source]


def _rows(frame: pd.DataFrame, conditions: dict | None) -> np.ndarray:
    """The rows meeting every condition (column: value or list of values); all without any."""
    chosen = np.ones(len(frame), dtype=bool)
    for column, wanted in (conditions or {}).items():
        if column not in frame.columns:
            return np.zeros(len(frame), dtype=bool)
        wanted = wanted if isinstance(wanted, list) else [wanted]
        chosen &= frame[column].isin(wanted).fillna(False).to_numpy(dtype=bool)
    return chosen


def _mask_derived_rows(
    frames: dict[str, pd.DataFrame],
    masks: dict[str, pd.DataFrame],
    name: str,
    table: TableDeclaration,
    entry: dict,
) -> bool:
    """One `derived_rows` entry: on the table's `rows`, each of `figures` is suppressed when one
    of the figures it is computed from is suppressed on a row of `table` meeting `from` with
    equal `match` columns. Whether it suppressed anything more."""
    source_name = entry.get("table", name)
    if source_name not in frames:
        return False
    frame, source, mask = frames[name], frames[source_name], masks[name]
    figures = entry.get("figures") or {c: [c] for c in table.linked}
    needed = sorted({s for f in figures.values() for s in f if s in masks[source_name].columns})
    derived = _rows(frame, entry.get("rows"))
    chosen = _rows(source, entry.get("from"))
    match = list(entry.get("match", ()))
    if not needed or not derived.any() or not chosen.any():
        return False
    hidden_in_source = masks[source_name].loc[chosen, needed]
    if match:
        # compared as text: a code is an integer in one mart and a nullable one in another
        keys = pd.DataFrame({c: _text(source.loc[chosen, c]) for c in match})
        by_key = pd.concat([keys, hidden_in_source], axis=1).groupby(match).any()
        wanted = pd.DataFrame({c: _text(frame.loc[derived, c]) for c in match})
        looked_up = wanted.merge(by_key, left_on=match, right_index=True, how="left")
        looked_up = looked_up[needed].fillna(False).astype(bool)
    else:
        looked_up = pd.DataFrame(
            np.repeat(hidden_in_source.any().to_numpy()[None, :], derived.sum(), axis=0),
            columns=needed,
        )
    changed = False
    for figure, sources in figures.items():
        sources = [s for s in sources if s in needed]
        if figure not in mask.columns or not sources:
            continue
        before = mask.loc[derived, figure].to_numpy(dtype=bool)
        after = before | looked_up[sources].any(axis=1).to_numpy(dtype=bool)
        if (after != before).any():
            mask.loc[derived, figure] = after
            changed = True
    return changed


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


@dataclass(frozen=True)
class MartCells:
    """What the suppression and the audit of one delivery both build from the marts, and not
    from what is published: the cell system with its totals and bounds (the derived figures'
    equations left out), and the ledger's history of its cells. Built once, by mart_cells, for
    both: the audit adds the equations of the figures the publication shows."""

    system: CellSystem
    past: History


def mart_cells(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    rules: DisclosureRules,
    ledger: duckdb.DuckDBPyConnection | None = None,
) -> MartCells:
    """The cells of the marts `frames` as the newest delivery of the series the ledger behind
    `ledger` records: relations are formed only where a new cell needs them (the earlier
    deliveries recorded the others). A derived figure is suppressed with the counts it is
    computed from, so its equation only ever holds published cells: the suppression leaves
    those equations out."""
    frames = {n: f.reset_index(drop=True) for n, f in frames.items()}
    without_derived = {
        n: f.assign(**{c: np.nan for c in tables[n].linked}) if n in tables else f
        for n, f in frames.items()
    }
    new_cells = NewCells(ledger, rules_fingerprint(tables, rules))
    system = build_system(frames, tables, rules, published=without_derived, relations_for=new_cells)
    return MartCells(system, new_cells.past)


def suppress_export(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    rules: DisclosureRules,
    ledger: duckdb.DuckDBPyConnection | None = None,
    cells: MartCells | None = None,
) -> Publication:
    """Primary and secondary suppression over every exported table at once, as the newest
    delivery of the series the ledger behind `ledger` records (none: a first delivery).
    `cells`: mart_cells of the same frames and ledger, when already built.

    A cell whose identity and value an earlier delivery carried keeps that delivery's decision:
    published stays published (the intruder has it), suppressed stays suppressed. New cells
    are decided: 1-4 persons primary, then complements where the union of this export and
    every earlier delivery needs them. The complements are chosen to hide as little as
    possible that readers could read before: first cells whose identity was suppressed in an
    earlier delivery (hiding a revised value of such a cell takes nothing from any reader),
    then the fewest persons per relation closed (close_totals) or the smallest cell near an
    exposed one (repair_candidates). Only the groups of suppressed cells that a new cell or a
    new relation touches are attacked; the rest were proven when they were delivered."""
    started = time.perf_counter()
    frames = {n: f.reset_index(drop=True) for n, f in frames.items()}
    rules_used = rules_fingerprint(tables, rules)
    cells = cells or mart_cells(frames, tables, rules, ledger)
    current = cells.system
    union = series_system(current, ledger, past=cells.past)
    n = union.n_current
    values = union.values
    hidden = union.carried_hidden() | (~union.carried & primary_suppression(values))
    new = np.zeros(values.size, dtype=bool)
    new[:n] = ~union.carried[:n]
    hidden, witnesses = secondary_suppression(
        union.system,
        hidden,
        rules.protection_width,
        allowed=new,
        preferred=union.hidden_before,
        scope=union.scope,
    )
    cell_hidden = hidden[:n]
    decisions = decisions_of(current, union, cell_hidden, rules_used)
    status = decisions.cells["status"].to_numpy(dtype=object)
    masks = masks_for(frames, tables, current, cell_hidden)

    # a figure counts as suppressed when the mart has a value there and the export leaves it
    # empty; primary when a cell it shows or is computed from is primary
    def emptied(cells: np.ndarray | None = None) -> dict[str, int]:
        part = masks if cells is None else masks_for(frames, tables, current, cells)
        return {name: int((part[name] & frames[name].notna()).to_numpy().sum()) for name in frames}

    total = emptied()
    primary = emptied(status == PRIMARY)
    carried = emptied(cell_hidden & union.carried[:n])
    suppressions = {
        name: {
            "primary": primary[name],
            "secondary": total[name] - primary[name],
            "suppressed_cells": total[name],
            "carried_over": carried[name],
        }
        for name in frames
    }
    return Publication(
        published_tables(frames, masks),
        masks,
        suppressions,
        time.perf_counter() - started,
        witnesses,
        decisions,
        _series_figures(union, hidden, decisions),
    )


def _status(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    status = np.where(hidden, SECONDARY, PUBLISHED).astype(object)
    status[hidden & primary_suppression(values)] = PRIMARY
    return status


def decisions_of(
    system: CellSystem, union: SeriesSystem, hidden: np.ndarray, rules: str
) -> Decisions:
    """The cells with their status (a carried instance keeps its recorded one) and the
    relations (totals and bounds: a derived figure's equation holds only published cells)
    that hold a suppressed cell."""
    n = union.n_current
    status = _status(system.values, hidden)
    carried = union.carried[:n]
    status[carried] = union.history.status[carried]
    cells = system.cells[["cell", *DIMENSIONS, "value"]].assign(
        status=status, instance=union.history.instance
    )
    eq = system.equations[system.equations["eq"] < system.total_equations]
    ineq = system.inequalities
    n_eq = system.total_equations
    terms = pd.concat(
        [
            eq.rename(columns={"eq": "relation"}),
            ineq.rename(columns={"ineq": "relation"}).assign(relation=ineq["ineq"] + n_eq),
        ],
        ignore_index=True,
    ).astype({"relation": np.int64, "cell": np.int64})
    holds_hidden = np.zeros(n_eq + system.ineq_kind.size, dtype=bool)
    holds_hidden[terms.loc[hidden[terms["cell"].to_numpy()], "relation"].to_numpy()] = True
    relations = pd.DataFrame(
        {
            "relation": np.arange(holds_hidden.size),
            "sense": [EQUAL] * n_eq + [AT_MOST] * system.ineq_kind.size,
            "rhs": np.concatenate([system.eq_rhs[:n_eq], system.ineq_rhs_or_zero()]),
            "kind": np.concatenate([system.eq_kind[:n_eq], system.ineq_kind]),
        }
    )[holds_hidden]
    terms = terms[holds_hidden[terms["relation"].to_numpy()]]
    return Decisions(cells.reset_index(drop=True), relations.reset_index(drop=True), terms, rules)


def _series_figures(
    union: SeriesSystem, hidden: np.ndarray, decisions: Decisions
) -> dict[str, object]:
    """What the manifest says of the series: what was carried over and what decided anew."""
    n = union.n_current
    carried = union.carried[:n]
    status = decisions.cells["status"].to_numpy(dtype=object)
    last = union.history.last_status
    had = last != ""
    flipped = had & ((status == PUBLISHED) != (last == PUBLISHED))
    new_secondary = ~carried & (status == SECONDARY)
    # complements because of history: new complements in a total (or an earlier delivery's
    # relation) that holds a suppression carried over from an earlier delivery
    incidence = union.system.incidence().tocsr()
    totals = np.zeros(incidence.shape[0], dtype=bool)
    totals[: union.system.total_equations] = True
    totals |= union.relation_delivery >= 0
    carried_hidden = union.carried_hidden()
    near_carried = totals & (
        np.asarray(incidence[:, np.flatnonzero(carried_hidden)].sum(axis=1)).ravel() > 0
    )
    because = np.zeros(union.values.size, dtype=bool)
    if near_carried.any():
        because[incidence[np.flatnonzero(near_carried)].indices] = True
    return {
        "cells": int(n),
        "cells_carried_over": int(carried.sum()),
        "suppressions_carried_over": int(carried_hidden[:n].sum()),
        "new_decisions": int((~carried).sum()),
        "new_primary": int((~carried & (status == PRIMARY)).sum()),
        "new_secondary": int(new_secondary.sum()),
        "status_flips_unchanged_values": int((flipped & carried).sum()),
        "status_changes_revised_values": int((flipped & ~carried).sum()),
        "complements_added_because_of_history": int((new_secondary & because[:n]).sum()),
        "earlier_deliveries": [d.folder for d in union.history.deliveries],
        "earlier_deliveries_in_the_audit": union.deliveries_included(),
    }


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
    rules: DisclosureRules,
    ledger: duckdb.DuckDBPyConnection | None = None,
    cells: MartCells | None = None,
) -> tuple[SeriesSystem, AuditResult]:
    """The audit of what is published, together with every earlier delivery the ledger
    behind `ledger` records: the cells, totals and bounds come from the marts (`cells`:
    mart_cells of the same frames and ledger, when already built), the equations of derived
    figures only from those the publication shows, the suppressed cells from its masks. A
    cell that any delivery published is known; the attack covers the groups of suppressed
    cells that something new touches (a new cell, a new relation, a cell published now but
    suppressed before)."""
    frames = {n: f.reset_index(drop=True) for n, f in frames.items()}
    cells = cells or mart_cells(frames, tables, rules, ledger)
    system = with_derived_figures(cells.system, frames, tables, publication.tables)
    hidden_now = hidden_cells(system, publication.masks)
    union = series_system(system, ledger, published_now=~hidden_now, past=cells.past)
    n = union.n_current
    hidden = ~union.seen_before
    hidden[:n] &= hidden_now
    flipped = np.zeros(hidden.size, dtype=bool)
    flipped[:n] = union.carried[:n] & ~union.seen_before[:n] & ~hidden_now
    scope = union.scope(hidden, flipped)
    result = audit(
        union.system,
        hidden,
        rules.protection_width,
        only=scope,
        witnesses=publication.witnesses,
    )
    return union, result

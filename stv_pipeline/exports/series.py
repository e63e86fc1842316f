"""The export's cells seen as the newest of a series of deliveries (DESIGN §4).

The intruder keeps every delivery. So the system the suppression protects and the audit
attacks is the union: the current export's cells and relations, plus what earlier deliveries
published (as constants) and the relations they held over cells still suppressed. A cell of the
current export whose identity and value the ledger knows is the same cell as then (an instance,
exports/ledger.py) and keeps its decision; only new instances are decided.

Work follows what is new: the audit attacks the connected groups of suppressed cells that a new
instance, a new relation or a changed decision touches; groups made only of earlier cells and
earlier relations were proven protected when they were delivered, and nothing the intruder
learnt since reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from stv_pipeline.exports.audit import describe
from stv_pipeline.exports.cells import DIMENSIONS, CellSystem
from stv_pipeline.exports.ledger import (
    AT_MOST,
    EQUAL,
    PUBLISHED,
    History,
    OldRelations,
    history,
    relation_signatures,
    relations_around,
)


@dataclass(frozen=True)
class SeriesSystem:
    """The union system: the current cells first (their ids unchanged), then the instances of
    earlier deliveries that only earlier relations hold; the current relations, then the earlier
    ones. Per cell of the union: whether its decision is carried over, whether STAR has seen it
    (published in an earlier delivery), whether its identity was ever suppressed, and the
    delivery that first carried it (-1: this one)."""

    system: CellSystem
    n_current: int
    history: History
    carried: np.ndarray
    seen_before: np.ndarray
    hidden_before: np.ndarray
    first_delivery: np.ndarray
    relation_delivery: np.ndarray  # per relation (equations, then inequalities): -1 current
    new_relation: np.ndarray  # per relation: holds a new instance, or the ledger lacks it
    old: OldRelations | None = field(default=None, compare=False)

    @property
    def values(self) -> np.ndarray:
        return self.system.values

    def describe(self, result, limit: int = 20) -> list[str]:
        """The exposed cells as audit.describe names them, with the earlier deliveries whose
        published cells or relations expose them."""
        lines = describe(self.system, result, limit)
        incidence = self.system.incidence().tocsr().T.tocsr()
        for i, cell in enumerate(result.exposed[:limit]):
            earlier = self.earlier_deliveries_exposing(int(cell), incidence[int(cell)].indices)
            if earlier:
                lines[i] += f"; exposed by what earlier deliveries published: {', '.join(earlier)}"
        return lines

    def carried_hidden(self) -> np.ndarray:
        """The cells whose suppression is carried over from an earlier delivery."""
        return self.carried & ~self.seen_before

    def scope(self, hidden: np.ndarray, flipped: np.ndarray | None = None) -> np.ndarray:
        """The suppressed cells the audit must attack: the connected groups of suppressed
        cells that hold a new suppressed instance, a suppressed cell of a new relation, or a
        suppressed cell of a relation holding a cell published now but suppressed before
        (`flipped`)."""
        incidence = self.system.incidence().tocsr()
        start = hidden & ~self.carried
        touched = self.new_relation.copy()
        if flipped is not None and flipped.any():
            touched |= np.asarray(incidence[:, np.flatnonzero(flipped)].sum(axis=1)).ravel() > 0
        if touched.any():
            members = incidence[np.flatnonzero(touched)].indices
            start[members[hidden[members]]] = True
        if not start.any():
            return start
        on_hidden = incidence[:, np.flatnonzero(hidden)]
        n_rows = on_hidden.shape[0]
        graph = sparse.bmat([[None, on_hidden], [on_hidden.T, None]]).tocsr()
        labels = connected_components(graph, directed=False)[1][n_rows:]
        scope = np.zeros(hidden.size, dtype=bool)
        hidden_ids = np.flatnonzero(hidden)
        wanted = np.isin(labels, labels[start[hidden_ids]])
        scope[hidden_ids[wanted]] = True
        return scope

    def earlier_deliveries_exposing(self, cell: int, relations: np.ndarray) -> list[str]:
        """The earlier deliveries whose published cells or relations, among `relations`
        (rows of the incidence), pin `cell`."""
        incidence = self.system.incidence().tocsr()
        found = set()
        for row in relations:
            if self.relation_delivery[row] >= 0:
                found.add(int(self.relation_delivery[row]))
            for member in incidence[row].indices:
                if member != cell and self.seen_before[member]:
                    found.add(int(self.first_delivery[member]))
        return [self.history.folder_of(d) for d in sorted(found)]

    def deliveries_included(self) -> list[str]:
        """The earlier deliveries whose cells or relations are in the union."""
        ids = set(self.first_delivery[self.first_delivery >= 0].tolist())
        ids |= set(self.relation_delivery[self.relation_delivery >= 0].tolist())
        return [self.history.folder_of(int(d)) for d in sorted(ids)]


def series_system(
    system: CellSystem,
    con: duckdb.DuckDBPyConnection | None,
    *,
    published_now: np.ndarray | None = None,
    past: History | None = None,
) -> SeriesSystem:
    """The union of `system` (the current export) with what the ledger behind `con` holds;
    without a ledger, the current export alone (a first delivery).

    `published_now`: the cells the current publication shows (the audit's view), so that a
    cell published now but suppressed before brings the relations it was suppressed in.
    `past`: the ledger's history of the system's cells, when already looked up."""
    n = len(system.cells)
    if past is None:
        past = history(con, system.cells) if con is not None else History.empty(n)
    carried_hidden = past.hidden
    new = ~past.carried
    incidence = system.incidence().tocsr()
    # structurally new: a relation holding a new instance
    touches_new = np.asarray(incidence[:, np.flatnonzero(new)].sum(axis=1)).ravel() > 0
    unknown = ~touches_new & _holds(incidence, carried_hidden)
    if con is not None and unknown.any():
        unknown[np.flatnonzero(unknown)] = ~_known_signatures(
            con, system, past, np.flatnonzero(unknown)
        )
    else:
        unknown[:] = False
    new_relation = touches_new | unknown
    flipped = (
        carried_hidden & published_now if published_now is not None else np.zeros(n, dtype=bool)
    )
    # earlier relations around the carried suppressions a new relation or a flip reaches
    reached = np.zeros(n, dtype=bool)
    if new_relation.any():
        members = incidence[np.flatnonzero(new_relation)].indices
        reached[members] = True
    reached &= carried_hidden
    reached |= flipped
    if con is None or not reached.any():
        return _without_old(system, past, new_relation)
    old = relations_around(con, past.instance[reached])
    return _with_old(system, past, old, new_relation)


class NewCells:
    """For build_system's `relations_for`: the cells a delivery must form relations for, its
    new instances, looked up in the ledger (and kept, for series_system). Every cell when
    there is no ledger, no delivery yet, or the rules changed since the last delivery (then
    earlier relations are formed again, and the ledger learns those it lacks)."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, rules: str):
        self.con = con
        self.rules = rules
        self.past: History | None = None

    def __call__(self, cells: pd.DataFrame) -> np.ndarray:
        n = len(cells)
        self.past = history(self.con, cells) if self.con is not None else History.empty(n)
        if not self.past.deliveries or self.past.deliveries[-1].rules != self.rules:
            return np.ones(n, dtype=bool)
        return ~self.past.carried


def _holds(incidence: sparse.csr_matrix, cells: np.ndarray) -> np.ndarray:
    return np.asarray(incidence[:, np.flatnonzero(cells)].sum(axis=1)).ravel() > 0


def _relation_rows(system: CellSystem) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every relation of the system as (row, cell, coef) with its sense and right-hand side:
    equations first, then inequalities (the incidence's order)."""
    eq = system.equations.rename(columns={"eq": "row"})
    ineq = system.inequalities.rename(columns={"ineq": "row"})
    n_eq = system.eq_rhs.size
    rows = pd.concat([eq, ineq.assign(row=ineq["row"] + n_eq)], ignore_index=True)
    sense = np.array([EQUAL] * n_eq + [AT_MOST] * system.ineq_kind.size, dtype=object)
    rhs = np.concatenate([system.eq_rhs, system.ineq_rhs_or_zero()])
    return rows, sense, rhs


def _known_signatures(
    con: duckdb.DuckDBPyConnection, system: CellSystem, past: History, relations: np.ndarray
) -> np.ndarray:
    """Which of these relations (all over carried instances) the ledger already holds."""
    rows, sense, rhs = _relation_rows(system)
    rows = rows[rows["row"].isin(relations)]
    local = np.searchsorted(relations, rows["row"].to_numpy(dtype=np.int64))
    texts = relation_signatures(
        local,
        past.instance[rows["cell"].to_numpy(dtype=np.int64)],
        rows["coef"].to_numpy(dtype=float),
        sense[relations],
        rhs[relations],
    )
    signatures = dict(zip(relations.tolist(), texts, strict=True))
    con.register(
        "wanted_signatures",
        pd.DataFrame({"row": list(signatures), "signature": list(signatures.values())}),
    )
    try:
        known = {
            r
            for (r,) in con.execute(
                "select w.row from wanted_signatures as w "
                "inner join publication.relations as r on r.signature = w.signature"
            ).fetchall()
        }
    finally:
        con.unregister("wanted_signatures")
    return np.array([r in known for r in relations], dtype=bool)


def _without_old(system: CellSystem, past: History, new_relation: np.ndarray) -> SeriesSystem:
    return SeriesSystem(
        system=system,
        n_current=len(system.cells),
        history=past,
        carried=past.carried,
        seen_before=past.carried & (past.status == PUBLISHED),
        hidden_before=past.hidden_before,
        first_delivery=past.first_delivery,
        relation_delivery=np.full(new_relation.size, -1, dtype=np.int64),
        new_relation=new_relation,
    )


def _with_old(
    system: CellSystem, past: History, old: OldRelations, new_relation: np.ndarray
) -> SeriesSystem:
    """The current system with the earlier relations and the instances only they hold."""
    n = len(system.cells)
    position = {int(i): p for p, i in enumerate(past.instance) if i >= 0}
    extra = old.instances[~old.instances["cell_id"].isin(position)].reset_index(drop=True)
    for offset, cell_id in enumerate(extra["cell_id"].to_numpy(dtype=np.int64)):
        position[int(cell_id)] = n + offset
    extra_cells = extra.assign(cell=np.arange(n, n + len(extra)))[["cell", *DIMENSIONS, "value"]]
    cells = pd.concat([system.cells, extra_cells], ignore_index=True)

    terms = old.terms.assign(cell=old.terms["cell_id"].map(position).astype(np.int64))
    relations = old.relations.reset_index(drop=True)
    local = {int(r): i for i, r in enumerate(relations["relation_id"])}
    terms = terms.assign(local=terms["relation_id"].map(local).astype(np.int64))
    is_eq = (relations["sense"] == EQUAL).to_numpy()
    eq_ids, ineq_ids = np.flatnonzero(is_eq), np.flatnonzero(~is_eq)
    eq_number = np.full(len(relations), -1, dtype=np.int64)
    eq_number[eq_ids] = system.eq_rhs.size + np.arange(eq_ids.size)
    ineq_number = np.full(len(relations), -1, dtype=np.int64)
    ineq_number[ineq_ids] = system.ineq_kind.size + np.arange(ineq_ids.size)
    eq_terms = terms[is_eq[terms["local"].to_numpy()]]
    ineq_terms = terms[~is_eq[terms["local"].to_numpy()]]
    kinds = relations["kind"].to_numpy(dtype=object)
    folders = relations["delivery_id"].map(past.folder_of).to_numpy(dtype=object)
    labels = np.array([f"{k} (delivered in {f})" for k, f in zip(kinds, folders, strict=True)])
    union = CellSystem(
        occurrences=system.occurrences,
        cells=cells,
        equations=pd.concat(
            [
                system.equations,
                pd.DataFrame(
                    {
                        "eq": eq_number[eq_terms["local"].to_numpy()],
                        "cell": eq_terms["cell"].to_numpy(),
                        "coef": eq_terms["coef"].to_numpy(dtype=float),
                    }
                ),
            ],
            ignore_index=True,
        ),
        eq_rhs=np.concatenate([system.eq_rhs, relations["rhs"].to_numpy(dtype=float)[eq_ids]]),
        eq_kind=np.concatenate([system.eq_kind, labels[eq_ids]]),
        inequalities=pd.concat(
            [
                system.inequalities,
                pd.DataFrame(
                    {
                        "ineq": ineq_number[ineq_terms["local"].to_numpy()],
                        "cell": ineq_terms["cell"].to_numpy(),
                        "coef": ineq_terms["coef"].to_numpy(dtype=float),
                    }
                ),
            ],
            ignore_index=True,
        ),
        ineq_kind=np.concatenate([system.ineq_kind, labels[ineq_ids]]),
        linked=system.linked,
        total_equations=system.total_equations,
        ineq_rhs=np.concatenate(
            [system.ineq_rhs_or_zero(), relations["rhs"].to_numpy(dtype=float)[ineq_ids]]
        ),
    )
    m = len(extra)
    extra_status = extra["status"].to_numpy(dtype=object)
    n_eq_old, n_ineq_old = eq_ids.size, ineq_ids.size
    relation_delivery = np.concatenate(
        [
            np.full(system.eq_rhs.size, -1, dtype=np.int64),
            relations["delivery_id"].to_numpy(dtype=np.int64)[eq_ids],
            np.full(system.ineq_kind.size, -1, dtype=np.int64),
            relations["delivery_id"].to_numpy(dtype=np.int64)[ineq_ids],
        ]
    )
    # the incidence lists equations, then inequalities: put the flags in that order
    new_eq, new_ineq = new_relation[: system.eq_rhs.size], new_relation[system.eq_rhs.size :]
    new_flags = np.concatenate(
        [new_eq, np.zeros(n_eq_old, dtype=bool), new_ineq, np.zeros(n_ineq_old, dtype=bool)]
    )
    return SeriesSystem(
        system=union,
        n_current=n,
        history=past,
        carried=np.concatenate([past.carried, np.ones(m, dtype=bool)]),
        seen_before=np.concatenate(
            [past.carried & (past.status == PUBLISHED), extra_status == PUBLISHED]
        ),
        hidden_before=np.concatenate([past.hidden_before, extra_status != PUBLISHED]),
        first_delivery=np.concatenate(
            [past.first_delivery, extra["delivery_id"].to_numpy(dtype=np.int64)]
        ),
        relation_delivery=relation_delivery,
        new_relation=new_flags,
        old=old,
    )

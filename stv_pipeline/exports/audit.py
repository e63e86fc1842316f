"""The disclosure audit (DESIGN §4): attack the export as an intruder would, before it is written.

The intruder knows every published figure and every relation of the cell system (totals,
bounds, published shares and revisions). For each connected group of suppressed cells a linear
program (HiGHS through scipy) finds the smallest and largest value each cell can take; an
interval narrower than `protection_width` exposes the cell.

Two solves per cell would cost most of the time, so a group is first attacked in batches: one
LP pushes every undecided cell of the group up at once and one pushes them all down; any two
feasible points bound a cell's interval from inside, so a cell whose values already differ by
`protection_width` is protected. Only the cells the batches cannot settle get their own two
solves, which give their exact interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from stv_pipeline.exports.cells import DIMENSIONS, CellSystem

TOLERANCE = 1e-6


@dataclass(frozen=True)
class AuditResult:
    """Per suppressed cell (`cells`, cell ids): the interval the intruder's LP proves, at
    most as wide as the true one for cells settled in batch, exact for the others."""

    cells: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    groups: int
    protection_width: float
    exposing: dict[int, list[str]]

    @property
    def width(self) -> np.ndarray:
        return self.upper - self.lower

    @property
    def exposed(self) -> np.ndarray:
        return self.cells[self.width < self.protection_width - TOLERANCE]

    @property
    def narrowest(self) -> float | None:
        return float(self.width.min()) if self.cells.size else None

    def figures(self) -> dict[str, object]:
        narrowest = self.narrowest
        return {
            "cells_checked": int(self.cells.size),
            "groups": self.groups,
            "protection_width": self.protection_width,
            "narrowest_interval": None if narrowest is None or np.isinf(narrowest) else narrowest,
            "cells_exposed": int(self.exposed.size),
        }


def _constraints(
    rows: pd.DataFrame, row_key: str, hidden: np.ndarray, values: np.ndarray, rhs: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The constraints touching a suppressed cell, over the suppressed cells (columns = cell
    ids), with the published cells moved to the right-hand side."""
    row = rows[row_key].to_numpy(dtype=np.int64)
    cell = rows["cell"].to_numpy(dtype=np.int64)
    coef = rows["coef"].to_numpy(dtype=float)
    n_rows = rhs.size
    is_hidden = hidden[cell]
    known = np.bincount(
        row[~is_hidden], weights=coef[~is_hidden] * values[cell[~is_hidden]], minlength=n_rows
    )
    touched = np.bincount(row[is_hidden], minlength=n_rows) > 0
    matrix = sparse.csr_matrix(
        (coef[is_hidden], (row[is_hidden], cell[is_hidden])), shape=(n_rows, hidden.size)
    )
    return matrix, rhs - known, touched


def audit(
    system: CellSystem,
    hidden: np.ndarray,
    protection_width: float,
    explain: bool = True,
    exact: bool = True,
    only: np.ndarray | None = None,
) -> AuditResult:
    """Each suppressed cell's feasible interval under every relation of the system. With
    `exact` False a cell that the batch solves do not prove protected counts as exposed: the
    suppression uses that, since hiding one cell too many is cheaper than solving each one.
    With `only` (a mask of cells), groups without one of those cells are skipped (reported
    unbounded)."""
    values = system.values
    a_eq, b_eq, eq_touched = _constraints(system.equations, "eq", hidden, values, system.eq_rhs)
    a_ub, b_ub, ub_touched = _constraints(
        system.inequalities, "ineq", hidden, values, np.zeros(system.ineq_kind.size)
    )
    a_eq, b_eq, eq_kind = a_eq[eq_touched], b_eq[eq_touched], system.eq_kind[eq_touched]
    a_ub, b_ub, ub_kind = a_ub[ub_touched], b_ub[ub_touched], system.ineq_kind[ub_touched]
    a_eq_full, a_ub_full = a_eq.tocsc(), a_ub.tocsc()  # for naming the exposing relations
    variables = np.flatnonzero(hidden)
    if variables.size == 0:
        empty = np.zeros(0)
        return AuditResult(variables, empty, empty, 0, protection_width, {})

    # suppressed cells are linked when a constraint holds both: groups = connected components
    incidence = sparse.vstack([a_eq, a_ub]).tocsc()[:, variables]
    incidence.data[:] = 1
    n_con = incidence.shape[0]
    graph = sparse.bmat([[None, incidence], [incidence.T, None]]).tocsr()
    n_groups, labels = connected_components(graph, directed=False)
    var_group = labels[n_con:]
    con_group = labels[:n_con]
    eq_group, ub_group = con_group[: a_eq.shape[0]], con_group[a_eq.shape[0] :]

    in_scope = np.ones(variables.size, dtype=bool)
    if only is not None:
        wanted = np.unique(var_group[only[variables]])
        in_scope = np.isin(var_group, wanted)
    constrained = np.bincount(con_group, minlength=n_groups) > 0
    in_scope &= constrained[var_group]
    lower = np.zeros(variables.size)
    upper = np.full(variables.size, np.inf)
    keep_eq = np.isin(eq_group, var_group[in_scope])
    keep_ub = np.isin(ub_group, var_group[in_scope])
    scope = np.flatnonzero(in_scope)
    if scope.size:
        a_eq = a_eq[keep_eq].tocsc()[:, variables[scope]]
        a_ub = a_ub[keep_ub].tocsc()[:, variables[scope]]
        lo, hi = _intervals(
            a_eq, b_eq[keep_eq], a_ub, b_ub[keep_ub], var_group[scope], protection_width, exact
        )
        lower[scope], upper[scope] = lo, hi
    groups_with_constraints = int(np.unique(var_group[in_scope]).size)
    exposing = {}
    if explain:
        narrow = np.flatnonzero(upper - lower < protection_width - TOLERANCE)
        for v in narrow:
            column = variables[v]
            kinds = set(eq_kind[a_eq_full[:, column].nonzero()[0]]) | set(
                ub_kind[a_ub_full[:, column].nonzero()[0]]
            )
            exposing[int(variables[v])] = sorted(kinds)
    return AuditResult(variables, lower, upper, groups_with_constraints, protection_width, exposing)


# Batch solves before the cells left open are solved one per group at a time.
BATCH_ROUNDS = 8
# An upper bound no count reaches: a cell the LP pushes this high is unbounded above.
UNBOUNDED = 1e9


def _solve(c, a_eq, b_eq, a_ub, b_ub) -> np.ndarray:
    result = linprog(
        c,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=(0, UNBOUNDED),
        method="highs",
    )
    if result.status != 0:
        raise ValueError(f"The intruder's linear program failed: {result.message}")
    return result.x


def _intervals(a_eq, b_eq, a_ub, b_ub, group, width: float, exact: bool):
    """Every cell's interval, with all groups in one LP: the groups share no constraint, so
    one solve optimises each group's part of the objective on its own.

    Batches first: all open cells up, all down, then random directions (cells tied by a total
    move against each other; a fixed seed keeps the audit reproducible) until two solves in a
    row settle nothing. Then, with `exact`, one open cell per group per solve, down and up.
    Without `exact` the cells left open are reported exposed (interval 0)."""
    n = a_eq.shape[1]
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    open_ = np.ones(n, dtype=bool)
    rng = np.random.default_rng(0)
    directions = [np.full(n, -1.0), np.full(n, 1.0)]
    stale, rounds = 0, 0
    while open_.any() and stale < 2 and rounds < BATCH_ROUNDS:
        rounds += 1
        before = open_.sum()
        signs = directions.pop(0) if directions else rng.choice([-1.0, 1.0], size=n)
        x = _solve(np.where(open_, signs, 0.0), a_eq, b_eq, a_ub, b_ub)
        low, high = np.minimum(low, x), np.maximum(high, x)
        open_ &= ~(high - low >= width - TOLERANCE)
        stale = stale + 1 if open_.sum() == before else 0
    if not exact:
        return np.where(open_, 0.0, low), np.where(open_, 0.0, high)
    a_eq, a_ub = a_eq.tocsr(), a_ub.tocsr()
    while open_.any():
        cells = np.flatnonzero(open_)
        _, first = np.unique(group[cells], return_index=True)
        chosen = cells[first]
        # only the groups still open, with their constraints (no constraint spans two groups)
        columns = np.flatnonzero(np.isin(group, group[chosen]))
        eq_rows = np.unique(a_eq[:, columns].nonzero()[0])
        ub_rows = np.unique(a_ub[:, columns].nonzero()[0])
        sub = (a_eq[eq_rows][:, columns], b_eq[eq_rows], a_ub[ub_rows][:, columns], b_ub[ub_rows])
        c = np.isin(columns, chosen).astype(float)
        position = np.searchsorted(columns, chosen)
        low[chosen] = _solve(c, *sub)[position]
        high[chosen] = _solve(-c, *sub)[position]
        open_[chosen] = False
    high = np.where(high >= UNBOUNDED / 2, np.inf, high)
    return low, high


def describe(system: CellSystem, result: AuditResult, limit: int = 20) -> list[str]:
    """The exposed cells, named by the tables and rows that publish them, with the relations
    that give them away."""
    lines = []
    position = {int(c): i for i, c in enumerate(result.cells)}
    for cell in result.exposed[:limit]:
        where = system.occurrences[system.occurrences["cell"] == cell]
        dims = system.cells.loc[cell, list(DIMENSIONS)]
        identity = ", ".join(f"{d}={v}" for d, v in dims.items() if v != "")
        tables = ", ".join(sorted(set(where["table"] + "." + where["column"])))
        i = position[int(cell)]
        lines.append(
            f"{identity} ({tables}): between {result.lower[i]:g} and {result.upper[i]:g}, "
            f"through {'; '.join(result.exposing.get(int(cell), ['its bounds']))}"
        )
    return lines

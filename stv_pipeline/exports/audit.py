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
    known = np.bincount(row[~is_hidden], weights=coef[~is_hidden] * values[cell[~is_hidden]],
                        minlength=n_rows)
    touched = np.bincount(row[is_hidden], minlength=n_rows) > 0
    matrix = sparse.csr_matrix(
        (coef[is_hidden], (row[is_hidden], cell[is_hidden])), shape=(n_rows, hidden.size)
    )
    return matrix, rhs - known, touched


def audit(
    system: CellSystem, hidden: np.ndarray, protection_width: float, explain: bool = True
) -> AuditResult:
    """Each suppressed cell's feasible interval under every relation of the system."""
    values = system.values
    a_eq, b_eq, eq_touched = _constraints(system.equations, "eq", hidden, values, system.eq_rhs)
    a_ub, b_ub, ub_touched = _constraints(
        system.inequalities, "ineq", hidden, values, np.zeros(system.ineq_kind.size)
    )
    a_eq, b_eq, eq_kind = a_eq[eq_touched], b_eq[eq_touched], system.eq_kind[eq_touched]
    a_ub, b_ub, ub_kind = a_ub[ub_touched], b_ub[ub_touched], system.ineq_kind[ub_touched]
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

    lower = np.zeros(variables.size)
    upper = np.full(variables.size, np.inf)
    a_eq, a_ub = a_eq.tocsc()[:, variables].tocsr(), a_ub.tocsc()[:, variables].tocsr()
    order = np.argsort(var_group, kind="stable")
    starts = np.searchsorted(var_group[order], np.arange(n_groups + 1))
    eq_order = np.argsort(eq_group, kind="stable")
    eq_starts = np.searchsorted(eq_group[eq_order], np.arange(n_groups + 1))
    ub_order = np.argsort(ub_group, kind="stable")
    ub_starts = np.searchsorted(ub_group[ub_order], np.arange(n_groups + 1))
    groups_with_constraints = 0
    for g in range(n_groups):
        members = order[starts[g] : starts[g + 1]]
        if members.size == 0:
            continue
        eqs = eq_order[eq_starts[g] : eq_starts[g + 1]]
        ubs = ub_order[ub_starts[g] : ub_starts[g + 1]]
        if eqs.size == 0 and ubs.size == 0:
            continue  # a suppressed cell in no relation: anything from 0 up
        groups_with_constraints += 1
        if members.size == 1:
            lower[members], upper[members] = _single_interval(
                a_eq[eqs][:, members].toarray().ravel(), b_eq[eqs],
                a_ub[ubs][:, members].toarray().ravel(), b_ub[ubs],
            )
            continue
        lo, hi = _group_intervals(
            a_eq[eqs][:, members], b_eq[eqs], a_ub[ubs][:, members], b_ub[ubs], protection_width
        )
        lower[members], upper[members] = lo, hi
    exposing = {}
    if explain:
        narrow = np.flatnonzero(upper - lower < protection_width - TOLERANCE)
        for v in narrow:
            kinds = set(eq_kind[a_eq[:, v].nonzero()[0]]) | set(ub_kind[a_ub[:, v].nonzero()[0]])
            exposing[int(variables[v])] = sorted(kinds)
    return AuditResult(
        variables, lower, upper, groups_with_constraints, protection_width, exposing
    )


def _solve(c, a_eq, b_eq, a_ub, b_ub):
    result = linprog(
        c,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=(0, None),
        method="highs",
    )
    if result.status == 2:
        raise ValueError("The published figures contradict the relations between them")
    return result


def _single_interval(a_eq, b_eq, a_ub, b_ub) -> tuple[float, float]:
    """One suppressed cell alone in its constraints: its interval without a solver."""
    if a_eq.size:
        value = b_eq[0] / a_eq[0]
        return value, value
    upper = (b_ub / a_ub)[a_ub > 0]
    lower = (b_ub / a_ub)[a_ub < 0]
    return max(0.0, lower.max(initial=0.0)), upper.min(initial=np.inf)


def _group_intervals(a_eq, b_eq, a_ub, b_ub, width: float) -> tuple[np.ndarray, np.ndarray]:
    n = a_eq.shape[1]
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    exact_low = np.zeros(n, dtype=bool)
    exact_high = np.zeros(n, dtype=bool)
    open_ = np.ones(n, dtype=bool)
    while open_.any():
        before = open_.sum()
        for sign in (-1.0, 1.0):
            c = np.where(open_, sign, 0.0)
            result = _solve(c, a_eq, b_eq, a_ub, b_ub)
            if result.status == 3:  # unbounded upwards: some open cell is unprotected above
                continue
            low = np.minimum(low, result.x)
            high = np.maximum(high, result.x)
        open_ &= ~(high - low >= width - TOLERANCE)
        if open_.sum() == before:
            break
    for v in np.flatnonzero(open_):
        c = np.zeros(n)
        c[v] = 1.0
        result = _solve(c, a_eq, b_eq, a_ub, b_ub)
        low[v], exact_low[v] = result.fun, True
        result = _solve(-c, a_eq, b_eq, a_ub, b_ub)
        high[v] = np.inf if result.status == 3 else -result.fun
        exact_high[v] = True
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

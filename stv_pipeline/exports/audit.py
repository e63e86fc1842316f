"""The disclosure audit (DESIGN §4): attack the export as an intruder would, before it is written.

The intruder knows every published figure and every relation of the cell system (totals,
bounds, published shares and revisions). A suppressed cell is protected when the values it can
take under all of them span at least `protection_width`; narrower, it is exposed.

The linear programs (HiGHS, through highspy) are written in deviations from the true values,
which satisfy every relation: a point is the true values plus a deviation of the suppressed
cells. Any feasible point bounds a cell's interval from inside, and any subset of the relations
bounds it from outside, so a cell is decided without solving the whole system for it:

1. Points already known (`Witnesses`, e.g. the suppression's) are checked against this
   system's own relations; a point that satisfies them all proves every cell it moves far
   enough. A point that does not is discarded, so a wrong point can never pass a cell.
   Then points found without an LP (`_pair_moves`: two suppressed cells of one total moving
   against each other), checked the same way.
2. Batch rounds: one LP over the whole system moves every undecided cell at once (all up, all
   down, then random directions with a fixed seed), each cell at most `protection_width` from
   its true value so that one solution proves many cells. Repeated while a round still settles
   a good share of the undecided cells.
3. Each cell left is decided on its neighbourhood, the suppressed cells within r relations of
   it, growing r: with the cells outside held at their true values the LP gives points (inside
   bounds, so width >= protection_width proves it protected); with the relations that reach
   outside dropped it gives a relaxation (outside bounds, so width < protection_width proves it
   exposed). On the whole connected group the two coincide, so every cell is decided. Up to
   SIDE_BY_SIDE_RADII relations out, cells whose neighbourhoods share no relation are solved
   side by side in one LP; the cells that need a wider neighbourhood are solved one at a time.

A protected cell's interval is therefore proven at least as wide as reported (exact when step 3
reached its whole group); an exposed cell's is at most as wide as reported: what an intruder
provably learns. Solving every interval exactly would take two LPs over its whole group per
cell; deciding each cell against `protection_width` is what the guarantee needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from stv_pipeline.exports.cells import DIMENSIONS, CellSystem

TOLERANCE = 1e-6
# float rounding relative to the size of a point's terms, when a point is checked
ROUNDING = 1e-12
# An upper bound no count reaches: a cell the LP pushes this high is unbounded above.
UNBOUNDED = 1e9
# Batch rounds go on while one settles at least this share of the cells still open, and at
# least this many cells are open (below that, deciding them one by one is cheaper).
BATCH_MIN_SETTLED_SHARE = 0.25
BATCH_MIN_OPEN = 200
BATCH_MAX_ROUNDS = 4
# Cells per batch LP: whole connected groups side by side. HiGHS's time per cell grows with an
# LP's size, and one LP per group would cost a Python round trip for every few cells.
BATCH_CHUNK_CELLS = 1000
# Step 3 solves the neighbourhoods up to this many relations out side by side, many cells per
# LP; wider ones, cell by cell. An exposed cell is mostly proven so at two relations out.
SIDE_BY_SIDE_RADII = 2


@dataclass(frozen=True)
class Witnesses:
    """Feasible points as deviations from the true values: row = point, column = cell id."""

    deviations: sparse.csr_matrix

    @staticmethod
    def none(n_cells: int) -> Witnesses:
        return Witnesses(sparse.csr_matrix((0, n_cells)))

    @staticmethod
    def join(parts: list[Witnesses], n_cells: int) -> Witnesses:
        matrices = [p.deviations for p in parts if len(p)]
        return Witnesses(sparse.vstack(matrices).tocsr()) if matrices else Witnesses.none(n_cells)

    def __len__(self) -> int:
        return self.deviations.shape[0]


@dataclass(frozen=True)
class AuditResult:
    """Per audited suppressed cell (`cells`, cell ids) its interval (see the module docstring
    for how exact it is), and the points found on the way, for a later audit to check."""

    cells: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    groups: int
    protection_width: float
    exposing: dict[int, list[str]]
    witnesses: Witnesses | None = field(default=None, compare=False)

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
            "narrowest_interval": (
                None if narrowest is None or np.isinf(narrowest) else round(narrowest, 6)
            ),
            "cells_exposed": int(self.exposed.size),
        }


class IntruderSystem:
    """Every relation that holds a suppressed cell, over the suppressed cells, in deviations:
    rows are the equations then the inequalities, `row_lower <= A d <= row_upper`, and
    `col_lower <= d <= col_upper` keeps each count between 0 and UNBOUNDED."""

    def __init__(self, system: CellSystem, hidden: np.ndarray):
        values = system.values
        a_eq, a_ub = system.equation_matrix(), system.inequality_matrix()
        self.variables = np.flatnonzero(hidden)
        self.truth = values[self.variables]
        a_eq_h, a_ub_h = a_eq[:, self.variables].tocsr(), a_ub[:, self.variables].tocsr()
        eq_rows = np.flatnonzero(np.diff(a_eq_h.indptr) > 0)
        ub_rows = np.flatnonzero(np.diff(a_ub_h.indptr) > 0)
        # what the published cells contribute moves to the bounds of the rows
        eq_residual = (system.eq_rhs - a_eq @ values)[eq_rows]
        ub_slack = (system.ineq_rhs_or_zero() - a_ub @ values)[ub_rows]
        self.matrix = sparse.vstack([a_eq_h[eq_rows], a_ub_h[ub_rows]]).tocsr()
        self.n_equations = eq_rows.size
        self.row_lower = np.concatenate([eq_residual, np.full(ub_rows.size, -highspy.kHighsInf)])
        self.row_upper = np.concatenate([eq_residual, ub_slack])
        self.row_kind = np.concatenate([system.eq_kind[eq_rows], system.ineq_kind[ub_rows]])
        # the magnitude of each row's terms at the true values, for relative tolerances
        self.row_scale = 1 + abs(self.matrix) @ self.truth
        violated = (self.row_lower > TOLERANCE * self.row_scale) | (
            self.row_upper < -TOLERANCE * self.row_scale
        )
        if violated.any():
            raise ValueError(
                "The exported figures do not satisfy their own relations: "
                + ", ".join(sorted(set(self.row_kind[violated])))
            )
        self.col_lower = -self.truth
        self.col_upper = UNBOUNDED - self.truth
        self.pattern = self.matrix.copy()
        self.pattern.data[:] = 1
        self.pattern_t = self.pattern.T.tocsr()
        self.row_size = np.diff(self.pattern.indptr)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)

    @property
    def size(self) -> int:
        return self.variables.size

    @cached_property
    def groups(self) -> np.ndarray:
        """Connected groups: suppressed cells are linked when a relation holds both."""
        n_rows = self.matrix.shape[0]
        graph = sparse.bmat([[None, self.pattern], [self.pattern.T, None]]).tocsr()
        return connected_components(graph, directed=False)[1][n_rows:]

    def constrained(self) -> np.ndarray:
        return np.diff(self.pattern_t.indptr) > 0

    def solve_pair(
        self,
        columns: np.ndarray,
        rows: np.ndarray,
        cost: np.ndarray,
        col_lower: np.ndarray | None = None,
        col_upper: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minimise then maximise `cost` over the sub-system (columns x rows); the solutions."""
        self.load(columns, rows, col_lower, col_upper)
        return self.solve(cost), self.solve(-cost)

    def load(
        self,
        columns: np.ndarray,
        rows: np.ndarray,
        col_lower: np.ndarray | None = None,
        col_upper: np.ndarray | None = None,
    ) -> None:
        """Hand the sub-system (columns x rows) to HiGHS; `solve` then minimises objectives
        over it, each solve starting from the previous one's basis."""
        start, index, value = self._submatrix(rows, columns)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = columns.size, rows.size
        lp.col_cost_ = np.zeros(columns.size)
        lp.col_lower_ = self.col_lower[columns] if col_lower is None else col_lower
        lp.col_upper_ = self.col_upper[columns] if col_upper is None else col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower[rows], self.row_upper[rows]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
        self.highs.passModel(lp)
        self._loaded = columns.size

    def solve(self, cost: np.ndarray) -> np.ndarray:
        """Minimise `cost` over the loaded sub-system; the solution."""
        self.highs.changeColsCost(self._loaded, np.arange(self._loaded, dtype=np.int32), cost)
        return self._run()

    def _submatrix(
        self, rows: np.ndarray, columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (rows x columns) part of the matrix, column-wise (starts, row indices, values),
        as `matrix[rows][:, columns].tocsc()` gives it: cut from the CSR arrays directly, since
        the audit cuts thousands of small ones and SciPy's slicing costs more than HiGHS's solve."""
        first, last = self.matrix.indptr[rows], self.matrix.indptr[rows + 1]
        lengths = last - first
        entries = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(
            lengths.sum()
        )
        local_column = np.full(self.size, -1, dtype=np.int64)
        local_column[columns] = np.arange(columns.size)
        column = local_column[self.matrix.indices[entries]]
        row = np.repeat(np.arange(rows.size), lengths)
        kept = column >= 0
        order = np.argsort(column[kept], kind="stable")
        column, row = column[kept][order], row[kept][order]
        start = np.zeros(columns.size + 1, dtype=np.int32)
        np.cumsum(np.bincount(column, minlength=columns.size), out=start[1:])
        return start, row.astype(np.int32), self.matrix.data[entries][kept][order]

    def _run(self) -> np.ndarray:
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise ValueError(f"The intruder's linear program failed: {status}")
        return np.array(self.highs.getSolution().col_value)

    def neighbourhood(self, cells: np.ndarray) -> np.ndarray:
        """The cells sharing a relation with one of `cells`, and those cells."""
        return np.union1d(cells, self.pattern[self.rows_touching(cells)].indices)

    def rows_touching(self, cells: np.ndarray) -> np.ndarray:
        return np.unique(self.pattern_t[cells].indices)

    def rows_within(self, cells: np.ndarray) -> np.ndarray:
        """The rows whose suppressed cells are all among `cells`."""
        rows, members = np.unique(self.pattern_t[cells].indices, return_counts=True)
        return rows[members == self.row_size[rows]]

    def feasible(self, deviations: sparse.csr_matrix) -> np.ndarray:
        """Which points (rows: deviations of the suppressed cells) satisfy every relation."""
        points = deviations.tocsc()
        ok = np.ones(points.shape[0], dtype=bool)
        coo = points.tocoo()
        outside = (coo.data < self.col_lower[coo.col] - TOLERANCE) | (
            coo.data > self.col_upper[coo.col] + TOLERANCE
        )
        ok[coo.row[outside]] = False
        # a row may miss its bounds by TOLERANCE relative to its terms at the true values, and
        # by float rounding on the point's own terms: not by a count, however large they are
        activity = self.matrix @ points.T
        rounding = ROUNDING * (abs(self.matrix) @ abs(points).T)
        slack = TOLERANCE * self.row_scale
        high = (activity - rounding).tocoo()
        low = (activity + rounding).tocoo()
        ok[high.col[high.data > self.row_upper[high.row] + slack[high.row]]] = False
        ok[low.col[low.data < self.row_lower[low.row] - slack[low.row]]] = False
        return ok


class _Bounds:
    """The deviations each audited cell is known to reach, and the points that show it."""

    def __init__(self, intruder: IntruderSystem, width: float):
        self.intruder = intruder
        self.width = width
        self.low = np.zeros(intruder.size)  # the true values are a feasible point
        self.high = np.zeros(intruder.size)
        self.points: list[sparse.csr_matrix] = []

    def record(self, columns: np.ndarray, point: np.ndarray) -> None:
        self.low[columns] = np.minimum(self.low[columns], point)
        self.high[columns] = np.maximum(self.high[columns], point)
        moved = np.abs(point) > TOLERANCE
        self.points.append(
            sparse.csr_matrix(
                (point[moved], (np.zeros(moved.sum(), dtype=np.int64), columns[moved])),
                shape=(1, self.intruder.size),
            )
        )

    def settled(self, cells: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.high[cells] - self.low[cells] >= self.width - TOLERANCE


def audit(
    system: CellSystem,
    hidden: np.ndarray,
    protection_width: float,
    *,
    only: np.ndarray | None = None,
    witnesses: Witnesses | None = None,
    explain: bool = True,
) -> AuditResult:
    """Each suppressed cell's interval under every relation of the system (see the module
    docstring). `only`: a mask of the cells to audit (default all suppressed); `witnesses`:
    points to check first."""
    intruder = IntruderSystem(system, hidden)
    wanted = np.ones(intruder.size, dtype=bool) if only is None else only[intruder.variables]
    bounds = _Bounds(intruder, protection_width)
    constrained = intruder.constrained()
    if witnesses is not None and len(witnesses):
        _check_witnesses(bounds, witnesses, hidden)
    open_ = wanted & constrained & ~bounds.settled()
    _pair_moves(bounds, open_)
    open_ &= ~bounds.settled()
    _batch_rounds(bounds, open_)
    outer: dict[int, tuple[float, float]] = {}
    for radius in range(1, SIDE_BY_SIDE_RADII + 1):
        left = np.flatnonzero(open_ & ~bounds.settled())
        outer.update(_decide_side_by_side(bounds, left[~np.isin(left, list(outer))], radius))
    for v in np.flatnonzero(open_ & ~bounds.settled()):
        if v in outer:
            continue
        protected, interval = _decide(bounds, v, SIDE_BY_SIDE_RADII + 1)
        if not protected:
            outer[v] = interval
    lower, upper = bounds.low.copy(), bounds.high.copy()
    for v, (lo, hi) in outer.items():
        lower[v], upper[v] = lo, hi
    lower, upper = intruder.truth + lower, intruder.truth + upper
    lower[~constrained], upper[~constrained] = 0.0, np.inf
    upper[upper >= UNBOUNDED / 2] = np.inf
    scope = np.flatnonzero(wanted)
    labels = intruder.groups
    exposing = {}
    if explain:
        narrow = scope[(upper - lower)[scope] < protection_width - TOLERANCE]
        for v in narrow:
            rows = intruder.rows_touching(np.array([v]))
            exposing[int(intruder.variables[v])] = sorted(set(intruder.row_kind[rows]))
    found = sparse.vstack(bounds.points).tocsr() if bounds.points else sparse.csr_matrix((0, 0))
    return AuditResult(
        cells=intruder.variables[scope],
        lower=lower[scope],
        upper=upper[scope],
        groups=int(np.unique(labels[scope[constrained[scope]]]).size),
        protection_width=protection_width,
        exposing=exposing,
        witnesses=_as_cells(found, intruder.variables, system.values.size),
    )


def _as_cells(points: sparse.csr_matrix, variables: np.ndarray, n_cells: int) -> Witnesses:
    if points.shape[0] == 0:
        return Witnesses.none(n_cells)
    coo = points.tocoo()
    return Witnesses(
        sparse.csr_matrix(
            (coo.data, (coo.row, variables[coo.col])), shape=(points.shape[0], n_cells)
        )
    )


def _check_witnesses(bounds: _Bounds, witnesses: Witnesses, hidden: np.ndarray) -> None:
    """Step 1: the given points that satisfy this system widen the known intervals."""
    deviations = witnesses.deviations.tocsr()
    if deviations.shape[1] != hidden.size:
        return  # points of another cell system
    # a point that moves a published cell is not a point of this system
    moves_published = np.diff(deviations[:, np.flatnonzero(~hidden)].tocsr().indptr) > 0
    deviations = deviations[:, bounds.intruder.variables].tocsr()
    feasible = ~moves_published & bounds.intruder.feasible(deviations)
    points = deviations[feasible].tocsc()
    if points.shape[0] == 0:
        return
    bounds.low = np.minimum(bounds.low, points.min(axis=0).toarray().ravel())
    bounds.high = np.maximum(bounds.high, points.max(axis=0).toarray().ravel())


def _pair_moves(bounds: _Bounds, open_: np.ndarray) -> None:
    """Step 1b of the module docstring: points found without an LP. A suppressed cell that
    only one equation holds, with another such cell in it, moves with that cell, against it
    when both are parts (a part and its total, alongside), as far as the bounds of the two
    allow with every other cell where it is. Each point is checked against every relation
    before it counts, like any other."""
    intruder = bounds.intruder
    n_eq = intruder.n_equations
    if n_eq == 0 or not open_.any():
        return
    matrix = intruder.matrix
    equations, inequalities = matrix[:n_eq].tocsr(), matrix[n_eq:].tocsc()
    held = np.diff(equations.tocsc().indptr)
    row_of = np.full(intruder.size, -1, dtype=np.int64)
    coef_of = np.zeros(intruder.size)
    coo = equations.tocoo()
    alone = held[coo.col] == 1
    row_of[coo.col[alone]], coef_of[coo.col[alone]] = coo.row[alone], coo.data[alone]
    # how far each cell moves alone before a bound stops it (its own bound rows)
    up = intruder.col_upper.copy()
    down = -intruder.col_lower
    ub = inequalities.tocoo()
    slack = intruder.row_upper[n_eq:][ub.row]
    rising = ub.data > 0
    np.minimum.at(up, ub.col[rising], slack[rising] / ub.data[rising])
    np.minimum.at(down, ub.col[~rising], slack[~rising] / -ub.data[~rising])
    up, down = np.maximum(up, 0), np.maximum(down, 0)
    # a partner: the other single-equation cell of the same equation that reaches furthest
    cells = np.flatnonzero((row_of >= 0) & open_)
    candidates = pd.DataFrame({"row": row_of[row_of >= 0], "cell": np.flatnonzero(row_of >= 0)})
    pairs = pd.DataFrame({"row": row_of[cells], "cell": cells}).merge(
        candidates, on="row", suffixes=("", "_partner")
    )
    pairs = pairs[pairs["cell"] != pairs["cell_partner"]]
    if pairs.empty:
        return
    v = pairs["cell"].to_numpy()
    u = pairs["cell_partner"].to_numpy()
    # two cells in one bound row would push it twice: leave such pairs to the LPs
    shares = _share_a_row(inequalities, v, u)
    v, u = v[~shares], u[~shares]
    against = np.sign(coef_of[v]) == np.sign(coef_of[u])
    scale = np.abs(coef_of[v] / coef_of[u])
    raise_v = np.minimum(up[v], np.where(against, down[u], up[u]) / scale)
    lower_v = np.minimum(down[v], np.where(against, up[u], down[u]) / scale)
    best = pd.DataFrame({"v": v, "reach": raise_v + lower_v}).groupby("v")["reach"].idxmax()
    keep = best.to_numpy()
    v, u, raise_v, lower_v = v[keep], u[keep], raise_v[keep], lower_v[keep]
    u_sign = np.where(against[keep], -1.0, 1.0) * scale[keep]
    n = v.size
    points = sparse.csr_matrix(
        (
            np.concatenate([raise_v, u_sign * raise_v, -lower_v, -u_sign * lower_v]),
            (
                np.concatenate([np.arange(n), np.arange(n), n + np.arange(n), n + np.arange(n)]),
                np.concatenate([v, u, v, u]),
            ),
        ),
        shape=(2 * n, intruder.size),
    )
    points.eliminate_zeros()
    feasible = intruder.feasible(points)
    points = points[feasible].tocsc()
    if points.shape[0]:
        bounds.low = np.minimum(bounds.low, points.min(axis=0).toarray().ravel())
        bounds.high = np.maximum(bounds.high, points.max(axis=0).toarray().ravel())
        bounds.points.append(points.tocsr())


def _rows_holding(inequalities: sparse.csc_matrix, cells: np.ndarray) -> pd.DataFrame:
    """(pair, row): for the i-th of `cells`, every inequality row that holds it."""
    starts, ends = inequalities.indptr[cells], inequalities.indptr[cells + 1]
    return pd.DataFrame(
        {
            "pair": np.repeat(np.arange(cells.size), ends - starts),
            "row": np.concatenate(
                [inequalities.indices[s:e] for s, e in zip(starts, ends, strict=True)]
            )
            if cells.size
            else np.zeros(0, np.int64),
        }
    )


def _share_a_row(inequalities: sparse.csc_matrix, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per pair (v[i], u[i]), whether some inequality holds both cells."""
    rows_v = _rows_holding(inequalities, v)
    rows_u = _rows_holding(inequalities, u)
    both = rows_v.merge(rows_u, on=["pair", "row"])["pair"].unique()
    shared = np.zeros(v.size, dtype=bool)
    shared[both] = True
    return shared


def _batch_rounds(bounds: _Bounds, open_: np.ndarray) -> None:
    """Step 2 of the module docstring, on chunks of whole groups: one LP over a few thousand
    cells solves in a fraction of the time per cell that one LP over all of them takes."""
    intruder = bounds.intruder
    if open_.sum() < BATCH_MIN_OPEN:
        return
    labels = intruder.groups
    rng = np.random.default_rng(0)
    for columns in _chunks(labels, np.flatnonzero(np.isin(labels, labels[open_]))):
        rows = intruder.rows_touching(columns)
        intruder.load(
            columns,
            rows,
            np.maximum(intruder.col_lower[columns], -bounds.width),
            np.minimum(intruder.col_upper[columns], bounds.width),
        )
        for round_ in range(BATCH_MAX_ROUNDS):
            mine = open_[columns]
            before = mine.sum()
            if before == 0:
                break
            signs = np.ones(columns.size) if round_ == 0 else rng.choice([-1.0, 1.0], columns.size)
            # minimising then maximising: with round 0 all down, then all up
            cost = np.where(mine, signs, 0.0)
            for point in (intruder.solve(cost), intruder.solve(-cost)):
                bounds.record(columns, point)
            open_[columns] &= ~bounds.settled(columns)
            if before - open_[columns].sum() < BATCH_MIN_SETTLED_SHARE * before:
                break


def _chunks(labels: np.ndarray, columns: np.ndarray) -> list[np.ndarray]:
    """`columns` in chunks of about BATCH_CHUNK_CELLS cells, whole groups each (a group larger
    than that is a chunk of its own), each sorted."""
    if columns.size == 0:
        return []
    columns = columns[np.argsort(labels[columns], kind="stable")]
    group = labels[columns]
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    chunk = np.repeat(first // BATCH_CHUNK_CELLS, np.diff(np.r_[first, group.size]))
    cuts = np.flatnonzero(np.r_[True, chunk[1:] != chunk[:-1]])
    return [np.sort(part) for part in np.split(columns, cuts[1:])]


def _decide_side_by_side(
    bounds: _Bounds, cells: np.ndarray, radius: int = 1
) -> dict[int, tuple[float, float]]:
    """Step 3 on the neighbourhoods `radius` relations out of many cells at once: cells
    whose neighbourhoods share no relation are solved in one LP, whose objective (the sum of
    their values) then splits into one per cell. The exposed cells with their relaxation's
    interval; protected ones get their points recorded; the rest are left to a wider radius
    (`_decide`)."""
    intruder = bounds.intruder
    if cells.size == 0:
        return {}
    near = (intruder.pattern_t[cells] @ intruder.pattern).tocsr()  # cell x cells 1 relation away
    for _ in range(radius - 1):
        near.data[:] = 1
        near = (near @ intruder.pattern_t @ intruder.pattern).tocsr()
    near.data[:] = 1
    near.sort_indices()
    # cell x rows touching its neighbourhood, with how many of each row's cells lie in it
    touching = (near @ intruder.pattern_t).tocsr()
    touching.sort_indices()
    used = np.zeros(intruder.matrix.shape[0], dtype=bool)
    pending = list(range(cells.size))
    exposed = {}
    while pending:
        pack, later = [], []
        used[:] = False
        for i in pending:
            rows = touching.indices[touching.indptr[i] : touching.indptr[i + 1]]
            if used[rows].any():
                later.append(i)
                continue
            used[rows] = True
            pack.append(i)
        blocks = [near.indices[near.indptr[i] : near.indptr[i + 1]] for i in pack]
        columns = np.concatenate(blocks)
        start = np.cumsum([0] + [b.size for b in blocks[:-1]])
        at = start + np.array(
            [np.searchsorted(b, cells[i]) for b, i in zip(blocks, pack, strict=True)]
        )
        cost = np.zeros(columns.size)
        cost[at] = 1.0
        all_rows = np.concatenate(
            [touching.indices[touching.indptr[i] : touching.indptr[i + 1]] for i in pack]
        )
        counts = np.concatenate(
            [touching.data[touching.indptr[i] : touching.indptr[i + 1]] for i in pack]
        )
        within = all_rows[counts == intruder.row_size[all_rows]]
        low, high = intruder.solve_pair(columns, within, cost)
        narrow = high[at] - low[at] < bounds.width - TOLERANCE
        for i, lo, hi in zip(
            np.array(pack)[narrow], low[at][narrow], high[at][narrow], strict=True
        ):
            exposed[int(cells[i])] = (lo, hi)
        if not narrow.all():
            # the points of the cells not exposed: the packed LP with the cells outside held
            low, high = intruder.solve_pair(columns, np.unique(all_rows), cost)
            bounds.record(columns, low)
            bounds.record(columns, high)
        pending = later
    return exposed


def _decide(bounds: _Bounds, v: int, radius: int = 1) -> tuple[bool, tuple[float, float]]:
    """Step 3, from the neighbourhood `radius` relations out (the nearer ones decided nothing):
    protected (with points recorded) or exposed (with the relaxation's interval)."""
    intruder = bounds.intruder
    cells = np.array([v])
    for _ in range(radius - 1):
        cells = intruder.neighbourhood(cells)
    while True:
        grown = intruder.neighbourhood(cells)
        whole = grown.size == cells.size
        cells = grown
        touching = intruder.rows_touching(cells)
        at = int(np.searchsorted(cells, v))
        cost = np.zeros(cells.size)
        cost[at] = 1.0
        low, high = intruder.solve_pair(cells, intruder.rows_within(cells), cost)
        if high[at] - low[at] < bounds.width - TOLERANCE:
            return False, (low[at], high[at])
        low, high = intruder.solve_pair(cells, touching, cost)
        bounds.record(cells, low)
        bounds.record(cells, high)
        if bounds.settled(v):
            return True, (bounds.low[v], bounds.high[v])
        if whole:
            raise AssertionError("inside and outside bounds differ on a whole group")


def describe(system: CellSystem, result: AuditResult, limit: int = 20) -> list[str]:
    """The exposed cells, named by the tables and rows that publish them, with the relations
    that give them away."""
    lines = []
    position = {int(c): i for i, c in enumerate(result.cells)}
    for cell in result.exposed[:limit]:
        where = system.occurrences[system.occurrences["cell"] == cell]
        dims = system.cells.loc[cell, list(DIMENSIONS)]
        identity = ", ".join(f"{d}={v}" for d, v in dims.items() if v != "")
        tables = ", ".join(
            sorted(set(where["table"].astype(str) + "." + where["column"].astype(str)))
        )
        i = position[int(cell)]
        lines.append(
            f"{identity} ({tables}): between {result.lower[i]:g} and {result.upper[i]:g}, "
            f"through {'; '.join(result.exposing.get(int(cell), ['its bounds']))}"
        )
    return lines

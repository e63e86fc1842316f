"""The published cells of an export as one system (DESIGN §4).

Every exported count is a cell with an identity: measure, area (a municipality or a pool),
period (a month, a window, an extract date or a wave), group, vintage and detail. A register
figure's vintage is the snapshots it reads (`population` and `n_company` the benefits snapshot,
`n_hours` and `n_either` that and the earnings snapshot: seed `register_measures`), so the same
figure under two vintages pairing the same snapshots is one cell, as an intruder who reads the
vintages' snapshot columns knows. A cell that several tables publish (the newest vintage of
registration_revisions and nowcast.observed repeat success_criteria_monthly) is one cell, so it
gets one suppression decision. The relations between
cells are linear: totals (groups -> alle, months -> evaluation window, municipalities -> pool),
bounds (n <= population, max(n_company, n_hours) <= n_either <= n_company + n_hours) and the
equations a published derived figure adds (share x denominator = numerator, vintage - revision =
previous vintage).

What a column is, and how cells relate, is declared where the marts are described: the
`disclosure` meta of each mart and column in dbt/models/marts/*.yml, read from dbt's manifest.
Roles of a column: `key` (identity), `count` (a cell), `share` (numerator / denominator),
`difference` and `relative_difference` (a revision against the previous vintage's cell),
`derived` (a figure computed from other columns, suppressed with them; no linear relation;
figures computed from other rows or tables are declared by the mart's `derived_rows`).
A column without a role is published as it is: it is not computed from persons' counts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from stv_pipeline import dbt_manifest

DIMENSIONS = ("measure", "area", "period", "group", "vintage", "detail")
NEWEST = "newest"  # a cell declared `vintage: newest` is of the newest vintage exported
LINKED_ROLES = ("share", "difference", "relative_difference", "derived")


@dataclass(frozen=True)
class DisclosureRules:
    """What the relations and the protection depend on besides the tables (seeds): the
    evaluation windows, the width every suppressed count must keep, and which register
    snapshots each register measure reads."""

    windows: dict[str, tuple[date, date]]
    protection_width: float
    snapshots_read: dict[str, tuple[str, ...]] = field(default_factory=dict)


READ_RULES = """
select
    (select list(struct_pack(evaluation_window, start_date, end_date))
     from reference.evaluation_windows) as windows,
    (select protection_width from reference.evaluation_settings) as protection_width,
    (select list(struct_pack(measure, reads_earnings)) from reference.register_measures)
        as measures
"""


def read_disclosure_rules(con) -> DisclosureRules:
    """The rules from the seeds in the warehouse (reference schema)."""
    windows, width, measures = con.execute(READ_RULES).fetchone()
    return DisclosureRules(
        windows={w["evaluation_window"]: (w["start_date"], w["end_date"]) for w in windows or []},
        protection_width=float(width),
        snapshots_read={
            m["measure"]: ("benefits", "earnings") if m["reads_earnings"] else ("benefits",)
            for m in measures or []
        },
    )


def rules_fingerprint(tables: dict[str, TableDeclaration], rules: DisclosureRules) -> str:
    """A digest of everything that shapes the cells and relations besides the data: the marts'
    declarations and the rules. Deliveries made by the same fingerprint form the same
    relations over the same cells."""
    described = {
        "tables": {name: asdict(table) for name, table in sorted(tables.items())},
        "windows": {w: [str(d) for d in span] for w, span in sorted(rules.windows.items())},
        "protection_width": rules.protection_width,
        "snapshots_read": {m: list(r) for m, r in sorted(rules.snapshots_read.items())},
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def cell_keys(cells: pd.DataFrame) -> np.ndarray:
    """A cell's identity as one text (measure|area|period|group|vintage|detail), the key under
    which the publication ledger knows it across deliveries."""
    key = cells["measure"].astype(str)
    for dimension in DIMENSIONS[1:]:
        key = key + "|" + cells[dimension].astype(str)
    return key.to_numpy(dtype=object)


@dataclass(frozen=True)
class TableDeclaration:
    """A mart's disclosure declaration: how its rows name cells, its counts, its figures
    computed from counts, and the relations and bounds it declares for every table."""

    name: str
    cell: dict[str, Any]
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    linked: dict[str, dict[str, Any]] = field(default_factory=dict)
    relations: tuple[dict[str, Any], ...] = ()
    bounds: tuple[dict[str, Any], ...] = ()
    # figures computed from figures of other rows, of this table or another (did from the
    # pools, a track mean from its requirements' means, a change from the baseline's mean):
    # each entry's `rows` (default every row) take `figures` (default: each linked column
    # from itself) from the rows of `table` (default this one) meeting `from` and equal on
    # `match`; see disclosure.masks_for
    derived_rows: tuple[dict[str, Any], ...] = ()
    # a table whose rows are a selection of cells other tables publish whole (nowcast: the
    # provisional months only): its rows alone do not make a total add up, so relations are
    # formed from the cells of whole tables only
    selection: bool = False


def declarations(manifest: Path | None = None) -> dict[str, TableDeclaration]:
    """Every mart with a `disclosure` meta, from dbt's manifest."""
    return {
        mart.name: declaration_from_meta(
            mart.name,
            mart.meta["disclosure"],
            {column.name: column.meta.get("disclosure") or {} for column in mart.columns},
        )
        for mart in dbt_manifest.marts(manifest)
        if mart.meta.get("disclosure")
    }


def declaration_from_meta(
    name: str, meta: dict[str, Any], roles: dict[str, dict[str, Any]]
) -> TableDeclaration:
    unknown = {
        c: r["role"]
        for c, r in roles.items()
        if r and r.get("role") not in {"key", "count", *LINKED_ROLES}
    }
    if unknown:
        raise ValueError(f"{name}: unknown disclosure role(s) {unknown}")
    linked = {c: r for c, r in roles.items() if r.get("role") in LINKED_ROLES}
    derived_rows = meta.get("derived_rows") or ()
    derived_rows = tuple([derived_rows] if isinstance(derived_rows, dict) else derived_rows)
    # a derived_rows entry decides figures, never counts: a count is a cell, decided by the
    # suppression and proven by the audit
    targets = set()
    for entry in derived_rows:
        figures = set(entry.get("figures", {})) or set(linked)
        if not figures <= set(linked):
            raise ValueError(
                f"{name}: derived_rows names figures without a linked role: "
                f"{sorted(figures - set(linked))}"
            )
        targets |= figures
    # a derived figure with neither `from` nor a derived_rows entry would never be suppressed
    orphans = [
        c
        for c, r in linked.items()
        if r["role"] == "derived" and not r.get("from") and c not in targets
    ]
    if orphans:
        raise ValueError(f"{name}: derived figures computed from nothing declared: {orphans}")
    return TableDeclaration(
        name=name,
        cell=dict(meta.get("cell") or {}),
        counts={c: r for c, r in roles.items() if r.get("role") == "count"},
        linked=linked,
        relations=tuple(meta.get("relations", ())),
        bounds=tuple(meta.get("bounds", ())),
        derived_rows=derived_rows,
        selection=bool(meta.get("selection", False)),
    )


def _text(series: pd.Series) -> pd.Series:
    """A dimension as text: dates in ISO form, integers without a decimal point, NULL empty.
    Each distinct value is converted once: a dimension has few of them and many rows."""
    codes, uniques = pd.factorize(series)
    distinct = pd.Series(uniques)
    if pd.api.types.is_datetime64_any_dtype(distinct):
        text = distinct.dt.strftime("%Y-%m-%d")
    else:
        if pd.api.types.is_float_dtype(distinct):
            distinct = distinct.astype("Int64")
        text = distinct.astype("string")
    lookup = np.append(text.fillna("").to_numpy(dtype=object), "")  # code -1: NULL
    return pd.Series(lookup[codes], index=series.index, dtype=object)


def _dimension(frame: pd.DataFrame, spec: Any) -> pd.Series:
    """A declared dimension: a column, the first non-empty of several columns, or a literal."""
    if spec is None:
        return pd.Series("", index=frame.index, dtype=object)
    columns = spec if isinstance(spec, list) else [spec]
    if all(c in frame.columns for c in columns):
        values = _text(frame[columns[0]])
        for column in columns[1:]:
            values = values.where(values != "", _text(frame[column]))
        return values
    return pd.Series(str(spec), index=frame.index, dtype=object)


@dataclass
class CellSystem:
    """The cells of an export and the linear relations between them.

    `occurrences`: one row per published count (table, row, column, cell).
    `cells`: one row per distinct cell (its dimensions and value).
    `equations` / `inequalities`: sparse rows (row id, cell, coefficient) with a right-hand
    side per row id (`eq_rhs`; inequalities read  sum(coef * cell) <= `ineq_rhs`, 0 by default)
    and a kind per row id naming the relation for the audit's log.
    `linked`: per table and derived column, for every row, the cells it is computed from.
    `total_equations`: the equations before this index are totals, the rest derived figures'.
    """

    occurrences: pd.DataFrame
    cells: pd.DataFrame
    equations: pd.DataFrame
    eq_rhs: np.ndarray
    eq_kind: np.ndarray
    inequalities: pd.DataFrame
    ineq_kind: np.ndarray
    linked: dict[tuple[str, str], np.ndarray]
    total_equations: int  # equations 0 .. total_equations - 1 are totals; the rest derived figures
    # right-hand sides of the inequalities (sum(coef * cell) <= rhs); None: all 0
    ineq_rhs: np.ndarray | None = None
    # the cells of the vintages whose relations were formed (build_system's relations_for);
    # None: every cell's
    in_relations: np.ndarray | None = None

    def ineq_rhs_or_zero(self) -> np.ndarray:
        return np.zeros(self.ineq_kind.size) if self.ineq_rhs is None else self.ineq_rhs

    @property
    def values(self) -> np.ndarray:
        return self.cells["value"].to_numpy(dtype=float)

    def equation_matrix(self) -> sparse.csr_matrix:
        """Equations x cells: the coefficients (each equation reads coef . cells = eq_rhs)."""
        return _sparse(self.equations, "eq", self.eq_rhs.size, len(self.cells))

    def inequality_matrix(self) -> sparse.csr_matrix:
        """Inequalities x cells: the coefficients (each reads coef . cells <= 0)."""
        return _sparse(self.inequalities, "ineq", self.ineq_kind.size, len(self.cells))

    def incidence(self) -> sparse.csr_matrix:
        """Relations (equations, then inequalities) x cells: 1 where a relation holds a cell."""
        matrix = sparse.vstack([self.equation_matrix(), self.inequality_matrix()]).tocsr()
        matrix.data[:] = 1
        return matrix


def _sparse(rows: pd.DataFrame, key: str, n_rows: int, n_cells: int) -> sparse.csr_matrix:
    return sparse.csr_matrix(
        (
            rows["coef"].to_numpy(dtype=float),
            (rows[key].to_numpy(dtype=np.int64), rows["cell"].to_numpy(dtype=np.int64)),
        ),
        shape=(n_rows, n_cells),
    )


def _snapshots_read(
    measure: np.ndarray, snapshots: dict[str, pd.Series], reads: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """Per row, the snapshots its measure reads as text ('benefits=2019-01-15;earnings=...'),
    empty where the measure reads no register snapshot or one it needs is missing."""
    out = np.full(measure.size, "", dtype=object)
    if not snapshots:
        return out
    for name in pd.unique(measure):
        registers = reads.get(name)
        if not registers or any(r not in snapshots for r in registers):
            continue
        rows = measure == name
        dates = pd.DataFrame(
            {r: snapshots[r].to_numpy(dtype=object)[rows] for r in registers}, dtype=object
        )
        # written once per distinct pairing of snapshots: a table has few, and many rows
        pairing = dates.groupby(list(registers), sort=False, dropna=False).ngroup().to_numpy()
        texts = np.array(
            [
                ";".join(f"{r}={d}" for r, d in zip(registers, pair, strict=True))
                if all(pair)
                else ""
                for pair in dates.drop_duplicates().itertuples(index=False)
            ],
            dtype=object,
        )
        out[rows] = texts[pairing]
    return out


def occurrences_of(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    snapshots_read: dict[str, tuple[str, ...]] | None = None,
    *,
    keep_empty: bool = False,
) -> pd.DataFrame:
    """One row per non-empty count of every declared table (every count, empty or not, with
    `keep_empty`), with its cell's dimensions; `vintage` is the row's vintage, `reads` the
    register snapshots its figure reads (empty for a figure that reads none)."""
    reads = snapshots_read or {}
    parts = []
    pairings = []  # (vintage, register, snapshot) stated by the tables with snapshot columns
    for name, frame in frames.items():
        table = tables.get(name)
        if table is None or frame.empty:
            continue
        frame = frame.reset_index(drop=True)
        dims = {d: _dimension(frame, table.cell.get(d)) for d in DIMENSIONS if d != "measure"}
        declared = table.cell.get("snapshots") or {}
        snapshots = {r: _text(frame[c]) for r, c in declared.items() if c in frame.columns}
        for register, dates in snapshots.items():
            pairings.append(pd.DataFrame({"vintage": dims["vintage"], register: dates}))
        for column, role in table.counts.items():
            value = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            present = np.ones(len(frame), dtype=bool) if keep_empty else ~np.isnan(value)
            if "measure_column" in role:
                measure = _text(frame[role["measure_column"]])
            else:
                measure = pd.Series(role.get("measure", column), index=frame.index, dtype=object)
            measure = measure.to_numpy(dtype=object)
            part = {
                "table": np.full(present.sum(), name, dtype=object),
                "row": np.flatnonzero(present),
                "column": np.full(present.sum(), column, dtype=object),
                "measure": measure[present],
                **{
                    d: (
                        np.full(present.sum(), str(role[d]), dtype=object)
                        if d in role
                        else series.to_numpy()[present]
                    )
                    for d, series in dims.items()
                },
                "reads": _snapshots_read(measure, snapshots, reads)[present],
                "value": value[present],
            }
            parts.append(part)
    if not parts:
        empty = pd.DataFrame(columns=["table", "row", "column", *DIMENSIONS, "reads", "value"])
        return empty.astype({"row": np.int64, "value": float})
    # Python strings as they are: converting every row's texts to Arrow strings would cost
    # more than all the grouping on them. Table and column, looked up for every derived
    # figure, as categories, which compare fast.
    columns = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    occurrences = pd.DataFrame(
        {k: pd.Series(v, dtype=object) if v.dtype == object else v for k, v in columns.items()}
    ).astype({"table": "category", "column": "category"})
    stated = occurrences.loc[occurrences["vintage"] != NEWEST, "vintage"]
    stated = stated[stated != ""]
    if len(stated):
        newest = occurrences["vintage"] == NEWEST
        occurrences.loc[newest, "vintage"] = stated.max()
        occurrences.loc[newest, "reads"] = _newest_reads(
            occurrences.loc[newest, "measure"].to_numpy(dtype=object), stated.max(), pairings, reads
        )
    return occurrences


def _newest_reads(
    measure: np.ndarray,
    newest: str,
    pairings: list[pd.DataFrame],
    reads: dict[str, tuple[str, ...]],
) -> np.ndarray:
    """What the figures of the newest vintage read: the snapshots the tables with snapshot
    columns pair with that vintage."""
    snapshots = {}
    for pairing in pairings:
        rows = pairing[(pairing["vintage"] == newest)]
        for register in pairing.columns.drop("vintage"):
            dates = rows.loc[rows[register] != "", register]
            if len(dates):
                snapshots[register] = pd.Series(dates.iloc[0], index=range(measure.size))
    return _snapshots_read(measure, snapshots, reads)


def build_system(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    rules: DisclosureRules,
    published: dict[str, pd.DataFrame] | None = None,
    *,
    keep_empty: bool = False,
    relations_for: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> CellSystem:
    """The cell system of the exported tables. The equations of derived figures use the
    figures of `published` (default: `frames`), so a suppressed figure adds none. With
    `keep_empty`, an empty count is a cell too (value NaN), as when a delivery is read back.

    Relations are formed per vintage (a table row's context: the group totals and bounds of
    one vintage), then written over cells; the same relation from two vintages reading the
    same snapshots is kept once. No relation crosses vintages, so `relations_for(cells)`, a
    mask of the cells that need their relations (those of a new delivery's new cells, say),
    limits them to the vintages holding such a cell: the older vintages' relations, which an
    earlier delivery recorded, are not formed again."""
    occurrences = occurrences_of(frames, tables, rules.snapshots_read, keep_empty=keep_empty)
    identity = occurrences["reads"].where(occurrences["reads"] != "", occurrences["vintage"])
    occurrences["cell"] = (
        occurrences.assign(vintage=identity).groupby(list(DIMENSIONS), sort=True).ngroup()
    )
    occurrences["context"] = occurrences.groupby(list(DIMENSIONS), sort=True).ngroup()
    grouped = occurrences.groupby("cell")["value"]
    disagree = grouped.max() > grouped.min()  # NaN (an empty count read back) agrees
    if disagree.any():
        cell = occurrences[occurrences["cell"] == disagree.idxmax()]
        raise ValueError(
            "One cell with different values in the exported tables: "
            + cell[["table", "column", *DIMENSIONS, "value"]].to_string(index=False)
        )
    cells = occurrences.assign(vintage=identity).drop_duplicates("cell").sort_values("cell")
    cells = cells[["cell", *DIMENSIONS, "value"]].reset_index(drop=True)
    related = occurrences
    if relations_for is not None:
        needed = relations_for(cells)
        vintages = pd.unique(occurrences.loc[needed[occurrences["cell"].to_numpy()], "vintage"])
        related = occurrences[occurrences["vintage"].isin(vintages)]
    selections = [n for n, t in tables.items() if t.selection]
    whole = related[~related["table"].isin(selections)]
    contexts = whole.drop_duplicates("context")[["cell", *DIMENSIONS, "value"]]
    all_contexts = related.drop_duplicates("context")[["cell", *DIMENSIONS, "value"]]
    in_relations = np.zeros(len(cells), dtype=bool)
    in_relations[related["cell"].to_numpy()] = True

    sum_parts, sum_kinds = [], []
    offset = 0
    others: dict[str, np.ndarray] = {}  # other_dimensions(contexts, d), by d
    for kind, dimension, mapping in relation_mappings(frames, tables, rules.windows, contexts):
        if dimension not in others and not mapping.empty:
            others[dimension] = other_dimensions(contexts, dimension)
        rows = sum_equations(contexts, dimension, mapping, others.get(dimension))
        if rows.empty:
            continue
        n = int(rows["eq"].max()) + 1
        sum_parts.append(rows.assign(eq=rows["eq"] + offset))
        sum_kinds.extend([kind] * n)
        offset += n
    totals, kept = pd.DataFrame({"eq": [], "cell": [], "coef": []}), np.zeros(0, dtype=np.int64)
    if sum_parts:
        totals, kept = distinct_relations_kept(pd.concat(sum_parts, ignore_index=True), "eq")
    inequalities, ineq_kind = bound_inequalities(all_contexts, tables)
    return with_derived_figures(
        CellSystem(
            occurrences=occurrences,
            cells=cells,
            equations=totals,
            eq_rhs=np.zeros(kept.size),
            eq_kind=np.array(sum_kinds, dtype=object)[kept],
            inequalities=inequalities,
            ineq_kind=ineq_kind,
            linked={},
            total_equations=kept.size,
            in_relations=in_relations,
        ),
        frames,
        tables,
        published,
    )


def with_derived_figures(
    system: CellSystem,
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    published: dict[str, pd.DataFrame] | None = None,
) -> CellSystem:
    """The system with the equations of its derived figures formed from `published` (default:
    `frames`), each over cells of the vintages whose relations it forms; the cells, totals
    and bounds, which only the marts decide, as they are. So the audit of a publication
    starts from the system its suppression built from the same marts."""
    n_sums = system.total_equations
    eq_parts = [system.equations[system.equations["eq"] < n_sums]]
    eq_kinds = list(system.eq_kind[:n_sums])
    rhs = [system.eq_rhs[:n_sums]]
    offset = n_sums
    occurrences = system.occurrences
    in_relations = (
        np.ones(len(system.cells), dtype=bool)
        if system.in_relations is None
        else system.in_relations
    )
    linked = {}
    context_cells = ContextCells(occurrences)
    for name, table in tables.items():
        if name not in frames:
            continue
        frame = frames[name].reset_index(drop=True)
        for column, role in table.linked.items():
            if column not in frame.columns:  # a table exported without it
                continue
            shown = (published or frames)[name].reset_index(drop=True)[column]
            sources, equation = linked_cells(
                frame, shown, name, column, role, table, occurrences, context_cells
            )
            linked[(name, column)] = sources
            if equation is not None:
                rows, values = _equations_among(*equation, in_relations)
                if rows.empty:
                    continue
                rows["eq"] += offset
                eq_parts.append(rows)
                eq_kinds.extend([f"{name}.{column} ({role['role']})"] * len(values))
                rhs.append(values)
                offset += len(values)
    eq_parts = [part for part in eq_parts if not part.empty]
    return replace(
        system,
        equations=(
            pd.concat(eq_parts, ignore_index=True)
            if eq_parts
            else pd.DataFrame({"eq": [], "cell": [], "coef": []})
        ),
        eq_rhs=np.concatenate(rhs),
        eq_kind=np.array(eq_kinds, dtype=object),
        linked=linked,
    )


def _equations_among(
    rows: pd.DataFrame, values: np.ndarray, cells: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """The equations (eq, cell, coef; right-hand sides `values`) that hold one of `cells`,
    renumbered from 0."""
    if cells.all() or rows.empty:
        return rows, values
    touching = np.zeros(values.size, dtype=bool)
    touching[rows.loc[cells[rows["cell"].to_numpy()], "eq"].to_numpy()] = True
    kept = np.flatnonzero(touching)
    rows = rows[touching[rows["eq"].to_numpy()]]
    return rows.assign(eq=np.searchsorted(kept, rows["eq"].to_numpy())), values[kept]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: 64 well-spread bits of each 64-bit input."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def relation_hashes(
    relation: np.ndarray, cell: np.ndarray, coef: np.ndarray, n_relations: int
) -> np.ndarray:
    """Per relation, 128 bits of its terms (cell and coefficient pairs, in any order) as
    (n_relations, 2) uint64: equal terms give equal bits, different terms different ones but
    with a chance no larger than 2**-100. A relation without terms hashes to zeros."""
    term = _mix(cell.astype(np.uint64)) ^ _mix(
        np.asarray(coef, dtype=np.float64).view(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    )
    order = np.argsort(relation, kind="stable")
    out = np.zeros((n_relations, 2), dtype=np.uint64)
    if order.size == 0:
        return out
    relation = relation[order]
    starts = np.flatnonzero(np.r_[True, relation[1:] != relation[:-1]])
    with np.errstate(over="ignore"):
        for column, salt in enumerate((np.uint64(0), np.uint64(0xD1B54A32D192ED03))):
            mixed = _mix(term[order] + salt)
            out[relation[starts], column] = np.add.reduceat(mixed, starts)
    return out


def distinct_relations(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows (key, cell, coef) with each relation kept once: the same terms formed in two
    vintages that read the same snapshots, or declared by two marts, are one relation.
    Renumbered from 0, in the order of their first appearance."""
    return distinct_relations_kept(rows, key)[0]


def distinct_relations_kept(rows: pd.DataFrame, key: str) -> tuple[pd.DataFrame, np.ndarray]:
    """distinct_relations, and the original ids of the relations kept."""
    if rows.empty:
        return rows, np.zeros(0, dtype=np.int64)
    ids = rows[key].to_numpy(dtype=np.int64)
    n = int(ids.max()) + 1
    hashes = relation_hashes(
        ids, rows["cell"].to_numpy(dtype=np.int64), rows["coef"].to_numpy(dtype=float), n
    )
    present = np.zeros(n, dtype=bool)
    present[ids] = True
    # the first relation of each distinct hash pair; by hashing, not by sorting 128-bit rows
    first = ~pd.DataFrame(hashes[present]).duplicated().to_numpy()
    kept = np.flatnonzero(present)[first]
    rows = rows[np.isin(ids, kept)]
    return rows.assign(**{key: np.searchsorted(kept, rows[key].to_numpy(dtype=np.int64))}), kept


def relation_mappings(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    windows: dict[str, tuple[date, date]],
    cells: pd.DataFrame,
) -> list[tuple[str, str, pd.DataFrame]]:
    """Each declared relation as (kind, dimension, mapping part value -> total value)."""
    out: list[tuple[str, str, pd.DataFrame]] = []
    for name, table in tables.items():
        for relation in table.relations:
            dimension = relation["dimension"]
            values = pd.unique(cells[dimension])
            if "windows" in relation:
                periods = pd.to_datetime(pd.Series(values), errors="coerce", format="%Y-%m-%d")
                for window, (start, end) in sorted(windows.items()):
                    inside = (periods >= pd.Timestamp(start)) & (periods <= pd.Timestamp(end))
                    mapping = pd.DataFrame({"part": values[inside.to_numpy()], "total": window})
                    out.append((f"months -> {window} window", dimension, mapping))
                continue
            total = str(relation["total"])
            if "members" in relation:
                frame = frames.get(name)
                if frame is None:
                    continue
                members = relation["members"]
                chosen = frame[frame[members["column"]].eq(members["equals"]).fillna(False)]
                parts = pd.unique(_dimension(chosen, table.cell.get(dimension)))
                kind = f"{dimension}s -> {total}"
            else:
                parts = values
                kind = f"{dimension}s -> {total}"
            # `exclude`: values of the dimension that are not parts of the total (a jobcentre's
            # own count beside its providers' tallies, DESIGN §2.3)
            parts = [p for p in parts if p not in ("", total, *relation.get("exclude", ()))]
            out.append((kind, dimension, pd.DataFrame({"part": parts, "total": total})))
    return out


def other_dimensions(cells: pd.DataFrame, dimension: str) -> np.ndarray:
    """Per cell, its dimensions other than `dimension` as one integer, in their sorted order:
    joins and groups on it, not on five text columns, number relations as the texts would."""
    return cells.groupby([d for d in DIMENSIONS if d != dimension], sort=True).ngroup().to_numpy()


def sum_equations(
    cells: pd.DataFrame,
    dimension: str,
    mapping: pd.DataFrame,
    other: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rows (eq, cell, coef): each total cell minus the cells mapped to it, with every other
    dimension equal (`other`: other_dimensions(cells, dimension), when known). Only relations
    with their total and at least one part exported."""
    if cells.empty or mapping.empty:
        return pd.DataFrame({"eq": [], "cell": [], "coef": []})
    position = pd.DataFrame(
        {
            "other": other_dimensions(cells, dimension) if other is None else other,
            "at": cells[dimension].to_numpy(dtype=object),
            "cell": cells["cell"].to_numpy(),
        }
    )
    mapping = mapping.astype({"part": object, "total": object})
    parts = position.merge(mapping, left_on="at", right_on="part")[["cell", "other", "total"]]
    parts["coef"] = 1.0
    totals = position[position["at"].isin(mapping["total"])][["cell", "other", "at"]]
    totals = totals.rename(columns={"at": "total"})
    totals["coef"] = -1.0
    rows = pd.concat([parts, totals], ignore_index=True)
    if rows.empty:
        return pd.DataFrame({"eq": [], "cell": [], "coef": []})
    eq = rows.groupby(["other", "total"], sort=True).ngroup().to_numpy()
    is_total = rows["coef"].to_numpy() < 0
    n_totals = np.bincount(eq, weights=is_total)
    n_parts = np.bincount(eq, weights=~is_total)
    rows = rows[(n_totals == 1)[eq] & (n_parts > 0)[eq]]
    rows = rows.assign(
        eq=np.unique(eq[(n_totals == 1)[eq] & (n_parts > 0)[eq]], return_inverse=True)[1]
    )
    return rows[["eq", "cell", "coef"]].reset_index(drop=True)


class ContextCells:
    """The cell of each context (a table row's cell, with its own vintage) of the occurrences,
    found by its dimensions: each dimension's values as integer codes packed into one integer
    key, so that looking up the cells of other contexts (an occurrence's dimensions with
    another vintage, say) compares one integer per row, not six texts."""

    def __init__(self, occurrences: pd.DataFrame):
        self.values, self.codes = {}, {}
        for dimension in DIMENSIONS:
            codes, values = pd.factorize(occurrences[dimension])
            self.codes[dimension], self.values[dimension] = codes, pd.Index(values)
        self.radix = [len(self.values[d]) + 1 for d in DIMENSIONS]
        if np.prod(self.radix, dtype=object) >= 2**63:
            raise ValueError(f"Too many distinct dimension values to key cells by: {self.radix}")
        first = ~occurrences["context"].duplicated().to_numpy()
        self.contexts = pd.Index(self._key([self.codes[d][first] for d in DIMENSIONS]))
        self.cell = occurrences["cell"].to_numpy(dtype=np.int64)[first]

    def _key(self, codes: list[np.ndarray]) -> np.ndarray:
        key = np.zeros(codes[0].size, dtype=np.int64)
        for code, radix in zip(codes, self.radix, strict=True):
            key = key * radix + (code + 1)  # code -1 (a missing value) is a value of its own
        return key

    def cells(self, occurrences: np.ndarray, **other: np.ndarray) -> np.ndarray:
        """Per occurrence (positions), the cell of the context with its dimensions but those
        given in `other` (a value per occurrence); -1 where no context has them."""
        codes = [
            self.values[d].get_indexer(other[d]) if d in other else self.codes[d][occurrences]
            for d in DIMENSIONS
        ]
        found = self.contexts.get_indexer(self._key(codes))
        found[np.logical_or.reduce([c < 0 for c in codes])] = -1
        return np.where(found >= 0, self.cell[np.maximum(found, 0)], -1)


def _cells_of(frame: pd.DataFrame, name: str, column: str, occurrences: pd.DataFrame) -> np.ndarray:
    """The cell of `column` in every row of the table, -1 where the row has none."""
    out = np.full(len(frame), -1, dtype=np.int64)
    # on the two arrays needed: selecting whole rows would copy every dimension's strings
    mine = ((occurrences["table"] == name) & (occurrences["column"] == column)).to_numpy()
    rows = occurrences["row"].to_numpy(dtype=np.int64)[mine]
    out[rows] = occurrences["cell"].to_numpy(dtype=np.int64)[mine]
    return out


def linked_cells(
    frame: pd.DataFrame,
    shown: pd.Series,
    name: str,
    column: str,
    role: dict[str, Any],
    table: TableDeclaration,
    occurrences: pd.DataFrame,
    contexts: ContextCells | None = None,
) -> tuple[np.ndarray, tuple[pd.DataFrame, np.ndarray] | None]:
    """The cells a derived column is computed from (rows x sources, -1 for none), and the
    linear equation each of its published values adds, if it adds one. `contexts`:
    ContextCells(occurrences), when known."""
    kind = role["role"]
    if kind == "derived":
        sources = [s for s in role.get("from", ()) if s in table.counts]
        cols = [_cells_of(frame, name, s, occurrences) for s in sources]
        return (np.column_stack(cols) if cols else np.full((len(frame), 0), -1)), None
    if kind == "share":
        numerator = _cells_of(frame, name, role["numerator"], occurrences)
        denominator = _cells_of(frame, name, role["denominator"], occurrences)
        share = pd.to_numeric(shown, errors="coerce").to_numpy(dtype=float)
        rows = np.flatnonzero((numerator >= 0) & (denominator >= 0) & ~np.isnan(share))
        # numerator - share * denominator = 0
        equation = pd.DataFrame(
            {
                "eq": np.concatenate([np.arange(rows.size)] * 2),
                "cell": np.concatenate([numerator[rows], denominator[rows]]),
                "coef": np.concatenate([np.ones(rows.size), -share[rows]]),
            }
        )
        return np.column_stack([numerator, denominator]), (equation, np.zeros(rows.size))
    # a revision: this vintage's cell and the previous vintage's cell of the same identity
    current = _cells_of(frame, name, role["of"], occurrences)
    mine = np.flatnonzero(
        ((occurrences["table"] == name) & (occurrences["column"] == role["of"])).to_numpy()
    )
    rows_of_mine = occurrences["row"].to_numpy(dtype=np.int64)[mine]
    previous_vintage = _text(frame[role["previous"]]).to_numpy()[rows_of_mine]
    contexts = ContextCells(occurrences) if contexts is None else contexts
    previous = np.full(len(frame), -1, dtype=np.int64)
    previous[rows_of_mine] = contexts.cells(mine, vintage=previous_vintage)
    figure = pd.to_numeric(shown, errors="coerce").to_numpy(dtype=float)
    # a vintage that brought only the other register's snapshot reads the same cell again
    rows = np.flatnonzero(
        (current >= 0) & (previous >= 0) & (current != previous) & ~np.isnan(figure)
    )
    if kind == "difference":  # current - previous = revision
        coef_previous, rhs = -np.ones(rows.size), figure[rows]
    else:  # current - (1 + relative revision) * previous = 0
        coef_previous, rhs = -(1 + figure[rows]), np.zeros(rows.size)
    equation = pd.DataFrame(
        {
            "eq": np.concatenate([np.arange(rows.size)] * 2),
            "cell": np.concatenate([current[rows], previous[rows]]),
            "coef": np.concatenate([np.ones(rows.size), coef_previous]),
        }
    )
    return np.column_stack([current, previous]), (equation, rhs)


def bound_inequalities(
    contexts: pd.DataFrame, tables: dict[str, TableDeclaration]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows (ineq, cell, coef) meaning sum(coef * cell) <= 0, from the declared bounds, between
    the cells of one vintage's row (equal dimensions apart from the measure), each kept once."""
    parts, kinds = [], []
    offset = 0
    # a vintage's row: its dimensions apart from the measure; each measure's cell on it (one
    # per row: a context is unique)
    row_of = other_dimensions(contexts, "measure")
    n_rows = int(row_of.max()) + 1 if row_of.size else 0
    measures = contexts["measure"].to_numpy(dtype=object)
    cell = contexts["cell"].to_numpy(dtype=np.int64)

    def cells_on_rows(measure: str) -> np.ndarray:
        out = np.full(n_rows, -1, dtype=np.int64)
        mine = measures == measure
        out[row_of[mine]] = cell[mine]
        return out

    def add(measure: str, coefs: dict[str, float], kind: str) -> None:
        nonlocal offset
        terms = {measure: 1.0, **coefs}
        on_rows = {m: cells_on_rows(m) for m in terms}
        complete = np.flatnonzero(np.logical_and.reduce([c >= 0 for c in on_rows.values()]))
        n = complete.size
        if n == 0:
            return
        ids = np.arange(n)
        rows = distinct_relations(
            pd.concat(
                [
                    pd.DataFrame({"ineq": ids, "cell": on_rows[m][complete], "coef": coef})
                    for m, coef in terms.items()
                ],
                ignore_index=True,
            ),
            "ineq",
        )
        n = int(rows["ineq"].max()) + 1
        parts.append(rows.assign(ineq=rows["ineq"] + offset))
        kinds.extend([kind] * n)
        offset += n

    for table in tables.values():
        for bound in table.bounds:
            measure = bound["measure"]
            if "at_most" in bound:
                add(measure, {bound["at_most"]: -1.0}, f"{measure} <= {bound['at_most']}")
            for lower in bound.get("at_least", ()):
                # lower - measure <= 0, written with `lower` as the leading cell
                add(lower, {measure: -1.0}, f"{lower} <= {measure}")
            if "at_most_sum" in bound:
                summands = bound["at_most_sum"]
                add(measure, {s: -1.0 for s in summands}, f"{measure} <= {' + '.join(summands)}")
    if not parts:
        return pd.DataFrame({"ineq": [], "cell": [], "coef": []}), np.array([], dtype=object)
    # the same bound declared by two marts is one relation
    rows, kept = distinct_relations_kept(pd.concat(parts, ignore_index=True), "ineq")
    return rows, np.array(kinds, dtype=object)[kept]

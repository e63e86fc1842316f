"""The published cells of an export as one system (DESIGN §4).

Every exported count is a cell with an identity: measure, area (a municipality or a pool),
period (a month, a window, an extract date or a wave), group, vintage and detail. A cell that
several tables publish (the newest vintage of registration_revisions and nowcast.observed repeat
success_criteria_monthly) is one cell, so it gets one suppression decision. The relations between
cells are linear: totals (groups -> alle, months -> evaluation window, municipalities -> pool),
bounds (n <= population, max(n_company, n_hours) <= n_either <= n_company + n_hours) and the
equations a published derived figure adds (share x denominator = numerator, vintage - revision =
previous vintage).

What a column is, and how cells relate, is declared where the marts are described: the
`disclosure` meta of each mart and column in dbt/models/marts/*.yml, read from dbt's manifest.
Roles of a column: `key` (identity), `count` (a cell), `share` (numerator / denominator),
`difference` and `relative_difference` (a revision against the previous vintage's cell),
`derived` (a figure computed from other columns, suppressed with them; no linear relation).
A column without a role is published as it is: it is not computed from persons' counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from stv_pipeline.settings import DBT_PROJECT_DIR

DIMENSIONS = ("measure", "area", "period", "group", "vintage", "detail")
NEWEST = "newest"  # a cell declared `vintage: newest` is of the newest vintage exported
LINKED_ROLES = ("share", "difference", "relative_difference", "derived")


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
    derived_rows: dict[str, Any] | None = None
    # a table whose rows are a selection of cells other tables publish whole (nowcast: the
    # provisional months only): its rows alone do not make a total add up, so relations are
    # formed from the cells of whole tables only
    selection: bool = False


def declarations(manifest_path: Path | None = None) -> dict[str, TableDeclaration]:
    """Every mart with a `disclosure` meta, from dbt's compiled manifest."""
    manifest = json.loads(
        (manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8")
    )
    tables = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        meta = (node.get("meta") or node.get("config", {}).get("meta") or {}).get("disclosure")
        if not meta:
            continue
        roles = {
            name: (col.get("meta") or {}).get("disclosure") or {}
            for name, col in node["columns"].items()
        }
        tables[node["name"]] = declaration_from_meta(node["name"], meta, roles)
    return tables


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
    return TableDeclaration(
        name=name,
        cell=dict(meta["cell"]),
        counts={c: r for c, r in roles.items() if r.get("role") == "count"},
        linked={c: r for c, r in roles.items() if r.get("role") in LINKED_ROLES},
        relations=tuple(meta.get("relations", ())),
        bounds=tuple(meta.get("bounds", ())),
        derived_rows=meta.get("derived_rows"),
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
    side per row id (`eq_rhs`; inequalities read  sum(coef * cell) <= 0) and a kind per row id
    naming the relation for the audit's log.
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


def occurrences_of(
    frames: dict[str, pd.DataFrame], tables: dict[str, TableDeclaration]
) -> pd.DataFrame:
    """One row per non-empty count of every declared table, with its cell's dimensions."""
    parts = []
    for name, frame in frames.items():
        table = tables.get(name)
        if table is None or frame.empty:
            continue
        frame = frame.reset_index(drop=True)
        dims = {d: _dimension(frame, table.cell.get(d)) for d in DIMENSIONS if d != "measure"}
        for column, role in table.counts.items():
            value = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            present = ~np.isnan(value)
            if "measure_column" in role:
                measure = _text(frame[role["measure_column"]])
            else:
                measure = pd.Series(role.get("measure", column), index=frame.index, dtype=object)
            part = pd.DataFrame(
                {
                    "table": name,
                    "row": np.flatnonzero(present),
                    "column": column,
                    "measure": measure.to_numpy()[present],
                    **{
                        d: (
                            np.full(present.sum(), str(role[d]), dtype=object)
                            if d in role
                            else series.to_numpy()[present]
                        )
                        for d, series in dims.items()
                    },
                    "value": value[present],
                }
            )
            parts.append(part)
    if not parts:
        empty = pd.DataFrame(columns=["table", "row", "column", *DIMENSIONS, "value"])
        return empty.astype({"row": np.int64, "value": float})
    occurrences = pd.concat(parts, ignore_index=True)
    # looked up by table and column for every derived figure: categories compare fast
    occurrences = occurrences.astype({"table": "category", "column": "category"})
    stated = occurrences.loc[occurrences["vintage"] != NEWEST, "vintage"]
    stated = stated[stated != ""]
    if len(stated):
        occurrences.loc[occurrences["vintage"] == NEWEST, "vintage"] = stated.max()
    return occurrences


def build_system(
    frames: dict[str, pd.DataFrame],
    tables: dict[str, TableDeclaration],
    windows: dict[str, tuple[date, date]],
    published: dict[str, pd.DataFrame] | None = None,
) -> CellSystem:
    """The cell system of the exported tables; `windows` are the evaluation windows (seed).
    The equations of derived figures use the figures of `published` (default: `frames`), so
    a suppressed figure adds none."""
    occurrences = occurrences_of(frames, tables)
    occurrences["cell"] = occurrences.groupby(list(DIMENSIONS), sort=True).ngroup()
    grouped = occurrences.groupby("cell")["value"]
    disagree = grouped.max() != grouped.min()
    if disagree.any():
        cell = occurrences[occurrences["cell"] == disagree.idxmax()]
        raise ValueError(
            "One cell with different values in the exported tables: "
            + cell[["table", "column", *DIMENSIONS, "value"]].to_string(index=False)
        )
    cells = occurrences.drop_duplicates("cell").sort_values("cell")
    cells = cells[["cell", *DIMENSIONS, "value"]].reset_index(drop=True)
    selections = [n for n, t in tables.items() if t.selection]
    in_whole_table = occurrences.loc[~occurrences["table"].isin(selections), "cell"].unique()

    eq_parts, eq_kinds, rhs = [], [], []
    offset = 0
    for kind, dimension, mapping in relation_mappings(frames, tables, windows, cells):
        rows = sum_equations(cells[cells["cell"].isin(in_whole_table)], dimension, mapping)
        if rows.empty:
            continue
        rows["eq"] += offset
        n = rows["eq"].max() + 1 - offset
        eq_parts.append(rows)
        eq_kinds.extend([kind] * n)
        rhs.append(np.zeros(n))
        offset += n
    n_sums = offset
    linked = {}
    for name, table in tables.items():
        if name not in frames:
            continue
        frame = frames[name].reset_index(drop=True)
        for column, role in table.linked.items():
            shown = (published or frames)[name].reset_index(drop=True)[column]
            sources, equation = linked_cells(frame, shown, name, column, role, table, occurrences)
            linked[(name, column)] = sources
            if equation is not None:
                rows, values = equation
                if rows.empty:
                    continue
                rows["eq"] += offset
                eq_parts.append(rows)
                eq_kinds.extend([f"{name}.{column} ({role['role']})"] * len(values))
                rhs.append(values)
                offset += len(values)
    equations = (
        pd.concat(eq_parts, ignore_index=True)
        if eq_parts
        else pd.DataFrame({"eq": [], "cell": [], "coef": []})
    )
    inequalities, ineq_kind = bound_inequalities(cells, tables)
    return CellSystem(
        occurrences=occurrences,
        cells=cells,
        equations=equations,
        eq_rhs=np.concatenate(rhs) if rhs else np.zeros(0),
        eq_kind=np.array(eq_kinds, dtype=object),
        inequalities=inequalities,
        ineq_kind=ineq_kind,
        linked=linked,
        total_equations=n_sums,
    )


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


def sum_equations(cells: pd.DataFrame, dimension: str, mapping: pd.DataFrame) -> pd.DataFrame:
    """Rows (eq, cell, coef): each total cell minus the cells mapped to it, with every other
    dimension equal. Only relations with their total and at least one part exported."""
    if cells.empty or mapping.empty:
        return pd.DataFrame({"eq": [], "cell": [], "coef": []})
    others = [d for d in DIMENSIONS if d != dimension]
    mapping = mapping.astype({"part": object, "total": object})
    parts = cells.merge(mapping, left_on=dimension, right_on="part")[["cell", *others, "total"]]
    parts["coef"] = 1.0
    totals = cells[cells[dimension].isin(mapping["total"])][["cell", *others, dimension]]
    totals = totals.rename(columns={dimension: "total"})
    totals["coef"] = -1.0
    rows = pd.concat([parts, totals], ignore_index=True)
    if rows.empty:
        return pd.DataFrame({"eq": [], "cell": [], "coef": []})
    eq = rows.groupby([*others, "total"], sort=True).ngroup().to_numpy()
    is_total = rows["coef"].to_numpy() < 0
    n_totals = np.bincount(eq, weights=is_total)
    n_parts = np.bincount(eq, weights=~is_total)
    rows = rows[(n_totals == 1)[eq] & (n_parts > 0)[eq]]
    rows = rows.assign(
        eq=np.unique(eq[(n_totals == 1)[eq] & (n_parts > 0)[eq]], return_inverse=True)[1]
    )
    return rows[["eq", "cell", "coef"]].reset_index(drop=True)


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
) -> tuple[np.ndarray, tuple[pd.DataFrame, np.ndarray] | None]:
    """The cells a derived column is computed from (rows x sources, -1 for none), and the
    linear equation each of its published values adds, if it adds one."""
    kind = role["role"]
    if kind == "derived":
        sources = [s for s in role["from"] if s in table.counts]
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
    mine = occurrences[(occurrences["table"] == name) & (occurrences["column"] == role["of"])]
    previous_vintage = _text(frame[role["previous"]]).to_numpy()[mine["row"].to_numpy()]
    wanted = mine[list(DIMENSIONS)].assign(vintage=previous_vintage, row=mine["row"].to_numpy())
    found = wanted.merge(
        occurrences.drop_duplicates("cell")[[*DIMENSIONS, "cell"]], on=list(DIMENSIONS)
    )
    previous = np.full(len(frame), -1, dtype=np.int64)
    previous[found["row"].to_numpy()] = found["cell"].to_numpy()
    figure = pd.to_numeric(shown, errors="coerce").to_numpy(dtype=float)
    rows = np.flatnonzero((current >= 0) & (previous >= 0) & ~np.isnan(figure))
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
    cells: pd.DataFrame, tables: dict[str, TableDeclaration]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows (ineq, cell, coef) meaning sum(coef * cell) <= 0, from the declared bounds, between
    cells of equal identity apart from the measure."""
    others = [d for d in DIMENSIONS if d != "measure"]
    parts, kinds = [], []
    offset = 0

    def add(measure: str, coefs: dict[str, float], kind: str) -> None:
        nonlocal offset
        needed = {measure, *coefs}
        chosen = cells[cells["measure"].isin(needed)]
        wide = chosen.pivot_table(index=others, columns="measure", values="cell", aggfunc="first")
        if not needed <= set(wide.columns):
            return
        wide = wide[list(needed)].dropna().astype(np.int64)
        n = len(wide)
        if n == 0:
            return
        ids = np.arange(n) + offset
        for m, coef in {measure: 1.0, **coefs}.items():
            parts.append(pd.DataFrame({"ineq": ids, "cell": wide[m].to_numpy(), "coef": coef}))
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
    return pd.concat(parts, ignore_index=True), np.array(kinds, dtype=object)

"""An intruder who keeps every delivery STAR received and attacks them together (DESIGN §4).

Written apart from the pipeline's own cell system and audit (stv_pipeline/exports/cells.py,
audit.py), from what the delivered files and the documentation say, so that a mistake there is
not repeated here. The intruder reads only export folders (their Parquet files) and the public
evaluation windows, and knows:

- a register figure is fixed by the snapshots it reads: `population` and `n_company` by the
  benefits snapshot, `n_hours` and `n_either` by the benefits and the earnings snapshot
  (registration_revisions says which snapshots each vintage pairs; success_criteria_monthly,
  nowcast and baseline_endline are of the delivery's newest vintage). The same figure in two
  deliveries, or under two vintages reading the same snapshots, is one unknown;
- target groups add up to `alle`; months add up to their window; municipalities add up to the
  participants' and the comparison pool; 0 <= n <= population and
  max(n_company, n_hours) <= n_either <= n_company + n_hours;
- every published share times its denominator is its numerator, every published revision is
  the difference (or the ratio) of two vintages' values;
- a provider sum is the sum of the providers' tallies, a goal's actual and the reconciliation's
  municipal count are the jobcentre's count (or the providers' sum) of the same date, and the
  respondents of `all` are those of management and staff.

Every empty count is an unknown. Each unknown's smallest and largest value under all of that is
found by linear programs (HiGHS), one connected group of unknowns at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

REGISTER_MEASURES = ("population", "n_company", "n_hours", "n_either")
READS_EARNINGS = {"population": False, "n_company": False, "n_hours": True, "n_either": True}
GROUPS = (
    "kontanthjaelp_aktivitetsparat",
    "ressourceforloeb",
    "integrationsydelse_aktivitetsparat",
)
UPPER = 1e7  # no count is larger
TOLERANCE = 1e-6


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return None if np.isnan(value) else value


@dataclass
class Knowledge:
    """Cells (key -> published value or None for empty) and linear relations over them."""

    values: dict[tuple, float | None] = field(default_factory=dict)
    where: dict[tuple, str] = field(default_factory=dict)
    # (terms {key: coefficient}, kind): kind 'eq' means sum = rhs, 'le' means sum <= rhs
    relations: list[tuple[dict[tuple, float], float, str]] = field(default_factory=list)

    def cell(self, key: tuple, value, where: str) -> tuple:
        value = _number(value)
        known = self.values.get(key)
        if key not in self.values or known is None:
            self.values[key] = value
            self.where.setdefault(key, where)
        elif value is not None and abs(known - value) > TOLERANCE:
            raise ValueError(f"{key} published as {known} and as {value} ({where})")
        return key

    def equal(self, terms: dict[tuple, float], rhs: float = 0.0) -> None:
        self.relations.append((terms, rhs, "eq"))

    def at_most(self, terms: dict[tuple, float], rhs: float = 0.0) -> None:
        self.relations.append((terms, rhs, "le"))


def _snapshots(measure: str, benefits: str, earnings: str) -> tuple | None:
    """What a register figure reads; None when a snapshot it needs did not exist yet."""
    if not benefits or (READS_EARNINGS[measure] and not earnings):
        return None
    return (benefits, earnings) if READS_EARNINGS[measure] else (benefits,)


def _bounds(k: Knowledge, cells: dict[str, tuple]) -> None:
    """0 <= n <= population, max(n_company, n_hours) <= n_either <= n_company + n_hours."""
    for key in cells.values():
        k.at_most({key: -1.0})
    pop, company, hours, either = (cells.get(m) for m in REGISTER_MEASURES)
    for n in (company, hours, either):
        if n and pop:
            k.at_most({n: 1.0, pop: -1.0})
    if either:
        for n in (company, hours):
            if n:
                k.at_most({n: 1.0, either: -1.0})
        if company and hours:
            k.at_most({either: 1.0, company: -1.0, hours: -1.0})


def _add(terms: dict[tuple, float], key: tuple, coef: float) -> None:
    terms[key] = terms.get(key, 0.0) + coef


class Intruder:
    def __init__(self, windows: dict[str, tuple[date, date]]):
        self.k = Knowledge()
        self.windows = windows

    # --- reading deliveries -------------------------------------------------------------

    def read(self, folder: Path) -> None:
        tables = {p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet")}
        self.read_tables(tables, folder.name)

    def read_tables(self, tables: dict[str, pd.DataFrame], tag: str) -> None:
        pairing = self._register(tables.get("registration_revisions"), tag)
        if pairing is not None:
            self._success(tables.get("success_criteria_monthly"), pairing, tag)
            self._nowcast(tables.get("nowcast"), pairing, tag)
            self._baseline_endline(tables.get("baseline_endline"), pairing, tag)
        self._municipal(tables, tag)
        self._fidelity(tables.get("implementation_fidelity"), tag)
        self._jobindsats(tables, tag)

    def _reg_key(self, measure, muni, month, group, snapshots) -> tuple:
        return ("register", measure, _text(muni), _text(month), group, snapshots)

    def _register(self, rr: pd.DataFrame | None, tag: str) -> tuple[str, str] | None:
        """registration_revisions: every vintage's figures, revisions, group totals, bounds.
        Returns the newest vintage's (benefits, earnings) snapshots."""
        if rr is None or rr.empty:
            return None
        k = self.k
        rr = rr.assign(
            snap_b=rr["benefits_vintage"].map(_text),
            snap_e=rr["earnings_vintage"].map(_text),
            snap_v=rr["vintage"].map(_text),
            snap_p=rr["previous_vintage"].map(_text),
        )
        pairing_of = rr.drop_duplicates("snap_v").set_index("snap_v")[["snap_b", "snap_e"]]
        contexts = defaultdict(dict)  # (muni, month, vintage) -> group -> measure -> key
        for row in rr.itertuples(index=False):
            snaps = _snapshots(row.measure, row.snap_b, row.snap_e)
            if snaps is None:
                continue
            key = k.cell(
                self._reg_key(
                    row.measure, row.municipality_code, row.month, row.target_group, snaps
                ),
                row.value,
                f"{tag}/registration_revisions",
            )
            contexts[(_text(row.municipality_code), _text(row.month), row.snap_v)].setdefault(
                row.target_group, {}
            )[row.measure] = key
            if row.snap_p:
                b, e = pairing_of.loc[row.snap_p]
                before = _snapshots(row.measure, b, e)
                if before is None:
                    continue
                old = self._reg_key(
                    row.measure, row.municipality_code, row.month, row.target_group, before
                )
                if old not in k.values:
                    k.cell(old, None, f"{tag}/registration_revisions (previous)")
                revision = _number(row.revision_abs)
                if revision is not None and old != key:
                    k.equal({key: 1.0, old: -1.0}, revision)
                relative = _number(row.revision_rel)
                if relative is not None and old != key:
                    k.equal({key: 1.0, old: -(1.0 + relative)})
        self._groups_and_bounds(contexts)
        newest = max(pairing_of.index)
        return tuple(pairing_of.loc[newest])

    def _groups_and_bounds(self, contexts) -> None:
        for by_group in contexts.values():
            for cells in by_group.values():
                _bounds(self.k, cells)
            total = by_group.get("alle", {})
            for measure, key in total.items():
                terms = {key: -1.0}
                for group in GROUPS:
                    part = by_group.get(group, {}).get(measure)
                    if part is not None:
                        _add(terms, part, 1.0)
                self.k.equal(terms)

    def _success(self, sc, pairing, tag) -> None:
        if sc is None or sc.empty:
            return
        contexts = defaultdict(dict)
        for row in sc.itertuples(index=False):
            for measure in REGISTER_MEASURES:
                snaps = _snapshots(measure, *pairing)
                if snaps is None:
                    continue
                key = self.k.cell(
                    self._reg_key(
                        measure, row.municipality_code, row.month, row.target_group, snaps
                    ),
                    getattr(row, measure),
                    f"{tag}/success_criteria_monthly",
                )
                contexts[(_text(row.municipality_code), _text(row.month))].setdefault(
                    row.target_group, {}
                )[measure] = key
            for measure in ("company", "hours", "either"):
                self._share(
                    getattr(row, f"share_{measure}"),
                    contexts[(_text(row.municipality_code), _text(row.month))][
                        row.target_group
                    ].get(f"n_{measure}"),
                    contexts[(_text(row.municipality_code), _text(row.month))][
                        row.target_group
                    ].get("population"),
                )
        self._groups_and_bounds(contexts)

    def _share(self, share, numerator, denominator) -> None:
        share = _number(share)
        if share is not None and numerator and denominator:
            self.k.equal({numerator: 1.0, denominator: -share})

    def _nowcast(self, nc, pairing, tag) -> None:
        if nc is None or nc.empty:
            return
        for row in nc.itertuples(index=False):
            snaps = _snapshots(row.measure, *pairing)
            if snaps is not None:
                self.k.cell(
                    self._reg_key(
                        row.measure, row.municipality_code, row.month, row.target_group, snaps
                    ),
                    row.observed,
                    f"{tag}/nowcast",
                )

    def _baseline_endline(self, be, pairing, tag) -> None:
        if be is None or be.empty:
            return
        k = self.k
        months = {
            key[3] for key in k.values if key[0] == "register"
        }  # every month the intruder has seen
        for window, (start, end) in self.windows.items():
            inside = sorted(m for m in months if start.isoformat() <= m <= end.isoformat())
            pools = defaultdict(list)
            for row in be.itertuples(index=False):
                area = _text(row.municipality_code) if row.scope == "municipality" else row.scope
                if row.scope == "did":
                    continue
                cells = {}
                for measure in REGISTER_MEASURES:
                    snaps = _snapshots(measure, *pairing)
                    if snaps is None:
                        continue
                    column = f"{measure}_{window}"
                    key = k.cell(
                        ("window", measure, area, window, row.target_group, snaps),
                        getattr(row, column),
                        f"{tag}/baseline_endline",
                    )
                    cells[measure] = key
                    if row.scope == "municipality":
                        pools[(row.is_participant, row.target_group, measure)].append(key)
                        terms = {key: -1.0}
                        for month in inside:
                            part = self._reg_key(
                                measure, row.municipality_code, month, row.target_group, snaps
                            )
                            if part in k.values:
                                _add(terms, part, 1.0)
                        k.equal(terms)
                _bounds(k, cells)
                for measure in ("company", "hours", "either"):
                    self._share(
                        getattr(row, f"share_{measure}_{window}"),
                        cells.get(f"n_{measure}"),
                        cells.get("population"),
                    )
            for (participant, group, measure), members in pools.items():
                snaps = _snapshots(measure, *pairing)
                pool = "participants" if participant else "comparison"
                total = ("window", measure, pool, window, group, snaps)
                if total in k.values:
                    terms = {total: -1.0}
                    for member in members:
                        _add(terms, member, 1.0)
                    k.equal(terms)
            # target groups add up to alle, per area
            by_area = defaultdict(dict)
            for key in [x for x in k.values if x[0] == "window" and x[3] == window]:
                if key[5] in {_snapshots(key[1], *pairing)}:
                    by_area[(key[1], key[2])][key[4]] = key
            for (_, _), groups in by_area.items():
                if "alle" in groups:
                    terms = {groups["alle"]: -1.0}
                    for group in GROUPS:
                        if group in groups:
                            _add(terms, groups[group], 1.0)
                    k.equal(terms)

    def _municipal(self, tables, tag) -> None:
        k = self.k
        mp = tables.get("monitoring_by_provider")
        own = {}
        if mp is not None and not mp.empty:
            sums = defaultdict(dict)
            for row in mp.itertuples(index=False):
                date_, muni = _text(row.extract_date), _text(row.municipality_code)
                provider = k.cell(
                    ("municipal", row.measure, muni, date_, f"provider:{row.provider}"),
                    row.provider_count,
                    f"{tag}/monitoring_by_provider",
                )
                total = k.cell(
                    ("municipal", row.measure, muni, date_, "providers_sum"),
                    row.providers_sum,
                    f"{tag}/monitoring_by_provider",
                )
                sums[total][provider] = 1.0
                k.at_most({provider: -1.0})
                jobcentre = ("municipal", row.measure, muni, date_, "jobcentre")
                if _number(row.jobcentre_count) is not None or jobcentre in k.values:
                    k.cell(jobcentre, row.jobcentre_count, f"{tag}/monitoring_by_provider")
                    own[jobcentre] = True
                    self._share(row.provider_share, provider, jobcentre)
                    gap = _number(row.gap_abs)
                    if gap is not None:  # gap_abs = providers_sum - jobcentre_count
                        k.equal({total: 1.0, jobcentre: -1.0}, gap)
            for total, parts in sums.items():
                k.equal({total: -1.0, **parts})
        ga = tables.get("goal_attainment")
        if ga is not None and not ga.empty:
            for row in ga.itertuples(index=False):
                k.cell(
                    (
                        "municipal",
                        row.measure,
                        _text(row.municipality_code),
                        _text(row.extract_date),
                        row.actual_source,
                    ),
                    row.actual,
                    f"{tag}/goal_attainment",
                )
        rc = tables.get("reconciliation")
        if rc is not None and not rc.empty:
            for row in rc.itertuples(index=False):
                k.cell(
                    (
                        "municipal",
                        "active_company_placements",
                        _text(row.municipality_code),
                        _text(row.extract_date),
                        row.municipal_count_source,
                    ),
                    row.municipal_count,
                    f"{tag}/reconciliation",
                )

    def _fidelity(self, fi, tag) -> None:
        if fi is None or fi.empty:
            return
        k = self.k
        groups = defaultdict(dict)
        for row in fi.itertuples(index=False):
            key = k.cell(
                (
                    "fidelity",
                    _text(row.municipality_code),
                    row.wave,
                    row.requirement,
                    row.respondent_group,
                ),
                row.n_respondents,
                f"{tag}/implementation_fidelity",
            )
            groups[(_text(row.municipality_code), row.wave, row.requirement)][
                row.respondent_group
            ] = key
        for parts in groups.values():
            if {"all", "management", "staff"} <= set(parts):
                k.equal({parts["all"]: -1.0, parts["management"]: 1.0, parts["staff"]: 1.0})

    def _jobindsats(self, tables, tag) -> None:
        js = tables.get("jobindsats_success_monthly")
        if js is None or js.empty:
            return
        for row in js.itertuples(index=False):
            keys = {
                m: self.k.cell(
                    (
                        "jobindsats",
                        m,
                        _text(row.municipality_code),
                        _text(row.month),
                        row.target_group,
                    ),
                    getattr(row, m),
                    f"{tag}/jobindsats_success_monthly",
                )
                for m in ("population", "n_company", "n_hours")
            }
            self._share(row.share_company, keys["n_company"], keys["population"])
            self._share(row.share_hours, keys["n_hours"], keys["population"])

    # --- the attack ---------------------------------------------------------------------

    def attack(self) -> pd.DataFrame:
        """Each unknown's interval: key, lower, upper, width, where it was published."""
        unknown = [key for key, value in self.k.values.items() if value is None]
        index = {key: i for i, key in enumerate(unknown)}
        rows = []  # (terms over unknowns, lower, upper)
        for terms, rhs, kind in self.k.relations:
            mine, constant = {}, 0.0
            for key, coef in terms.items():
                if key in index:
                    mine[index[key]] = mine.get(index[key], 0.0) + coef
                else:
                    constant += coef * self.k.values[key]
            mine = {i: c for i, c in mine.items() if abs(c) > 1e-12}
            if not mine:
                continue
            bound = rhs - constant
            rows.append((mine, bound if kind == "eq" else -highspy.kHighsInf, bound))
        parent = list(range(len(unknown)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for mine, _, _ in rows:
            first, *others = mine
            for other in others:
                parent[find(other)] = find(first)
        members = defaultdict(list)
        for i in range(len(unknown)):
            members[find(i)].append(i)
        row_of_group = defaultdict(list)
        for r, (mine, _, _) in enumerate(rows):
            row_of_group[find(next(iter(mine)))].append(r)
        lower, upper = np.zeros(len(unknown)), np.full(len(unknown), np.inf)
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        for root, cells in members.items():
            local = {c: j for j, c in enumerate(cells)}
            lp = highspy.HighsLp()
            lp.num_col_, lp.num_row_ = len(cells), len(row_of_group[root])
            lp.col_cost_ = np.zeros(len(cells))
            lp.col_lower_ = np.zeros(len(cells))
            lp.col_upper_ = np.full(len(cells), UPPER)
            lp.row_lower_ = np.array([rows[r][1] for r in row_of_group[root]], dtype=float)
            lp.row_upper_ = np.array([rows[r][2] for r in row_of_group[root]], dtype=float)
            starts, indices, values = [0], [], []
            for r in row_of_group[root]:
                for c, coef in rows[r][0].items():
                    indices.append(local[c])
                    values.append(coef)
                starts.append(len(indices))
            lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
            lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
            lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
            lp.a_matrix_.value_ = np.array(values, dtype=float)
            highs.passModel(lp)
            everything = np.arange(len(cells), dtype=np.int32)
            for j, c in enumerate(cells):
                for sign in (1.0, -1.0):
                    cost = np.zeros(len(cells))
                    cost[j] = sign
                    highs.changeColsCost(len(cells), everything, cost)
                    highs.run()
                    status = highs.getModelStatus()
                    if status != highspy.HighsModelStatus.kOptimal:
                        raise AssertionError(f"the intruder's LP failed: {status}, {unknown[c]}")
                    value = highs.getSolution().col_value[j]
                    if sign > 0:
                        lower[c] = value
                    else:
                        upper[c] = np.inf if value >= UPPER / 2 else value
        return pd.DataFrame(
            {
                "key": unknown,
                "lower": lower,
                "upper": upper,
                "width": upper - lower,
                "where": [self.k.where[key] for key in unknown],
            }
        )


def attack_folders(folders: list[Path], windows: dict[str, tuple[date, date]]) -> pd.DataFrame:
    intruder = Intruder(windows)
    for folder in folders:
        intruder.read(folder)
    return intruder.attack()


def violated_relations(intruder: Intruder, truth: dict[tuple, float]) -> list[str]:
    """The intruder's relations that the true values break (a wrong relation would make the
    attack unsound): every unknown filled in from `truth`."""
    broken = []
    for terms, rhs, kind in intruder.k.relations:
        total = 0.0
        for key, coef in terms.items():
            value = intruder.k.values[key]
            if value is None:
                value = truth.get(key)
            if value is None:
                break
            total += coef * value
        else:
            scale = 1 + sum(abs(c) for c in terms.values()) * 10
            if (kind == "eq" and abs(total - rhs) > 1e-6 * scale) or (
                kind == "le" and total > rhs + 1e-6 * scale
            ):
                broken.append(f"{kind} {terms} = {total} vs {rhs}")
    return broken


# --- the survey's means ---------------------------------------------------------------------
#
# The means of implementation_fidelity are not counts, so the attack above leaves them out. An
# intruder still knows how they are made (DESIGN §3.3): a track's mean is the mean of its
# requirements' means (seed requirements, public), overall the mean of all of them, a change is
# the endline mean minus the baseline's, case_selection's fidelity changes are the overall
# changes, and the mean of all respondents is the respondent-weighted mean of management's and
# staff's (a linear relation when the three counts are published: a requirement's mean is over
# one answer per respondent).


def _requirement_rows(fidelity: pd.DataFrame, requirements: dict[str, str]) -> dict[str, list]:
    """Per track or overall row name, the requirements it averages."""
    tracks = defaultdict(list)
    for requirement, track in requirements.items():
        tracks[f"track_{track}"].append(requirement)
    return {**tracks, "overall": list(requirements)}


def fidelity_resting_on_few(
    published: pd.DataFrame, mart: pd.DataFrame, requirements: dict[str, str]
) -> list[str]:
    """Every published mean or change of implementation_fidelity resting on 1 to 4 respondents
    (its own row's, its requirements' rows', and for a change the baseline's too), or on a
    respondent count the table leaves empty: a mean of integer scores tells its count's
    divisors."""
    keys = ["municipality_code", "wave", "respondent_group", "requirement"]
    true_n = mart.set_index(keys)["n_respondents"]
    shown_n = published.set_index(keys)["n_respondents"]
    parts = _requirement_rows(mart, requirements)
    found = []

    def rests_on(municipality, wave, group, requirement) -> list[tuple]:
        rows = [(municipality, wave, group, requirement)]
        rows += [(municipality, wave, group, r) for r in parts.get(requirement, ())]
        return [row for row in rows if row in true_n.index]

    for row in published.itertuples(index=False):
        figures = {"mean_score": [row.wave], "change": ["endline", "baseline"]}
        for figure, waves in figures.items():
            if _number(getattr(row, figure)) is None:
                continue
            for wave in waves:
                for key in rests_on(
                    row.municipality_code, wave, row.respondent_group, row.requirement
                ):
                    n, shown = true_n[key], _number(shown_n[key])
                    if 1 <= n <= 4 or shown is None:
                        found.append(
                            f"{figure} of {tuple(row)[:4]} rests on {key}: n={n}, published {shown}"
                        )
    return found


def fidelity_means_recovered(
    published: pd.DataFrame,
    requirements: dict[str, str],
    cases: pd.DataFrame | None = None,
) -> list[tuple]:
    """The empty means of a published implementation_fidelity that the relations between its
    published figures (and case_selection's, when given) fix exactly: per municipality, one
    linear system over every empty mean of both waves and all groups, a mean fixed when its
    unit vector lies in the span of the equations' rows over the empty means."""
    keys = ["municipality_code", "wave", "respondent_group", "requirement"]
    parts = _requirement_rows(published, requirements)
    recovered = []
    for municipality, rows in published.groupby("municipality_code"):
        mean = {
            tuple(r[:4]): _number(r[4])
            for r in rows[[*keys, "mean_score"]].itertuples(index=False, name=None)
        }
        n = {
            tuple(r[:4]): _number(r[4])
            for r in rows[[*keys, "n_respondents"]].itertuples(index=False, name=None)
        }
        unknown = sorted(k for k, v in mean.items() if v is None)
        if not unknown:
            continue
        column = {k: i for i, k in enumerate(unknown)}
        # each equation's coefficients over the means; its right-hand side (a published
        # figure) does not decide whether a mean is fixed, only to what
        equations: list[dict[tuple, float]] = []
        for (m, wave, group, requirement), value in mean.items():
            # a track's or overall mean times its requirements' number is their sum
            members = [
                (m, wave, group, r)
                for r in parts.get(requirement, ())
                if (m, wave, group, r) in mean
            ]
            if members and value is not None:
                equations.append(
                    {**{k: 1.0 for k in members}, (m, wave, group, requirement): -len(members)}
                )
        for row in rows.itertuples(index=False):
            change = _number(row.change)
            if change is not None:  # endline - baseline = change
                endline = (municipality, "endline", row.respondent_group, row.requirement)
                baseline = (municipality, "baseline", row.respondent_group, row.requirement)
                equations.append({endline: 1.0, baseline: -1.0})
        if cases is not None:
            for case in cases[cases["municipality_code"] == municipality].itertuples(index=False):
                for group in ("management", "staff", "all"):
                    change = _number(getattr(case, f"fidelity_change_{group}"))
                    if change is not None:
                        equations.append(
                            {
                                (municipality, "endline", group, "overall"): 1.0,
                                (municipality, "baseline", group, "overall"): -1.0,
                            }
                        )
        for m, wave, group, requirement in mean:
            if group != "all" or requirement in parts:
                continue
            counted = {g: n.get((m, wave, g, requirement)) for g in ("all", "management", "staff")}
            if all(c is not None for c in counted.values()):
                equations.append(
                    {
                        (m, wave, g, requirement): (-1.0 if g == "all" else 1.0) * c
                        for g, c in counted.items()
                    }
                )
        matrix = np.zeros((len(equations), len(unknown)))
        for i, terms in enumerate(equations):
            for key, coef in terms.items():
                if key in column:
                    matrix[i, column[key]] += coef
        matrix = matrix[np.abs(matrix).sum(axis=1) > 0]
        if matrix.size == 0:
            continue
        rank = np.linalg.matrix_rank(matrix)
        for key, j in column.items():
            unit = np.zeros(len(unknown))
            unit[j] = 1.0
            if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
                recovered.append(key)
    return recovered

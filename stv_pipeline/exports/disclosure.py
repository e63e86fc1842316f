"""Statistical disclosure control on the exported tables (DESIGN §4).

Primary suppression: a count from 1 to 4 is suppressed; so is every figure computed from a
suppressed count (a share whose numerator is 1-4 or whose denominator is under 5, a change, a
revision, an estimate), because with the other figures of the row it would give the count back.
Secondary suppression: where a row is the total of other rows (the target groups and 'alle'; the
municipalities and the pooled participants or comparison group), a relation with exactly one
suppressed cell would give it back by subtraction, so the smallest other cell of the relation is
suppressed too, until no relation has exactly one. Zeros are never suppressed for themselves.

Everything here works on aggregated tables (one row per municipality and month at the finest),
never on person-level data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SMALL = range(1, 5)  # counts of 1 to 4 persons are not published


@dataclass(frozen=True)
class Relations:
    """Additive relations of a table, one entry per member row: `relation` numbers the
    relation, `row` is a row position, and `is_total` marks the row that sums the others."""

    relation: np.ndarray
    row: np.ndarray
    is_total: np.ndarray

    @classmethod
    def none(cls) -> Relations:
        empty = np.array([], dtype=np.int64)
        return cls(empty, empty, empty.astype(bool))

    def __add__(self, other: Relations) -> Relations:
        offset = self.relation.max() + 1 if self.relation.size else 0
        return Relations(
            np.concatenate([self.relation, other.relation + offset]),
            np.concatenate([self.row, other.row]),
            np.concatenate([self.is_total, other.is_total]),
        )


@dataclass(frozen=True)
class DisclosureRule:
    counts: tuple[str, ...] = ()
    # figure -> the counts it would reveal (with the other figures of the row)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the table's additive relations, found from its rows
    relations: Callable[[pd.DataFrame], Relations] = lambda frame: Relations.none()
    # further figures revealing a count of another row (e.g. a revision and the previous value)
    reveals_other_rows: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None


def parts_and_total(frame: pd.DataFrame, keys: list[str], column: str, total: str) -> Relations:
    """Rows with equal `keys`: the one whose `column` is `total` sums the others."""
    if frame.empty:
        return Relations.none()
    group = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    is_total = (frame[column] == total).to_numpy(dtype=bool, na_value=False)
    n_groups = group.max() + 1
    n_totals = np.bincount(group[is_total], minlength=n_groups)
    n_parts = np.bincount(group[~is_total], minlength=n_groups)
    member = ((n_totals == 1) & (n_parts > 0))[group]
    positions = frame.index.to_numpy()  # the caller's row positions (a subset keeps them)
    return Relations(group[member], positions[member], is_total[member])


def secondary_suppression(values: np.ndarray, hidden: np.ndarray, rel: Relations) -> np.ndarray:
    """Hide more cells of one column until no relation has exactly one hidden cell: in each
    such relation the smallest visible part (zeros last, then the first row), else the total.
    All relations are settled together per round, so the result does not depend on order."""
    hidden = hidden.copy()
    if rel.relation.size == 0:
        return hidden
    n_relations = rel.relation.max() + 1
    while True:
        member_hidden = hidden[rel.row]
        single = np.bincount(rel.relation, weights=member_hidden, minlength=n_relations) == 1
        if not single.any():
            return hidden
        member_values = values[rel.row]
        candidate = np.flatnonzero(
            single[rel.relation] & ~rel.is_total & ~member_hidden & ~np.isnan(member_values)
        )
        order = np.lexsort(
            (
                rel.row[candidate],
                member_values[candidate],
                member_values[candidate] == 0,
                rel.relation[candidate],
            )
        )
        candidate = candidate[order]
        first = np.r_[True, rel.relation[candidate][1:] != rel.relation[candidate][:-1]]
        picked = candidate[first] if candidate.size else candidate
        without_pick = single.copy()
        without_pick[rel.relation[picked]] = False
        totals = np.flatnonzero(rel.is_total & without_pick[rel.relation])
        new = np.concatenate([rel.row[picked], rel.row[totals]])
        new = new[~hidden[new]]
        if new.size == 0:
            return hidden
        hidden[new] = True


def suppress(frame: pd.DataFrame, rule: DisclosureRule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the frame with suppressed cells emptied, and the mask of suppressed cells."""
    frame = frame.reset_index(drop=True)
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    relations = rule.relations(frame)
    for column in rule.counts:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        primary = frame[column].isin(SMALL).to_numpy(dtype=bool)
        mask[column] = secondary_suppression(values, primary, relations)
    for column, sources in rule.derived.items():
        mask[column] = mask[column] | mask[list(sources)].any(axis=1)
    if rule.reveals_other_rows is not None:
        mask = rule.reveals_other_rows(frame, mask)
    published = frame.astype({c: _nullable(frame[c].dtype) for c in mask.columns if mask[c].any()})
    published = published.mask(mask)
    return published, mask


def _nullable(dtype) -> str | object:
    """Integer columns become nullable so a suppressed count is empty, not a float NaN."""
    return "Int64" if pd.api.types.is_integer_dtype(dtype) else dtype


MEASURES = ("company", "hours", "either")
WINDOWS = ("baseline", "endline")


def _success_relations(frame: pd.DataFrame) -> Relations:
    return parts_and_total(frame, ["municipality_code", "month"], "target_group", "alle")


def _baseline_endline_relations(frame: pd.DataFrame) -> Relations:
    municipal = frame[frame["scope"] == "municipality"]
    relations = parts_and_total(municipal, ["municipality_code"], "target_group", "alle")
    # municipalities add up to the pooled participants or comparison row of the same group
    for pool, member in (("participants", True), ("comparison", False)):
        in_pool = frame["scope"].eq(pool) | (
            frame["scope"].eq("municipality") & frame["is_participant"].eq(member).fillna(False)
        )
        relations = relations + parts_and_total(frame[in_pool], ["target_group"], "scope", pool)
    return relations


def _revision_relations(frame: pd.DataFrame) -> Relations:
    return parts_and_total(
        frame, ["municipality_code", "month", "measure", "vintage"], "target_group", "alle"
    )


def _revision_reveals_previous_value(frame: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """value - revision_abs is the previous vintage's value: hide the revision when that is."""
    keys = ["municipality_code", "month", "target_group", "measure"]
    hidden = frame.loc[mask["value"], [*keys, "vintage"]].rename(
        columns={"vintage": "previous_vintage"}
    )
    hidden["previous_hidden"] = True
    merged = frame[[*keys, "previous_vintage"]].merge(
        hidden, on=[*keys, "previous_vintage"], how="left"
    )
    previous_hidden = merged["previous_hidden"].fillna(False).astype(bool).to_numpy()
    mask = mask.copy()
    for column in ("revision_abs", "revision_rel"):
        mask[column] = mask[column].to_numpy() | previous_hidden
    return mask


RULES: dict[str, DisclosureRule] = {
    "success_criteria_monthly": DisclosureRule(
        counts=("population", "n_company", "n_hours", "n_either"),
        derived={f"share_{m}": (f"n_{m}", "population") for m in MEASURES},
        relations=_success_relations,
    ),
    "baseline_endline": DisclosureRule(
        counts=tuple(
            [f"population_{w}" for w in WINDOWS] + [f"n_{m}_{w}" for m in MEASURES for w in WINDOWS]
        ),
        derived={
            **{
                f"share_{m}_{w}": (f"n_{m}_{w}", f"population_{w}")
                for m in MEASURES
                for w in WINDOWS
            },
            **{
                f"{kind}_{m}": tuple(f"{c}_{w}" for w in WINDOWS for c in (f"n_{m}", "population"))
                for m in MEASURES
                for kind in ("change_pp", "relative_change")
            },
        },
        relations=_baseline_endline_relations,
    ),
    "implementation_fidelity": DisclosureRule(counts=("n_respondents",)),
    "goal_attainment": DisclosureRule(
        counts=("actual",), derived={"attainment": ("actual",), "attainment_final": ("actual",)}
    ),
    "registration_revisions": DisclosureRule(
        counts=("value",),
        derived={"revision_abs": ("value",), "revision_rel": ("value",)},
        relations=_revision_relations,
        reveals_other_rows=_revision_reveals_previous_value,
    ),
    "registration_lag": DisclosureRule(
        counts=("person_weeks",),
        derived={
            c: ("person_weeks",)
            for c in ("lag_median_days", "lag_p90_days", "lag_p99_days", "share_over_8_weeks")
        },
    ),
    "reconciliation": DisclosureRule(
        counts=("municipal_count", "register_count"),
        derived={"gap_rel": ("municipal_count", "register_count")},
    ),
    # A provider's tally, the jobcentre's count and the providers' sum are counts of persons;
    # a share or a gap would give back the counts it is computed from.
    "monitoring_by_provider": DisclosureRule(
        counts=("provider_count", "jobcentre_count", "providers_sum"),
        derived={
            "provider_share": ("provider_count", "jobcentre_count"),
            "gap_abs": ("providers_sum", "jobcentre_count"),
            "gap_rel": ("providers_sum", "jobcentre_count"),
        },
    ),
    "nowcast": DisclosureRule(
        counts=("observed",),
        derived={c: ("observed",) for c in ("estimate", "lower", "upper")},
    ),
    # no counts: changes in percentage points and mean scores of whole jobcentres
    "case_selection": DisclosureRule(),
    # Jobindsats' own figures (DESIGN §2.7): no pooled 'alle' row, as the tables' persons overlap
    "jobindsats_success_monthly": DisclosureRule(
        counts=("population", "n_company", "n_hours"),
        derived={f"share_{m}": (f"n_{m}", "population") for m in ("company", "hours")},
    ),
    "jobindsats_vs_register": DisclosureRule(
        counts=tuple(
            f"{c}_{side}"
            for c in ("population", "n_company", "n_hours")
            for side in ("jobindsats", "register")
        ),
        derived={
            **{
                f"share_{m}_{side}": (f"n_{m}_{side}", f"population_{side}")
                for m in ("company", "hours")
                for side in ("jobindsats", "register")
            },
            **{
                f"difference_pp_{m}": tuple(
                    f"{c}_{side}"
                    for c in (f"n_{m}", "population")
                    for side in ("jobindsats", "register")
                )
                for m in ("company", "hours")
            },
        },
    ),
}

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

import pandas as pd

SMALL = range(1, 5)  # counts of 1 to 4 persons are not published

# A relation: the row positions of the parts, and of the row that is their total.
Relation = tuple[list[int], int]


@dataclass(frozen=True)
class DisclosureRule:
    counts: tuple[str, ...] = ()
    # figure -> the counts it would reveal (with the other figures of the row)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the table's additive relations, found from its rows
    relations: Callable[[pd.DataFrame], list[Relation]] = lambda frame: []
    # further figures revealing a count of another row (e.g. a revision and the previous value)
    reveals_other_rows: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None


def parts_and_total(
    frame: pd.DataFrame, keys: list[str], column: str, total: str
) -> list[Relation]:
    """Rows with equal `keys`: those whose `column` is `total` sum the others."""
    relations = []
    for _, group in frame.groupby(keys, dropna=False, sort=False):
        totals = group.index[group[column] == total]
        parts = group.index[group[column] != total]
        if len(totals) == 1 and len(parts) > 0:
            relations.append((list(map(int, parts)), int(totals[0])))
    return relations


def suppress(frame: pd.DataFrame, rule: DisclosureRule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the frame with suppressed cells emptied, and the mask of suppressed cells."""
    frame = frame.reset_index(drop=True)
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in rule.counts:
        mask[column] = frame[column].isin(SMALL)
    relations = rule.relations(frame)
    changed = True
    while changed:
        changed = False
        for column in rule.counts:
            values, hidden = frame[column], mask[column]
            for parts, total in relations:
                cells = [*parts, total]
                if sum(bool(hidden.iat[i]) for i in cells) != 1:
                    continue
                candidates = sorted(
                    (i for i in parts if not hidden.iat[i] and pd.notna(values.iat[i])),
                    key=lambda i: (values.iat[i] == 0, values.iat[i]),
                )
                pick = candidates[0] if candidates else total
                if not hidden.iat[pick]:
                    mask.iat[pick, mask.columns.get_loc(column)] = True
                    changed = True
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


def _success_relations(frame: pd.DataFrame) -> list[Relation]:
    return parts_and_total(frame, ["municipality_code", "month"], "target_group", "alle")


def _baseline_endline_relations(frame: pd.DataFrame) -> list[Relation]:
    municipal = frame[frame["scope"] == "municipality"]
    relations = parts_and_total(municipal, ["municipality_code"], "target_group", "alle")
    # municipalities add up to the pooled participants or comparison row of the same group
    for pool, member in (("participants", True), ("comparison", False)):
        members = frame["is_participant"].eq(member).fillna(False)
        for group, rows in frame[members].groupby("target_group"):
            totals = frame.index[(frame["scope"] == pool) & (frame["target_group"] == group)]
            parts = rows.index[rows["scope"] == "municipality"]
            if len(totals) == 1 and len(parts):
                relations.append((list(map(int, parts)), int(totals[0])))
    return relations


def _revision_relations(frame: pd.DataFrame) -> list[Relation]:
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
    "nowcast": DisclosureRule(
        counts=("observed",),
        derived={c: ("observed",) for c in ("estimate", "lower", "upper")},
    ),
    # no counts: changes in percentage points and mean scores of whole jobcentres
    "case_selection": DisclosureRule(),
}

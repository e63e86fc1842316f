"""Disclosure control on adversarial little tables: no suppressed cell can be given back."""

from datetime import date

import pandas as pd

from stv_pipeline.exports.disclosure import RULES, suppress

KH, RF, IY = (
    "kontanthjaelp_aktivitetsparat",
    "ressourceforloeb",
    "integrationsydelse_aktivitetsparat",
)


def success_rows(rows):
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "target_group",
            "population",
            "n_company",
            "n_hours",
            "n_either",
        ],
    )
    frame.insert(1, "month", date(2017, 3, 1))
    for m in ("company", "hours", "either"):
        frame[f"share_{m}"] = frame[f"n_{m}"] / frame["population"]
    return frame


def hidden(mask, frame, column):
    return sorted(frame.loc[mask[column], "target_group"])


def test_one_small_cell_beside_its_total_takes_the_smallest_other_part_with_it():
    frame = success_rows(
        [
            (450, KH, 3, 0, 0, 0),
            (450, RF, 20, 10, 5, 12),
            (450, IY, 10, 6, 5, 8),
            (450, "alle", 33, 16, 10, 20),
        ]
    )
    published, mask = suppress(frame, RULES["success_criteria_monthly"])
    assert hidden(mask, frame, "population") == sorted([KH, IY])
    assert published.loc[3, "population"] == 33  # the total stays
    # the shares of a hidden population go too; zeros are not hidden for themselves
    assert hidden(mask, frame, "share_company") == sorted([KH, IY])
    assert not mask.loc[0, "n_company"]
    assert pd.isna(published.loc[0, "population"]) and str(published["population"].dtype) == "Int64"


def test_two_small_cells_in_a_row_are_each_protected_in_their_own_column():
    frame = success_rows(
        [
            (450, KH, 30, 2, 3, 5),
            (450, RF, 20, 10, 5, 12),
            (450, IY, 10, 6, 6, 8),
            (450, "alle", 60, 18, 14, 25),
        ]
    )
    _, mask = suppress(frame, RULES["success_criteria_monthly"])
    assert hidden(mask, frame, "n_company") == sorted([KH, IY])  # 2, then the smallest other 6
    assert hidden(mask, frame, "n_hours") == sorted([KH, RF])  # 3, then 5 (before IY's 6)
    assert hidden(mask, frame, "n_either") == []  # 5 is publishable
    assert hidden(mask, frame, "population") == []
    assert hidden(mask, frame, "share_company") == sorted([KH, IY])


def test_a_small_total_is_not_given_away_by_its_parts():
    frame = success_rows(
        [
            (450, KH, 1, 0, 0, 0),
            (450, RF, 3, 0, 0, 0),
            (450, IY, 0, 0, 0, 0),
            (450, "alle", 4, 0, 0, 0),
        ]
    )
    _, mask = suppress(frame, RULES["success_criteria_monthly"])
    assert hidden(mask, frame, "population") == sorted([KH, RF, "alle"])


def test_no_relation_is_left_with_a_single_hidden_cell_across_two_dimensions():
    rows = []
    for code, g1, g2 in ((450, 3, 40), (813, 50, 60)):
        for group, pop in ((KH, g1), (RF, g2), ("alle", g1 + g2)):
            rows.append(("municipality", code, True, group, pop))
    for group, pop in ((KH, 53), (RF, 100), ("alle", 153)):
        rows.append(("participants", None, True, group, pop))
    frame = pd.DataFrame(
        rows,
        columns=[
            "scope",
            "municipality_code",
            "is_participant",
            "target_group",
            "population_baseline",
        ],
    )
    for column in (
        "population_endline",
        "n_company_baseline",
        "n_company_endline",
        "n_hours_baseline",
        "n_hours_endline",
        "n_either_baseline",
        "n_either_endline",
    ):
        frame[column] = 100
    for m in ("company", "hours", "either"):
        for w in ("baseline", "endline"):
            frame[f"share_{m}_{w}"] = 1.0
        frame[f"change_pp_{m}"] = 0.0
        frame[f"relative_change_{m}"] = 0.0
    _, mask = suppress(frame, RULES["baseline_endline"])
    cells = {
        (r.municipality_code, r.target_group)
        for r in frame[mask["population_baseline"]].itertuples()
    }
    # 450 KH is small; its row partner 450 RF, its column partner 813 KH and so 813 RF follow
    assert cells == {(450, KH), (450, RF), (813, KH), (813, RF)}
    assert mask.loc[frame["municipality_code"] == 450, "change_pp_company"].tolist() == [
        True,
        True,
        False,
    ]


def test_a_revision_is_hidden_when_either_value_is():
    keys = {
        "municipality_code": 450,
        "month": date(2017, 3, 1),
        "target_group": "alle",
        "measure": "population",
    }
    frame = pd.DataFrame(
        [
            {
                **keys,
                "vintage": date(2017, 4, 10),
                "value": 3,
                "previous_vintage": None,
                "revision_abs": None,
                "revision_rel": None,
            },
            {
                **keys,
                "vintage": date(2017, 7, 10),
                "value": 9,
                "previous_vintage": date(2017, 4, 10),
                "revision_abs": 6,
                "revision_rel": 2.0,
            },
        ]
    )
    published, mask = suppress(frame, RULES["registration_revisions"])
    assert mask["value"].tolist() == [True, False]
    assert mask["revision_abs"].tolist() == [True, True]  # 9 - 6 would give the hidden 3
    assert published.loc[1, "value"] == 9


def test_a_small_provider_tally_or_jobcentre_count_takes_its_share_and_gap_with_it():
    # 450: jobcentre 80, providers 3 and 70 (sum 73); 461: jobcentre 4, one provider 6.
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 450, 461],
            "provider": ["anden aktør", "jobmentor", "jobmentor"],
            "provider_count": [3, 70, 6],
            "jobcentre_count": [80, 80, 4],
            "provider_share": [3 / 80, 70 / 80, 6 / 4],
            "providers_sum": [73, 73, 6],
            "gap_abs": [-7, -7, 2],
            "gap_rel": [-7 / 80, -7 / 80, 2 / 4],
        }
    )
    published, mask = suppress(frame, RULES["monitoring_by_provider"])
    assert mask["provider_count"].tolist() == [True, False, False]
    assert mask["provider_share"].tolist() == [True, False, True]
    assert mask["jobcentre_count"].tolist() == [False, False, True]
    assert mask["gap_abs"].tolist() == mask["gap_rel"].tolist() == [False, False, True]
    assert published.loc[1, "provider_share"] == 70 / 80 and published.loc[0, "gap_abs"] == -7

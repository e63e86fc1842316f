"""The survey means and the case selection under disclosure control (DESIGN §4).

A mean is a figure of its respondents, and a figure computed from means (a change, a track or
overall mean, case_selection's fidelity changes) is empty when a mean it is computed from is:
on little hand-made tables, with the declarations of the marts' .yml (dbt manifest).
"""

import csv

import numpy as np
import pandas as pd
import pytest

from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.disclosure import suppress_export
from stv_pipeline.settings import DBT_PROJECT_DIR
from tests.disclosure_frames import KH, RF, RULES, baseline_endline, window_row

FIDELITY = ["municipality_code", "wave", "respondent_group", "requirement", "mean_score"]


@pytest.fixture(scope="module")
def tables():
    return declarations()


def fidelity(rows):
    """implementation_fidelity rows (municipality, wave, group, requirement, mean, n), the
    change on the endline rows as the mart computes it: endline minus baseline."""
    frame = pd.DataFrame(rows, columns=[*FIDELITY, "n_respondents"])
    baseline = frame[frame["wave"] == "baseline"].drop(columns=["wave", "n_respondents"])
    frame = frame.merge(
        baseline.rename(columns={"mean_score": "baseline_mean"}),
        on=["municipality_code", "respondent_group", "requirement"],
        how="left",
    )
    frame["change"] = np.where(
        frame["wave"] == "endline", frame["mean_score"] - frame["baseline_mean"], np.nan
    )
    frame["provisional"] = False
    return frame.drop(columns="baseline_mean")


# Track 1 is 1A and 1B here (1C has no answers), track 2 is 2A; overall the mean of the three.
# 101, all respondents: at endline only 3 answered 1B (mean 5.0). With track_1 = 4.5 and
# 1A = 4.0 published, 1B = 2 x 4.5 - 4.0 = 5.0 would come back; with overall = 4.0, 1B =
# 3 x 4.0 - 4.0 - 3.0 = 5.0 too.
# 102, all respondents: at baseline only 2 answered 2A (mean 1.5), so the endline change of
# 2A (3.5 - 1.5 = 2.0) would give it back from the published endline 2A mean.
ONE_GROUP = [
    (101, "baseline", "all", "1A", 3.0, 6),
    (101, "baseline", "all", "1B", 4.0, 6),
    (101, "baseline", "all", "2A", 2.0, 6),
    (101, "baseline", "all", "track_1", 3.5, 6),
    (101, "baseline", "all", "track_2", 2.0, 6),
    (101, "baseline", "all", "overall", 3.0, 6),
    (101, "endline", "all", "1A", 4.0, 6),
    (101, "endline", "all", "1B", 5.0, 3),
    (101, "endline", "all", "2A", 3.0, 6),
    (101, "endline", "all", "track_1", 4.5, 6),
    (101, "endline", "all", "track_2", 3.0, 6),
    (101, "endline", "all", "overall", 4.0, 6),
    (102, "baseline", "all", "1A", 3.0, 6),
    (102, "baseline", "all", "1B", 3.0, 6),
    (102, "baseline", "all", "2A", 1.5, 2),
    (102, "baseline", "all", "track_1", 3.0, 6),
    (102, "baseline", "all", "track_2", 1.5, 2),
    (102, "baseline", "all", "overall", 2.5, 6),
    (102, "endline", "all", "1A", 3.5, 6),
    (102, "endline", "all", "1B", 3.5, 6),
    (102, "endline", "all", "2A", 3.5, 6),
    (102, "endline", "all", "track_1", 3.5, 6),
    (102, "endline", "all", "track_2", 3.5, 6),
    (102, "endline", "all", "overall", 3.5, 6),
]
# 103: 2 managers and 7 staff answer 1A, the only requirement; all = 9. The 2 is hidden, and
# so one more count of management + staff = all: the staff's 7, the smaller.
# Baseline: management 2.0, staff 3.0, all (2 x 2.0 + 7 x 3.0) / 9 = 25/9; endline 4.0 each.
COMPLEMENT = [
    (103, wave, group, requirement, mean, n)
    for wave, means in (("baseline", (2.0, 3.0, 25 / 9)), ("endline", (4.0, 4.0, 4.0)))
    for group, mean, n in zip(("management", "staff", "all"), means, (2, 7, 9), strict=True)
    for requirement in ("1A", "track_1", "overall")
]


def empty(publication, frames, name, column):
    """The rows (as key tuples) where the mart has a figure and the publication none."""
    frame, shown = frames[name], publication.tables[name]
    gone = frame[column].notna() & shown[column].isna()
    keys = [c for c in FIDELITY[:4] if c in frame.columns] or ["municipality_code"]
    return set(frame.loc[gone, keys].itertuples(index=False, name=None))


def test_a_hidden_requirement_mean_hides_its_track_overall_and_changes(tables):
    frames = {"implementation_fidelity": fidelity(ONE_GROUP)}
    publication = suppress_export(frames, tables, RULES)
    name = "implementation_fidelity"
    # the 3 and the 2 respondents, and their means
    assert empty(publication, frames, name, "n_respondents") == {
        (101, "endline", "all", "1B"),
        (102, "baseline", "all", "2A"),
        (102, "baseline", "all", "track_2"),
    }
    assert empty(publication, frames, name, "mean_score") == {
        (101, "endline", "all", "1B"),
        (101, "endline", "all", "track_1"),
        (101, "endline", "all", "overall"),
        (102, "baseline", "all", "2A"),
        (102, "baseline", "all", "track_2"),
        (102, "baseline", "all", "overall"),
    }
    # 101: the hidden endline mean's change, and its track's and overall; track 2 stays.
    # 102: every change resting on the baseline's 2A, though its endline means are published
    assert empty(publication, frames, name, "change") == {
        (101, "endline", "all", "1B"),
        (101, "endline", "all", "track_1"),
        (101, "endline", "all", "overall"),
        (102, "endline", "all", "2A"),
        (102, "endline", "all", "track_2"),
        (102, "endline", "all", "overall"),
    }
    shown = publication.tables[name].set_index(FIDELITY[:4])
    assert shown.loc[(101, "endline", "all", "track_2"), "change"] == 1.0
    assert shown.loc[(102, "endline", "all", "track_1"), "change"] == 0.5
    assert shown.loc[(102, "endline", "all", "overall"), "mean_score"] == 3.5
    # the manifest's figures: 3 counts, 6 means and 6 changes, all resting on the 2 and the 3
    assert publication.suppressions[name] == {
        "primary": 15,
        "secondary": 0,
        "suppressed_cells": 15,
        "carried_over": 0,
    }


def test_a_mean_whose_count_is_a_complement_is_hidden_too(tables):
    frames = {"implementation_fidelity": fidelity(COMPLEMENT)}
    publication = suppress_export(frames, tables, RULES)
    name = "implementation_fidelity"
    hidden = {
        (103, wave, group, requirement)
        for wave in ("baseline", "endline")
        for group in ("management", "staff")
        for requirement in ("1A", "track_1", "overall")
    }
    assert empty(publication, frames, name, "n_respondents") == hidden
    assert empty(publication, frames, name, "mean_score") == hidden
    assert empty(publication, frames, name, "change") == {h for h in hidden if h[1] == "endline"}
    shown = publication.tables[name].set_index(FIDELITY[:4])
    assert shown.loc[(103, "endline", "all", "overall"), "change"] == pytest.approx(11 / 9)
    assert publication.suppressions[name]["primary"] == 6 + 6 + 3  # counts, means, changes
    assert publication.suppressions[name]["secondary"] == 6 + 6 + 3


def case_selection(rows):
    """case_selection rows (municipality, success_change, management, staff, all, eligible,
    reason)."""
    return pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "success_change",
            "fidelity_change_management",
            "fidelity_change_staff",
            "fidelity_change_all",
            "eligible",
            "reason",
        ],
    )


def test_case_selection_hides_a_fidelity_change_where_implementation_fidelity_does(tables):
    # the changes are implementation_fidelity's overall ones: 101 1.0, 102 1.0 (all only);
    # 103 management 2.0, staff 1.0, all 4.0 - 25/9 = 11/9
    frames = {
        "implementation_fidelity": fidelity(ONE_GROUP + COMPLEMENT),
        "case_selection": case_selection(
            [
                (101, 5.0, None, None, 1.0, False, "opfylder ikke kriterierne: ingen svar"),
                (102, 5.0, None, None, 1.0, False, "opfylder ikke kriterierne: ingen svar"),
                (103, 5.0, 2.0, 1.0, 11 / 9, True, "udvalgt: nr. 1 på resultater"),
            ]
        ),
    }
    publication = suppress_export(frames, tables, RULES)
    name = "case_selection"
    assert empty(publication, frames, name, "fidelity_change_all") == {(101,), (102,)}
    assert empty(publication, frames, name, "fidelity_change_management") == {(103,)}
    assert empty(publication, frames, name, "fidelity_change_staff") == {(103,)}
    assert publication.tables[name]["fidelity_change_all"].tolist()[2] == pytest.approx(11 / 9)
    # in both tables or in neither: the overall changes of implementation_fidelity
    fi = publication.tables["implementation_fidelity"]
    overall = fi[(fi["requirement"] == "overall") & (fi["wave"] == "endline")]
    shown = overall.pivot(index="municipality_code", columns="respondent_group", values="change")
    for group in ("management", "staff", "all"):
        mine = publication.tables[name].set_index("municipality_code")[f"fidelity_change_{group}"]
        there = shown[group].reindex(mine.index)
        assert (mine.isna() == there.isna()).all()
    # the reasons print no hidden figure: 101 and 102 are not eligible, their fidelity
    # changes of all are not among the figures a reason prints, and 103's is a selection
    assert empty(publication, frames, name, "reason") == set()
    assert empty(publication, frames, name, "success_change") == set()


def test_case_selection_hides_a_success_change_resting_on_a_suppressed_count(tables):
    """success_change pools n_either and population of kontanthjælp and ressourceforløb over
    both windows. 201's ressourceforløb had 3 persons with either at baseline, suppressed;
    202's figures are all published. 201 is not eligible: its reason would print its success
    change, so it is empty too."""

    def jobcentre(code, rf_either_baseline):
        return [
            window_row(
                "municipality",
                code,
                True,
                group,
                population_baseline=100,
                population_endline=100,
                n_company_baseline=n_baseline,
                n_either_baseline=n_baseline,
                n_company_endline=30,
                n_either_endline=30,
            )
            for group, n_baseline in ((KH, 40), (RF, rf_either_baseline))
        ]

    frames = {
        "baseline_endline": baseline_endline(*jobcentre(201, 3), *jobcentre(202, 20)),
        # 201: (30 + 30) / 200 - (40 + 3) / 200 = 8.5 pp; 202: (60 - 60) / 200 = 0 pp
        "case_selection": case_selection(
            [
                (201, 8.5, -0.5, 0.5, 0.0, False, "opfylder ikke kriterierne: ledelsen ..."),
                (202, 0.0, -0.5, 0.5, 0.0, False, "opfylder ikke kriterierne: resultaterne ..."),
            ]
        ),
    }
    publication = suppress_export(frames, tables, RULES)
    assert empty(publication, frames, "case_selection", "success_change") == {(201,)}
    assert empty(publication, frames, "case_selection", "reason") == {(201,)}
    # the fidelity changes come from implementation_fidelity, not exported here: published
    assert publication.tables["case_selection"]["fidelity_change_management"].notna().all()


def _derived_rows(name):
    return {
        entry.get("rows", {}).get("requirement"): entry.get("from")
        for entry in declarations()[name].derived_rows
    }


def test_the_declared_tracks_and_case_selection_groups_are_those_of_the_seeds():
    """The yml names the requirements of each track and the case-selection groups; a seed
    changed alone would leave a figure computed from a hidden one published."""
    with (DBT_PROJECT_DIR / "seeds" / "requirements.csv").open(encoding="utf-8") as f:
        requirements = list(csv.DictReader(f))
    declared = _derived_rows("implementation_fidelity")
    for track in {r["track"] for r in requirements}:
        assert sorted(declared[f"track_{track}"]["requirement"]) == sorted(
            r["requirement"] for r in requirements if r["track"] == track
        )
    assert sorted(declared["overall"]["requirement"]) == sorted(
        r["requirement"] for r in requirements
    )

    with (DBT_PROJECT_DIR / "seeds" / "target_groups.csv").open(encoding="utf-8") as f:
        selection = sorted(
            g["target_group"] for g in csv.DictReader(f) if g["in_case_selection"] == "true"
        )
    (pooled,) = [
        e
        for e in declarations()["case_selection"].derived_rows
        if e.get("table") == "baseline_endline"
    ]
    assert sorted(pooled["from"]["target_group"]) == selection

"""The whole job on the shipped sample, checked against an independent computation.

bench/pandas_metrics.py computes DESIGN §3.1-3.2 from the raw sample files with pandas, the way
an analyst would, sharing no code with the dbt models; the fidelity and goal-attainment figures
below are recomputed here from the survey and target files.
"""

import calendar
from datetime import date
from itertools import pairwise

import duckdb
import pandas as pd
import pytest

from bench.pandas_metrics import baseline_endline_pooled, success_criteria_monthly
from stv_pipeline.settings import DBT_PROJECT_DIR, SAMPLE_DIR
from tests.helpers import run_stv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample_run")
    code = run_stv(tmp, inbox=SAMPLE_DIR)
    assert code == 0
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        yield con


def test_the_sample_is_loaded_as_asked_and_left_in_place(warehouse):
    shipped = sorted(
        p.name for p in SAMPLE_DIR.rglob("*") if p.is_file() and not p.name.startswith(".")
    )
    logged = warehouse.execute(
        "select file_name, origin from raw.file_log order by file_name"
    ).fetchall()
    assert logged == [(name, "sample") for name in shipped]


def test_success_criteria_equal_the_pandas_computation(warehouse):
    ours = warehouse.execute(
        "select * from marts.success_criteria_monthly order by municipality_code, month, "
        "target_group"
    ).df()
    theirs = success_criteria_monthly(SAMPLE_DIR, DBT_PROJECT_DIR / "seeds")
    ours["month"] = pd.to_datetime(ours["month"])
    assert len(ours) == len(theirs) > 1000
    for column in (
        "municipality_code",
        "target_group",
        "population",
        "n_company",
        "n_hours",
        "n_either",
    ):
        assert ours[column].astype(str).tolist() == theirs[column].astype(str).tolist(), column
    assert (ours["month"].values == theirs["month"].values).all()
    for column in ("share_company", "share_hours", "share_either"):
        assert ours[column].to_numpy() == pytest.approx(theirs[column].to_numpy(), abs=1e-12)


def test_pooled_baseline_endline_and_diff_in_diff_equal_the_pandas_computation(warehouse):
    monthly = success_criteria_monthly(SAMPLE_DIR, DBT_PROJECT_DIR / "seeds")
    participants = set(
        pd.read_csv(SAMPLE_DIR / "stv_participants/participants.csv")["municipality_code"]
    )
    theirs = baseline_endline_pooled(
        monthly,
        participants,
        {"baseline": ("2016-07-01", "2016-12-31"), "endline": ("2018-07-01", "2018-12-31")},
    )
    ours = (
        warehouse.execute(
            "select scope, target_group, population_baseline, population_endline, "
            "share_either_baseline, share_either_endline, change_pp_either "
            "from marts.baseline_endline where scope in ('participants', 'comparison', 'did')"
        )
        .df()
        .set_index(["scope", "target_group"])
    )
    for row in theirs.itertuples():
        mine = ours.loc[(row.scope, row.target_group)]
        assert mine[f"population_{row.window}"] == row.population
        assert mine[f"share_either_{row.window}"] == pytest.approx(row.share_either, abs=1e-12)

    def change(scope):
        part = theirs[(theirs.scope == scope) & (theirs.target_group == "alle")]
        shares = part.set_index("window")["share_either"]
        return (shares["endline"] - shares["baseline"]) * 100

    assert ours.loc[("did", "alle"), "change_pp_either"] == pytest.approx(
        change("participants") - change("comparison"), abs=1e-9
    )
    # the figures of the sample as computed by hand from the pandas frame
    assert ours.loc[("participants", "alle"), "population_baseline"] == 2443
    assert ours.loc[("participants", "alle"), "population_endline"] == 2590


def test_case_selection_picks_the_four_the_evaluation_picked(warehouse):
    rows = dict(
        warehouse.execute("select municipality_code, selected from marts.case_selection").fetchall()
    )
    assert {code for code, selected in rows.items() if selected} == {450, 813, 253, 710}
    reasons = dict(
        warehouse.execute(
            "select municipality_code, reason from marts.case_selection where not eligible"
        ).fetchall()
    )
    assert reasons[316].startswith("opfylder ikke kriterierne: ledelsen melder ingen fremgang")
    assert reasons[461].startswith("opfylder ikke kriterierne: resultaterne er ikke forbedret")


def test_fidelity_change_equals_a_recomputation_from_the_survey(warehouse):
    survey = pd.read_csv(SAMPLE_DIR / "implementation_survey/survey.csv").dropna(subset=["score"])
    survey = survey[(survey.municipality_code == 316) & survey.role.isin(["leder", "projektleder"])]
    overall = survey.groupby(["wave", "item"])["score"].mean().groupby("wave").mean()
    change = warehouse.execute(
        "select change from marts.implementation_fidelity where municipality_code = 316 "
        "and wave = 'endline' and respondent_group = 'management' and requirement = 'overall'"
    ).fetchone()[0]
    assert change == pytest.approx(overall["endline"] - overall["baseline"], abs=1e-12)
    assert change < 0


def test_goal_attainment_equals_a_recomputation_from_the_targets(warehouse):
    targets = pd.read_csv(SAMPLE_DIR / "municipal_targets/targets.csv")
    targets = targets[
        (targets.municipality_code == 450) & (targets.measure == "active_company_placements")
    ]
    points = sorted(
        (date.fromisoformat(d), c)
        for d, c in zip(targets.target_date, targets.target_count, strict=True)
    )

    def position(d: date) -> float:
        return d.year * 12 + d.month - 1 + (d.day - 1) / calendar.monthrange(d.year, d.month)[1]

    extract_date, actual, target = warehouse.execute(
        "select extract_date, actual, target from marts.goal_attainment "
        "where municipality_code = 450 and measure = 'active_company_placements' "
        "and extract_date = date '2018-05-07'"
    ).fetchone()
    (d0, c0), (d1, c1) = next((a, b) for a, b in pairwise(points) if a[0] <= extract_date < b[0])
    expected = c0 + (c1 - c0) * (position(extract_date) - position(d0)) / (
        position(d1) - position(d0)
    )
    assert target == pytest.approx(expected, abs=1e-6)


def test_monitoring_counts_are_the_jobcentres_own_else_the_providers_sum(warehouse):
    """DESIGN §2.3 recomputed from the delivered file: Odense (461) and Frederikshavn (813)
    deliver their own count beside their providers' tallies (and on some dates only the
    tallies); the count is the jobcentre's own, never the two added up."""
    delivered = pd.read_csv(
        SAMPLE_DIR / "municipal_monitoring/monitoring.csv", sep=";", keep_default_na=False
    )
    delivered["extract_date"] = pd.to_datetime(delivered["udtraeksdato"], format="%d-%m-%Y")
    keys = ["kommunekode", "extract_date", "maal"]
    own = delivered[delivered["leverandoer"] == ""].set_index(keys)["antal"]
    tallies = delivered[delivered["leverandoer"] != ""]
    providers_sum = tallies.groupby(keys)["antal"].sum()
    expected = {
        (int(code), d.date(), measure): (int(own[key]), "jobcentre")
        if key in own.index
        else (int(providers_sum[key]), "providers_sum")
        for key in own.index.union(providers_sum.index)
        for code, d, measure in [key]
    }
    ours = {
        (code, d, measure): (actual, source)
        for code, d, measure, actual, source in warehouse.execute(
            "select municipality_code, extract_date, measure, actual, actual_source "
            "from marts.goal_attainment"
        ).fetchall()
    }
    assert ours == expected
    sources = {v[1] for k, v in ours.items() if k[0] in (461, 813)}
    assert sources == {"jobcentre", "providers_sum"}
    assert {v[1] for k, v in ours.items() if k[0] not in (461, 813)} == {"jobcentre"}
    # the tallies do not add up to the jobcentre's count on most dates: a real breakdown
    both = own.index.intersection(providers_sum.index)
    assert (own[both] != providers_sum[both]).mean() > 0.5

    by_provider = warehouse.execute(
        "select municipality_code, extract_date, measure, provider, provider_count, "
        "jobcentre_count, provider_share, providers_sum, gap_abs from marts.monitoring_by_provider"
    ).df()
    assert len(by_provider) == len(tallies)
    assert set(by_provider["municipality_code"]) == {461, 813}
    for row in by_provider.itertuples():
        key = (row.municipality_code, pd.Timestamp(row.extract_date), row.measure)
        assert row.providers_sum == providers_sum[key]
        if key in own.index:
            assert row.jobcentre_count == own[key]
            assert row.gap_abs == providers_sum[key] - own[key]
            if own[key]:
                assert row.provider_share == pytest.approx(row.provider_count / own[key], abs=1e-6)
        else:
            assert pd.isna(row.jobcentre_count) and pd.isna(row.gap_abs)

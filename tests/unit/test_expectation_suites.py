"""Every Great Expectations suite in expectations/ passes on clean rows and fails, with the
right severity and the failing rows named, on rows built to break it."""

from datetime import date

import dagster as dg
import duckdb
import pandas as pd
import pytest

from stv_pipeline.quality.check_results import check_result
from stv_pipeline.quality.suites import discover_suites, validate_frame
from stv_pipeline.settings import EXPECTATIONS_DIR

SUITES = {s.name: s for s in discover_suites(EXPECTATIONS_DIR)}


def run(name: str, frame: pd.DataFrame) -> dg.AssetCheckResult:
    suite = SUITES[name]
    # the suite's own query runs against the table, as in the pipeline
    schema, table = suite.asset.split("/")
    con = duckdb.connect()
    con.execute(f"create schema {schema}")
    con.register("frame", frame)
    con.execute(f"create table {schema}.{table} as select * from frame")
    selected = con.execute(suite.query).df()
    return check_result(validate_frame(suite, selected), suite.severity, len(selected))


def test_every_suite_file_names_an_asset_and_a_severity():
    assert set(SUITES) == {
        "success_criteria_monthly",
        "registration_revisions_mature_months",
        "registration_lag_late_share",
        "reconciliation_gaps",
        "register_vintage_anomalies",
    }


def revisions(mature_revision: float) -> pd.DataFrame:
    v1, v2 = date(2019, 1, 15), date(2019, 4, 15)
    return pd.DataFrame(
        {
            "municipality_code": [813, 813, 813],
            "month": [date(2018, 9, 1), date(2018, 9, 1), date(2019, 1, 1)],
            "target_group": ["alle"] * 3,
            "measure": ["n_company"] * 3,
            "vintage": [v1, v2, v2],
            "previous_vintage": [None, v1, v1],
            "revision_abs": [None, 1, 9],
            "revision_rel": [None, mature_revision, 0.5],
            # only the September row of the newest vintage was mature at the previous extract
            "mature_at_previous": [False, True, False],
            "exceeds_threshold": [False, abs(mature_revision) > 0.02, True],
        }
    )


def test_mature_revision_check_ignores_young_months_and_fails_on_a_mature_one():
    assert run("registration_revisions_mature_months", revisions(0.01)).passed
    result = run("registration_revisions_mature_months", revisions(0.1))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "municipality_code=813, month=2018-09-01" in result.description


def test_late_registration_share_warns_above_five_percent_in_the_newest_vintage():
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 813, 813],
            "vintage": [date(2019, 4, 15), date(2019, 4, 15), date(2019, 1, 15)],
            "is_newest_vintage": [True, True, False],
            "share_over_8_weeks": [0.01, 0.04, 0.20],
        }
    )
    assert run("registration_lag_late_share", frame).passed
    frame.loc[1, "share_over_8_weeks"] = 0.086
    result = run("registration_lag_late_share", frame)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "municipality_code=813" in result.description


def test_reconciliation_warns_on_a_flagged_gap():
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 813],
            "extract_date": [date(2017, 3, 6)] * 2,
            "municipal_count": [10, 7],
            "register_count": [10, 10],
            "flagged": [False, False],
        }
    )
    assert run("reconciliation_gaps", frame).passed
    frame.loc[1, "flagged"] = True
    result = run("reconciliation_gaps", frame)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "municipality_code=813" in result.description


@pytest.mark.parametrize(
    ("late", "change", "fails"),
    [(False, 0.09, False), (False, -0.04, False), (True, 0.09, True), (False, -0.06, True)],
)
def test_vintage_anomalies_are_errors(late, change, fails):
    frame = pd.DataFrame(
        {
            "input_source": ["register_benefits"] * 2,
            "vintage": [date(2019, 1, 15), date(2019, 4, 15)],
            "previous_vintage": [None, date(2019, 1, 15)],
            "newest_loaded_before": [None, date(2019, 1, 15)],
            "row_change_rel": [None, change],
            "loaded_after_newer_vintage": [False, late],
        }
    )
    result = run("register_vintage_anomalies", frame)
    assert result.passed is not fails
    if fails:
        assert result.severity == dg.AssetCheckSeverity.ERROR
        assert "vintage=2019-04-15" in result.description

"""Suite thresholds written `{"$setting": name}` are filled in from the evaluation settings."""

import duckdb
import pytest

from stv_pipeline.quality.suites import read_settings, resolve_settings

SETTINGS = {"revision_threshold": 0.02, "snapshot_loss_threshold": 0.01}


def test_a_setting_is_replaced_wherever_it_appears_and_scaled_by_times():
    body = {
        "name": "s",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {
                    "column": "revision_rel",
                    "min_value": {"$setting": "revision_threshold", "times": -1},
                    "max_value": {"$setting": "revision_threshold"},
                },
            },
            {
                "type": "x",
                "kwargs": {"value_set": [False, {"$setting": "snapshot_loss_threshold"}]},
            },
        ],
    }
    resolved = resolve_settings(body, SETTINGS)
    assert resolved["expectations"][0]["kwargs"] == {
        "column": "revision_rel",
        "min_value": -0.02,
        "max_value": 0.02,
    }
    assert resolved["expectations"][1]["kwargs"]["value_set"] == [False, 0.01]
    # the suite as read from its file is left as it was
    assert body["expectations"][0]["kwargs"]["max_value"] == {"$setting": "revision_threshold"}


def test_an_unknown_setting_names_itself_and_the_known_ones():
    with pytest.raises(KeyError, match="'revison_threshold'.*revision_threshold"):
        resolve_settings({"max_value": {"$setting": "revison_threshold"}}, SETTINGS)


def test_the_settings_are_the_one_row_of_the_warehouse_seed_table():
    con = duckdb.connect()
    con.execute("create schema reference")
    con.execute(
        "create table reference.evaluation_settings as select 0.05::double as revision_threshold"
    )
    assert read_settings(con) == {"revision_threshold": 0.05}
    con.execute("insert into reference.evaluation_settings values (0.02)")
    with pytest.raises(ValueError, match="exactly one row, not 2"):
        read_settings(con)

"""Danish labels for readers, dbt tests described in words, and the lock-wait line."""

from datetime import datetime

import pandas as pd

from stv_pipeline.exports.labels import Labels, for_readers
from stv_pipeline.operations.warehouse import lock_holder, locked_message
from stv_pipeline.quality.dbt_test_descriptions import dbt_test_description, describe_test

LABELS = Labels(
    categories={
        ("boolean", "true"): "Ja",
        ("boolean", "false"): "Nej",
        ("scope", "did"): "forskel-i-forskelle",
        ("target_group", "alle"): "alle målgrupper",
    },
    municipalities={101: "København", 492: "Ærø"},
)


def test_for_readers_labels_codes_booleans_and_names_and_keeps_suppressed_cells_empty():
    frame = pd.DataFrame(
        {
            "scope": ["did", "municipality"],
            "municipality_code": pd.array([None, 492], dtype="Int64"),
            "target_group": ["alle", "alle"],
            "provisional": pd.array([True, None], dtype="boolean"),
            "value": [1.5, None],
        }
    )
    out = for_readers(frame, LABELS)
    assert out.columns.tolist() == [
        "scope",
        "municipality_code",
        "municipality_name",
        "target_group",
        "provisional",
        "value",
    ]
    assert out["scope"].tolist() == ["forskel-i-forskelle", "municipality"]  # unlabelled: as is
    assert pd.isna(out["municipality_name"].iloc[0]) and out["municipality_name"].iloc[1] == "Ærø"
    assert out["target_group"].tolist() == ["alle målgrupper"] * 2
    assert out["provisional"].iloc[0] == "Ja" and pd.isna(out["provisional"].iloc[1])
    assert out["value"].iloc[0] == 1.5 and pd.isna(out["value"].iloc[1])
    assert frame["scope"].tolist() == ["did", "municipality"]  # the CSV's frame is untouched


def test_dbt_tests_are_described_from_their_arguments():
    assert (
        describe_test("accepted_values", {"column_name": "scope", "values": ["a", "b", "c"]}, "be")
        == "scope in be is always one of 'a', 'b' or 'c'."
    )
    assert describe_test(
        "relationships",
        {"column_name": "target_group", "to": "ref('target_groups')", "field": "target_group"},
        "benefit_codes",
    ) == (
        "Every target_group in benefit_codes exists as target_group in target_groups "
        "(no unknown codes)."
    )
    assert describe_test("between", {"column_name": "s", "min_value": 1, "max_value": 5}, "t") == (
        "s in t lies between 1 and 5 (inclusive)."
    )
    assert describe_test("between", {"column_name": "s", "min_value": 0.5}, "t") == (
        "s in t is at least 0.5."
    )
    assert describe_test("unique_combination", {"columns": ["a", "b"]}, "t") == (
        "No two rows of t share the same a + b (the table's key)."
    )
    assert describe_test("mystery", {"x": 1, "model": "m"}, "t") == "dbt test mystery on t (x = 1)."


def test_a_test_node_gets_its_own_description_or_one_with_its_severity():
    node = {
        "name": "not_null_t_c",
        "column_name": "c",
        "test_metadata": {"name": "not_null", "kwargs": {"column_name": "c", "model": "m"}},
        "config": {"severity": "warn"},
    }
    assert dbt_test_description(node, "t") == (
        "Every row of t has a value in c (none is missing). A failure only warns."
    )
    assert dbt_test_description({**node, "description": "Own words."}, "t") == "Own words."


def test_a_lock_wait_names_the_holder_since_when_and_until_when():
    message = (
        'IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held in '
        "/usr/bin/duckdb (PID 4242) by user ana. See also https://duckdb.org/docs"
    )
    assert lock_holder(message) == "PID 4242 (/usr/bin/duckdb)"
    assert lock_holder("IO Error: Could not set lock on file") == "another process"
    since = datetime(2026, 11, 23, 14, 59, 50)
    assert locked_message("w.duckdb", message, since, 600, since) == (
        "The warehouse w.duckdb is locked by PID 4242 (/usr/bin/duckdb): this run waits for it "
        "since 14:59:50 and gives up at 15:09:50"
    )
    assert locked_message("w.duckdb", message, since, 600, datetime(2026, 11, 23, 15, 1, 50)) == (
        "The warehouse w.duckdb is still locked (waiting 2 min) by PID 4242 (/usr/bin/duckdb): "
        "this run waits for it since 14:59:50 and gives up at 15:09:50"
    )
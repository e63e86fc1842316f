"""GX result JSON → Dagster AssetCheckResult, without running GX."""

import dagster as dg

from stv_pipeline.quality.check_results import check_result


def gx_result(*items):
    return {
        "success": all(i["success"] for i in items),
        "statistics": {"evaluated_expectations": len(items)},
        "results": list(items),
    }


def item(success, type_, severity=None, unexpected=None):
    meta = {"severity": severity} if severity else {}
    return {
        "success": success,
        "expectation_config": {
            "type": type_,
            "kwargs": {"column": "share_either", "batch_id": "x"},
            "meta": meta,
        },
        "result": {
            "unexpected_count": len(unexpected or []),
            "partial_unexpected_list": unexpected or [],
            "unexpected_index_list": list(range(len(unexpected or []))),
        },
    }


def test_all_expectations_held():
    r = check_result(gx_result(item(True, "expect_a")), "ERROR", row_count=10)
    assert r.passed
    assert r.metadata["failed_expectations"].value == 0
    assert r.metadata["rows_validated"].value == 10


def test_failure_lists_expectation_and_examples_and_keeps_suite_severity():
    r = check_result(
        gx_result(item(True, "expect_a"), item(False, "expect_b", unexpected=[1.2, 3])),
        "ERROR",
        row_count=5,
    )
    assert not r.passed and r.severity == dg.AssetCheckSeverity.ERROR
    [failure] = r.metadata["failures"].value
    assert failure["expectation"] == "expect_b(column=share_either)"
    assert failure["examples"] == ["1.2", "3"] and failure["unexpected_count"] == 2
    assert failure["example_rows"] == ["row 0", "row 1"]
    assert "expect_b(column=share_either): 2 afvigende rækker, fx row 0; row 1" in r.description


def test_failing_rows_are_named_by_their_key_columns():
    failing = item(False, "expect_b", unexpected=[0.3])
    failing["result"]["unexpected_index_list"] = [{"municipality_code": 813, "month": "2018-09"}]
    r = check_result(gx_result(failing), "ERROR", 1)
    assert r.metadata["failures"].value[0]["example_rows"] == [
        "municipality_code=813, month=2018-09"
    ]
    assert "fx municipality_code=813, month=2018-09" in r.description
    # the export's version names the expectation and how many rows, never a row's figures
    assert r.metadata["published_description"].value == (
        "expect_b(column=share_either): 1 afvigende rækker"
    )


def test_only_warn_expectations_failing_gives_a_warning_in_an_error_suite():
    r = check_result(
        gx_result(item(False, "expect_b", severity="WARN", unexpected=[7])), "ERROR", 1
    )
    assert not r.passed and r.severity == dg.AssetCheckSeverity.WARN


def test_error_expectation_in_a_warn_suite_is_an_error():
    r = check_result(
        gx_result(item(False, "expect_b", severity="ERROR", unexpected=[7])), "WARN", 1
    )
    assert r.severity == dg.AssetCheckSeverity.ERROR

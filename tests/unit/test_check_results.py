"""GX result JSON → Dagster AssetCheckResult, without running GX."""

from datetime import datetime

import dagster as dg

from stv_pipeline.quality.check_results import check_result, format_value

NAMES = {813: "Frederikshavn", 316: "Holbæk", 461: "Odense", 450: "Nyborg", 851: "Aalborg"}
UNITS = {"gap_rel": "procent", "extract_date": "dato"}


def gx_result(*items):
    return {
        "success": all(i["success"] for i in items),
        "statistics": {"evaluated_expectations": len(items)},
        "results": list(items),
    }


def item(success, type_, severity=None, unexpected=None, rows=None):
    meta = {"severity": severity} if severity else {}
    unexpected = unexpected or []
    return {
        "success": success,
        "expectation_config": {
            "type": type_,
            "kwargs": {"column": "gap_rel", "min_value": -0.1, "max_value": 0.1, "batch_id": "x"},
            "meta": meta,
        },
        "result": {
            "unexpected_count": len(rows or unexpected),
            "partial_unexpected_list": unexpected,
            "unexpected_index_list": rows or list(range(len(unexpected))),
        },
    }


def gap(code, day, value):
    return {"gap_rel": value, "municipality_code": code, "extract_date": datetime(2017, 6, day)}


def test_all_expectations_held():
    r = check_result(gx_result(item(True, "expect_a")), "ERROR", row_count=10)
    assert r.passed
    assert r.metadata["failed_expectations"].value == 0
    assert r.metadata["rows_validated"].value == 10


def test_values_read_as_a_reader_reads_them():
    assert format_value(-0.14285714285714285, "procent") == "-14.3 %"
    assert format_value(datetime(2017, 6, 5), "dato") == "2017-06-05"
    assert format_value("2017-06-05T00:00:00") == "2017-06-05"
    assert format_value(0.08577993362267042) == "0.09"
    assert format_value(7.0) == "7" and format_value(None) == "empty"


def test_a_failure_names_the_municipalities_with_most_rows_first_and_their_examples():
    # Holbæk's rows come first in the table, but Frederikshavn has most of them
    rows = [
        gap(316, 5, -1 / 7),
        gap(316, 12, -1 / 7),
        gap(813, 5, 0.25),
        gap(813, 12, 0.3),
        gap(813, 19, 0.2),
        gap(461, 5, 0.5),
        gap(450, 5, 0.5),
        gap(851, 5, 0.5),
    ]
    r = check_result(
        gx_result(item(False, "expect_column_values_to_be_between", rows=rows)),
        "WARN",
        row_count=40,
        units=UNITS,
        names=NAMES,
    )
    assert not r.passed and r.severity == dg.AssetCheckSeverity.WARN
    assert r.description.splitlines() == [
        "gap_rel outside -10.0 % to 10.0 %",
        "8 rows in 5 municipalities: Frederikshavn (813) 3, Holbæk (316) 2, Nyborg (450) 1 "
        "and 2 more",
        "e.g. Frederikshavn (813): gap_rel 25.0 %, extract_date 2017-06-05",
    ]
    # the report's Danish: municipalities and rows, never a row's figures
    assert r.metadata["published_description"].value == (
        "8 rækker i 5 kommuner: Frederikshavn (813) 3 rækker, Holbæk (316) 2 rækker, "
        "Nyborg (450) 1 række og 2 flere"
    )
    [failure] = r.metadata["failures"].value
    assert [(m["code"], m["rows"]) for m in failure["municipalities"]] == [
        (813, 3),
        (316, 2),
        (450, 1),  # ties in code order
        (461, 1),
        (851, 1),
    ]
    # one example from each municipality in that order, then the rest
    assert [e.split(":")[0] for e in failure["example_rows"]] == [
        "Frederikshavn (813)",
        "Holbæk (316)",
        "Nyborg (450)",
        "Odense (461)",
        "Aalborg (851)",
    ]


def test_failing_rows_without_a_municipality_are_counted():
    failing = item(False, "expect_column_values_to_be_between", unexpected=[0.3])
    r = check_result(gx_result(failing), "ERROR", 1, units=UNITS)
    assert r.description == "gap_rel outside -10.0 % to 10.0 %\n1 row\ne.g. row 0"
    assert r.metadata["published_description"].value == "1 række"


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

"""The contract's SQL parsers, evaluated by DuckDB on single values."""

import duckdb
import pytest

from stv_pipeline.ingest import contracts as c


def scalar(sql: str, **params):
    return duckdb.connect().execute(sql, params).fetchone()[0]


def parse(expr: str, value: str | None):
    return scalar(f"select ({expr.format(c='$v')})", v=value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-W05", "2017-W05"),
        ("2020-W53", "2020-W53"),
        ("2019-W53", None),
        ("2017-W00", None),
        ("2017-5", None),
        ("2017W05", None),
        (" 2018-W52 ", "2018-W52"),
    ],
)
def test_iso_week_accepts_only_real_weeks(value, expected):
    assert parse(c.ISO_WEEK, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12,5", 12.5), ("12.5", 12.5), ("1.234,5", 1234.5), ("0", 0.0), ("abc", None), ("", None)],
)
def test_decimal_accepts_comma_and_point(value, expected):
    assert parse(c.DECIMAL, value) == expected


@pytest.mark.parametrize("value", ["2017-03-05", "05-03-2017", "05/03/2017", "2017-03-05 00:00:00"])
def test_date_accepts_the_three_contract_formats(value):
    assert str(parse(c.DATE, value)) == "2017-03-05"


@pytest.mark.parametrize("value", ["2017-02-30", "32-01-2017", "2017/03/05", "yesterday"])
def test_impossible_or_unknown_dates_are_rejected(value):
    assert parse(c.DATE, value) is None


def test_iso_week_monday_matches_python():
    import datetime as dt

    for week in ("2019-W01", "2016-W52", "2020-W53", "2018-W05", "2017-W35"):
        monday = scalar(f"select {c.iso_week_monday('$w')}", w=week)
        assert monday == dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def test_enum_maps_danish_aliases_to_keys():
    wave = c.IMPLEMENTATION_SURVEY.columns[2].parse
    assert parse(wave, "Nulpunkt") == "baseline"
    assert parse(wave, "SLUTMAALING") == "endline"
    assert parse(wave, "midtvejs") is None

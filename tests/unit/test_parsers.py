"""The contract's SQL parsers and the rules shared with dbt, evaluated by DuckDB on single
values as the loader defines them (sql/macros.sql)."""

import datetime as dt

import duckdb
import pytest

from stv_pipeline.ingest import contracts as c
from stv_pipeline.ingest.macros import define_macros


def scalar(sql: str, **params):
    con = duckdb.connect()
    define_macros(con)
    return con.execute(sql, params).fetchone()[0]


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
    for week in ("2019-W01", "2016-W52", "2020-W53", "2018-W05", "2017-W35", "2026-W01"):
        monday = scalar("select iso_week_monday($w)", w=week)
        assert monday == dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


@pytest.mark.parametrize(
    ("day", "month"),
    [
        # 2019-W01 runs from Monday 31 December 2018; its Thursday is 3 January
        ("2018-12-31", "2019-01-01"),
        ("2019-01-06", "2019-01-01"),
        # 2017-W09 starts on Monday 27 February; its Thursday is 2 March
        ("2017-02-27", "2017-03-01"),
        # 2019-W13: Monday 25 March to Sunday 31 March, all in March
        ("2019-03-31", "2019-03-01"),
        # 2020-W53 runs from Monday 28 December 2020; its Thursday is 31 December
        ("2021-01-03", "2020-12-01"),
    ],
)
def test_a_week_belongs_to_the_month_of_its_thursday(day, month):
    assert scalar("select week_month($d::date)", d=day) == dt.date.fromisoformat(month)


@pytest.mark.parametrize(
    ("value", "is_total"),
    [
        ("Køn i alt", True),
        ("  Ydelsesgrupper I ALT ", True),
        ("i alt", True),
        ("Kvinder", False),
        ("ialt", False),
        ("Køn i alt, mænd", False),
    ],
)
def test_a_jobindsats_total_is_a_value_ending_in_i_alt(value, is_total):
    assert scalar("select jobindsats_is_total_value($v)", v=value) is is_total


def test_missing_markers_are_listed_as_the_contract_reports_them():
    assert c.one_of(("empty",)) == "empty"
    assert c.one_of(("empty", "null")) == "empty or null"
    assert c.one_of(("empty", "null", "-", ".", "..")) == "empty, null, -, . or .."
    value = next(col for col in c.JOBINDSATS.columns if col.name == "value")
    assert value.expected.endswith("or empty, null, -, . or .. when suppressed")


def test_enum_maps_danish_aliases_to_keys():
    wave = c.IMPLEMENTATION_SURVEY.columns[2].parse
    assert parse(wave, "Nulpunkt") == "baseline"
    assert parse(wave, "SLUTMAALING") == "endline"
    assert parse(wave, "midtvejs") is None

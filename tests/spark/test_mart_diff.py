"""The comparison the Spark equivalence test relies on finds every kind of difference."""

import duckdb
import pytest

from tests.spark.mart_diff import table_differences


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "create table base as select * from (values "
        "(1, 'a', 0.5::double, date '2019-01-01'), "
        "(1, 'a', 0.5::double, date '2019-01-01'), "
        "(2, null, null::double, date '2019-02-01')) as t(k, s, x, d)"
    )
    yield con
    con.close()


def _variant(con, sql: str) -> str:
    con.execute(f"create or replace table other as {sql}")
    return "other"


def test_equal_tables_and_doubles_within_the_tolerance_are_equal(con):
    _variant(con, "select k, s, x + 4e-10 as x, d from base")
    assert table_differences(con, "base", "other") == []


def test_a_double_beyond_the_tolerance_is_reported_both_ways(con):
    _variant(con, "select k, s, case when k = 2 then x else x + 2e-9 end as x, d from base")
    problems = table_differences(con, "base", "other")
    assert len(problems) == 4  # both duplicate rows, each side
    assert sum(p.startswith("only left") for p in problems) == 2


def test_a_missing_duplicate_row_is_a_difference(con):
    _variant(con, "select distinct * from base")
    assert table_differences(con, "base", "other") == [
        "only left: {'d': datetime.date(2019, 1, 1), 'k': 1, 's': 'a', 'x': 0.5}"
    ]


def test_an_extra_row_on_the_right_is_a_difference(con):
    _variant(con, "select * from base union all select 3, 'c', 1.0, date '2019-03-01'")
    problems = table_differences(con, "base", "other")
    assert problems == ["only right: {'d': datetime.date(2019, 3, 1), 'k': 3, 's': 'c', 'x': 1.0}"]


def test_null_against_a_value_is_a_difference(con):
    _variant(con, "select k, coalesce(s, '') as s, x, d from base")
    assert len(table_differences(con, "base", "other")) == 2


def test_a_different_column_type_or_name_is_a_difference(con):
    _variant(con, "select cast(k as bigint) as k, s, x, d from base")
    assert table_differences(con, "base", "other") == [
        "column k: INTEGER on the left, BIGINT on the right"
    ]
    _variant(con, "select k, s as t, x, d from base")
    assert table_differences(con, "base", "other")[0].startswith("columns differ")

"""The Spark lane's Python side, without Spark: raw Parquet copies, reading Spark's tables back,
and choosing the engine."""

from datetime import date

import duckdb
import pytest

from stv_pipeline.defs.engine import dbt_target_args, expose_spark_tables, spark_tables
from stv_pipeline.ingest.parquet_copy import copy_raw_table
from stv_pipeline.settings import Settings, UnknownEngine


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.register_benefits as select * from (values "
        "('p1', 450, date '2019-01-15'), ('p2', 461, date '2019-01-15'), "
        "('p1', 450, date '2019-04-15')) as t(person_id, municipality_code, extract_date)"
    )
    yield con
    con.close()


def _read(con, folder) -> list[tuple]:
    return con.execute(
        f"select person_id, municipality_code, extract_date "
        f"from read_parquet('{folder}/**/*.parquet', hive_partitioning = true) order by all"
    ).fetchall()


def test_a_register_table_is_written_one_folder_per_vintage(con, tmp_path):
    folder = copy_raw_table(con, "register_benefits", tmp_path, by_vintage=True)
    assert sorted(p.name for p in folder.iterdir()) == [
        "extract_date=2019-01-15",
        "extract_date=2019-04-15",
    ]
    assert _read(con, folder) == [
        ("p1", 450, date(2019, 1, 15)),
        ("p1", 450, date(2019, 4, 15)),
        ("p2", 461, date(2019, 1, 15)),
    ]


def test_a_new_copy_replaces_the_old_whole_and_a_vanished_vintage_vanishes(con, tmp_path):
    copy_raw_table(con, "register_benefits", tmp_path, by_vintage=True)
    con.execute("delete from raw.register_benefits where extract_date = date '2019-01-15'")
    folder = copy_raw_table(con, "register_benefits", tmp_path, by_vintage=True)
    assert [p.name for p in folder.iterdir()] == ["extract_date=2019-04-15"]
    assert _read(con, folder) == [("p1", 450, date(2019, 4, 15))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register_benefits"]  # no leftovers


def test_an_empty_table_still_carries_its_columns(con, tmp_path):
    con.execute("delete from raw.register_benefits")
    folder = copy_raw_table(con, "register_benefits", tmp_path, by_vintage=True)
    columns = con.execute(f"describe select * from '{folder}/data.parquet'").fetchall()
    assert [c[0] for c in columns] == ["person_id", "municipality_code", "extract_date"]


def _spark_table(root, schema, table, files):
    for relative in files:
        path = root / f"{schema}.db" / table / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.sql(f"copy (select 1 as n, '{relative}' as origin) to '{path}' (format parquet)")


def test_spark_tables_are_found_flat_or_partitioned_and_only_in_built_schemas(tmp_path):
    _spark_table(tmp_path, "marts", "nowcast", ["part-0.parquet", "part-1.parquet"])
    _spark_table(
        tmp_path, "intermediate", "int_benefit_person_months", ["vintage=2019-01-15/p.parquet"]
    )
    _spark_table(tmp_path, "raw", "register_benefits", ["p.parquet"])
    (tmp_path / "marts.db" / "empty_view_folder").mkdir()
    assert sorted(spark_tables(tmp_path)) == [
        ("intermediate", "int_benefit_person_months"),
        ("marts", "nowcast"),
    ]


def test_spark_tables_replace_duckdb_tables_as_views(tmp_path):
    _spark_table(tmp_path, "marts", "nowcast", ["part-0.parquet", "part-1.parquet"])
    _spark_table(
        tmp_path, "intermediate", "int_benefit_person_months", ["vintage=2019-01-15/p.parquet"]
    )
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.nowcast as select 99 as n, 'duckdb' as origin")
    assert expose_spark_tables(con, tmp_path) == 2
    assert con.execute("select sum(n), count(*) from marts.nowcast").fetchone() == (2, 2)
    assert con.execute(
        "select table_type from information_schema.tables where table_name = 'nowcast'"
    ).fetchone() == ("VIEW",)
    # a partition folder's value is a column, as in Spark
    assert con.execute("select vintage from intermediate.int_benefit_person_months").fetchone() == (
        date(2019, 1, 15),
    )


def test_the_engine_comes_from_stv_engine_and_a_wrong_one_is_refused():
    assert Settings.from_env({}).engine == "duckdb"
    assert dbt_target_args(Settings.from_env({})) == []
    spark = Settings.from_env({"STV_ENGINE": "Spark", "STV_SPARK_DIR": "/tmp/s"})
    assert (spark.engine, str(spark.spark_dir)) == ("spark", "/tmp/s")
    assert dbt_target_args(spark) == ["--target", "spark"]
    with pytest.raises(UnknownEngine, match="STV_ENGINE='trino'"):
        Settings.from_env({"STV_ENGINE": "trino"})

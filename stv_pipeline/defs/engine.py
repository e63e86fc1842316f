"""Which engine the dbt models run on (STV_ENGINE, DESIGN §7), and what Spark needs around dbt.

Ingestion, checks and exports stay in DuckDB whatever the engine. With Spark, the loaders also
write Parquet copies of the raw tables for Spark to read, dbt builds on the `spark` target, and
the tables Spark wrote become DuckDB views over its Parquet files, so the checks and exports
read the marts Spark built through the same warehouse connection.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from stv_pipeline.ingest.contracts import Contract
from stv_pipeline.ingest.parquet_copy import copy_raw_table
from stv_pipeline.settings import Settings

SPARK_TARGET = "spark"
# Spark keeps a schema's tables in <warehouse>/<schema>.db/<table>/; raw is read, not built.
BUILT_SCHEMAS = ("reference", "staging", "intermediate", "marts", "quality")


def spark_raw_folder(settings: Settings) -> Path:
    return settings.spark_dir / "raw"


def spark_warehouse_folder(settings: Settings) -> Path:
    return settings.spark_dir / "warehouse"


def dbt_target_args(settings: Settings) -> list[str]:
    """Extra `dbt` arguments selecting the engine's target (DuckDB is profiles.yml's default)."""
    return ["--target", SPARK_TARGET] if settings.engine == "spark" else []


def copy_raw_for_spark(
    con: duckdb.DuckDBPyConnection, settings: Settings, contract: Contract
) -> None:
    """After a source's load: its raw table and the file log as Parquet, where Spark reads them."""
    if settings.engine != "spark":
        return
    folder = spark_raw_folder(settings)
    copy_raw_table(con, contract.source, folder, by_vintage=bool(contract.vintage_file_prefix))
    copy_raw_table(con, "file_log", folder, by_vintage=False)


def spark_tables(warehouse: Path) -> dict[tuple[str, str], str]:
    """(schema, table) -> a Parquet glob, for every table Spark wrote in the built schemas.

    A partitioned table (by vintage) keeps its files in one folder per partition."""
    tables = {}
    for schema in BUILT_SCHEMAS:
        for table_dir in sorted((warehouse / f"{schema}.db").glob("*")):
            if any(table_dir.glob("*/*.parquet")):
                tables[(schema, table_dir.name)] = str(table_dir / "**" / "*.parquet")
            elif any(table_dir.glob("*.parquet")):
                tables[(schema, table_dir.name)] = str(table_dir / "*.parquet")
    return tables


def expose_spark_tables(con: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """Replace each built relation in DuckDB by a view over the Parquet Spark wrote for it."""
    tables = spark_tables(warehouse)
    for (schema, table), files in tables.items():
        con.execute(f"create schema if not exists {schema}")
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        if kind and kind[0] == "BASE TABLE":
            con.execute(f"drop table {schema}.{table}")
        con.execute(
            f"create or replace view {schema}.{table} as "
            f"select * from read_parquet({_literal(files)}, hive_partitioning = true)"
        )
    return len(tables)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

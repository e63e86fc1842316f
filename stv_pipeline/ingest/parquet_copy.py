"""Parquet copies of the raw tables, for running the dbt models on Apache Spark (DESIGN §7).

Ingestion stays in DuckDB and Python; when the models run on Spark, Spark reads each raw table
from `<folder>/<table>/` (registered by the dbt macro `register_raw_parquet`). Register tables
are written partitioned by vintage (`extract_date=YYYY-MM-DD/`), so a cluster reads only the
vintages it needs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

VINTAGE_COLUMN = "extract_date"


def copy_raw_table(
    con: duckdb.DuckDBPyConnection, table: str, folder: Path, *, by_vintage: bool
) -> Path:
    """Write `raw.<table>` to `<folder>/<table>/` as Parquet, replacing the earlier copy whole.

    The copy is written beside the old one and swapped in by renames, so a reader sees the old
    copy or the new one, never a half-written mixture, and vanished vintages vanish.
    """
    target = folder / table
    staging = folder / f".{table}.writing"
    retired = folder / f".{table}.retired"
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    rows = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    if by_vintage and rows:
        con.execute(
            f"copy (select * from raw.{table}) to {_literal(staging)} "
            f"(format parquet, partition_by ({VINTAGE_COLUMN}))"
        )
    else:
        # An empty table has no vintage folder to carry its schema: one empty file does.
        staging.mkdir()
        con.execute(
            f"copy (select * from raw.{table}) to {_literal(staging / 'data.parquet')} "
            "(format parquet)"
        )
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
    return target


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"

"""STAR exports: the metric tables written to data/exports/<YYYY-MM-DD>_<run id>/."""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from stv_pipeline.defs.resources import WAREHOUSE_POOL, warehouse_connection
from stv_pipeline.settings import Settings

EXPORTED_MARTS = (
    "success_criteria_monthly",
    "baseline_endline",
    "implementation_fidelity",
    "case_selection",
    "goal_attainment",
    "registration_revisions",
    "registration_lag",
    "reconciliation",
    "nowcast",
)
BOM = "\ufeff".encode()


def export_folder(exports_root: Path, run_id: str, today: date | None = None) -> Path:
    """One folder per run: the date first so folders sort by time, then the short run id."""
    return exports_root / f"{(today or date.today()).isoformat()}_{run_id[:8]}"


def excel_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A select that writes fractional numbers with a decimal comma (DuckDB's CSV writer
    only knows the point); whole numbers, dates and text are left as they are."""
    columns = con.execute(f"select column_name, column_type from (describe {table})").fetchall()
    parts = [
        f"replace(cast(\"{c}\" as varchar), '.', ',') as \"{c}\""
        if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL")
        else f'"{c}"'
        for c, t in columns
    ]
    return f"select {', '.join(parts)} from {table} order by all"


def write_table(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> dict[str, int]:
    """Write one table as Parquet and as CSV for Danish Excel (UTF-8 with BOM, ';', decimal ',')."""
    name = table.split(".")[-1]
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    con.execute(
        f"copy (select * from {table} order by all) to '{parquet}' "
        "(format parquet, compression zstd)"
    )
    plain = folder / f".{name}.csv.tmp"
    con.execute(
        f"copy ({excel_select(con, table)}) to '{plain}' "
        "(format csv, header true, delimiter ';', dateformat '%Y-%m-%d')"
    )
    with csv.open("wb") as out, plain.open("rb") as src:
        out.write(BOM)
        while chunk := src.read(1 << 20):
            out.write(chunk)
    plain.unlink()
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    return {"rows": int(rows)}


@dg.asset(
    key=dg.AssetKey(["exports", "star_export"]),
    group_name="exports",
    # The vintage history is not exported, but its ERROR check must pass before anything is.
    deps=[
        *(dg.AssetKey(["marts", name]) for name in EXPORTED_MARTS),
        dg.AssetKey(["quality", "register_vintage_history"]),
    ],
    kinds={"csv", "parquet"},
    owners=["team:stv-data"],
    pool=WAREHOUSE_POOL,
    required_resource_keys={"warehouse", "settings"},
)
def star_export(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The tables STAR receives, written for this run to data/exports/<YYYY-MM-DD>_<run id>/:
    each metric table as CSV for Danish Excel (UTF-8 with BOM, semicolon, decimal comma) and
    as typed Parquet. Not written when a blocking (ERROR) check on a mart failed."""
    settings: Settings = context.resources.settings
    folder = export_folder(settings.exports, context.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {}
    with warehouse_connection(context.resources.warehouse) as con:
        for name in EXPORTED_MARTS:
            tables[name] = write_table(con, f"marts.{name}", folder)
    context.log.info(f"STAR export written to {folder}")
    return dg.MaterializeResult(
        metadata={
            "export_folder": dg.MetadataValue.path(str(folder)),
            "tables": dg.MetadataValue.json(tables),
        }
    )

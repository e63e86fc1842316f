"""STAR exports: the metric tables written to data/exports/<YYYY-MM-DD>_<run id>/."""

import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from stv_pipeline.defs.resources import WAREHOUSE_POOL, warehouse_connection
from stv_pipeline.exports.dictionary import SUPPRESSION_NOTE, table_docs
from stv_pipeline.exports.disclosure import RULES, suppress
from stv_pipeline.exports.folders import content_fingerprint, unchanged_since
from stv_pipeline.exports.labels import read_labels
from stv_pipeline.exports.manifest import input_files, write_manifest
from stv_pipeline.exports.report import ReportInputs, build_report
from stv_pipeline.exports.writers import write_csv_for_excel, write_parquet, write_workbook
from stv_pipeline.settings import Settings

WORKBOOK = "stv_tabeller.xlsx"
EXPORTED_MARTS = (
    "success_criteria_monthly",
    "baseline_endline",
    "implementation_fidelity",
    "case_selection",
    "goal_attainment",
    "registration_revisions",
    "registration_lag",
    "reconciliation",
    "monitoring_by_provider",
    "nowcast",
    "jobindsats_success_monthly",
    "jobindsats_vs_register",
)


# A sheet holds at most 1,048,576 rows and the revision history grows by about 50,000 rows with
# every national vintage (and XlsxWriter needs ~10 µs a cell), so the workbook, which is for
# reading, shows the newest vintage's revisions; the CSV and Parquet files hold all of them.
WORKBOOK_NEWEST_VINTAGE_ONLY = ("registration_revisions",)
NEWEST_VINTAGE_NOTE = (
    " In the workbook: the newest vintage only; every vintage is in the CSV and Parquet files."
)


def workbook_sheets(
    published: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    sheets = dict(published)
    for name in WORKBOOK_NEWEST_VINTAGE_ONLY:
        frame, mask = published[name]
        if len(frame):
            newest = (frame["vintage"] == frame["vintage"].max()).to_numpy()
            sheets[name] = (
                frame[newest].reset_index(drop=True),
                mask[newest].reset_index(drop=True),
            )
    return sheets


def is_sample(inputs: list[dict[str, object]]) -> bool:
    """The figures come from the shipped sample: files loaded from data/sample (origin
    'sample'; a warehouse never holds both the sample and deliveries)."""
    return any(i.get("origin") == "sample" for i in inputs)


def export_folder(exports_root: Path, run_id: str, today: date | None = None) -> Path:
    """One folder per run: the date first so folders sort by time, then the short run id."""
    return exports_root / f"{(today or date.today()).isoformat()}_{run_id[:8]}"


def published_table(con: duckdb.DuckDBPyConnection, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One mart after disclosure control, with the mask of suppressed cells."""
    frame = con.execute(f"select * from marts.{name} order by all").df()
    # pandas reads DATE as a timestamp; give dates back their type so Parquet keeps date32
    for column, sql_type in con.execute(
        f"select column_name, column_type from (describe marts.{name})"
    ).fetchall():
        if sql_type == "DATE":
            frame[column] = frame[column].dt.date
    return suppress(frame, RULES[name])


def write_table(frame: pd.DataFrame, name: str, folder: Path) -> None:
    """A published table as CSV for Danish Excel and as typed Parquet."""
    write_csv_for_excel(frame, folder / f"{name}.csv")
    write_parquet(frame, folder / f"{name}.parquet")


def export_table(
    con: duckdb.DuckDBPyConnection, name: str, folder: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One mart, disclosure-controlled, as CSV and Parquet; returns it as published, with the
    mask of suppressed cells."""
    published, mask = published_table(con, name)
    write_table(published, name, folder)
    return published, mask


def check_outcomes(context: dg.AssetExecutionContext) -> list[dict[str, object]]:
    """Every check evaluated in this run so far: all of them, since every check is upstream."""
    records = context.instance.get_records_for_run(
        run_id=context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    outcomes = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        outcomes.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
                "description": evaluation.description,
            }
        )
    return sorted(outcomes, key=lambda o: (o["asset"], o["check"]))


@dg.asset(
    key=dg.AssetKey(["exports", "star_export"]),
    group_name="exports",
    # The quality models are not exported, but their checks must run (and an ERROR pass)
    # before anything is.
    deps=[
        *(dg.AssetKey(["marts", name]) for name in EXPORTED_MARTS),
        dg.AssetKey(["quality", "register_vintage_history"]),
        dg.AssetKey(["quality", "register_snapshot_losses"]),
    ],
    kinds={"csv", "parquet"},
    owners=["team:stv-data"],
    pool=WAREHOUSE_POOL,
    # Last among the steps ready with it, so the non-blocking (WARN) checks have run and
    # manifest.json lists their outcomes.
    op_tags={"dagster/priority": "-1"},
    required_resource_keys={"warehouse", "settings"},
)
def star_export(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The tables STAR receives, written for this run to `data/exports/<YYYY-MM-DD>_<run id>/`:
    each metric table of DESIGN §3.1-3.6 as CSV for Danish Excel (UTF-8 with BOM, semicolon,
    decimal comma) and as typed Parquet. Disclosure control first: counts of 1-4 persons, the
    figures computed from them, and the cells that would give them back from a total are left
    empty. Not written when an ERROR check failed, nor when the tables and check outcomes
    equal the newest export's (unless `stv run --force-export`)."""
    settings: Settings = context.resources.settings
    published = {}
    with warehouse_connection(context.resources.warehouse) as con:
        for name in EXPORTED_MARTS:
            published[name] = published_table(con, name)
        # bench/phases.py splits the step's time at this line
        context.log.info(f"disclosure control applied to {len(published)} marts")
        inputs = input_files(con)
        labels = read_labels(con)
    checks = check_outcomes(context)
    fingerprint = content_fingerprint({n: frame for n, (frame, _) in published.items()}, checks)
    same = None if settings.force_export else unchanged_since(settings.exports, fingerprint)
    if same is not None:
        context.log.info(f"Tables and check outcomes equal the newest export {same}: not written")
        return dg.MaterializeResult(
            metadata={
                "export_folder": dg.MetadataValue.path(str(same)),
                "tables": dg.MetadataValue.json(
                    json.loads((same / "manifest.json").read_text("utf-8")).get("tables", {})
                ),
                "unchanged": dg.MetadataValue.bool(True),
                "content_fingerprint": dg.MetadataValue.text(fingerprint),
            }
        )
    folder = export_folder(settings.exports, context.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (frame, _) in published.items():
        write_table(frame, name, folder)
    docs = table_docs()
    graph = context.job_def.asset_layer.asset_graph
    definitions = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key).description or ""
        for key in graph.asset_check_keys
    }
    about = ReportInputs(
        run_id=context.run_id,
        labels=labels,
        column_labels={(t, c.column): c.label_da for t, (_, cols) in docs.items() for c in cols},
        inputs=inputs,
        checks=[{**c, "definition": definitions.get((c["asset"], c["check"]), "")} for c in checks],
        from_sample=is_sample(inputs),
    )
    report = build_report({n: frame for n, (frame, _) in published.items()}, about)
    (folder / "report.html").write_text(report, "utf-8")
    for name in WORKBOOK_NEWEST_VINTAGE_ONLY:
        description, columns = docs.get(name, ("", []))
        docs[name] = (description + NEWEST_VINTAGE_NOTE, columns)
    write_workbook(folder / WORKBOOK, workbook_sheets(published), docs, SUPPRESSION_NOTE, labels)
    tables = {
        name: {
            "rows": len(frame),
            "suppressed_cells": int(mask.to_numpy().sum()),
            "files": [
                f"{name}.csv",
                f"{name}.parquet",
                f"{WORKBOOK} (sheet {name}"
                + (", newest vintage only)" if name in WORKBOOK_NEWEST_VINTAGE_ONLY else ")"),
            ],
        }
        for name, (frame, mask) in published.items()
    }
    write_manifest(
        folder,
        run_id=context.run_id,
        inputs=inputs,
        tables=tables,
        checks=checks,
        content_fingerprint=fingerprint,
    )
    context.log.info(f"STAR export written to {folder}")
    return dg.MaterializeResult(
        metadata={
            "export_folder": dg.MetadataValue.path(str(folder)),
            "tables": dg.MetadataValue.json(tables),
            "unchanged": dg.MetadataValue.bool(False),
            "content_fingerprint": dg.MetadataValue.text(fingerprint),
        }
    )

"""STAR exports: the metric tables written to data/exports/<YYYY-MM-DD>_<run id>/."""

import json
import os
import shutil
import time
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from stv_pipeline.defs.resources import WAREHOUSE_POOL, warehouse_connection
from stv_pipeline.exports import ledger, rebuild, side_process
from stv_pipeline.exports.cells import DisclosureRules, declarations, read_disclosure_rules
from stv_pipeline.exports.dictionary import (
    DICTIONARY_COLUMNS,
    SUPPRESSION_NOTE,
    dictionary_records,
    table_docs,
)
from stv_pipeline.exports.disclosure import Publication, audit_publication, suppress_export
from stv_pipeline.exports.folders import content_fingerprint, unchanged_since
from stv_pipeline.exports.labels import read_labels
from stv_pipeline.exports.manifest import input_files, write_manifest
from stv_pipeline.exports.report import ReportInputs, build_report
from stv_pipeline.exports.writers import write_csv_for_excel, write_parquet, write_workbook
from stv_pipeline.quality.check_results import PUBLISHED_DESCRIPTION
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


def check_definition_da(spec: dg.AssetCheckSpec) -> str:
    """What a check checks, for the Danish report: its `description_da` metadata where it has
    one, else its description."""
    danish = (spec.metadata or {}).get("description_da")
    return str(getattr(danish, "value", danish) or spec.description or "")


def export_folder(exports_root: Path, run_id: str, today: date | None = None) -> Path:
    """One folder per run: the date first so folders sort by time, then the short run id."""
    return exports_root / f"{(today or date.today()).isoformat()}_{run_id[:8]}"


def read_mart(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    frame = con.execute(f"select * from marts.{name} order by all").df()
    # pandas reads DATE as a timestamp; give dates back their type so Parquet keeps date32
    for column, sql_type in con.execute(
        f"select column_name, column_type from (describe marts.{name})"
    ).fetchall():
        if sql_type == "DATE":
            frame[column] = frame[column].dt.date
    return frame


def read_disclosure_inputs(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, pd.DataFrame], DisclosureRules]:
    """The exported marts and the rules of disclosure control (seeds)."""
    frames = {name: read_mart(con, name) for name in EXPORTED_MARTS}
    return frames, read_disclosure_rules(con)


def check_outcomes(context: dg.AssetExecutionContext) -> list[dict[str, object]]:
    """Every check evaluated in this run so far: all of them, since every check is upstream.
    A check's description is the one it publishes (its `published_description`) where it
    has one: failing rows' examples quote figures before disclosure control."""
    records = context.instance.get_records_for_run(
        run_id=context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    outcomes = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        metadata = {
            key: value.value
            for key, value in (evaluation.metadata or {}).items()
            if isinstance(value.value, int | float | str | bool)
        }
        outcomes.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
                "description": metadata.pop(PUBLISHED_DESCRIPTION, evaluation.description),
                "metadata": metadata,
            }
        )
    return sorted(outcomes, key=lambda o: (o["asset"], o["check"]))


DISCLOSURE_DEPS = [
    *(dg.AssetKey(["marts", name]) for name in EXPORTED_MARTS),
    # The quality models are not exported, but their checks must run (and an ERROR pass)
    # before anything is.
    dg.AssetKey(["quality", "register_vintage_history"]),
    dg.AssetKey(["quality", "register_snapshot_losses"]),
]


@dg.asset(
    key=dg.AssetKey(["exports", "published_tables"]),
    group_name="exports",
    deps=DISCLOSURE_DEPS,
    owners=["team:stv-data"],
    pool=WAREHOUSE_POOL,
    required_resource_keys={"warehouse", "settings"},
)
def published_tables(context: dg.AssetExecutionContext) -> Publication:
    """The exported tables as STAR will receive them, disclosure-controlled as one system
    (DESIGN §4): counts of 1-4 persons and the figures computed from them are empty, and so are
    the complementary cells that keep them from being recovered through any relation between
    the tables. Audited by the disclosure_audit check before anything is written."""
    settings: Settings = context.resources.settings
    with warehouse_connection(context.resources.warehouse) as con:
        reconciled = ledger.reconcile(con, settings.exports)
        for folder in reconciled["removed"]:
            context.log.warning(
                f"Publication ledger: removed the rows of {folder}, whose folder was never "
                "put in place (the run writing it was stopped)"
            )
        frames, rules = read_disclosure_inputs(con)
        missing = rebuild.missing_folders(con, settings.exports)
        for done in rebuild.rebuild(con, missing, frames, declarations(), rules):
            context.log.warning(
                f"Publication ledger: {done.folder}, which the ledger lacked, read back from "
                f"its files ({done.cells} cells, {done.suppressed} suppressed)"
            )
        publication = suppress_export(frames, declarations(), rules, ledger=con)
    context.add_output_metadata(
        {
            "suppression_seconds": dg.MetadataValue.float(publication.seconds),
            "suppressions": dg.MetadataValue.json(publication.suppressions),
            "series": dg.MetadataValue.json(publication.series),
        }
    )
    return publication


@dg.asset_check(
    asset=published_tables,
    description=(
        "ERROR: an intruder's linear program over every exported table and every relation "
        "between them (totals, windows, pools, revisions, shares, bounds) must leave each "
        "suppressed count an interval at least protection_width wide (DESIGN §4)."
    ),
    blocking=True,
    pool=WAREHOUSE_POOL,
    required_resource_keys={"warehouse"},
)
def disclosure_audit(
    context: dg.AssetCheckExecutionContext, published_tables: Publication
) -> dg.AssetCheckResult:
    started = time.perf_counter()
    with warehouse_connection(context.resources.warehouse) as con:
        frames, rules = read_disclosure_inputs(con)
        union, result = audit_publication(
            frames, published_tables, declarations(), rules, ledger=con
        )
    exposed = union.describe(result)
    for line in exposed:
        context.log.error(f"disclosure audit: suppressed cell recoverable: {line}")
    figures = result.figures()
    return dg.AssetCheckResult(
        passed=not exposed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{figures['cells_checked']} suppressed cells checked in {figures['groups']} groups, "
            f"none recoverable"
            if not exposed
            else f"{figures['cells_exposed']} suppressed cell(s) recoverable: "
            + " | ".join(exposed)
        ),
        metadata={
            **{k: v for k, v in figures.items() if v is not None},
            "audit_seconds": dg.MetadataValue.float(time.perf_counter() - started),
        },
    )


def partial_folder(folder: Path) -> Path:
    """Where an export is written before it is complete: hidden, beside its final place."""
    return folder.parent / f".{folder.name}.partial"


def remove_partial_folders(exports_root: Path) -> list[Path]:
    """Leftovers of an export that was killed before it was complete."""
    leftovers = sorted(exports_root.glob(".*.partial")) if exports_root.is_dir() else []
    for leftover in leftovers:
        shutil.rmtree(leftover)
    return leftovers


@dg.asset(
    key=dg.AssetKey(["exports", "star_export"]),
    group_name="exports",
    ins={"published_tables": dg.AssetIn(key=published_tables.key)},
    kinds={"csv", "parquet"},
    owners=["team:stv-data"],
    pool=WAREHOUSE_POOL,
    # Last among the steps ready with it, so the non-blocking (WARN) checks have run and
    # manifest.json lists their outcomes.
    op_tags={"dagster/priority": "-1"},
    required_resource_keys={"warehouse", "settings"},
)
def star_export(
    context: dg.AssetExecutionContext, published_tables: Publication
) -> dg.MaterializeResult:
    """The tables STAR receives, written for this run to `data/exports/<YYYY-MM-DD>_<run id>/`:
    each metric table of DESIGN §3.1-3.6 as CSV for Danish Excel (UTF-8 with BOM, semicolon,
    decimal comma) and as typed Parquet, the workbook, the report and manifest.json, as
    published_tables left them after the disclosure audit passed. The folder is written under
    a hidden name beside its place and renamed into place when complete (manifest.json last),
    so a folder with a normal name is always a whole delivery. Not written when an ERROR check
    failed, nor when the tables and check outcomes equal the newest export's (unless
    `stv run --force-export`)."""
    settings: Settings = context.resources.settings
    for leftover in remove_partial_folders(settings.exports):
        context.log.warning(f"Removed the unfinished export {leftover}")
    with warehouse_connection(context.resources.warehouse) as con:
        inputs = input_files(con)
        labels = read_labels(con)
    checks = check_outcomes(context)
    fingerprint = content_fingerprint(published_tables.tables, checks)
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
    graph = context.job_def.asset_layer.asset_graph
    definitions = {
        (key.asset_key.to_user_string(), key.name): check_definition_da(graph.get_check_spec(key))
        for key in graph.asset_check_keys
    }
    docs = table_docs()
    about = ReportInputs(
        run_id=context.run_id,
        labels=labels,
        column_labels={(t, c.column): c.label_da for t, (_, cols) in docs.items() for c in cols},
        inputs=inputs,
        checks=[{**c, "definition": definitions.get((c["asset"], c["check"]), "")} for c in checks],
        from_sample=is_sample(inputs),
    )
    with warehouse_connection(context.resources.warehouse) as con:
        folder, tables = write_export(
            export_folder(settings.exports, context.run_id),
            published_tables,
            about=about,
            checks=checks,
            content_fingerprint=fingerprint,
            ledger_con=con,
        )
    context.log.info(f"STAR export written to {folder}")
    return dg.MaterializeResult(
        metadata={
            "export_folder": dg.MetadataValue.path(str(folder)),
            "tables": dg.MetadataValue.json(tables),
            "unchanged": dg.MetadataValue.bool(False),
            "content_fingerprint": dg.MetadataValue.text(fingerprint),
            "data_dictionary": data_dictionary(),
        }
    )


def data_dictionary() -> dg.MetadataValue:
    """The workbook's data dictionary as a table in the UI, with its column schema."""
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, "string", description=description)
            for name, description in DICTIONARY_COLUMNS.items()
        ]
    )
    records = [dg.TableRecord(row) for row in dictionary_records(list(EXPORTED_MARTS))]
    return dg.MetadataValue.table(records=records, schema=schema)


def write_export(
    folder: Path,
    publication: Publication,
    *,
    about: ReportInputs,
    checks: list[dict[str, object]],
    content_fingerprint: str | None = None,
    ledger_con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Path, dict[str, dict[str, object]]]:
    """Write the export folder whole or not at all: every file goes into a hidden folder
    beside it, manifest.json last, and the folder is renamed into place when complete. With
    `ledger_con`, the delivery's cells go into the publication ledger, pending before the
    rename and delivered after it (a crash in between is reconciled by the next run)."""
    partial = partial_folder(folder)
    partial.mkdir(parents=True)
    published = {n: (publication.tables[n], publication.masks[n]) for n in EXPORTED_MARTS}
    docs = table_docs()
    for name in WORKBOOK_NEWEST_VINTAGE_ONLY:
        description, columns = docs.get(name, ("", []))
        docs[name] = (description + NEWEST_VINTAGE_NOTE, columns)
    with side_process.start(
        write_workbook,
        partial / WORKBOOK,
        workbook_sheets(published),
        docs,
        SUPPRESSION_NOTE,
        about.labels,
    ) as workbook:
        for name, (frame, _) in published.items():
            write_csv_for_excel(frame, partial / f"{name}.csv")
            write_parquet(frame, partial / f"{name}.parquet")
        report = build_report({n: frame for n, (frame, _) in published.items()}, about)
        (partial / "report.html").write_text(report, "utf-8")
        workbook.result()  # its error, if any, is raised here: no manifest, no delivery
    tables = {
        name: {
            "rows": len(frame),
            **publication.suppressions[name],
            "files": [
                f"{name}.csv",
                f"{name}.parquet",
                f"{WORKBOOK} (sheet {name}"
                + (", newest vintage only)" if name in WORKBOOK_NEWEST_VINTAGE_ONLY else ")"),
            ],
        }
        for name, (frame, _) in published.items()
    }
    created_at = datetime.now().replace(microsecond=0)
    write_manifest(
        partial,
        created_at=created_at,
        run_id=about.run_id,
        inputs=about.inputs,
        tables=tables,
        checks=checks,
        content_fingerprint=content_fingerprint,
        disclosure_audit={
            **audit_figures(checks),
            "suppression_seconds": round(publication.seconds, 3),
        },
        disclosure_series=publication.series,
    )
    delivery = None
    if ledger_con is not None and publication.decisions is not None:
        delivery = ledger.record_delivery(
            ledger_con,
            run_id=about.run_id,
            folder=folder.name,
            created_at=created_at,
            cells=publication.decisions.cells,
            relations=publication.decisions.relations,
            terms=publication.decisions.terms,
            rules=publication.decisions.rules,
        )
    os.rename(partial, folder)
    if delivery is not None:
        ledger.mark_delivered(ledger_con, delivery)
    return folder, tables


def audit_figures(checks: list[dict[str, object]]) -> dict[str, object]:
    """The disclosure audit's figures, as its check reported them in this run."""
    for outcome in checks:
        if outcome["check"] == "disclosure_audit":
            return {"passed": outcome["passed"], **outcome["metadata"]}
    return {}

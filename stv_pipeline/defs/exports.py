"""STAR exports: the disclosure-controlled tables, their audit, and the export folder
data/exports/<YYYY-MM-DD>_<run id>/ (written by stv_pipeline/exports/delivery.py)."""

import time

import dagster as dg

from stv_pipeline.defs.resources import DeliveryResource, warehouse_connection
from stv_pipeline.exports import ledger, rebuild
from stv_pipeline.exports.cells import DisclosureRules, TableDeclaration, declarations
from stv_pipeline.exports.delivery import (
    NothingToDeliver,
    nothing_to_deliver,
    read_disclosure_inputs,
    write_export,
)
from stv_pipeline.exports.dictionary import (
    DICTIONARY_COLUMNS,
    dictionary_records,
    exported_marts,
)
from stv_pipeline.exports.disclosure import (
    MartCells,
    Publication,
    audit_publication,
    mart_cells,
    suppress_export,
)
from stv_pipeline.exports.folders import content_fingerprint, unchanged_since
from stv_pipeline.exports.labels import read_labels
from stv_pipeline.exports.manifest import input_files, read_manifest
from stv_pipeline.exports.report import ReportInputs
from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.inbox import data_rows
from stv_pipeline.outcomes import ExportWritten, TablesSuppressed
from stv_pipeline.quality.check_results import PUBLISHED_DESCRIPTION
from stv_pipeline.settings import Settings


def is_sample(inputs: list[dict[str, object]]) -> bool:
    """The figures come from the shipped sample: files loaded from data/sample (origin
    'sample'; a warehouse never holds both the sample and deliveries)."""
    return any(i.get("origin") == "sample" for i in inputs)


def check_definition_da(spec: dg.AssetCheckSpec) -> str:
    """What a check checks, for the Danish report: its `description_da` metadata where it has
    one, else its description."""
    danish = (spec.metadata or {}).get("description_da")
    return str(getattr(danish, "value", danish) or spec.description or "")


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


def rejected_in_run(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """'<source>/<file>' of every file the ingestion steps of this run rejected."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
    ).records
    rejected = []
    for record in records:
        materialization = record.event_log_entry.dagster_event.event_specific_data.materialization
        files = materialization.metadata.get("rejected")
        if materialization.asset_key.path[0] == "raw" and files is not None:
            source = materialization.asset_key.path[-1]
            rejected += [f"{source}/{f['file']}" for f in files.value]
    return sorted(rejected)


@dg.asset_check(
    asset=dg.AssetKey(["raw", "file_log"]),
    name="something_to_deliver",
    additional_deps=[dg.AssetKey(["raw", source]) for source in CONTRACTS],
    description=(
        "ERROR when, after ingestion, the warehouse holds no rows of any source that becomes "
        "published figures (every file rejected, say): nothing is built and no export folder "
        "is written (DESIGN §5)."
    ),
    metadata={
        "description_da": (
            "Lageret indeholder efter indlæsningen ingen rækker fra kilder, der bliver til "
            "tal (fx fordi alle filer blev afvist): intet bygges, og ingen levering skrives."
        )
    },
    blocking=True,
    required_resource_keys={"warehouse"},
)
def something_to_deliver(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    with warehouse_connection(context.resources.warehouse) as con:
        rows = data_rows(con)
    why = nothing_to_deliver(rows, rejected_in_run(context.instance, context.run.run_id))
    return dg.AssetCheckResult(
        passed=why is None,
        severity=dg.AssetCheckSeverity.ERROR,
        description=why or f"{sum(rows.values())} rows to build the figures from",
        metadata={f"rows_{source}": dg.MetadataValue.int(n) for source, n in rows.items()},
    )


PUBLISHED_TABLES = dg.AssetKey(["exports", "published_tables"])
# The quality models are not exported, but their checks must run (and an ERROR pass) before
# anything is.
CHECKED_BEFORE_EXPORT = (
    dg.AssetKey(["quality", "register_vintage_history"]),
    dg.AssetKey(["quality", "register_snapshot_losses"]),
)


def disclosure_deps() -> list[dg.AssetKey]:
    """What published_tables waits for: every exported mart (`meta.export` in its .yml) and
    the quality models checked before the export."""
    return [*(dg.AssetKey(["marts", name]) for name in exported_marts()), *CHECKED_BEFORE_EXPORT]


DISCLOSURE_AUDIT = dg.AssetCheckSpec(
    name="disclosure_audit",
    asset=PUBLISHED_TABLES,
    description=(
        "ERROR: an intruder's linear program over every exported table and every relation "
        "between them (totals, windows, pools, revisions, shares, bounds) must leave each "
        "suppressed count an interval at least protection_width wide (DESIGN §4)."
    ),
    blocking=True,
)


def published_tables_asset() -> dg.AssetsDefinition:
    """published_tables, made with the definitions rather than on import: its dependencies
    come from dbt's manifest, which `stv run` parses anew first when the project changed."""
    return dg.asset(
        key=PUBLISHED_TABLES,
        group_name="exports",
        deps=disclosure_deps(),
        owners=["team:stv-data"],
        required_resource_keys={"warehouse", "delivery"},
        check_specs=[DISCLOSURE_AUDIT],
    )(published_tables)


def published_tables(context: dg.AssetExecutionContext):
    """The exported tables as STAR will receive them, disclosure-controlled as one system
    (DESIGN §4): counts of 1-4 persons and the figures computed from them are empty, and so are
    the complementary cells that keep them from being recovered through any relation between
    the tables. As the newest of the series of deliveries (the publication ledger): a cell
    delivered before keeps its decision, and every earlier delivery's figures are known to the
    intruder. Staged in this run's own hidden export folder, then audited as read back from
    there (the disclosure_audit check, in this step: it starts from the cells the suppression
    built from the same marts), before anything is written."""
    run_delivery: DeliveryResource = context.resources.delivery
    with warehouse_connection(context.resources.warehouse) as con:
        reconciled = ledger.reconcile(con, run_delivery.root)
        for folder in reconciled["removed"]:
            context.log.warning(
                f"Publication ledger: removed the rows of {folder}, whose folder was never "
                "put in place (the run writing it was stopped)"
            )
        frames, rules = read_disclosure_inputs(con)
        tables = declarations()
        missing = rebuild.missing_folders(con, run_delivery.root)
        for done in rebuild.rebuild(con, missing, frames, tables, rules):
            context.log.warning(
                f"Publication ledger: {done.folder}, which the ledger lacked, read back from "
                f"its files ({done.cells} cells, {done.suppressed} suppressed)"
            )
        cells = mart_cells(frames, tables, rules, ledger=con)
        publication = suppress_export(frames, tables, rules, ledger=con, cells=cells)
        for leftover in run_delivery.stage(publication):
            context.log.warning(f"Removed the unfinished export {leftover}")
        suppressed = TablesSuppressed(
            suppressions=publication.suppressions,
            series=publication.series,
            staged_in=str(run_delivery.folder),
            seconds=publication.seconds,
        )
        yield dg.MaterializeResult(metadata=suppressed.as_metadata())
        yield audit_result(
            frames,
            run_delivery.publication(),
            tables,
            rules,
            ledger_con=con,
            log=context.log,
            cells=cells,
        )


def audit_result(
    frames,
    publication: Publication,
    tables: dict[str, TableDeclaration],
    rules: DisclosureRules,
    ledger_con=None,
    log=None,
    cells: MartCells | None = None,
) -> dg.AssetCheckResult:
    """The disclosure audit of a publication against the marts it was made from, and against
    every earlier delivery the ledger behind `ledger_con` records."""
    started = time.perf_counter()
    union, result = audit_publication(
        frames, publication, tables, rules, ledger=ledger_con, cells=cells
    )
    exposed = union.describe(result)
    for line in exposed:
        if log is not None:
            log.error(f"disclosure audit: suppressed cell recoverable: {line}")
    figures = result.figures()
    return dg.AssetCheckResult(
        check_name=DISCLOSURE_AUDIT.name,
        asset_key=PUBLISHED_TABLES,
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


@dg.asset(
    key=dg.AssetKey(["exports", "star_export"]),
    group_name="exports",
    deps=[PUBLISHED_TABLES],
    kinds={"csv", "parquet"},
    owners=["team:stv-data"],
    # Last among the steps ready with it, so the non-blocking (WARN) checks have run and
    # manifest.json lists their outcomes.
    op_tags={"dagster/priority": "-1"},
    required_resource_keys={"warehouse", "settings", "delivery"},
)
def star_export(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The tables STAR receives, written for this run to `data/exports/<YYYY-MM-DD>_<run id>/`:
    each metric table of DESIGN §3.1-3.6 as CSV for Danish Excel (UTF-8 with BOM, semicolon,
    decimal comma) and as typed Parquet, the workbook, the report and manifest.json, as
    published_tables staged them in this run after the disclosure audit passed. The folder is
    written under a hidden name beside its place and renamed into place when complete
    (manifest.json last), so a folder with a normal name is always a whole delivery. Not
    written when an ERROR check failed, when every table is empty, nor when the tables and
    check outcomes equal the newest export's (unless `stv run --force-export`)."""
    settings: Settings = context.resources.settings
    run_delivery: DeliveryResource = context.resources.delivery
    publication = run_delivery.publication()
    with warehouse_connection(context.resources.warehouse) as con:
        inputs = input_files(con)
        labels = read_labels(con)
    checks = check_outcomes(context)
    fingerprint = content_fingerprint(publication.tables, checks)
    same = None if settings.force_export else unchanged_since(settings.exports, fingerprint)
    if same is not None:
        run_delivery.discard()
        context.log.info(f"Tables and check outcomes equal the newest export {same}: not written")
        written = ExportWritten(
            folder=str(same),
            tables=read_manifest(same).get("tables", {}),
            unchanged=True,
            content_fingerprint=fingerprint,
        )
        return dg.MaterializeResult(metadata=written.as_metadata())
    graph = context.job_def.asset_layer.asset_graph
    definitions = {
        (key.asset_key.to_user_string(), key.name): check_definition_da(graph.get_check_spec(key))
        for key in graph.asset_check_keys
    }
    about = ReportInputs(
        run_id=context.run_id,
        labels=labels,
        inputs=inputs,
        checks=[{**c, "definition": definitions.get((c["asset"], c["check"]), "")} for c in checks],
        from_sample=is_sample(inputs),
    )
    try:
        with warehouse_connection(context.resources.warehouse) as con:
            folder, tables = write_export(
                run_delivery.folder,
                publication,
                about=about,
                checks=checks,
                content_fingerprint=fingerprint,
                ledger_con=con,
            )
    except NothingToDeliver as exc:
        raise dg.Failure(f"Nothing to deliver: {exc}") from None
    context.log.info(f"STAR export written to {folder}")
    written = ExportWritten(
        folder=str(folder), tables=tables, unchanged=False, content_fingerprint=fingerprint
    )
    return dg.MaterializeResult(
        metadata={**written.as_metadata(), "data_dictionary": data_dictionary()}
    )


def data_dictionary() -> dg.MetadataValue:
    """The workbook's data dictionary as a table in the UI, with its column schema."""
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, "string", description=description)
            for name, description in DICTIONARY_COLUMNS.items()
        ]
    )
    records = [dg.TableRecord(row) for row in dictionary_records(list(exported_marts()))]
    return dg.MetadataValue.table(records=records, schema=schema)

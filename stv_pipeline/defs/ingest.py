"""Ingestion assets: one per DESIGN §2 source, loading `raw.<source>` from the inbox.

Each reads only the inbox the run was given (a missing one fails the step, naming it); the
shipped sample loads only when the inbox is data/sample itself. Files that break their contract
go to quarantine with a report; the others load.
"""

import json
from pathlib import Path

import dagster as dg

from stv_pipeline.defs.engine import copy_raw_for_spark
from stv_pipeline.defs.resources import warehouse_connection
from stv_pipeline.ingest.contracts import CONTRACTS, Contract, Problem
from stv_pipeline.ingest.inbox import (
    InboxMissing,
    MixedOrigins,
    held_origins,
    origin_of,
    refuse_mixing,
)
from stv_pipeline.ingest.loader import discover_files, load_source
from stv_pipeline.ingest.privacy import PseudonymKeyMissing
from stv_pipeline.ingest.register_store import RegisterFilesMissing
from stv_pipeline.outcomes import FILE_OUTCOMES, SourceLoaded
from stv_pipeline.quality.check_results import PUBLISHED_DESCRIPTION
from stv_pipeline.settings import Settings
from stv_pipeline.vocabulary import Vocabulary, read_vocabulary


def column_schema(contract: Contract) -> dg.TableSchema:
    """The raw table's columns as the UI shows them, from the contract itself."""
    columns = [
        dg.TableColumn(
            c.name,
            c.sql_type,
            description=f"{c.expected}"
            + (f" (delivered as {' / '.join(c.aliases)})" if c.aliases else ""),
        )
        for c in contract.output_columns
    ]
    meta = [
        dg.TableColumn("_file_name", "varchar", description="the delivered file"),
        dg.TableColumn("_file_sha256", "varchar", description="SHA-256 of that file"),
        dg.TableColumn("_loaded_at", "timestamp", description="when it was loaded"),
    ]
    return dg.TableSchema(columns=[*columns, *meta])


def _ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["raw", contract.source]),
        group_name="ingest",
        description=contract.description,
        kinds={"duckdb", "python"},
        owners=["team:stv-data"],
        metadata={
            "dagster/column_schema": column_schema(contract),
            "dagster/table_name": f"raw.{contract.source}",
        },
        required_resource_keys={"warehouse", "settings"},
    )
    def _load(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings: Settings = context.resources.settings
        if not settings.inbox.is_dir():
            raise dg.Failure(str(InboxMissing(settings.inbox)))
        origin, folder = origin_of(settings.inbox), settings.inbox / contract.source
        with warehouse_connection(context.resources.warehouse) as con:
            if discover_files(folder):
                try:
                    refuse_mixing(settings.warehouse, origin, held_origins(con))
                except MixedOrigins as exc:
                    raise dg.Failure(str(exc)) from None
            try:
                outcomes = load_source(
                    con,
                    contract,
                    folder,
                    origin=origin,
                    quarantine_dir=settings.quarantine,
                    pseudonym_key=settings.pseudonym_key,
                    log=context.log.info,
                )
            except (PseudonymKeyMissing, RegisterFilesMissing) as exc:
                raise dg.Failure(str(exc)) from None
            copy_raw_for_spark(con, settings, contract)
            total_rows = con.execute(f"select count(*) from raw.{contract.source}").fetchone()[0]
        for outcome in outcomes:
            if outcome.status == "rejected":
                context.log.warning(outcome.summary())
        by_status = {s: [o for o in outcomes if o.status == s] for s in FILE_OUTCOMES}
        loaded = SourceLoaded(
            origin=origin,
            folder=str(folder),
            files={s: len(files) for s, files in by_status.items()},
            rows_loaded=sum(o.rows for o in by_status["loaded"]),
            rows_in_table=int(total_rows),
            rejected=[
                {"file": o.file_name, "problems": o.total_problems, "report": o.report}
                for o in by_status["rejected"]
            ],
        )
        return dg.MaterializeResult(metadata=loaded.as_metadata())

    return _load


def quarantined_files(quarantine: Path, source: str) -> list[dict[str, object]]:
    """The rejected files waiting in quarantine/<source>/, with their reports' first problem."""
    found = []
    for path in discover_files(quarantine / source):
        report_path = path.with_name(path.name + ".report.json")
        report = json.loads(report_path.read_text("utf-8")) if report_path.exists() else {}
        problems = report.get("problems") or [{}]
        found.append(
            {
                "file": path.name,
                "rejected_at": report.get("rejected_at"),
                "problems": report.get("total_problems"),
                "first_problem": Problem(**problems[0]).describe() if problems[0] else None,
                "report": str(report_path),
            }
        )
    return found


def _quarantine_check(contract: Contract, vocabulary: Vocabulary) -> dg.AssetChecksDefinition:
    source_da = vocabulary.text("source", contract.source)
    danish = {
        "title_da": f"Filer i karantæne: {source_da}",
        "description_da": (
            f"Filer leveret til {source_da} brød deres kontrakt og venter i karantæne; de er "
            "ikke indlæst. Ret filen, lever den igen, og slet den fra karantænemappen."
        ),
    }

    @dg.asset_check(
        asset=dg.AssetKey(["raw", contract.source]),
        name="no_quarantined_files",
        description=(
            f"WARN while files delivered for {contract.source} wait in quarantine: each broke "
            "its contract and was not loaded. Fix and re-deliver the file, then delete it from "
            "the quarantine folder."
        ),
        metadata=danish,
        required_resource_keys={"settings"},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        settings: Settings = context.resources.settings
        files = quarantined_files(settings.quarantine, contract.source)
        return dg.AssetCheckResult(
            passed=not files,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(files)} file(s) in {settings.quarantine / contract.source}: "
                + "; ".join(f"{f['file']}: {f['first_problem']}" for f in files)
                if files
                else "no file of this source is in quarantine"
            ),
            metadata={
                "quarantined_files": dg.MetadataValue.int(len(files)),
                "files": dg.MetadataValue.json(files),
                # the export names the files, not their rows' values
                PUBLISHED_DESCRIPTION: dg.MetadataValue.text(
                    vocabulary.text(
                        "check",
                        "quarantined",
                        files=vocabulary.counted(len(files), "file", "files"),
                        names=", ".join(f["file"] for f in files),
                    )
                    if files
                    else "ingen filer i karantæne"
                ),
                **{k: dg.MetadataValue.text(v) for k, v in danish.items()},
            },
        )

    return _check


def quarantine_checks() -> list[dg.AssetChecksDefinition]:
    vocabulary = read_vocabulary()
    return [_quarantine_check(contract, vocabulary) for contract in CONTRACTS.values()]


def file_log_spec() -> dg.AssetSpec:
    """raw.file_log is written by every loader in the same transaction as the file's rows;
    it is declared here so the UI shows where it comes from."""
    return dg.AssetSpec(
        key=dg.AssetKey(["raw", "file_log"]),
        description=(
            "One row per file loaded by the ingestion assets: source, file name, SHA-256 of the "
            "content (a file's identity: the same content is never loaded twice), origin "
            "('sample' for a file read from the shipped sample folder data/sample, else 'inbox'), "
            "rows, extract date and load time."
        ),
        group_name="ingest",
        deps=[dg.AssetKey(["raw", source]) for source in CONTRACTS],
        kinds={"duckdb"},
    )


def ingest_assets() -> list[dg.AssetsDefinition | dg.AssetSpec]:
    return [*(_ingest_asset(contract) for contract in CONTRACTS.values()), file_log_spec()]

"""Run the full job in-process and report progress and outcome on the terminal (DESIGN §5)."""

from __future__ import annotations

import os

import dagster as dg

from stv_pipeline.definitions import build_definitions
from stv_pipeline.settings import Settings

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _instance() -> dg.DagsterInstance:
    # With DAGSTER_HOME set, the run is recorded where `dagster dev` shows it.
    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


def run_full_job(settings: Settings) -> int:
    """Materialise every asset and check; print the export folder. Returns the exit code."""
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def("stv_full_job")
    print(f"STV run: warehouse {settings.warehouse}, inbox {settings.inbox}", flush=True)
    with _instance() as instance:
        result = job.execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False
        )
    return report(result)


def report(result: dg.ExecuteInProcessResult) -> int:
    materialised = result.get_asset_materialization_events()
    checks = result.get_asset_check_evaluations()
    failed_errors = [
        c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
    ]
    failed_warnings = [
        c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.WARN
    ]
    print(
        f"\nMaterialised {len(materialised)} assets; ran {len(checks)} checks "
        f"({len(failed_errors)} ERROR, {len(failed_warnings)} WARN failed)."
    )
    for c in failed_errors + failed_warnings:
        print(
            f"  check {c.asset_key.to_user_string()}:{c.check_name} failed "
            f"({c.severity.value}): {c.description or ''}"
        )
    folder = next(
        (
            e.materialization.metadata["export_folder"].value
            for e in materialised
            if e.asset_key == dg.AssetKey(["exports", "star_export"])
        ),
        None,
    )
    if failed_errors:
        print(
            f"Run {result.run_id}: no export written - the ERROR check(s) above failed, so "
            "STAR receives nothing from this run."
        )
        return 1
    if not result.success or folder is None:
        print(f"Run {result.run_id} FAILED; see the log above.")
        return 1
    print(f"Run {result.run_id} succeeded.\nExports: {folder}")
    return 0

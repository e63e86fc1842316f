"""The Dagster code location of the STV pipeline (the one entry point, see workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from stv_pipeline.defs.dbt import build_dbt_assets
from stv_pipeline.defs.exports import (
    published_tables_asset,
    something_to_deliver,
    star_export,
)
from stv_pipeline.defs.ingest import ingest_assets, quarantine_checks
from stv_pipeline.defs.jobindsats import jobindsats_tables_mapped
from stv_pipeline.defs.jobs import stv_full_job
from stv_pipeline.defs.quality import gx_asset_checks
from stv_pipeline.defs.resources import build_resources, dbt_project
from stv_pipeline.defs.schedules import build_inbox_sensor, stv_nightly
from stv_pipeline.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    project = dbt_project()
    return dg.Definitions(
        assets=[
            *ingest_assets(),
            *build_dbt_assets(project, settings),
            published_tables_asset(),
            star_export,
        ],
        asset_checks=[
            *gx_asset_checks(),
            *quarantine_checks(),
            jobindsats_tables_mapped,
            something_to_deliver,
        ],
        jobs=[stv_full_job],
        schedules=[stv_nightly],
        sensors=[build_inbox_sensor(settings)],
        resources={**build_resources(settings, project), "settings": settings},
        # Every run - `stv run`, the schedule, the sensor, the UI's Materialize - executes its
        # steps in the run's own process: a process per step would pay the imports and
        # definitions again for each of ~20 steps, and the run holds its warehouse from its
        # first step to its last (defs/resources.py WarehouseResource).
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())

"""dbt assets: reference seeds, then staging, intermediate and mart models with their tests.

Seeds are a separate asset definition because the loaders validate codes against them: the
lineage runs reference seeds → ingestion → staging → marts without a cycle. dbt tests surface
as Dagster asset checks on the model they test.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from stv_pipeline.defs.resources import WAREHOUSE_POOL, wait_for_free_warehouse
from stv_pipeline.settings import DBT_PROJECT_DIR

GROUP_BY_SCHEMA = {
    "reference": "reference",
    "staging": "staging",
    "intermediate": "staging",
    "marts": "marts",
    "quality": "quality",
}


class StvDbtTranslator(DagsterDbtTranslator):
    """Asset keys follow the warehouse: <schema>/<table>, e.g. marts/success_criteria_monthly."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP_BY_SCHEMA.get(dbt_resource_props.get("schema", ""), "staging")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:stv-data"]


def _target(name: str) -> Path:
    # A fixed target folder per asset keeps dbt's partial parse between runs and stops every
    # run leaving a folder behind; runs never overlap, as all dbt steps share one pool slot.
    return DBT_PROJECT_DIR / "target" / f"dagster_{name}"


def build_dbt_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    translator = StvDbtTranslator()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select="resource_type:seed",
        name="reference_seeds",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def reference_seeds(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
    ):
        """Reference data analysts edit as CSV in dbt/seeds (DESIGN §2.6)."""
        wait_for_free_warehouse(warehouse)
        yield from dbt.cli(["build"], context=context, target_path=_target("seeds")).stream()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude="resource_type:seed",
        name="stv_dbt_models",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def stv_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
    ):
        """Staging, intermediate and mart models; `dbt build` runs unit and data tests too."""
        wait_for_free_warehouse(warehouse)
        yield from dbt.cli(["build"], context=context, target_path=_target("models")).stream()

    return [reference_seeds, stv_dbt_models]

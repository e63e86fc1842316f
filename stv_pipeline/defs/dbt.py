"""dbt assets: the reference seeds, staging, intermediate and mart models with their tests, in
one `dbt build` after ingestion (one dbt process per run).

The loaders check codes against the seed CSVs themselves (ingest/macros.py `seed`), so the
seeds need not be built before them: the lineage runs inbox → raw → seeds and staging →
intermediate → marts → exports. dbt tests surface as Dagster asset checks on the model they test.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from stv_pipeline import dbt_manifest
from stv_pipeline.defs.engine import (
    dbt_target_args,
    expose_spark_tables,
    spark_warehouse_folder,
)
from stv_pipeline.defs.resources import wait_for_free_warehouse, warehouse_connection
from stv_pipeline.quality.dbt_test_descriptions import dbt_test_description
from stv_pipeline.quality.suites import prepare_gx_context
from stv_pipeline.settings import Settings

# The one dbt multi-asset: its step's name, and its folder in Settings.dbt_state.
DBT_ASSETS_NAME = "stv_dbt_models"
GROUP_BY_SCHEMA = {
    "reference": "reference",
    "staging": "staging",
    "intermediate": "intermediate",
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

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """A seed's columns with their types (its config.column_types) beside their meanings,
        so the UI shows the seeds analysts edit (evaluation_settings, say) as tables."""
        metadata = dict(super().get_metadata(dbt_resource_props))
        types = (dbt_resource_props.get("config") or {}).get("column_types") or {}
        if dbt_resource_props["resource_type"] == "seed" and types:
            schema = metadata.get("dagster/column_schema")
            described = {c.name: c.description for c in schema.columns} if schema else {}
            metadata["dagster/column_schema"] = dg.TableSchema(
                columns=[
                    dg.TableColumn(name, type_, description=described.get(name))
                    for name, type_ in types.items()
                ]
            )
        return metadata

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt's check, described in words from the test and its arguments."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=dbt_test_description(manifest["nodes"][unique_id], asset_spec.key.path[-1]),
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


def with_row_counts(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, events: Iterator
) -> Iterator:
    """dbt's events, each table's materialisation with its dagster/row_count for the UI.
    Counted once dbt has finished: while it runs, its process holds the warehouse's lock
    (dagster-dbt's own fetch_row_counts queries alongside it and fails)."""
    held = list(events)
    tables = {
        output.output_name: context.asset_key_for_output(output.output_name).path
        for output in held
        if isinstance(output, dg.Output)
    }
    with warehouse_connection(warehouse) as con:
        existing = set(
            con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        )
        counts = {
            name: con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            for name, (schema, table) in tables.items()
            if (schema, table) in existing
        }
    for event in held:
        if isinstance(event, dg.Output) and event.output_name in counts:
            event = event.with_metadata(
                {
                    **event.metadata,
                    "dagster/row_count": dg.MetadataValue.int(counts[event.output_name]),
                }
            )
        yield event


def then_read_spark_tables(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBResource,
    settings: Settings,
    events: Iterator,
) -> Iterator:
    """dbt's events on Spark (STV_ENGINE=spark); once dbt has finished, the tables Spark wrote
    replace the built tables in DuckDB as views over its Parquet files, for checks and exports."""
    yield from events
    with warehouse_connection(warehouse) as con:
        exposed = expose_spark_tables(con, spark_warehouse_folder(settings))
    context.log.info(f"{exposed} tables built on Spark, read from its Parquet files")


def _dbt_build(
    project: DbtProject, name: str, settings: Settings, **selection: str
) -> dg.AssetsDefinition:
    """One `dbt build` over a part of the project, as a Dagster multi-asset, on the engine
    the settings name."""

    @dbt_assets(
        # Without project=: it would be stored as metadata the UI shows as "(unserializable)".
        manifest=dbt_manifest.read(project.manifest_path),
        name=name,
        dagster_dbt_translator=StvDbtTranslator(),
        **selection,
    )
    def _assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
        wait_for_free_warehouse(warehouse)
        # The GX checks come after the build. Importing GX is seconds of Python, which holds
        # this process's interpreter: begun now it overlaps a step this process only waits
        # on (dbt builds in a process of its own), where begun earlier it slowed the loads.
        prepare_gx_context()
        # A fixed target folder per warehouse keeps dbt's partial parse between runs and
        # leaves no folder per run behind; runs never overlap, as a run holds its warehouse
        # (WarehouseResource). Its first run copies `make manifest`'s parse (dbt/target).
        events = dbt.cli(
            ["build", *dbt_target_args(settings)],
            context=context,
            target_path=settings.dbt_state / name,
        ).stream()
        if settings.engine == "spark":
            events = then_read_spark_tables(context, warehouse, settings, events)
        yield from with_row_counts(context, warehouse, events)

    return _assets


def build_dbt_assets(project: DbtProject, settings: Settings) -> list[dg.AssetsDefinition]:
    # Unit tests test the SQL, not the data: CI runs them (tests/integration), runs do not.
    return [_dbt_build(project, DBT_ASSETS_NAME, settings, exclude="resource_type:unit_test")]

"""dbt assets: reference seeds, then staging, intermediate and mart models with their tests.

Seeds are a separate asset definition because the loaders validate codes against them: the
lineage runs reference seeds → ingestion → staging → marts without a cycle. dbt tests surface
as Dagster asset checks on the model they test.
"""

import hashlib
import subprocess
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from stv_pipeline.defs.engine import (
    dbt_target_args,
    expose_spark_tables,
    spark_warehouse_folder,
)
from stv_pipeline.defs.resources import (
    WAREHOUSE_POOL,
    dbt_executable,
    wait_for_free_warehouse,
    warehouse_connection,
)
from stv_pipeline.settings import DBT_PROJECT_DIR, Settings

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


SEED_LOG_DDL = """
create table if not exists raw.reference_seed_log (
    sha256 varchar not null,
    loaded_at timestamp not null
)
"""


def seed_files_sha256() -> str:
    """One hash over the seed files and the project file that types their columns."""
    digest = hashlib.sha256()
    for path in sorted((DBT_PROJECT_DIR / "seeds").iterdir()) + [
        DBT_PROJECT_DIR / "dbt_project.yml"
    ]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _seeds_loaded(warehouse: DuckDBResource, sha256: str) -> bool:
    with warehouse_connection(warehouse) as con:
        con.execute("create schema if not exists raw")
        con.execute(SEED_LOG_DDL)
        last = con.execute(
            "select sha256 from raw.reference_seed_log order by loaded_at desc limit 1"
        ).fetchone()
        present = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'reference'"
        ).fetchone()[0]
    return bool(last) and last[0] == sha256 and present > 0


def _build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource, target
) -> Iterator:
    yield from dbt.cli(["build"], context=context, target_path=target).stream()


def seed_spark(target_args: list[str], target: Path) -> None:
    """`dbt seed` on Spark, apart from this asset's build (which selects the models only)."""
    result = subprocess.run(
        [
            dbt_executable(),
            "seed",
            *target_args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise dg.Failure("dbt seed on Spark failed:\n" + result.stdout[-3000:])


def _build_on_spark(settings: Settings):
    """The models' build on Spark (STV_ENGINE=spark): Spark gets its own copy of the seeds (the
    loaders validate against the DuckDB copy), dbt builds on the `spark` target, and the tables
    Spark wrote then replace the built tables in DuckDB as views over its Parquet files."""

    def build(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource, target
    ) -> Iterator:
        target_args = dbt_target_args(settings)
        seed_spark(target_args, target)
        yield from dbt.cli(["build", *target_args], context=context, target_path=target).stream()
        with warehouse_connection(warehouse) as con:
            exposed = expose_spark_tables(con, spark_warehouse_folder(settings))
        context.log.info(f"{exposed} tables built on Spark, read from its Parquet files")

    return build


def _build_seeds_unless_loaded(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource, target
) -> Iterator:
    """`dbt build` of the seeds costs a dbt start (about 10 s) for a second of work, and a
    nightly run nearly never changes them: when the warehouse holds exactly these seed files,
    the step reports them unchanged instead (their tests passed when they were loaded)."""
    sha256 = seed_files_sha256()
    if _seeds_loaded(warehouse, sha256):
        context.log.info(f"reference seeds unchanged (sha256 {sha256[:12]}): dbt not run")
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(
                asset_key=key, metadata={"seed_files_sha256": sha256, "reloaded": False}
            )
        return
    yield from _build(context, dbt, warehouse, target)
    with warehouse_connection(warehouse) as con:
        con.execute("insert into raw.reference_seed_log values (?, ?)", [sha256, datetime.now()])


def _dbt_build(
    project: DbtProject, name: str, build=_build, **selection: str
) -> dg.AssetsDefinition:
    """One `dbt build` over a part of the project, as a Dagster multi-asset; `build` runs it."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=name,
        dagster_dbt_translator=StvDbtTranslator(),
        pool=WAREHOUSE_POOL,
        **selection,
    )
    def _assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
        wait_for_free_warehouse(warehouse)
        # A fixed target folder per asset keeps dbt's partial parse between runs and leaves no
        # folder per run behind; runs never overlap, as all dbt steps share one pool slot.
        target = DBT_PROJECT_DIR / "target" / f"dagster_{name}"
        yield from build(context, dbt, warehouse, target)

    return _assets


def build_dbt_assets(project: DbtProject, settings: Settings) -> list[dg.AssetsDefinition]:
    # Seeds build first and apart: the loaders validate codes against them.
    return [
        _dbt_build(
            project, "reference_seeds", _build_seeds_unless_loaded, select="resource_type:seed"
        ),
        # Unit tests test the SQL, not the data: CI runs them (tests/integration), runs do not.
        _dbt_build(
            project,
            "stv_dbt_models",
            _build_on_spark(settings) if settings.engine == "spark" else _build,
            exclude="resource_type:seed resource_type:unit_test",
        ),
    ]

"""The dbt resource reads dbt's version from the package instead of running `dbt --version`."""

import re
import subprocess

from stv_pipeline.defs.resources import dbt_executable
from stv_pipeline.framework_internals import StvDbtCliResource
from stv_pipeline.settings import DBT_PROJECT_DIR


def test_the_version_is_that_of_the_dbt_executable_the_runs_use():
    resource = StvDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
    printed = subprocess.run(
        [dbt_executable(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert str(resource._cli_version) == re.search(r"(\d+\.\d+\.\d+)", printed).group(1)


def test_the_manifest_is_stale_when_missing_or_older_than_a_model(tmp_path):
    import os

    from stv_pipeline.defs.resources import manifest_is_stale

    model = tmp_path / "models" / "marts" / "m.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select 1")
    manifest = tmp_path / "target" / "manifest.json"
    assert manifest_is_stale(manifest, tmp_path)
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1_000_000, 1_000_000))
    os.utime(manifest, (2_000_000, 2_000_000))
    assert not manifest_is_stale(manifest, tmp_path)
    os.utime(model, (3_000_000, 3_000_000))  # a pulled or edited model
    assert manifest_is_stale(manifest, tmp_path)


def test_no_dbt_adapter_is_opened_in_the_dagster_process():
    """dagster-dbt's hook is overridden (a rename upstream would make the override dead code
    and cost a second a run again), and a dbt invocation carries no adapter."""
    from dagster_dbt import DbtCliResource

    assert callable(getattr(DbtCliResource, "_initialize_dbt_core_adapter", None))
    resource = StvDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    invocation = resource.cli(["--version"], manifest=DBT_PROJECT_DIR / "target" / "manifest.json")
    invocation.wait()
    assert invocation.adapter is None

"""The dbt resource reads dbt's version from the package instead of running `dbt --version`."""

import re
import subprocess

from stv_pipeline.defs.resources import StvDbtCliResource, dbt_executable
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

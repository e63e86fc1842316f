"""A run on a new warehouse path reuses dbt's parse of the project (issue 24): the path is no
part of dbt's profile, whose connection settings dbt hashes to decide whether a parse holds."""

import json
import os
import subprocess

import pytest

from stv_pipeline.defs.resources import dbt_executable
from stv_pipeline.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration


def parse(target, warehouse) -> set[str]:
    """`dbt parse` for runs on `warehouse`; the names of the events dbt logged."""
    result = subprocess.run(
        [
            dbt_executable(), "--log-format", "json", "--log-level", "debug", "parse",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target),
        ],
        env={**os.environ, "STV_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    return {json.loads(line)["info"]["name"] for line in result.stdout.splitlines() if line}


def test_a_new_warehouse_path_keeps_the_parse(tmp_path):
    target = tmp_path / "target"
    parse(target, tmp_path / "a" / "stv.duckdb")
    events = parse(target, tmp_path / "b" / "other.duckdb")
    assert "PartialParsingSkipParsing" in events
    assert "UnableToPartialParse" not in events

"""Shared fixtures: a dbt manifest (the definitions need it) and temporary warehouses."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from stv_pipeline.settings import DBT_PROJECT_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Build dbt/target/manifest.json once per session if `make manifest` has not."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        subprocess.run(
            [
                str(Path(sys.executable).with_name("dbt")),
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
            ],
            check=True,
        )
    return manifest


@pytest.fixture
def reference_con(tmp_path) -> duckdb.DuckDBPyConnection:
    """A warehouse holding only the reference seeds the loaders validate against."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema reference")
    seeds = DBT_PROJECT_DIR / "seeds"
    for name in ("municipalities", "benefit_codes", "activation_codes", "target_groups"):
        con.execute(
            f"create table reference.{name} as select * from read_csv(?, header = true)",
            [str(seeds / f"{name}.csv")],
        )
    yield con
    con.close()

"""Shared fixtures: a dbt manifest (the definitions need it) and temporary warehouses."""

import os

import duckdb
import pytest

from stv_pipeline.defs.resources import ensure_dbt_manifest
from stv_pipeline.settings import DBT_PROJECT_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """The Dagster definitions read dbt's manifest: build it once if `make manifest` has not."""
    return ensure_dbt_manifest()


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

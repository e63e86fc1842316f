"""Shared fixtures: a dbt manifest (the definitions need it) and temporary warehouses."""

import os

import duckdb
import pytest

from stv_pipeline.defs.resources import ensure_dbt_manifest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """The Dagster definitions read dbt's manifest: build it once if `make manifest` has not."""
    return ensure_dbt_manifest()


@pytest.fixture
def reference_con(tmp_path) -> duckdb.DuckDBPyConnection:
    """An empty warehouse, as the loaders meet it on a first run: they read the reference codes
    from the seed CSVs (dbt/seeds), not from tables dbt builds later."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield con
    con.close()

"""dbt's unit tests, run here rather than in every production `dbt build`.

They test the SQL, not the data: the nightly build excludes them (they cost about 5 s a run),
and this test runs all of them, on a warehouse whose models are built empty (`--empty`) so
that dbt can read the column types of every input.
"""

import os
import re
import subprocess

import duckdb
import pytest

from stv_pipeline.defs.resources import dbt_executable
from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import ensure_raw_tables
from stv_pipeline.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for contract in CONTRACTS.values():
            ensure_raw_tables(con, contract)
        # a retired person-level model's table, left by an older version of the project
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_person_months as select 'p1' as person_id")
    result = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--empty",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
        ],
        env={**os.environ, "STV_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
    )
    unit_tests = re.findall(r"(PASS|FAIL \d+|ERROR) ([a-z_]+::[a-z_]+)", result.stdout)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(unit_tests) >= 19 and all(status == "PASS" for status, _ in unit_tests)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert "int_person_months" not in tables
    assert "int_benefit_person_months" in tables

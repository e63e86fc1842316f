"""A run's data tests check what the run built (issue 24): the person-level models built one
vintage at a time stamp their rows with the dbt invocation that built them, and their
uniqueness tests look at that invocation's rows; the vintages built before were checked then."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from stv_pipeline.settings import DBT_PROJECT_DIR
from tests.helpers import INBOX_SMALL, run_stv

pytestmark = pytest.mark.integration

MODEL = "intermediate.int_benefit_person_months"


def stamps(warehouse: Path) -> list[tuple[str, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select built_by_invocation, count(*) from {MODEL} group by all order by all"
        ).fetchall()


def dbt_test(warehouse: Path, target: Path, *more: str) -> subprocess.CompletedProcess:
    launcher = str(Path(sys.executable).with_name("stv-dbt"))
    return subprocess.run(
        [launcher, f"--warehouse={warehouse}", "test", "--select", "int_benefit_person_months",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), *more],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_vintage_is_checked_by_the_run_that_builds_it(tmp_path, monkeypatch):
    for var in ("STV_WAREHOUSE", "STV_INBOX", "STV_EXPORTS", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)
    inbox = tmp_path / "inbox"
    benefits = inbox / "register_benefits"
    benefits.mkdir(parents=True)
    newest, *older = sorted((INBOX_SMALL / "register_benefits").iterdir(), reverse=True)
    for path in older:
        (benefits / path.name).write_bytes(path.read_bytes())
    assert run_stv(tmp_path) == 0
    warehouse = tmp_path / "w.duckdb"
    ((first_run, rows_before),) = stamps(warehouse)
    assert len(first_run) == 36 and rows_before > 0  # a dbt invocation id

    # the next run builds the newest snapshot alone: the older one keeps its stamp
    (benefits / newest.name).write_bytes(newest.read_bytes())
    assert run_stv(tmp_path) == 0
    after = dict(stamps(warehouse))
    assert after.pop(first_run) == rows_before
    ((second_run, rows_new),) = after.items()
    assert second_run != first_run and rows_new > 0

    # a duplicate among rows an earlier invocation built is not looked at again by a run,
    # and found when every vintage is checked again
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"insert into {MODEL} select * replace ('an-earlier-invocation' as built_by_invocation)"
            f" from {MODEL} limit 1"
        )
    target = tmp_path / "dbt_target"
    assert dbt_test(warehouse, target).returncode == 0
    again = dbt_test(warehouse, target, "--vars", "{recheck_every_vintage: true}")
    assert again.returncode == 1
    assert "unique_combination_int_benefit_person_months" in again.stdout

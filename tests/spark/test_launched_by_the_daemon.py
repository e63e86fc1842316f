"""With the `spark` extra installed, a run the daemon launches works, on Apache Spark (issue 21).

The inbox sensor starts the run through the run queue and `dagster-daemon`, as the schedule and
the UI start runs: a run worker process that loads the code location and executes the job. With
pyspark installed, Great Expectations imported Spark Connect there, whose import ends a process
whose `__main__` has no file, so such runs died; `make test-spark` runs this in `.venv-spark`.
"""

from __future__ import annotations

import json
import os
import shutil

import dagster as dg
import pytest

from bench.launched_run import launch_and_wait
from stv_pipeline.settings import (
    ENV_ENGINE,
    ENV_EXPORTS,
    ENV_INBOX,
    ENV_SPARK_DIR,
    ENV_WAREHOUSE,
    PROJECT_ROOT,
)
from tests.helpers import INBOX_SMALL
from tests.processes import place_with_inbox

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a JVM (Java 17)"),
]


def test_a_run_the_sensor_launches_through_the_daemon_runs_on_spark(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STV_")}
    place = place_with_inbox(tmp_path / "warehouse", INBOX_SMALL)
    env |= {
        ENV_INBOX: str(place.inbox),
        ENV_WAREHOUSE: str(place.warehouse),
        ENV_EXPORTS: str(place.exports),
        ENV_ENGINE: "spark",
        ENV_SPARK_DIR: str(tmp_path / "spark_run_folder"),
    }
    run_id, succeeded, _ = launch_and_wait(home, env)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        failure = [
            r.event_log_entry.message
            for r in instance.get_records_for_run(
                run_id, of_type=dg.DagsterEventType.STEP_FAILURE
            ).records
        ]
    assert succeeded, failure
    assert run.tags["stv/trigger"] == "inbox" and "stv/pid" in run.tags
    [folder] = place.deliveries()
    manifest = json.loads((place.exports / folder / "manifest.json").read_text())
    assert manifest["run_id"] == run_id
    assert len(manifest["inputs"]) == 8
    assert manifest["tables"]["success_criteria_monthly"]["rows"] > 0
    # the marts were built by Spark: the DuckDB warehouse reads them as views over its Parquet
    assert any((tmp_path / "spark_run_folder" / "warehouse" / "marts.db").iterdir())

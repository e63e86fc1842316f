"""A full run launched by the inbox sensor, as the daemon launches runs (issue 13).

    python -m bench.launched_run DAGSTER_HOME

Starts `dagster-daemon` on the workspace with DAGSTER_HOME (the STV_* variables of the
environment choose inbox, warehouse and exports; the inbox must hold files the sensor has not
seen) and waits for the run the sensor starts to finish. The run goes through the run queue
like one from the schedule or the UI: the daemon picks it up and starts a run worker process,
which loads the code location and executes the steps with the job's executor. Prints the run
id and its seconds from creation to end (the daemon is always up in production, so its own
start is not counted).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stv_pipeline.settings import PROJECT_ROOT

RUN_SECONDS = 900


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _wait_for_run(instance, timeout: float):
    import dagster as dg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs()
        if len(runs) > 1:
            raise SystemExit(f"expected one run, the sensor's, but found {len(runs)}")
        if runs and runs[0].status in (
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED,
        ):
            return runs[0]
        time.sleep(0.5)
    raise SystemExit("the sensor's run did not finish in time")


def launch_and_wait(dagster_home: Path, environ: dict[str, str]) -> tuple[str, bool, float]:
    """(run id, succeeded, seconds from the run's creation to its end)."""
    import dagster as dg

    from bench.phases import RUN_FINISHED, run_events

    # the instance's storage is made here, before the daemon opens it: two processes making
    # it at once would break it
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        daemon = subprocess.Popen(
            [_bin("dagster-daemon"), "run", "-w", str(PROJECT_ROOT / "workspace.yaml")],
            env={**environ, "DAGSTER_HOME": str(dagster_home)},
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            run = _wait_for_run(instance, RUN_SECONDS)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
    _, events = run_events(dagster_home, run.run_id)
    created = min(e.timestamp for e in events)
    ended = max(e.timestamp for e in events if e.kind in RUN_FINISHED)
    return run.run_id, run.status == dg.DagsterRunStatus.SUCCESS, ended - created


def main(argv: list[str]) -> int:
    run_id, succeeded, seconds = launch_and_wait(Path(argv[0]), dict(os.environ))
    print(f"launched run {run_id}: {'success' if succeeded else 'FAILED'} in {seconds:.1f} s")
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

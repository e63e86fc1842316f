"""A full run launched the way the schedule, the sensor and the UI launch it (issue 13).

    python -m bench.launched_run DAGSTER_HOME

Starts `dagster-daemon` on the workspace with DAGSTER_HOME (the STV_* variables of the
environment choose inbox, warehouse and exports), waits until it is up, submits stv_full_job
to the run queue as the UI does (`dagster job launch`), and waits for the run to finish. The
daemon picks the run from the queue and starts a run worker process, which loads the code
location and executes the steps with the job's executor. Prints the run id and its seconds
from creation to end, which is what a sensor- or schedule-launched run costs (the daemon is
always up there, so its own start is not counted).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stv_pipeline.settings import PROJECT_ROOT

DAEMON_READY_SECONDS, RUN_SECONDS = 180, 900


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _wait_for_daemon(instance, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "QUEUED_RUN_COORDINATOR" in instance.get_daemon_heartbeats():
            return
        time.sleep(0.5)
    raise SystemExit("dagster-daemon did not start")


def _wait_for_run(instance, timeout: float):
    import dagster as dg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs(limit=1)
        if runs and runs[0].status in (
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED,
        ):
            return runs[0]
        time.sleep(0.5)
    raise SystemExit("the launched run did not finish in time")


def launch_and_wait(dagster_home: Path, environ: dict[str, str]) -> tuple[str, bool, float]:
    """(run id, succeeded, seconds from the run's creation to its end)."""
    import dagster as dg

    from bench.phases import RUN_FINISHED, run_events

    env = {**environ, "DAGSTER_HOME": str(dagster_home)}
    workspace = ["-w", str(PROJECT_ROOT / "workspace.yaml")]
    daemon = subprocess.Popen(
        [_bin("dagster-daemon"), "run", *workspace],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            _wait_for_daemon(instance, DAEMON_READY_SECONDS)
            subprocess.run(
                [_bin("dagster"), "job", "launch", *workspace, "-j", "stv_full_job"],
                env=env,
                cwd=PROJECT_ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            run = _wait_for_run(instance, RUN_SECONDS)
        _, events = run_events(dagster_home, run.run_id)
        created = min(e.timestamp for e in events)
        ended = max(e.timestamp for e in events if e.kind in RUN_FINISHED)
        return run.run_id, run.status == dg.DagsterRunStatus.SUCCESS, ended - created
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)


def main(argv: list[str]) -> int:
    run_id, succeeded, seconds = launch_and_wait(Path(argv[0]), dict(os.environ))
    print(f"launched run {run_id}: {'success' if succeeded else 'FAILED'} in {seconds:.1f} s")
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

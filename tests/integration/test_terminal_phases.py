"""A piped `stv run` (a nightly job's log) grows during the run: each phase's line reaches the
pipe when its phase ends, not all of them at the end."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.helpers import INBOX_SMALL

pytestmark = pytest.mark.integration

PHASES = ["Ingestion", "Reference data", "dbt", "Checks", "Disclosure control", "Export"]


def test_phase_lines_reach_a_pipe_as_the_phases_end(tmp_path):
    shutil.copytree(INBOX_SMALL, tmp_path / "inbox")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STV_")}
    env.pop("PYTHONUNBUFFERED", None)  # as a cron job's pipe: Python buffers what it does not flush
    command = [sys.executable, "-m", "stv_pipeline.cli", "run", "--no-record"]
    command += ["--inbox", str(tmp_path / "inbox"), "--warehouse", str(tmp_path / "w.duckdb")]
    command += ["--exports", str(tmp_path / "exports")]
    started = time.monotonic()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    ) as process:
        arrived = [(time.monotonic() - started, line.rstrip("\n")) for line in process.stdout]
        ended = time.monotonic() - started
    assert process.returncode == 0, arrived
    at = {line.split(":")[0]: t for t, line in arrived if line.split(":")[0] in PHASES}
    assert list(at) == PHASES
    # the phases' and the checks' lines (those naming a path are as long as the path)
    assert all(len(line) < 160 for _, line in arrived if "/" not in line), arrived
    # the ingestion's line came while dbt, the checks, disclosure control and the export still
    # had seconds of work before them; dbt's before the export's
    assert ended - at["Ingestion"] > 3, arrived
    assert at["Export"] - at["dbt"] > 0.5, arrived
    times = [at[p] for p in PHASES]
    assert times == sorted(times)

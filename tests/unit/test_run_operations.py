"""How runs live beside each other (stv_pipeline/operations): process identities, locks that die
with their holder, waiting for a warehouse, and a stop within seconds. Real processes only."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from stv_pipeline.operations import locks
from stv_pipeline.operations.processes import (
    ProcessIdentity,
    command_line,
    cpu_ticks,
    descendants,
    start_ticks,
)
from stv_pipeline.operations.warehouse import Holder, hold_warehouse, lock_file, waiting_message

PROJECT = Path(__file__).resolve().parents[2]


def python(code: str, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
        **popen,
    )


def test_a_process_is_known_by_its_pid_and_start_time():
    me = ProcessIdentity.of()
    assert me.pid == os.getpid() and me.started == start_ticks(os.getpid()) > 0
    assert me.is_alive()
    assert ProcessIdentity.from_tags(me.as_tags("stv/"), "stv/") == me
    assert ProcessIdentity.from_tags({"stv/pid": "1"}, "stv/") is None
    # the same PID started at another time is another process: the one recorded is gone
    assert not ProcessIdentity(me.pid, me.host, me.started + 1, me.boot).is_alive()
    # recorded before the machine restarted: gone, whatever runs under that PID now
    assert not ProcessIdentity(me.pid, me.host, me.started, "another boot").is_alive()
    # on another machine: nothing is known, so it counts as alive
    assert ProcessIdentity(me.pid, "elsewhere", me.started, me.boot).is_alive()


def test_a_dead_child_is_gone_even_before_it_is_reaped():
    child = subprocess.Popen(["sleep", "30"])
    identity = ProcessIdentity.of(child.pid)
    assert identity.is_alive() and child.pid in descendants(os.getpid())
    assert cpu_ticks(child.pid) >= 0
    assert command_line(child.pid) == "sleep 30"
    child.kill()
    time.sleep(0.2)  # a zombie until waited for
    assert not identity.is_alive()
    child.wait()
    assert not identity.is_alive()


HOLD_LOCK = """
    import sys, time
    from pathlib import Path
    from stv_pipeline.operations import locks
    assert locks.try_acquire(Path(sys.argv[1]))
    locks.write_note(Path(sys.argv[1]), {"pid": 0, "run_id": "held-by-child"})
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_lock_is_held_by_one_process_reentrantly_and_dies_with_it(tmp_path):
    path = tmp_path / "x.lock"
    holder = python(HOLD_LOCK, str(path))
    assert holder.stdout.readline() == "held\n"
    assert not locks.try_acquire(path)
    assert locks.read_note(path) == {"pid": 0, "run_id": "held-by-child"}
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    # no clean-up by anyone: the kernel released it with the process
    assert locks.try_acquire(path) and locks.try_acquire(path)
    locks.release(path)
    assert locks.is_held_here(path)
    locks.release(path)
    assert not locks.is_held_here(path)


def test_the_waiting_line_names_the_run_its_process_command_and_since_when():
    holder = Holder(
        pid=4242,
        command="stv run --inbox data/sample",
        since=datetime(2026, 12, 1, 2, 0, 5),
        run_id="1a2b3c4d-0000",
    )
    assert waiting_message(Path("/w/stv.duckdb"), holder, 0) == (
        "This run waits for run 1a2b3c4d (PID 4242, `stv run --inbox data/sample`) holding "
        "/w/stv.duckdb since 02:00:05."
    )
    assert waiting_message(Path("/w/stv.duckdb"), holder, 125) == (
        "This run still waits for run 1a2b3c4d (PID 4242, `stv run --inbox data/sample`) "
        "holding /w/stv.duckdb since 02:00:05 (waiting 2 min)."
    )
    assert Holder.from_note(None).describe() == "another process"


HOLD_WAREHOUSE = """
    import sys, time
    from pathlib import Path
    from stv_pipeline.operations.warehouse import hold_warehouse
    with hold_warehouse(Path(sys.argv[1]), run_id="feedc0de-1234"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
"""


def test_a_run_waits_for_the_warehouse_saying_whom_for_and_goes_on_when_it_is_free(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = python(HOLD_WAREHOUSE, str(warehouse), "1.5")
    assert holder.stdout.readline() == "held\n"
    note = json.loads(lock_file(warehouse).read_text())
    assert note["pid"] == holder.pid and note["run_id"] == "feedc0de-1234"
    said = []
    started = time.monotonic()
    with hold_warehouse(warehouse, run_id="beefcafe-5678", say=said.append, poll_seconds=0.1):
        waited = time.monotonic() - started
        assert json.loads(lock_file(warehouse).read_text())["run_id"] == "beefcafe-5678"
        # taken again by the same process (the run `stv run` executes): no wait
        with hold_warehouse(warehouse, run_id="beefcafe-5678", say=said.append):
            pass
        assert locks.is_held_here(lock_file(warehouse))
    assert not locks.is_held_here(lock_file(warehouse))
    holder.wait()
    assert 0.5 < waited < 10
    [line] = said
    assert line.startswith(f"This run waits for run feedc0de (PID {holder.pid}, `-c ")
    assert f"holding {warehouse} since " in line


STOPPABLE = """
    import subprocess, sys, time
    from stv_pipeline.operations.stopping import StopOnSignals, StopRequested
    child = subprocess.Popen(["sleep", "60"])
    said = False
    with StopOnSignals(lambda signum: f"stopped by {signum}"):
        # a step that does not let itself be interrupted (the signal may come while it says
        # its child's PID, too)
        while True:
            try:
                if not said:
                    said = True
                    print(child.pid, flush=True)
                time.sleep(60)
            except StopRequested:
                print("ignored", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_command_that_ignores_the_stop_is_ended_with_its_children_within_seconds(signum):
    process = python(STOPPABLE)
    child = int(process.stdout.readline())
    sent = time.monotonic()
    process.send_signal(signum)
    out, err = process.communicate(timeout=10)
    took = time.monotonic() - sent
    assert process.returncode == 128 + signum
    assert out == "ignored\n" and err == f"stopped by {signum}\n"
    assert took < 5
    time.sleep(0.1)
    assert start_ticks(child) is None  # killed with it (a zombie or gone)


def test_a_waiting_run_says_it_again_every_interval(tmp_path, monkeypatch):
    import stv_pipeline.operations.warehouse as warehouse_lock

    monkeypatch.setattr(warehouse_lock, "REPORT_EVERY_SECONDS", 0.5)
    warehouse = tmp_path / "w.duckdb"
    holder = python(HOLD_WAREHOUSE, str(warehouse), "1.8")
    assert holder.stdout.readline() == "held\n"
    said = []
    with hold_warehouse(warehouse, say=said.append, poll_seconds=0.05):
        pass
    holder.wait()
    assert said[0].startswith("This run waits for run feedc0de ")
    assert len(said) >= 3
    assert all(line.startswith("This run still waits for run feedc0de ") for line in said[1:])


def test_an_instance_broken_by_two_creators_says_how_to_make_a_new_one(tmp_path, monkeypatch):
    import sqlite3

    import dagster as dg

    from stv_pipeline.run import InstanceBroken, open_instance

    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with open_instance(ephemeral=False) as instance:
        assert isinstance(instance, dg.DagsterInstance)
    # what two processes creating it at once left: two heads in alembic's version table
    with sqlite3.connect(home / "history" / "runs.db") as con:
        con.execute("insert into alembic_version values ('5771160a95ad')")
    with pytest.raises(InstanceBroken) as broken:
        open_instance(ephemeral=False)
    assert str(broken.value).startswith(f"the Dagster instance in {home} is broken (")
    assert f"move {home} aside and run `make install`, which creates it anew" in str(broken.value)

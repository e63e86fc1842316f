"""The `stv` command line: version, help with defaults and environment, prune, and what the
terminal shows of a run's log records."""

import io
import json
import logging

import pytest

from stv_pipeline.cli import main, parser
from stv_pipeline.run import Progress


def test_version_names_the_package_and_the_commit(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("stv 0.1.0 (code ") and out.strip().endswith(")")


def test_run_help_gives_defaults_and_environment_variables():
    help_text = parser()._subparsers._group_actions[0].choices["run"].format_help()
    text = " ".join(help_text.split())  # argparse wraps to the terminal's width
    for expected in (
        "env STV_INBOX; default data/inbox",
        "env STV_WAREHOUSE; default data/warehouse/stv.duckdb",
        "env STV_EXPORTS; default data/exports",
        "--verbose",
        "--force-export",
        "STV_PSEUDONYM_KEY",
        "DAGSTER_HOME",
    ):
        assert expected in text, expected


def test_exports_prune_keeps_the_newest(tmp_path, capsys):
    for i, created in enumerate(
        ("2026-11-20T08:00:00", "2026-11-22T08:00:00", "2026-11-21T08:00:00")
    ):
        folder = tmp_path / f"2026-11-2{i}_run"
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"created_at": created}))
    assert main(["exports", "prune", "--keep", "1", "--exports", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["2026-11-21_run"]
    assert "2 export folder(s) removed" in capsys.readouterr().out


def record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("stv_run", level, __file__, 1, message, None, None)


def test_the_terminal_shows_warnings_once_and_not_the_noise_of_checks_that_did_not_run():
    out = io.StringIO()  # not a TTY: no bar, no ANSI codes
    with Progress(out, total=3) as progress:
        progress.on_record(record(logging.INFO, "stv_full_job - abc - step - loading files"))
        progress.on_record(
            record(
                logging.WARNING,
                "stv_full_job - abc - raw__x - The warehouse w.duckdb is locked by PID 42 "
                "(/usr/bin/duckdb) (attempt 1 of 6); next attempt at 15:00:20",
            )
        )
        progress.on_record(
            record(logging.WARNING, "Blocking asset check 'reference/x' emitted no result")
        )
        progress.on_record(record(logging.ERROR, "Dependencies for step y failed. Not executing."))
    assert out.getvalue() == (
        "  WARNING: The warehouse w.duckdb is locked by PID 42 (/usr/bin/duckdb) "
        "(attempt 1 of 6); next attempt at 15:00:20\n"
    )
    assert "\x1b[" not in out.getvalue()


def test_verbose_shows_everything():
    out = io.StringIO()
    with Progress(out, total=1, verbose=True) as progress:
        progress.on_record(record(logging.DEBUG, "dbt said something"))
    assert out.getvalue() == "dbt said something\n"


def test_a_locked_warehouse_is_reported_with_its_holder_then_given_up(tmp_path):
    """An analyst's DuckDB shell (here a Python process) holds the warehouse: the terminal says
    who at the first attempt, and the step fails at the limit, naming the holder."""
    import subprocess
    import sys

    import dagster as dg

    from stv_pipeline.defs.resources import WarehouseResource, warehouse_connection
    from stv_pipeline.run import _loggers

    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"

    @dg.op(required_resource_keys={"warehouse"})
    def load(context):
        with warehouse_connection(context.resources.warehouse):
            pass

    resource = WarehouseResource(database=str(warehouse), lock_wait_limit_seconds=2)

    @dg.job(resource_defs={"warehouse": resource})
    def locked():
        load()

    out, log = io.StringIO(), io.StringIO()
    try:
        with Progress(out, total=1) as progress:
            result = locked.with_logger_defs(_loggers(progress, log)).execute_in_process(
                run_config={"loggers": {"stv_run": {}}}, raise_on_error=False
            )
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    first, failed = out.getvalue().splitlines()
    assert (
        first.startswith(f"  WARNING: The warehouse {warehouse} is locked by PID {holder.pid} (")
        and ": this run waits for it since " in first
    )
    assert failed.startswith(
        f"  ERROR: load failed: The warehouse {warehouse} is still locked by PID {holder.pid} ("
    ) and failed.endswith("after 2 s of waiting: end that process (or wait for it) and run again")

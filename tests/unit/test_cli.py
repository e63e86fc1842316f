"""The `stv` command line: version, help with defaults and environment, prune, and what the
terminal shows of a run's log records."""

import io
import json
import logging

import dagster as dg
import pytest

from stv_pipeline.cli import main, parser
from stv_pipeline.outcomes import ExportWritten, SourceLoaded, TablesSuppressed
from stv_pipeline.progress import BAR_STYLE, Plan, Progress, failed_check_lines, fit


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
        first.startswith(f"  WARNING: Warehouse locked by PID {holder.pid} (")
        and ": this run waits for it since " in first
    )
    assert (
        failed.startswith(f"  ERROR: load failed: Warehouse still locked by PID {holder.pid} (")
        and "after 2 s of waiting: end that process (or wait for it) and run again" in failed
    )


def tiny_job():
    """A run in the user's phases: a loader (one file), a model, a check, disclosure control,
    the export. Each step writes down what the terminal showed when it began."""
    seen: dict[str, str] = {}

    def saw(name: str, context) -> None:
        seen[name] = context.resources.terminal.getvalue()

    @dg.asset(key=["raw", "register_benefits"], required_resource_keys={"terminal"})
    def load(context):
        saw("load", context)
        context.log.info("loaded benefits_2019-04-15.csv (register_benefits): 3 rows")
        loaded = SourceLoaded(
            "inbox", "/tmp/inbox", {"loaded": 1, "unchanged": 0, "rejected": 0}, 3, 3
        )
        return dg.MaterializeResult(metadata=loaded.as_metadata())

    @dg.asset(key=["marts", "success"], deps=[load], required_resource_keys={"terminal"})
    def model(context):
        saw("model", context)

    @dg.asset_check(asset=model, required_resource_keys={"terminal"})
    def consistent(context):
        saw("check", context)
        return dg.AssetCheckResult(passed=True)

    @dg.asset(
        key=["exports", "published_tables"], deps=[model], required_resource_keys={"terminal"}
    )
    def published(context):
        saw("published", context)
        suppressed = TablesSuppressed({"success": {"suppressed_cells": 4}})
        return dg.MaterializeResult(metadata=suppressed.as_metadata())

    @dg.asset(key=["exports", "star_export"], deps=[published], required_resource_keys={"terminal"})
    def export(context):
        saw("export", context)
        written = ExportWritten("/tmp/exports/x", {"success": {"suppressed_cells": 4}}, False)
        return dg.MaterializeResult(metadata=written.as_metadata())

    return [load, model, published, export], [consistent], seen


def run_tiny(out, inbox=None) -> tuple[Progress, dict[str, str]]:
    from stv_pipeline.run import _loggers

    assets, checks, seen = tiny_job()
    definitions = dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[dg.define_asset_job("tiny", selection=dg.AssetSelection.all())],
        resources={"terminal": dg.ResourceDefinition.hardcoded_resource(out)},
    )
    job = definitions.resolve_job_def("tiny")
    plan = Plan.of(job.asset_layer.asset_graph, inbox)
    with Progress(out, 0, plan=plan) as progress:
        result = job.with_logger_defs(_loggers(progress, io.StringIO())).execute_in_process(
            run_config={"loggers": {"stv_run": {}}}
        )
    assert result.success
    return progress, seen


def test_each_phase_line_is_printed_when_the_phase_ends():
    out = io.StringIO()  # a pipe: no bar
    progress, seen = run_tiny(out)
    lines = out.getvalue().splitlines()
    assert lines == [
        "Ingestion:          1 file loaded, 0 files rejected, 0 files unchanged "
        "(1 source: register_benefits 1)",
        "Reference data:     0 of 0 seeds loaded",
        "dbt:                1 of 1 model built, 0 of 0 tests passed",
        "Checks:             1 of 1 check passed",
        "Disclosure control: 4 cells suppressed in 1 table",
        "Export:             1 table as CSV and Parquet, workbook, report",
    ]
    # each phase's line was out before the next phase began
    # (the check may run before or after disclosure control: the lines keep the phases' order)
    assert seen["load"] == ""
    assert seen["model"].splitlines() == lines[:1]
    assert seen["published"].splitlines()[:3] == lines[:3]
    assert seen["export"].splitlines()[:3] == lines[:3]
    assert progress.printed == ["Ingestion", "dbt", "Checks", "Disclosure control", "Export"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_names_the_phase_ends_full_and_is_not_red(tmp_path):
    (tmp_path / "register_benefits").mkdir()
    (tmp_path / "register_benefits" / "benefits_2019-04-15.csv").write_text("x")
    progress, _ = run_tiny(Terminal(), tmp_path)
    [task] = progress._bar.tasks
    # a file, four assets, a check: all done
    assert task.total == 6 and task.completed == 6
    assert task.description == "Export"
    assert "red" not in " ".join(BAR_STYLE.values())


def test_a_failed_check_takes_three_lines_under_160_characters():
    evaluation = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["marts", "reconciliation"]),
        check_name="gx_reconciliation_gaps",
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description="gap_rel outside -10.0 % to 10.0 %\n51 rows in 5 municipalities: "
        + "Frederikshavn (813) 23, " * 10
        + "\ne.g. Frederikshavn (813): gap_rel -12.5 %\ne.g. another",
    )
    lines = failed_check_lines(evaluation)
    assert lines[0] == (
        "  WARN gx_reconciliation_gaps (marts/reconciliation): gap_rel outside -10.0 % to 10.0 %"
    )
    assert len(lines) == 3 and all(len(line) < 160 for line in lines)
    assert lines[1].endswith("…") and lines[2] == "      e.g. Frederikshavn (813): gap_rel -12.5 %"
    assert fit("x" * 200) == "x" * 158 + "…"


def test_stv_exports_alone_lists_its_commands(capsys):
    assert main(["exports"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: stv exports") and "prune" in err
    assert "exports_command" not in err


def test_help_names_every_environment_variable_the_pipeline_reads(capsys):
    import re

    from stv_pipeline import settings
    from stv_pipeline.settings import PROJECT_ROOT

    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    example = (PROJECT_ROOT / ".env.example").read_text("utf-8")
    names = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    names |= {v for k, v in vars(settings).items() if k.startswith("ENV_")}
    assert names >= {"STV_ENGINE", "STV_SPARK_DIR", "JOBINDSATS_TOKEN", "GX_ANALYTICS_ENABLED"}
    for name in names:
        assert re.search(rf"^  {name}\b", text, re.M), name


@pytest.mark.parametrize(
    ("arguments", "code", "printed"),
    [
        (["--version"], 0, "stv 0.1.0 (code "),
        (["bogus"], 2, "invalid choice: 'bogus'"),
        (["run", "--inbox", "/nonexistent/inbox"], 2, "the inbox folder /nonexistent/inbox"),
    ],
)
def test_the_command_exits_with_its_code_and_all_it_printed(arguments, code, printed):
    """`stv` ends without Python's shutdown (cli.console): its exit code and everything it
    printed, to a pipe (which Python buffers), still reach the caller."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [str(Path(sys.executable).with_name("stv")), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code
    assert printed in done.stdout + done.stderr
    assert "nanobind" not in done.stderr

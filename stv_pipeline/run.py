"""Run the full job in-process and report progress and outcome on the terminal (DESIGN §5).

The terminal gets one line per phase as it ends, the warnings and failures, and where things
went (progress.py); dbt's and Dagster's full logs go to a log file of the run (`--verbose`
shows them as they come).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

import dagster as dg

from stv_pipeline.definitions import build_definitions
from stv_pipeline.defs.resources import process_tags
from stv_pipeline.operations.locks import exclusively
from stv_pipeline.progress import Plan, Progress, report
from stv_pipeline.settings import PROJECT_ROOT, Settings

JOB = "stv_full_job"
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


# Held while a process opens the instance: the first to open it creates its storage, and two
# creating it at once leave it broken for good (two heads in alembic's version table).
INSTANCE_LOCK = ".stv-instance.lock"


class InstanceBroken(Exception):
    pass


def _with_project_settings(home: Path) -> None:
    """The project's dagster.yaml where the instance has none yet, as `make install` sets it."""
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text((PROJECT_ROOT / "dagster.yaml").read_text("utf-8"), "utf-8")


def open_instance(ephemeral: bool) -> dg.DagsterInstance:
    """The instance recording the run: DAGSTER_HOME, or the project's (what `dagster dev`
    shows). `make install` creates its storage; where it has not, the first run does, while
    the others wait for it."""
    if ephemeral:
        return dg.DagsterInstance.ephemeral()
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    with exclusively(home / INSTANCE_LOCK):
        _with_project_settings(home)
        os.environ["DAGSTER_HOME"] = str(home)
        try:
            return dg.DagsterInstance.get()
        except Exception as exc:
            if "alembic" not in f"{type(exc).__module__} {exc}".lower():
                raise
            raise InstanceBroken(
                f"the Dagster instance in {home} is broken ({str(exc).splitlines()[0]}), most "
                "likely created by two processes at once before this version. Stop the Dagster "
                f"processes using it (dagster dev, dagster-daemon), move {home} aside and run "
                "`make install`, which creates it anew; the runs recorded in it no longer show "
                "in the UI, the warehouse and the exports are not touched."
            ) from exc


def run_log_path(settings: Settings, run_id: str, today: date | None = None) -> Path:
    """Beside the warehouse, named like the export folder the run may write."""
    return settings.run_logs / f"{(today or date.today()).isoformat()}_{run_id[:8]}.log"


class _ToProgress(logging.Handler):
    def __init__(self, progress: Progress):
        super().__init__(logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.on_record(record)


def _loggers(progress: Progress, log_file: TextIO) -> dict[str, dg.LoggerDefinition]:
    def build(_init_context) -> logging.Logger:
        logger = logging.Logger("stv_run", logging.DEBUG)
        to_file = logging.StreamHandler(log_file)
        to_file.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(to_file)
        logger.addHandler(_ToProgress(progress))
        return logger

    return {"stv_run": dg.LoggerDefinition(build, description="terminal and run log file")}


def run_full_job(
    settings: Settings,
    *,
    run_id: str | None = None,
    log_lines: Sequence[str] = (),
    verbose: bool = False,
    ephemeral: bool = False,
    out: TextIO | None = None,
) -> int:
    """Materialise every asset and check; print the phases and the export folder. Returns the
    exit code. `log_lines` (what the command said before, waiting for the warehouse, say)
    open the run's log."""
    out = out or sys.stdout
    if not (verbose and out.isatty()):
        os.environ["DBT_USE_COLORS"] = "false"  # dbt's lines go to a file or a pipe
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(JOB)
    graph = job.asset_layer.asset_graph
    run_id = run_id or str(uuid.uuid4())
    log_path = run_log_path(settings, run_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"STV run {run_id[:8]}: inbox {settings.inbox}, warehouse {settings.warehouse}\n"
        f"Full log: {log_path}",
        file=out,
        flush=True,
    )
    total = len(graph.get_all_asset_keys()) + len(graph.asset_check_keys)
    with (
        open_instance(ephemeral) as instance,
        log_path.open("w", encoding="utf-8") as log_file,
        Progress(out, total, verbose, Plan.of(graph, settings.inbox)) as progress,
    ):
        log_file.writelines(f"{line}\n" for line in log_lines)
        captured = contextlib.ExitStack()
        if not verbose:
            # dbt's lines (dagster-dbt writes them to stdout) and library chatter go to the log
            captured.enter_context(contextlib.redirect_stdout(log_file))
            captured.enter_context(contextlib.redirect_stderr(log_file))
        with captured:
            result = job.with_logger_defs(_loggers(progress, log_file)).execute_in_process(
                instance=instance,
                run_config={"loggers": {"stv_run": {}}},
                run_id=run_id,
                raise_on_error=False,
                # the process too from the start: a run killed before its first step is
                # known dead as well (defs/resources.py mark_dead_runs_failed)
                tags={"stv/run_log": str(log_path), **process_tags()},
            )
    return report(result, graph, log_path, out, progress)

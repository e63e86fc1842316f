"""Run the full job in-process and report progress and outcome on the terminal (DESIGN §5).

The terminal gets one line per phase, the warnings and failures, and where things went; dbt's
and Dagster's full logs go to a log file of the run (`--verbose` shows them as they come).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

import dagster as dg

from stv_pipeline.definitions import build_definitions
from stv_pipeline.defs.resources import process_tags
from stv_pipeline.operations.locks import exclusively
from stv_pipeline.settings import PROJECT_ROOT, Settings

JOB = "stv_full_job"
FILE_OUTCOMES = ("loaded", "rejected", "unchanged")
ERROR_CLASS = re.compile(r"^[\w.]+(Error|Failure|Exception): ")
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
# Logged by Dagster for every check or step that did not run; the summary says it once.
NOT_RUN_NOISE = ("emitted no result", "Dependencies for step", "RUN_FAILURE")

# Phases in the order a run passes them, by the first part of an asset key.
PHASE_OF_SCHEMA = {
    "reference": "Reference data",
    "raw": "Ingestion",
    "staging": "dbt",
    "intermediate": "dbt",
    "marts": "dbt",
    "quality": "dbt",
    "exports": "Export",
}


# Held while a process opens the instance: the first to open it creates its storage, and two
# creating it at once leave it broken for good (two heads in alembic's version table).
INSTANCE_LOCK = ".stv-instance.lock"


class InstanceBroken(Exception):
    pass


def project_instance_home() -> Path:
    """The project's Dagster instance (what `dagster dev` shows), set up as `make` does."""
    home = PROJECT_ROOT / ".dagster_home"
    home.mkdir(exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text((PROJECT_ROOT / "dagster.yaml").read_text("utf-8"), "utf-8")
    return home


def open_instance(ephemeral: bool) -> dg.DagsterInstance:
    """The instance recording the run. `make install` creates its storage; where it has not,
    the first run does, while the others wait for it."""
    if ephemeral:
        return dg.DagsterInstance.ephemeral()
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    with exclusively(home / INSTANCE_LOCK):
        if "DAGSTER_HOME" not in os.environ:
            os.environ["DAGSTER_HOME"] = str(project_instance_home())
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


@dataclass
class Progress:
    """What the terminal shows while the job runs: a bar on a TTY, warnings as they come."""

    out: TextIO
    total: int
    verbose: bool = False
    warnings: list[str] = field(default_factory=list)
    _bar: object = None
    _task: object = None

    def __enter__(self) -> Progress:
        if self.out.isatty() and not self.verbose:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description:<34}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.out),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("starting", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def say(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.out, flush=True)

    def on_record(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None and self._bar is not None:
            if event.event_type in (
                dg.DagsterEventType.ASSET_MATERIALIZATION,
                dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            ):
                self._bar.advance(self._task)
            elif event.event_type == dg.DagsterEventType.STEP_START:
                self._bar.update(self._task, description=event.step_key or "")
        if self.verbose:
            self.say(record.getMessage())
        elif record.levelno >= logging.WARNING and not any(
            noise in record.getMessage() for noise in NOT_RUN_NOISE
        ):
            line = _short(record)
            self.warnings.append(line)
            self.say(line)


def _short(record: logging.LogRecord) -> str:
    """A warning or failure in one line: Dagster's message is 'job - run - step - text'."""
    event = getattr(record, "dagster_event", None)
    text = record.getMessage()
    if event is not None and event.event_type == dg.DagsterEventType.STEP_FAILURE:
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else ""
        # 'dagster._core.definitions.events.Failure: text' -> 'text'
        text = f"{event.step_key} failed: {ERROR_CLASS.sub('', message)}"
    else:
        text = text.split(" - ", 3)[-1]
    level = "ERROR" if record.levelno >= logging.ERROR else "WARNING"
    return f"  {level}: {text.strip().splitlines()[0]}"


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
        Progress(out, total, verbose) as progress,
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
    return report(result, graph, log_path, out)


@dataclass(frozen=True)
class Summary:
    """The outcome of a run, phase by phase, as the terminal prints it."""

    phases: list[tuple[str, str]]
    failed_checks: list[str]
    checks_not_run: str | None
    export_folder: str | None
    export_unchanged: bool


def _is_dbt_test(graph, key: dg.AssetCheckKey) -> bool:
    return "dagster_dbt/unique_id" in (graph.get_check_spec(key).metadata or {})


def summarise(result: dg.ExecuteInProcessResult, graph) -> Summary:
    materialised = {
        e.asset_key: e.materialization for e in result.get_asset_materialization_events()
    }
    evaluations = {
        dg.AssetCheckKey(c.asset_key, c.check_name): c for c in result.get_asset_check_evaluations()
    }
    all_assets = list(graph.get_all_asset_keys())
    meta = {k: m.metadata for k, m in materialised.items()}

    # the seeds build in the run's one dbt build, beside the staging models
    seeds = [k for k in all_assets if k.path[0] == "reference"]
    seed_line = f"{sum(k in meta for k in seeds)} of {len(seeds)} seeds loaded"

    sources = sorted(k for k in all_assets if k.path[0] == "raw" and k in meta)
    files = {
        key.path[-1]: {n: int(meta[key][f"files_{n}"].value) for n in FILE_OUTCOMES}
        for key in sources
        if "files_loaded" in meta[key]
    }
    origin = next(
        (str(meta[k]["input"].value).split(":")[0] for k in sources if "input" in meta[k]), None
    )
    totals = {n: sum(f[n] for f in files.values()) for n in FILE_OUTCOMES}
    ingest_line = (
        ("from the shipped sample: " if origin == "sample" else "")
        + ", ".join(f"{totals[n]} files {n}" for n in FILE_OUTCOMES)
        + (
            f" ({len(files)} sources: "
            + "; ".join(
                f"{source} {f['loaded']}" + (f"/{f['rejected']} rejected" if f["rejected"] else "")
                for source, f in files.items()
            )
            + ")"
            if totals["loaded"] or totals["rejected"]
            else f" ({len(files)} sources)"
        )
    )

    models = [k for k in all_assets if PHASE_OF_SCHEMA.get(k.path[0]) == "dbt"]
    check_keys = list(graph.asset_check_keys)
    tests = [k for k in check_keys if _is_dbt_test(graph, k)]
    others = [k for k in check_keys if not _is_dbt_test(graph, k)]

    def passed(keys) -> int:
        return sum(1 for k in keys if k in evaluations and evaluations[k].passed)

    def ran(keys) -> int:
        return sum(1 for k in keys if k in evaluations)

    dbt_line = (
        f"{sum(k in meta for k in models)} of {len(models)} models built, "
        f"{passed(tests)} of {ran(tests)} tests passed"
    )
    failed_warn = [
        k
        for k in others
        if k in evaluations
        and not evaluations[k].passed
        and evaluations[k].severity == dg.AssetCheckSeverity.WARN
    ]
    checks_line = f"{passed(others)} of {ran(others)} checks passed" + (
        f", {len(failed_warn)} WARN" if failed_warn else ""
    )

    not_run = [k for k in check_keys if k not in evaluations]
    not_run_line = None
    if not_run:
        reasons = Counter("a step before them did not succeed" for _ in not_run)
        not_run_line = "; ".join(
            f"{n} checks did not run: {why}" for why, n in sorted(reasons.items())
        )

    export_key = dg.AssetKey(["exports", "star_export"])
    export_meta = meta.get(export_key, {})
    folder = str(export_meta["export_folder"].value) if "export_folder" in export_meta else None
    unchanged_export = bool(getattr(export_meta.get("unchanged"), "value", False))
    tables = getattr(export_meta.get("tables"), "value", None) or {}
    suppressed = sum(int(t.get("suppressed_cells", 0)) for t in tables.values())
    if export_key not in meta:
        disclosure_line, export_line = "not run", "nothing written"
    else:
        disclosure_line = f"{suppressed} cells suppressed in {len(tables)} tables" + (
            " (as in the newest export)" if unchanged_export else ""
        )
        export_line = (
            "unchanged since the newest export: no new folder"
            if unchanged_export
            else f"{len(tables)} tables as CSV and Parquet, workbook, report"
        )

    failed_checks = [
        f"  check {c.asset_key.to_user_string()}:{c.check_name} failed ({c.severity.value}): "
        + (c.description or "").strip().split("\n")[0]
        for c in sorted(evaluations.values(), key=lambda c: (c.severity.value, str(c.asset_key)))
        if not c.passed
    ]
    return Summary(
        phases=[
            ("Reference data", seed_line),
            ("Ingestion", ingest_line),
            ("dbt", dbt_line),
            ("Checks", checks_line),
            ("Disclosure control", disclosure_line),
            ("Export", export_line),
        ],
        failed_checks=failed_checks,
        checks_not_run=not_run_line,
        export_folder=folder,
        export_unchanged=unchanged_export,
    )


def report(result: dg.ExecuteInProcessResult, graph, log_path: Path, out: TextIO) -> int:
    summary = summarise(result, graph)
    for phase, line in summary.phases:
        print(f"{phase + ':':<20}{line}", file=out)
    if summary.checks_not_run:
        print(f"  {summary.checks_not_run}", file=out)
    for line in summary.failed_checks:
        print(line, file=out)
    errors = [
        c
        for c in result.get_asset_check_evaluations()
        if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
    ]
    if errors:
        print(
            f"Run {result.run_id[:8]} FAILED: no export written - the ERROR check(s) above "
            f"failed, so STAR receives nothing from this run. Full log: {log_path}",
            file=out,
        )
        return 1
    if not result.success or summary.export_folder is None:
        print(f"Run {result.run_id[:8]} FAILED; see the full log: {log_path}", file=out)
        return 1
    label = "Exports (unchanged, newest)" if summary.export_unchanged else "Exports"
    print(f"Run {result.run_id[:8]} succeeded.\n{label}: {summary.export_folder}", file=out)
    return 0

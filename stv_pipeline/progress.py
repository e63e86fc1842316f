"""What the terminal shows of a run, in the user's phases, as they happen (DESIGN §5).

A run passes five phases: ingestion (the loaders, file by file), dbt (the seeds, models and
tests in one build), checks, disclosure control and the export. Each phase's line is printed
the moment the phase ends, so a piped `stv run` (a nightly log) grows during the run; on a
terminal a bar names the phase and its progress ("Loading register_benefits 3/5 files",
"dbt 14/36 models") and ends at 100 %. Warnings and failures come as they happen, a line each;
the failed checks close the run, each in a few lines under 160 characters (the full detail is in
the run's log and the UI). dbt's and Dagster's full log goes to the run's log file (`--verbose`
shows it instead).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

from stv_pipeline.outcomes import FILE_OUTCOMES, ExportWritten, SourceLoaded, TablesSuppressed

ERROR_CLASS = re.compile(r"^[\w.]+(Error|Failure|Exception): ")
# Logged by Dagster for every check or step that did not run; the summary says it once.
NOT_RUN_NOISE = (
    "emitted no result",
    "Dependencies for step",
    "RUN_FAILURE",
    # the step of a failed blocking check fails with it: the check's own line says why
    "blocking asset check failed with ERROR severity",
)
# A loader's line for each file of a source (ingest/loader.py FileOutcome.summary)
FILE_LINE = re.compile(r"^(loaded|skipped|REJECTED) .+ \((\w+)\)")
LINE_WIDTH = 159  # a terminal line stays under 160 characters

INGESTION, REFERENCE, DBT, CHECKS, DISCLOSURE, EXPORT = (
    "Ingestion",
    "Reference data",
    "dbt",
    "Checks",
    "Disclosure control",
    "Export",
)
# the phases as they come; the seeds are built in dbt's one build, so they print with it
PHASES = (INGESTION, DBT, CHECKS, DISCLOSURE, EXPORT)
PHASE_NAMES = {phase: (phase,) for phase in PHASES} | {DBT: (REFERENCE, DBT)}
DBT_SCHEMAS = ("reference", "staging", "intermediate", "marts", "quality")
PUBLISHED = dg.AssetKey(["exports", "published_tables"])
STAR_EXPORT = dg.AssetKey(["exports", "star_export"])
BAR_STYLE = {"complete_style": "cyan", "finished_style": "green", "pulse_style": "cyan"}


def fit(line: str, width: int = LINE_WIDTH) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def is_dbt_test(graph, key: dg.AssetCheckKey) -> bool:
    return "dagster_dbt/unique_id" in (graph.get_check_spec(key).metadata or {})


def phase_of(assets: list[dg.AssetKey]) -> str:
    """The phase of a step, by what it materialises (a step of checks alone: the checks')."""
    if not assets:
        return CHECKS
    key = assets[0]
    if key.path[0] == "raw":
        return INGESTION
    if key.path[0] in DBT_SCHEMAS:
        return DBT
    return DISCLOSURE if key == PUBLISHED else EXPORT


@dataclass(frozen=True)
class Plan:
    """The job's steps by phase and what the phases count, from its asset graph."""

    graph: Any
    steps: dict[str, str]  # step (op) name -> phase
    files: dict[str, int] = field(default_factory=dict)  # source -> files in the inbox

    @classmethod
    def of(cls, graph, inbox: Path | None = None) -> Plan:
        from stv_pipeline.ingest.loader import discover_files

        steps = {}
        for assets_def in graph.assets_defs:
            if assets_def.is_executable:
                steps[assets_def.op.name] = phase_of(list(assets_def.keys))
        sources = [k.path[1] for k in graph.get_all_asset_keys() if k.path[0] == "raw"]
        files = {s: len(discover_files(inbox / s)) for s in sources} if inbox else {}
        return cls(graph, steps, {s: n for s, n in files.items() if n})

    @property
    def assets(self) -> list[dg.AssetKey]:
        return [k for k in self.graph.get_all_asset_keys() if self.graph.get(k).is_executable]

    def models(self) -> list[dg.AssetKey]:
        return [k for k in self.assets if k.path[0] in DBT_SCHEMAS and k.path[0] != "reference"]

    def total(self) -> int:
        """The bar's units: a file, an asset, a check each."""
        return sum(self.files.values()) + len(self.assets) + len(self.graph.asset_check_keys)


@dataclass
class Outcomes:
    """What the run has materialised and checked so far."""

    metadata: dict[dg.AssetKey, dict[str, Any]] = field(default_factory=dict)
    evaluations: dict[dg.AssetCheckKey, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, result: dg.ExecuteInProcessResult) -> Outcomes:
        return cls(
            {
                e.asset_key: e.materialization.metadata
                for e in result.get_asset_materialization_events()
            },
            {
                dg.AssetCheckKey(c.asset_key, c.check_name): c
                for c in result.get_asset_check_evaluations()
            },
        )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def ingestion_line(plan: Plan, done: Outcomes) -> str:
    loads = {
        key.path[-1]: loaded
        for key in sorted(k for k in plan.assets if k.path[0] == "raw" and k in done.metadata)
        if (loaded := SourceLoaded.read(done.metadata[key])) is not None
    }
    files = {source: loaded.files for source, loaded in loads.items()}
    origin = next((loaded.origin for loaded in loads.values()), None)
    totals = {n: sum(f[n] for f in files.values()) for n in FILE_OUTCOMES}
    return (
        ("from the shipped sample: " if origin == "sample" else "")
        + ", ".join(_count(totals[n], "file") + f" {n}" for n in FILE_OUTCOMES)
        + (
            f" ({_count(len(files), 'source')}: "
            + "; ".join(
                f"{source} {f['loaded']}" + (f"/{f['rejected']} rejected" if f["rejected"] else "")
                for source, f in files.items()
                if f["loaded"] or f["rejected"]
            )
            + ")"
            if totals["loaded"] or totals["rejected"]
            else f" ({_count(len(files), 'source')})"
        )
    )


def seed_line(plan: Plan, done: Outcomes) -> str:
    seeds = [k for k in plan.assets if k.path[0] == "reference"]
    return f"{sum(k in done.metadata for k in seeds)} of {_count(len(seeds), 'seed')} loaded"


def _passed(done: Outcomes, keys) -> int:
    return sum(1 for k in keys if k in done.evaluations and done.evaluations[k].passed)


def _ran(done: Outcomes, keys) -> int:
    return sum(1 for k in keys if k in done.evaluations)


def dbt_line(plan: Plan, done: Outcomes) -> str:
    models = plan.models()
    tests = [k for k in plan.graph.asset_check_keys if is_dbt_test(plan.graph, k)]
    return (
        f"{sum(k in done.metadata for k in models)} of {_count(len(models), 'model')} built, "
        f"{_passed(done, tests)} of {_count(_ran(done, tests), 'test')} passed"
    )


def checks_line(plan: Plan, done: Outcomes) -> str:
    # the disclosure audit is the disclosure control's (its line says how it went)
    others = [
        k
        for k in plan.graph.asset_check_keys
        if not is_dbt_test(plan.graph, k) and k.name != "disclosure_audit"
    ]
    failed_warn = [
        k
        for k in others
        if k in done.evaluations
        and not done.evaluations[k].passed
        and done.evaluations[k].severity == dg.AssetCheckSeverity.WARN
    ]
    return f"{_passed(done, others)} of {_count(_ran(done, others), 'check')} passed" + (
        f", {len(failed_warn)} WARN" if failed_warn else ""
    )


def _export(done: Outcomes) -> ExportWritten | None:
    return ExportWritten.read(done.metadata.get(STAR_EXPORT, {}))


def disclosure_line(plan: Plan, done: Outcomes) -> str:
    written = _export(done)
    if written is not None:
        return (
            f"{written.suppressed_cells} cells suppressed in {_count(len(written.tables), 'table')}"
            + (" (as in the newest export)" if written.unchanged else "")
        )
    if PUBLISHED in done.metadata:
        suppressed = TablesSuppressed.read(done.metadata[PUBLISHED])
        audit = [e for k, e in done.evaluations.items() if k.name == "disclosure_audit"]
        verdict = "" if not audit else (", audit passed" if audit[0].passed else ", audit FAILED")
        return (
            f"{suppressed.suppressed_cells} cells suppressed in "
            f"{_count(len(suppressed.suppressions), 'table')}{verdict}"
        )
    return "not run"


def export_line(plan: Plan, done: Outcomes) -> str:
    written = _export(done)
    if written is None:
        return "nothing written"
    if written.unchanged:
        return "unchanged since the newest export: no new folder"
    return f"{_count(len(written.tables), 'table')} as CSV and Parquet, workbook, report"


def phase_lines(phase: str, plan: Plan, done: Outcomes) -> list[tuple[str, str]]:
    if phase == INGESTION:
        return [(INGESTION, ingestion_line(plan, done))]
    if phase == DBT:
        return [(REFERENCE, seed_line(plan, done)), (DBT, dbt_line(plan, done))]
    if phase == CHECKS:
        return [(CHECKS, checks_line(plan, done))]
    if phase == DISCLOSURE:
        return [(DISCLOSURE, disclosure_line(plan, done))]
    return [(EXPORT, export_line(plan, done))]


def phase_text(name: str, line: str) -> str:
    """A phase's line, wrapped under itself where it would reach 160 characters."""
    import textwrap

    return "\n".join(
        textwrap.wrap(
            line, LINE_WIDTH, initial_indent=f"{name + ':':<20}", subsequent_indent=" " * 20
        )
    )


def failed_check_lines(evaluation) -> list[str]:
    """A failed check in up to three lines, each under 160 characters: the check and what is
    wrong, where, and an example (check_results.describe)."""
    import textwrap

    lines = (evaluation.description or "").strip().splitlines() or [""]
    head = (
        f"  {evaluation.severity.value} {evaluation.check_name} "
        f"({evaluation.asset_key.to_user_string()}): {lines[0]}"
    )
    # a check's one long line (the audit's, say) wraps under itself
    wrapped = textwrap.wrap(head, LINE_WIDTH, subsequent_indent=" " * 6) or [head]
    rest = [fit(f"      {line}") for line in lines[1:]]
    return [fit(line) for line in [*wrapped, *rest][:3]]


@dataclass(frozen=True)
class Summary:
    """The outcome of a run, phase by phase, as the terminal prints it."""

    phases: list[tuple[str, str]]
    failed_checks: list[str]
    checks_not_run: str | None
    export_folder: str | None
    export_unchanged: bool


def summarise(result: dg.ExecuteInProcessResult, graph, plan: Plan | None = None) -> Summary:
    plan = plan or Plan.of(graph)
    done = Outcomes.of(result)
    not_run = [k for k in graph.asset_check_keys if k not in done.evaluations]
    not_run_line = None
    if not_run:
        reasons = Counter("a step before them did not succeed" for _ in not_run)
        not_run_line = "; ".join(
            f"{_count(n, 'check')} did not run: {why}" for why, n in sorted(reasons.items())
        )
    written = _export(done)
    failed = sorted(
        (c for c in done.evaluations.values() if not c.passed),
        key=lambda c: (c.severity.value, str(c.asset_key)),
    )
    return Summary(
        phases=[line for phase in PHASES for line in phase_lines(phase, plan, done)],
        failed_checks=[line for c in failed for line in failed_check_lines(c)],
        checks_not_run=not_run_line,
        export_folder=written.folder if written else None,
        export_unchanged=bool(written and written.unchanged),
    )


@dataclass
class Progress:
    """What the terminal shows while the job runs: the phase lines as the phases end, warnings
    as they come, and on a TTY a bar naming the phase."""

    out: TextIO
    total: int = 0
    verbose: bool = False
    plan: Plan | None = None
    warnings: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)  # the phases whose lines are out
    done: Outcomes = field(default_factory=Outcomes)
    _finished: set[str] = field(default_factory=set)
    _loaded: Counter = field(default_factory=Counter)
    _phase: str = ""
    _bar: object = None
    _task: object = None

    def __enter__(self) -> Progress:
        if self.plan is not None:
            self.total = self.plan.total()
        if self.out.isatty() and not self.verbose:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description:<38}"),
                # cyan while it runs, green when done: no alarm colour for normal progress
                BarColumn(**BAR_STYLE),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.out),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("Starting", total=self.total or None)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            if exc[0] is None and self.total:
                self._bar.update(self._task, completed=self.total)
            self._bar.__exit__(*exc)

    def say(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.out, flush=True)

    def _describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def _advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def on_record(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None and self.plan is not None:
            self._on_event(event, record)
        if self.verbose:
            self.say(record.getMessage())
        elif record.levelno >= logging.WARNING and not any(
            noise in record.getMessage() for noise in NOT_RUN_NOISE
        ):
            line = fit(_short(record))
            self.warnings.append(line)
            self.say(line)
        elif event is None and self.plan is not None:
            self._on_message(record)

    def _on_message(self, record: logging.LogRecord) -> None:
        """A loader's line for a file: the bar counts the source's files."""
        text = record.getMessage().split(" - ", 3)[-1]
        found = FILE_LINE.match(text)
        if found and found.group(2) in self.plan.files:
            source = found.group(2)
            self._loaded[source] += 1
            self._describe(
                f"Loading {source} {self._loaded[source]}/{self.plan.files[source]} files"
            )
            self._advance()

    def _on_event(self, event, record: logging.LogRecord) -> None:
        kind = event.event_type
        step = event.step_key or ""
        if kind == dg.DagsterEventType.STEP_START:
            self._phase = self.plan.steps.get(step, self._phase)
            self._describe(self._phase_progress())
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            self.done.metadata[materialization.asset_key] = materialization.metadata
            key = materialization.asset_key
            if key.path[0] != "raw" or key.path[-1] not in self.plan.files:
                self._advance()  # a loader's files moved the bar, file by file
            self._describe(self._phase_progress())
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            self.done.evaluations[dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)] = (
                evaluation
            )
            self._advance()
            self._describe(self._phase_progress())
        elif kind in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.STEP_SKIPPED,
        ):
            self._finished.add(step)
            self.print_ended()

    def _phase_progress(self) -> str:
        if self._phase == DBT:
            models = self.plan.models()
            built = sum(k in self.done.metadata for k in models)
            return f"dbt {built}/{len(models)} models"
        if self._phase == INGESTION:
            return "Loading files"
        return self._phase or "Starting"

    def print_ended(self) -> None:
        """Print the line of every phase whose steps have all finished, in phase order."""
        for phase in PHASES:
            if phase in self.printed:
                continue
            steps = [s for s, p in self.plan.steps.items() if p == phase]
            if not all(s in self._finished for s in steps):
                return
            self.print_phase(phase)

    def print_phase(self, phase: str) -> None:
        self.printed.append(phase)
        for name, line in phase_lines(phase, self.plan, self.done):
            self.say(phase_text(name, line))


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


def report(
    result: dg.ExecuteInProcessResult,
    graph,
    log_path: Path,
    out: TextIO,
    progress: Progress | None = None,
) -> int:
    """The run's end: the phase lines not printed yet, the failed checks and where things
    are. Returns the exit code."""
    plan = progress.plan if progress is not None else None
    summary = summarise(result, graph, plan)
    printed = set(progress.printed) if progress is not None else set()
    names = {name for phase in printed for name in PHASE_NAMES[phase]}
    for name, line in summary.phases:
        if name not in names:
            print(phase_text(name, line), file=out)
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
            f"failed, so STAR receives nothing from this run.\nFull log: {log_path}",
            file=out,
        )
        return 1
    if not result.success or summary.export_folder is None:
        print(f"Run {result.run_id[:8]} FAILED; see the full log: {log_path}", file=out)
        return 1
    label = "Exports (unchanged, newest)" if summary.export_unchanged else "Exports"
    print(f"Run {result.run_id[:8]} succeeded.\n{label}: {summary.export_folder}", file=out)
    return 0

"""Where a run's time goes, per phase, from the run's own Dagster event log (issue 13).

    python -m bench.phases DAGSTER_HOME [RUN_ID]

Phases: start (from the launch - process start, imports, definitions, or the queue and the run
worker for a launched run - or, when the launch time is not known, from the run's creation,
until it starts), load of each register snapshot (from the loader's per-file log lines),
load of the other sources, dbt (the one `dbt build`, with int_person_models' own duration from
dbt), checks (the GX and quarantine checks), disclosure (the published_tables step: marts read
and disclosure-controlled as one system, and its audit check), exports (the files, report,
workbook and manifest),
orchestration (time between steps) and end (the run's end until the process exits).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# "loaded benefits_2019-01-15.parquet (register_benefits): 123 rows, vintage 2019-01-15"
LOADED_FILE = re.compile(
    r"^loaded (?P<file>\S+) \((?P<source>\w+)\): \d+ rows(, vintage (?P<v>\S+))?"
)
REGISTER_PREFIXES = {"register_benefits": "benefits", "register_earnings": "earnings"}
# reference_seeds: the separate seeds build of runs before issue 13, so older runs compare
DBT_STEPS = ("stv_dbt_models", "reference_seeds")
EXPORT_STEP = "exports__star_export"
# the published_tables step: the suppression and its disclosure_audit check (in one step since
# issue 24; a separate step before, so runs measured then compare)
DISCLOSURE_STEP_PREFIX = "exports__published_tables"
# the person-level models, whose time grows with the register: the benefits snapshots'
# person-months, and the counts of every vintage built from them
DBT_MODELS_SHOWN = (
    ("intermediate", "int_benefit_person_months"),
    ("intermediate", "int_success_counts_by_vintage"),
)
RUN_STARTED = ("PIPELINE_START", "RUN_START")
RUN_FINISHED = ("PIPELINE_SUCCESS", "PIPELINE_FAILURE", "RUN_SUCCESS", "RUN_FAILURE")


@dataclass(frozen=True)
class Event:
    """What the breakdown needs of one event-log entry."""

    timestamp: float
    kind: str  # the Dagster event type, or "LOG" for a log message
    step: str | None = None
    message: str = ""
    asset: tuple[str, ...] = ()
    dbt_seconds: float | None = None


def _source_of(step: str) -> str | None:
    return step.removeprefix("raw__") if step.startswith("raw__") else None


def phases(
    events: Iterable[Event], launched_at: float | None = None, exited_at: float | None = None
) -> dict[str, float]:
    """Seconds per phase, in the order the run went through them."""
    events = sorted(events, key=lambda e: e.timestamp)
    starts = {e.step: e.timestamp for e in events if e.kind == "STEP_START"}
    ends = {e.step: e.timestamp for e in events if e.kind in ("STEP_SUCCESS", "STEP_FAILURE")}
    out: dict[str, float] = {}

    def add(name: str, seconds: float) -> None:
        out[name] = out.get(name, 0.0) + seconds

    if not events:
        return out
    begun = next((e.timestamp for e in events if e.kind in RUN_STARTED), events[0].timestamp)
    finished = next(
        (e.timestamp for e in reversed(events) if e.kind in RUN_FINISHED), events[-1].timestamp
    )
    # Before its first step a run is created (an event per planned asset and check) and
    # started; a launched run also waits in the queue and for its worker process.
    add("start", begun - (events[0].timestamp if launched_at is None else launched_at))
    in_steps = 0.0
    for step, started in sorted(starts.items(), key=lambda s: s[1]):
        ended = ends.get(step, started)
        in_steps += ended - started
        source = _source_of(step)
        if source is not None and not step.endswith("_no_quarantined_files"):
            mark = started
            for e in events:
                match = LOADED_FILE.match(e.message) if e.step == step else None
                if match and source in REGISTER_PREFIXES:
                    vintage = match.group("v") or match.group("file")
                    add(f"load {REGISTER_PREFIXES[source]} {vintage}", e.timestamp - mark)
                    mark = e.timestamp
            add("load other sources", ended - mark)
        elif step in DBT_STEPS:
            add("dbt", ended - started)
        elif step.startswith(DISCLOSURE_STEP_PREFIX):
            add("disclosure", ended - started)
        elif step == EXPORT_STEP:
            add("exports", ended - started)
        else:
            add("checks", ended - started)
    add("orchestration", finished - begun - in_steps)
    if exited_at is not None:
        add("end", exited_at - finished)
    return out


def dbt_model_seconds(events: Iterable[Event], asset: tuple[str, ...]) -> float | None:
    """dbt's own execution time of one model in the run (None when it was not built)."""
    return next((e.dbt_seconds for e in events if e.asset == asset), None)


def run_events(dagster_home: Path, run_id: str | None = None) -> tuple[str, list[Event]]:
    """The events of one run (default: the newest) of the instance in `dagster_home`."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_run_by_id(run_id) if run_id else instance.get_runs(limit=1)[0]
        entries = instance.all_logs(run.run_id)
    events = []
    for entry in entries:
        event = entry.dagster_event
        kind = event.event_type_value if event else "LOG"
        asset, seconds = (), None
        if kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            asset = tuple(materialization.asset_key.path)
            duration = materialization.metadata.get("Execution Duration")
            seconds = float(duration.value) if duration is not None else None
        events.append(
            Event(entry.timestamp, kind, entry.step_key, entry.user_message or "", asset, seconds)
        )
    return run.run_id, events


def dbt_models_seconds(events: Iterable[Event]) -> dict[str, float]:
    """dbt's own time of each of DBT_MODELS_SHOWN built in the run, as "dbt: <model>"."""
    events = list(events)
    found = {f"dbt: {asset[-1]}": dbt_model_seconds(events, asset) for asset in DBT_MODELS_SHOWN}
    return {name: seconds for name, seconds in found.items() if seconds is not None}


def count_events(events: Iterable[Event]) -> dict[str, int]:
    """The events a run stored in its event log: "total", then each kind's count, most first
    (every one is a row Dagster writes while the run waits)."""
    kinds = Counter(e.kind for e in events)
    return {"total": sum(kinds.values()), **dict(kinds.most_common())}


def format_events(counts: dict[str, int]) -> str:
    kinds = ", ".join(f"{kind} {n}" for kind, n in counts.items() if kind != "total")
    return f"    {'events stored':<40} {counts.get('total', 0):>7}   ({kinds})"


def format_phases(breakdown: dict[str, float]) -> list[str]:
    """One line per phase, and the models' own times ("dbt: <model>" entries) under dbt's."""
    models = {n: v for n, v in breakdown.items() if n.startswith("dbt: ")}
    lines = []
    for name, seconds in breakdown.items():
        if name in models:
            continue
        lines.append(f"    {name:<40} {seconds:>7.1f} s")
        if name == "dbt":
            lines += [f"    {'  of ' + n:<40} {v:>7.1f} s" for n, v in models.items()]
    return lines


def main(argv: list[str]) -> int:
    run_id, events = run_events(Path(argv[0]), argv[1] if len(argv) > 1 else None)
    print(f"run {run_id}")
    print("\n".join(format_phases({**phases(events), **dbt_models_seconds(events)})))
    print(format_events(count_events(events)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The scale benchmark (issue 7): the pipeline against the DuckDB floor and a pandas version.

    python -m bench.run --scale small|medium|national [--seed N]      (or: make bench SCALE=...)
    python -m bench.run --scale medium --history 12     (or: make bench SCALE=medium HISTORY=12)

On one synthetic data set (`stv sample --scale`, cached in bench/work/<scale>/data) it measures,
each in its own process with wall time and peak memory:

  (a) pipeline     `stv run` from an empty warehouse, on every vintage but the newest
  (b) floor        one DuckDB query computing §3.1 from the newest of those register files
  (c) pandas       §3.1-3.2 in pandas from the same files
  (d) incremental  `stv run` again after the newest vintage lands in the inbox

and the shipped sample, `stv run` and a sensor-launched run, each from an empty warehouse on a
new path, as a user meets them (dbt's parse included: each run starts from `make manifest`'s).
It then checks that (a), (b) and (c) give the same success criteria, and writes
bench/results/<date>-<scale>.json and bench/results/latest.json, and the README's table. Each
run's phases and the events it stored come from its Dagster event log.

With --history N the data set has N + 1 monthly vintages (`stv sample --vintages`), and the
benchmark measures what a year of deliveries does to a nightly run: the incremental run that
adds the newest vintage to a warehouse holding the N before it, against the same incremental
run on a warehouse holding only the four before it; written to
bench/results/history/<date>-<scale>-<N>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench.floor_query import floor_sql
from bench.launched_run import launch_and_wait
from bench.measure import Measurement, measure
from bench.phases import (
    Event,
    count_events,
    dbt_models_seconds,
    format_events,
    format_phases,
    phases,
    run_events,
)
from bench.report import evaluate_targets, update_readme
from stv_pipeline.sample.scenarios import SCALE_FRACTIONS
from stv_pipeline.settings import PROJECT_ROOT, SAMPLE_DIR

BENCH_DIR = PROJECT_ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
HISTORY_RESULTS_DIR = RESULTS_DIR / "history"
# the warehouse the history is compared with: four vintages, as the scale's own data set has
BASE_HISTORY = 4
WORK_DIR = BENCH_DIR / "work"
REGISTER_SOURCES = {"register_benefits": "benefits", "register_earnings": "earnings"}
GENERATOR_FILES = ("generator.py", "scenarios.py", "municipality_populations.csv")


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def generator_version() -> str:
    digest = hashlib.sha256()
    for name in GENERATOR_FILES:
        digest.update((PROJECT_ROOT / "stv_pipeline" / "sample" / name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_data(scale: str, seed: int, vintages: int | None = None) -> tuple[Path, float | None]:
    """The scale's data set (with `vintages` monthly vintages, else the scale's four),
    generated once per generator version and seed."""
    data = WORK_DIR / scale / ("data" if vintages is None else f"data-{vintages}-vintages")
    stamp = data / ".generated"
    wanted = f"{scale} seed={seed} vintages={vintages} generator={generator_version()}"
    if stamp.exists() and stamp.read_text() == wanted:
        return data, None
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    more = ["--vintages", str(vintages)] if vintages is not None else []
    subprocess.run(
        [_bin("stv"), "sample", "--out", str(data), "--scale", scale, "--seed", str(seed), *more],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(wanted)
    return data, round(time.perf_counter() - started, 1)


def extract_date(path: Path) -> str:
    return path.name.split("_", 1)[1][:10]


def link_inbox(
    data: Path, inbox: Path, skip_vintage: str | None, oldest: str | None = None
) -> list[Path]:
    """Hard-link the data set into an inbox, leaving out one register vintage (returned) and
    the register files older than `oldest`."""
    held_back = []
    for source_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        (inbox / source_dir.name).mkdir(parents=True, exist_ok=True)
        for path in sorted(source_dir.iterdir()):
            register = source_dir.name in REGISTER_SOURCES
            if register and extract_date(path) == skip_vintage:
                held_back.append(path)
                continue
            if register and oldest is not None and extract_date(path) < oldest:
                continue
            os.link(path, inbox / source_dir.name / path.name)
    return held_back


def register_rows(files: list[Path]) -> int:
    if not files:
        return 0
    listing = ", ".join(f"'{f}'" for f in files)
    con = duckdb.connect()
    return con.execute(f"select count(*) from read_parquet([{listing}])").fetchone()[0]


def compare_success_criteria(
    warehouse: Path, floor: Path, pandas_out: Path | None
) -> dict[str, int]:
    """Rows of §3.1 counts on which the pipeline's mart and the floor or pandas disagree."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    columns = (
        "municipality_code, month::date, target_group, population, n_company, n_hours, n_either"
    )
    mart = f"select {columns} from wh.marts.success_criteria_monthly"
    others = {"floor": f"'{floor}'"}
    if pandas_out is not None:
        others["pandas"] = f"'{pandas_out / 'success_criteria_monthly.parquet'}'"
    differences = {}
    for name, table in others.items():
        other = f"select {columns} from {table}"
        differences[name] = con.execute(
            f"select count(*) from (({mart} except {other}) union all ({other} except {mart}))"
        ).fetchone()[0]
    differences["mart_rows"] = con.execute(
        "select count(*) from wh.marts.success_criteria_monthly"
    ).fetchone()[0]
    return differences


def incremental_matches_floor(warehouse: Path, inbox: Path, scratch: Path) -> int:
    """After the incremental run: rows on which the mart differs from the floor query over the
    now newest vintage (computed here, untimed), i.e. whether building only the new vintage
    gave what a computation from scratch gives."""
    target = scratch / "floor_after_incremental.parquet"
    duckdb.connect().execute(f"copy ({floor_sql(inbox)}) to '{target}' (format parquet)")
    return compare_success_criteria(warehouse, target, None)["floor"]


def new_dagster_home(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", folder / "dagster.yaml")
    return folder


def sample_runs(run_dir: Path, env: dict[str, str]) -> dict:
    """The shipped sample, from an empty warehouse on a new path each: `stv run` (the first
    run on a new warehouse path as a user meets it, dbt's start and parse included), and the
    run the inbox sensor starts through the run queue and dagster-daemon (as the schedule and
    the UI do)."""
    results = {}
    for how in ("cli", "launched"):
        folder = run_dir / f"sample_{how}"
        inbox = folder / "inbox"
        link_inbox(SAMPLE_DIR, inbox, skip_vintage=None)
        home = new_dagster_home(folder / "dagster_home")
        settings = {
            "STV_INBOX": str(inbox),
            "STV_WAREHOUSE": str(folder / "warehouse" / "stv.duckdb"),
            "STV_EXPORTS": str(folder / "exports"),
        }
        print(f"[sample] {how} ...", flush=True)
        if how == "cli":
            measurement = measure(
                "sample_cli", [_bin("stv"), "run"], folder / "stv_run.log",
                env={**env, **settings, "DAGSTER_HOME": str(home)},
            )  # fmt: skip
            if measurement.exit_code != 0:
                raise SystemExit(f"stv run on the sample failed; see {measurement.log}")
            _, events = run_events(home)
            seconds = measurement.seconds
            breakdown = phases(events, measurement.launched_at, measurement.exited_at)
        else:
            _, succeeded, seconds = launch_and_wait(home, {**env, **settings})
            if not succeeded:
                raise SystemExit(f"the launched run on the sample failed; see {home}")
            _, events = run_events(home)
            breakdown = phases(events)
        print(f"[sample] {how}: {seconds:.1f} s")
        results[f"sample_{how}_s"] = round(seconds, 2)
        results[f"sample_{how}_phases"] = {k: round(v, 2) for k, v in breakdown.items()}
        results[f"sample_{how}_events"] = count_events(events)
    return results


def disclosure_seconds(exports: Path) -> float | None:
    """Suppression + audit time of the newest export, from its manifest."""
    manifests = sorted(exports.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not manifests:
        return None
    audit = json.loads(manifests[-1].read_text("utf-8")).get("disclosure_audit", {})
    parts = [audit.get("suppression_seconds"), audit.get("audit_seconds")]
    return None if None in parts else float(sum(parts))


def git_sha() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


class Runs:
    """`stv run`s of one benchmark folder, each measured in its own process, with what its
    Dagster event log tells: time per phase and the events stored."""

    def __init__(self, scale: str, run_dir: Path):
        self.scale, self.run_dir = scale, run_dir
        self.inbox = run_dir / "inbox"
        self.dagster_home = new_dagster_home(run_dir / "dagster_home")
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            "GX_ANALYTICS_ENABLED": "False",
            "DO_NOT_TRACK": "1",
        }
        self.warehouse = run_dir / "warehouse" / "stv.duckdb"
        self.exports = run_dir / "exports"
        self.stv_run = [
            _bin("stv"), "run", "--inbox", str(self.inbox), "--warehouse", str(self.warehouse),
            "--exports", str(self.exports),
        ]  # fmt: skip

    def step(self, name: str, command: list[str]) -> Measurement:
        print(f"[{self.scale}] {name} ...", flush=True)
        result = measure(name, command, self.run_dir / "logs" / f"{name}.log", env=self.env)
        print(f"[{self.scale}] {name}: {result.seconds:.1f} s, peak {result.peak_rss_mb:.0f} MB")
        if result.exit_code != 0:
            tail = "\n".join(result.log.read_text().splitlines()[-25:])
            raise SystemExit(f"{name} failed (exit {result.exit_code}); {result.log}:\n{tail}")
        return result

    def newest_events(self) -> list[Event]:
        return run_events(self.dagster_home)[1]

    def breakdown(self, measurement: Measurement, events: list[Event]) -> dict[str, float]:
        """The phases of the run the step just made, from the run's own event log."""
        seconds = {
            **phases(events, measurement.launched_at, measurement.exited_at),
            **dbt_models_seconds(events),
        }
        return {name: round(value, 2) for name, value in seconds.items()}


def run_benchmark(scale: str, seed: int) -> dict:
    data, generate_s = ensure_data(scale, seed)
    vintages = sorted({extract_date(p) for p in (data / "register_benefits").iterdir()})
    newest = vintages[-1]
    run_dir = WORK_DIR / scale / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    runs = Runs(scale, run_dir)
    inbox, warehouse, env = runs.inbox, runs.warehouse, runs.env
    held_back = link_inbox(data, inbox, skip_vintage=newest)
    full_files = sorted((inbox / "register_benefits").iterdir())

    pipeline = runs.step("pipeline", runs.stv_run)
    events = runs.newest_events()
    pipeline_phases, pipeline_events = runs.breakdown(pipeline, events), count_events(events)
    disclosure_s = disclosure_seconds(runs.exports)
    floor = runs.step(
        "floor",
        [sys.executable, "-m", "bench.floor_query", str(inbox), str(run_dir / "floor.parquet")],
    )
    pandas = runs.step(
        "pandas",
        [sys.executable, "-m", "bench.pandas_metrics", str(inbox), str(run_dir / "pandas")],
    )
    differences = compare_success_criteria(warehouse, run_dir / "floor.parquet", run_dir / "pandas")
    for path in held_back:
        os.link(path, inbox / path.parent.name / path.name)
    incremental = runs.step("incremental", runs.stv_run)
    events = runs.newest_events()
    incremental_phases = runs.breakdown(incremental, events)
    incremental_events = count_events(events)
    differences["floor_after_incremental"] = incremental_matches_floor(warehouse, inbox, run_dir)
    sample = sample_runs(run_dir, env)

    result = {
        "scale": scale,
        "rows": register_rows(full_files),
        "pipeline_s": pipeline.seconds,
        # disclosure control inside the pipeline run: suppression + audit (DESIGN §4)
        "disclosure_s": disclosure_s,
        "floor_s": floor.seconds,
        "pandas_s": pandas.seconds,
        "incremental_s": incremental.seconds,
        "peak_rss_mb": pipeline.peak_rss_mb,
        "floor_rss_mb": floor.peak_rss_mb,
        "pandas_rss_mb": pandas.peak_rss_mb,
        "incremental_rss_mb": incremental.peak_rss_mb,
        "rows_newest_vintage": register_rows(
            [f for f in full_files if extract_date(f) == vintages[-2]]
        ),
        "rows_incremental": register_rows(
            [p for p in held_back if p.parent.name == "register_benefits"]
        ),
        "vintages_full_run": vintages[:-1],
        "vintage_incremental": newest,
        "success_criteria_rows": differences.pop("mart_rows"),
        "rows_differing_from_pipeline": differences,
        "phases": {
            "pipeline": pipeline_phases,
            "incremental": incremental_phases,
            "sample (stv run)": sample.pop("sample_cli_phases"),
            "sample (launched by the sensor)": sample.pop("sample_launched_phases"),
        },
        # the events each run stored in its event log, in all and by kind
        "events": {
            "pipeline": pipeline_events,
            "incremental": incremental_events,
            "sample (stv run)": sample.pop("sample_cli_events"),
            "sample (launched by the sensor)": sample.pop("sample_launched_events"),
        },
        **sample,
        "generate_s": generate_s,
        "date": dt.date.today().isoformat(),
        "git_sha": git_sha(),
        "seed": seed,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "python": platform.python_version(),
        },
    }
    result["targets"] = evaluate_targets(result)
    return result


def save(result: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{result['date']}-{result['scale']}.json"
    text = json.dumps(result, indent=2) + "\n"
    path.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    return path


def print_summary(result: dict) -> None:
    print(f"\n{result['scale']}: {result['rows']:,} person-weeks in the full run's vintages")
    for name in ("pipeline", "floor", "pandas", "incremental"):
        rss = result["peak_rss_mb"] if name == "pipeline" else result[f"{name}_rss_mb"]
        print(f"  {name:<12} {result[f'{name}_s']:>8.1f} s  {rss:>8.0f} MB")
    if "sample_cli_s" in result:
        print(
            f"  {'first run on a new warehouse path (the sample, stv run, dbt parse included)':<76}"
            f" {result['sample_cli_s']:>6.1f} s"
        )
    if "sample_launched_s" in result:
        print(f"  {'the sample, launched by the sensor':<76} {result['sample_launched_s']:>6.1f} s")
    for run, breakdown in result.get("phases", {}).items():
        print(f"  {run}, per phase (from its event log):")
        print("\n".join(format_phases(breakdown)))
        if run in result.get("events", {}):
            print(format_events(result["events"][run]))
    differing = result["rows_differing_from_pipeline"]
    if result.get("disclosure_s") is not None:
        share = result["disclosure_s"] / result["pipeline_s"]
        print(
            f"  disclosure control (suppression + audit) inside the pipeline run: "
            f"{result['disclosure_s']:.1f} s, {share:.0%} of it"
        )
    print(f"  success criteria rows differing from the pipeline's: {differing}")
    for target in result["targets"]:
        mark = "ok  " if target["met"] else "MISS"
        print(f"  [{mark}] {target['target']}: {target['measured']}")


def run_history(scale: str, seed: int, history: int) -> dict:
    """The incremental run adding one vintage to a warehouse of `history` vintages, and the
    same run on a warehouse of the four vintages before it (each from its own full run)."""
    if history < BASE_HISTORY:
        raise SystemExit(f"--history is at least {BASE_HISTORY}, the warehouse it is compared with")
    data, generate_s = ensure_data(scale, seed, vintages=history + 1)
    vintages = sorted({extract_date(p) for p in (data / "register_benefits").iterdir()})
    newest = vintages[-1]
    result: dict = {
        "scale": scale,
        "history": history,
        "vintage_incremental": newest,
        "generate_s": generate_s,
        "runs": {},
    }
    for held in sorted({BASE_HISTORY, history}):
        label = f"after {held} vintages"
        run_dir = WORK_DIR / scale / f"history-{held}"
        shutil.rmtree(run_dir, ignore_errors=True)
        runs = Runs(scale, run_dir)
        # the register files of the `held` vintages before the newest (earnings by date)
        held_back = link_inbox(data, runs.inbox, skip_vintage=newest, oldest=vintages[-1 - held])
        full = runs.step(f"full run, {held} vintages", runs.stv_run)
        full_events = runs.newest_events()
        for path in held_back:
            os.link(path, runs.inbox / path.parent.name / path.name)
        incremental = runs.step(f"incremental run after {held} vintages", runs.stv_run)
        events = runs.newest_events()
        result["runs"][label] = {
            "vintages": vintages[-1 - held : -1],
            "full_s": full.seconds,
            "full_phases": runs.breakdown(full, full_events),
            "full_events": count_events(full_events),
            "incremental_s": incremental.seconds,
            "incremental_rss_mb": incremental.peak_rss_mb,
            "incremental_phases": runs.breakdown(incremental, events),
            "incremental_events": count_events(events),
            "rows_differing_from_floor": incremental_matches_floor(
                runs.warehouse, runs.inbox, run_dir
            ),
        }
    base = result["runs"][f"after {BASE_HISTORY} vintages"]["incremental_s"]
    grown = result["runs"][f"after {history} vintages"]["incremental_s"]
    result["incremental_ratio"] = round(grown / base, 3)
    result["target"] = {
        "target": f"incremental run after {history} vintages <= 1.25 x after {BASE_HISTORY}",
        "measured": f"{grown:.1f} s vs {base:.1f} s ({grown / base:.2f} x)",
        "met": grown <= 1.25 * base,
    }
    result.update(date=dt.date.today().isoformat(), git_sha=git_sha(), seed=seed)
    return result


def print_history(result: dict) -> None:
    runs = result["runs"]
    labels = list(runs)
    print(
        f"\n{result['scale']}: the incremental run adding vintage {result['vintage_incremental']}, "
        "per phase (from its event log), by the history the warehouse holds"
    )
    names = list(dict.fromkeys(n for r in runs.values() for n in r["incremental_phases"]))
    models = [n for n in names if n.startswith("dbt: ")]
    names = [n for n in names if n not in models]
    if "dbt" in names:  # the models' own times under dbt's line, as format_phases shows them
        at = names.index("dbt") + 1
        names[at:at] = models
    print(f"    {'phase':<40}" + "".join(f" {label:>22}" for label in labels))
    for name in names:
        cells = "".join(
            f" {runs[label]['incremental_phases'].get(name, 0.0):>20.1f} s" for label in labels
        )
        shown = name if not name.startswith("dbt: ") else "  of " + name
        print(f"    {shown:<40}{cells}")
    total = "".join(f" {runs[label]['incremental_s']:>20.1f} s" for label in labels)
    print(f"    {'total':<40}{total}")
    events = "".join(f" {runs[label]['incremental_events']['total']:>22}" for label in labels)
    print(f"    {'events stored':<40}{events}")
    full = "".join(f" {runs[label]['full_s']:>20.1f} s" for label in labels)
    print(f"    {'(the full run before it)':<40}{full}")
    for label in labels:
        print(
            f"  {label}: success criteria rows differing from the floor: "
            f"{runs[label]['rows_differing_from_floor']}"
        )
    target = result["target"]
    print(f"  [{'ok  ' if target['met'] else 'MISS'}] {target['target']}: {target['measured']}")


def save_history(result: dict) -> Path:
    HISTORY_RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = HISTORY_RESULTS_DIR / f"{result['date']}-{result['scale']}-{result['history']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALE_FRACTIONS), default="small")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument(
        "--history",
        type=int,
        default=None,
        metavar="N",
        help="N monthly vintages, then one more: the incremental run against the one after four",
    )
    args = parser.parse_args(argv)
    if args.history is not None:
        result = run_history(args.scale, args.seed, args.history)
        path = save_history(result)
        print_history(result)
        print(f"\nresults: {path}")
        return 0 if not any(r["rows_differing_from_floor"] for r in result["runs"].values()) else 1
    result = run_benchmark(args.scale, args.seed)
    path = save(result)
    print_summary(result)
    update_readme(PROJECT_ROOT / "README.md", RESULTS_DIR)
    print(f"\nresults: {path} (and latest.json); README table updated")
    agree = not any(result["rows_differing_from_pipeline"].values())
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

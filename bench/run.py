"""The scale benchmark (issue 7): the pipeline against the DuckDB floor and a pandas version.

    python -m bench.run --scale small|medium|national [--seed N]      (or: make bench SCALE=...)

On one synthetic data set (`stv sample --scale`, cached in bench/work/<scale>/data) it measures,
each in its own process with wall time and peak memory:

  (a) pipeline     `stv run` from an empty warehouse, on every vintage but the newest
  (b) floor        one DuckDB query computing §3.1 from the newest of those register files
  (c) pandas       §3.1-3.2 in pandas from the same files
  (d) incremental  `stv run` again after the newest vintage lands in the inbox

and the shipped sample, `stv run` and a sensor-launched run, each from an empty warehouse.
Before the first run on a warehouse, dbt parses the project for it, as `make manifest` does for
a deployment's warehouse. It then checks that (a), (b) and (c) give the same success criteria,
and writes bench/results/<date>-<scale>.json and bench/results/latest.json, and the README's
table.
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
from bench.phases import dbt_models_seconds, format_phases, phases, run_events
from bench.report import evaluate_targets, update_readme
from stv_pipeline.defs.dbt import DBT_ASSETS_NAME
from stv_pipeline.defs.resources import parse_dbt_project
from stv_pipeline.sample.scenarios import SCALE_FRACTIONS
from stv_pipeline.settings import ENV_WAREHOUSE, PROJECT_ROOT, SAMPLE_DIR, Settings

BENCH_DIR = PROJECT_ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
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


def ensure_data(scale: str, seed: int) -> tuple[Path, float | None]:
    """The scale's data set, generated once per generator version and seed."""
    data = WORK_DIR / scale / "data"
    stamp = data / ".generated"
    wanted = f"{scale} seed={seed} generator={generator_version()}"
    if stamp.exists() and stamp.read_text() == wanted:
        return data, None
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [_bin("stv"), "sample", "--out", str(data), "--scale", scale, "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(wanted)
    return data, round(time.perf_counter() - started, 1)


def extract_date(path: Path) -> str:
    return path.name.split("_", 1)[1][:10]


def link_inbox(data: Path, inbox: Path, skip_vintage: str | None) -> list[Path]:
    """Hard-link the data set into an inbox, leaving out one register vintage; return those."""
    held_back = []
    for source_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        (inbox / source_dir.name).mkdir(parents=True, exist_ok=True)
        for path in sorted(source_dir.iterdir()):
            if source_dir.name in REGISTER_SOURCES and extract_date(path) == skip_vintage:
                held_back.append(path)
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


def parse_dbt_for(warehouse: Path) -> None:
    """What `make manifest` does for the warehouse a deployment runs on (STV_WAREHOUSE), here
    for a benchmark's warehouse, into the folder its runs keep dbt's state in: runs on it then
    parse only what changed, as every run after a deployment's first does."""
    state = Settings.from_env({ENV_WAREHOUSE: str(warehouse)}).dbt_state
    parse_dbt_project(warehouse, state / DBT_ASSETS_NAME)


def sample_runs(run_dir: Path, env: dict[str, str]) -> dict:
    """The shipped sample, from an empty warehouse each: `stv run`, and the run the inbox
    sensor starts through the run queue and dagster-daemon (as the schedule and the UI do)."""
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
        parse_dbt_for(Path(settings["STV_WAREHOUSE"]))
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


def run_benchmark(scale: str, seed: int) -> dict:
    data, generate_s = ensure_data(scale, seed)
    vintages = sorted({extract_date(p) for p in (data / "register_benefits").iterdir()})
    newest = vintages[-1]
    run_dir = WORK_DIR / scale / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    inbox = run_dir / "inbox"
    held_back = link_inbox(data, inbox, skip_vintage=newest)
    full_files = sorted((inbox / "register_benefits").iterdir())

    dagster_home = new_dagster_home(run_dir / "dagster_home")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
    }
    warehouse, exports = run_dir / "warehouse" / "stv.duckdb", run_dir / "exports"
    stv_run = [
        _bin("stv"), "run", "--inbox", str(inbox), "--warehouse", str(warehouse),
        "--exports", str(exports),
    ]  # fmt: skip
    logs = run_dir / "logs"

    def step(name: str, command: list[str]) -> Measurement:
        print(f"[{scale}] {name} ...", flush=True)
        result = measure(name, command, logs / f"{name}.log", env=env)
        print(f"[{scale}] {name}: {result.seconds:.1f} s, peak {result.peak_rss_mb:.0f} MB")
        if result.exit_code != 0:
            tail = "\n".join(result.log.read_text().splitlines()[-25:])
            raise SystemExit(f"{name} failed (exit {result.exit_code}); {result.log}:\n{tail}")
        return result

    def breakdown(measurement: Measurement) -> dict[str, float]:
        """The phases of the run the step just made, from the run's own event log."""
        _, events = run_events(dagster_home)
        seconds = {
            **phases(events, measurement.launched_at, measurement.exited_at),
            **dbt_models_seconds(events),
        }
        return {name: round(value, 2) for name, value in seconds.items()}

    parse_dbt_for(warehouse)
    pipeline = step("pipeline", stv_run)
    pipeline_phases = breakdown(pipeline)
    disclosure_s = disclosure_seconds(exports)
    floor = step(
        "floor",
        [sys.executable, "-m", "bench.floor_query", str(inbox), str(run_dir / "floor.parquet")],
    )
    pandas = step(
        "pandas",
        [sys.executable, "-m", "bench.pandas_metrics", str(inbox), str(run_dir / "pandas")],
    )
    differences = compare_success_criteria(warehouse, run_dir / "floor.parquet", run_dir / "pandas")
    for path in held_back:
        os.link(path, inbox / path.parent.name / path.name)
    incremental = step("incremental", stv_run)
    incremental_phases = breakdown(incremental)
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
    for name in ("sample_cli", "sample_launched"):
        if f"{name}_s" in result:
            print(f"  {name:<16} {result[f'{name}_s']:>8.1f} s")
    for run, breakdown in result.get("phases", {}).items():
        print(f"  {run}, per phase (from its event log):")
        print("\n".join(format_phases(breakdown)))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALE_FRACTIONS), default="small")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args(argv)
    result = run_benchmark(args.scale, args.seed)
    path = save(result)
    print_summary(result)
    update_readme(PROJECT_ROOT / "README.md", RESULTS_DIR)
    print(f"\nresults: {path} (and latest.json); README table updated")
    agree = not any(result["rows_differing_from_pipeline"].values())
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

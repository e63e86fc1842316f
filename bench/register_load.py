"""Loading one benefits snapshot, and dbt's heaviest reading of it (issue 24).

    python -m bench.register_load DATA_DIR [--repeat 3]

DATA_DIR is a data set of `stv sample --scale ...` (its register_benefits/ folder). For the
newest snapshot (every file of its extract date), with the snapshot before it already loaded,
it measures in this process, median of --repeat runs:

  loader   `load_source` as the code stands (since issue 24: each file validated by one scan
           and kept as Parquet beside the warehouse; before: inserted into a DuckDB table)
  scan     the typed scan alone, validating every row and writing nothing: the floor of any
           loader that checks the rows

and, downstream, int_benefit_person_months' SQL for the one new snapshot over
raw.register_benefits as the loader left it. Run it in a checkout of an older commit (with
this file copied in) to compare loaders.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from stv_pipeline.ingest.contracts import REGISTER_BENEFITS
from stv_pipeline.ingest.loader import BROKEN_ROW, ensure_raw_tables, load_source
from stv_pipeline.ingest.readers import read_to_table
from stv_pipeline.ingest.validation import TypedScan, typed_scan
from stv_pipeline.settings import DBT_PROJECT_DIR

SEEDS = ("benefit_codes", "target_groups", "activation_codes")

# int_benefit_person_months for one snapshot, with the staging view's columns it reads
PERSON_MONTHS = """
with weeks as (
    select person_id, municipality_code, benefit_code, activation_code,
        extract_date as vintage,
        make_date(cast(substr(iso_week, 1, 4) as integer), 1, 4)
            - cast(isodow(make_date(cast(substr(iso_week, 1, 4) as integer), 1, 4)) - 1 as integer)
            + (cast(substr(iso_week, 7, 2) as integer) - 1) * 7 as week_monday
    from raw.register_benefits
    where extract_date = $vintage
),
person_month_groups as (
    select w.vintage, w.person_id,
        cast(date_trunc('month', w.week_monday + 3) as date) as month,
        t.priority, count(*) as n_weeks,
        bool_or(coalesce(a.counts_as_company_oriented, false)) as has_company_activity,
        max(w.week_monday) as last_week_monday,
        max_by(w.municipality_code, w.week_monday) as last_municipality_code
    from weeks as w
    left join benefit_codes as b on w.benefit_code = b.benefit_code
    left join target_groups as t on b.target_group = t.target_group
    left join activation_codes as a on w.activation_code = a.activation_code
    group by all
)
select count(*) from (
    select vintage, person_id, month,
        max_by(priority, n_weeks * 1000 - priority) as priority,
        max_by(last_municipality_code, last_week_monday)
            filter (where priority is not null) as municipality_code,
        bool_or(has_company_activity) as has_company_activity
    from person_month_groups
    group by all
    having count(priority) > 0
)
"""


def snapshots(data: Path) -> dict[str, list[Path]]:
    by_date: dict[str, list[Path]] = {}
    for path in sorted((data / "register_benefits").iterdir()):
        by_date.setdefault(path.name.split("_")[1][:10], []).append(path)
    return by_date


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def load_with_loader(con: duckdb.DuckDBPyConnection, folder: Path, work: Path) -> None:
    load_source(
        con,
        REGISTER_BENEFITS,
        folder,
        origin="inbox",
        quarantine_dir=work / "quarantine",
        pseudonym_key=None,
        log=lambda line: None,
    )


def _checked_rows(scan: TypedScan) -> str:
    return (
        f"select * from ({scan.select}) "
        f"where case when {scan.any_broken} then error('{BROKEN_ROW}') else true end"
    )


def scan_only(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    for path in sorted(folder.iterdir()):
        read_to_table(con, path, "_incoming")
        scan = typed_scan(con, REGISTER_BENEFITS, "_incoming", path, None)
        con.execute(f"select count(*) from ({_checked_rows(scan)})", scan.params).fetchone()


def _inbox(files: list[Path], folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in files:
        (folder / path.name).symlink_to(path)
    return folder


def _reference(con: duckdb.DuckDBPyConnection) -> None:
    for seed in SEEDS:
        csv = _literal(DBT_PROJECT_DIR / "seeds" / f"{seed}.csv")
        con.execute(f"create or replace table {seed} as select * from read_csv({csv})")


def measure_once(data: Path, work: Path, how: str) -> tuple[float, float | None]:
    """(seconds to load the newest snapshot, seconds of its person-months) for one approach."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    by_date = snapshots(data)
    previous, newest = list(by_date)[-2:]
    con = duckdb.connect(str(work / "stv.duckdb"))
    con.execute("set memory_limit = '1GB'")
    ensure_raw_tables(con, REGISTER_BENEFITS)
    loaders: dict[str, Callable[[Path], None]] = {
        "loader": lambda folder: load_with_loader(con, folder, work),
        "scan": lambda folder: scan_only(con, folder),
    }
    load = loaders[how]
    if how != "scan":
        load(_inbox(by_date[previous], work / "inbox_previous"))
    folder = _inbox(by_date[newest], work / "inbox")
    started = time.perf_counter()
    load(folder)
    if how == "loader":
        con.execute("checkpoint")
    seconds = time.perf_counter() - started
    if how == "scan":
        return seconds, None
    _reference(con)
    con.execute("set memory_limit = '2GB'")
    started = time.perf_counter()
    con.execute(PERSON_MONTHS, {"vintage": newest}).fetchone()
    return seconds, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.register_load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("data", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows = (
        duckdb.connect()
        .execute(
            "select count(*) from read_parquet(?)",
            [[str(p) for p in snapshots(args.data)[list(snapshots(args.data))[-1]]]],
        )
        .fetchone()[0]
    )
    print(f"newest snapshot: {rows:,} rows")
    with tempfile.TemporaryDirectory(prefix="stv_register_load_") as tmp:
        for how in ("loader", "scan"):
            loads, downstream = [], []
            for _ in range(args.repeat):
                load_s, person_months_s = measure_once(args.data, Path(tmp) / how, how)
                loads.append(load_s)
                if person_months_s is not None:
                    downstream.append(person_months_s)
            line = f"  {how:<8} load {statistics.median(loads):6.2f} s"
            if downstream:
                line += f"   person-months {statistics.median(downstream):6.2f} s"
            print(line + f"   (loads: {', '.join(f'{s:.2f}' for s in loads)})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

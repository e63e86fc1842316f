"""Killing the loader mid-load leaves the warehouse as it was (DESIGN §2: atomic loads).

A loader process is killed with SIGKILL at several moments while it loads a large register
file. Whenever it dies, the warehouse must open, hold every row loaded before, and hold either
all of the new file (logged) or none of it (not logged), never a part.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

LOADER = """
import sys
from pathlib import Path
import duckdb
from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import load_source
con = duckdb.connect(sys.argv[1])
load_source(con, CONTRACTS["register_benefits"], Path(sys.argv[2]), origin="inbox",
            quarantine_dir=Path(sys.argv[3]), pseudonym_key=None, log=print)
print("DONE", flush=True)
"""


def write_register(path: Path, persons: int, first: int = 0) -> None:
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select 'p' || (p + {first}) as person_id, 450 as municipality_code,
                       '2017-W' || lpad((w + 1)::varchar, 2, '0') as iso_week,
                       'KH-AKT' as benefit_code, 'VP' as activation_code,
                       date '2017-12-31' as registered_date
                from range({persons}) as a(p), range(40) as b(w)
            ) to '{path}' (header, delimiter ';')"""
        )


def state(warehouse: Path) -> tuple[int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from raw.register_benefits").fetchone()[0]
        logged = con.execute(
            "select coalesce(sum(rows), 0) from raw.file_log where replaced_at is null"
        ).fetchone()[0]
    return rows, logged


def test_a_killed_load_leaves_all_or_nothing(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_register(inbox / "benefits_2018-01-15.csv", persons=100)
    loader = [sys.executable, "-c", LOADER, str(warehouse), str(inbox), str(tmp_path / "q")]
    subprocess.run(loader, check=True, capture_output=True)
    assert state(warehouse) == (4000, 4000)

    write_register(inbox / "benefits_2018-02-15.csv", persons=40_000, first=100)  # 1.6M rows
    start = time.monotonic()
    subprocess.run(loader, check=True, capture_output=True)
    full = time.monotonic() - start
    rows_after_full = state(warehouse)
    assert rows_after_full == (1_604_000, 1_604_000)

    # A next vintage of the same size: kill its load at moments spread over a load's time.
    write_register(inbox / "benefits_2018-03-15.csv", persons=40_000, first=100_000)
    outcomes = set()
    for fraction in (0.2, 0.4, 0.6, 0.8, 0.95):
        proc = subprocess.Popen(loader, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(full * fraction)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rows, logged = state(warehouse)
        assert rows == logged, f"killed at {fraction:.0%}: {rows} rows but {logged} logged"
        assert rows in (1_604_000, 3_204_000)
        outcomes.add(rows)
    # Whatever happened, a last uninterrupted run completes the load exactly once.
    subprocess.run(loader, check=True, capture_output=True)
    assert state(warehouse) == (3_204_000, 3_204_000)
    assert 1_604_000 in outcomes  # at least one kill landed before the commit

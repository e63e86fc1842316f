"""Killing the loader mid-load leaves the warehouse as it was (DESIGN §2: atomic loads).

A loader process is killed with SIGKILL at several moments while it loads a large register
file. Whenever it dies, the warehouse must open, hold every row loaded before, and hold either
all of the new file (logged) or none of it (not logged), never a part; and the next load (or
`stv run`) loads the file exactly once, leaving no file beside the warehouse that it does not
list.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.helpers import INBOX_SMALL
from tests.processes import PROJECT, StvRun, place_with_inbox

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


# --- a register file killed between its Parquet copy and its file-log entry -----------------
#
# A register file is kept as Parquet beside the warehouse and listed with its file-log entry in
# one transaction (DESIGN §2, stv_pipeline/ingest/register_store.py). The loader is killed at
# each step of that: while the copy is written (by DuckDB for a CSV, byte for byte for a Parquet
# delivery), once the copy is complete but not listed, and once listed but before the file it
# replaced is deleted. The moments are made exact by the process killing itself there, as
# test_delivery_series does, except DuckDB's own write, which is killed from outside once its
# half-written file is seen.

KILLED_LOADER = """
import os, signal, sys
from pathlib import Path
import duckdb
from stv_pipeline.ingest import loader, register_store
from stv_pipeline.ingest.contracts import CONTRACTS

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

moment = sys.argv[4]
if moment == "copying":  # half of the delivered Parquet file's bytes copied
    def half_then_die(source, target):
        data = Path(source).read_bytes()
        with open(target, "wb") as fh:
            fh.write(data[: len(data) // 2])
        die()
    register_store.shutil.copyfile = half_then_die
elif moment == "before_listing":  # the copy complete and synced, not listed
    loader.list_file = die
elif moment == "before_deleting_replaced":  # listed and committed, the old version still there
    loader.delete_files = die
con = duckdb.connect(sys.argv[1])
loader.load_source(con, CONTRACTS["register_benefits"], Path(sys.argv[2]), origin="inbox",
                   quarantine_dir=Path(sys.argv[3]), pseudonym_key=None, log=print)
print("DONE", flush=True)
"""


def write_register_parquet(path: Path, persons: int, first: int = 0) -> None:
    """A Parquet delivery whose every value reads as delivered: kept byte for byte."""
    csv = path.with_suffix(".csv")
    write_register(csv, persons, first)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_csv('{csv}', all_varchar = true, delimiter = ';')) "
            f"to '{path}' (format parquet)"
        )
    csv.unlink()


def register_files(warehouse: Path) -> tuple[list[tuple[str, int]], list[str], list[str]]:
    """(active file-log entries with their rows, the kept files listed, the files in the
    folder beside the warehouse)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        logged = con.execute(
            "select file_name, rows from raw.file_log where replaced_at is null order by 1"
        ).fetchall()
        listed = [
            name
            for (name,) in con.execute(
                "select parquet_file from raw.register_files order by 1"
            ).fetchall()
        ]
    folder = warehouse.with_name(warehouse.name + ".registers") / "register_benefits"
    return logged, listed, sorted(p.name for p in folder.iterdir())


def killed_loader(tmp_path: Path, moment: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        KILLED_LOADER,
        str(tmp_path / "w.duckdb"),
        str(tmp_path / "inbox"),
        str(tmp_path / "q"),
        moment,
    ]


@pytest.mark.parametrize(
    "moment, delivered",
    [
        ("writing", "benefits_2018-02-15.csv"),  # DuckDB writing the typed Parquet
        ("copying", "benefits_2018-02-15.parquet"),  # the delivered bytes being copied
        ("before_listing", "benefits_2018-02-15.csv"),
        ("before_listing", "benefits_2018-02-15.parquet"),
    ],
)
def test_a_register_load_killed_before_its_listing_is_loaded_once_by_the_next(
    tmp_path, moment, delivered
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_register_parquet(inbox / "benefits_2018-01-15.parquet", persons=100)
    subprocess.run(killed_loader(tmp_path, "none"), check=True, capture_output=True)
    before = register_files(tmp_path / "w.duckdb")
    assert before[0] == [("benefits_2018-01-15.parquet", 4000)]
    assert before[1] == before[2] and len(before[1]) == 1

    writer = write_register_parquet if delivered.endswith(".parquet") else write_register
    writer(inbox / delivered, persons=40_000, first=100)  # 1.6M rows
    folder = tmp_path / "w.duckdb.registers" / "register_benefits"
    proc = subprocess.Popen(
        killed_loader(tmp_path, moment), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if moment == "writing":  # DuckDB's half-written file seen, the process is killed
        deadline = time.monotonic() + 120
        while not any(p.stat().st_size for p in folder.glob("*.writing")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        written = sum(p.stat().st_size for p in folder.glob("*.writing"))
        print(f"\nkilled while DuckDB wrote the typed Parquet: {written:,} bytes written")
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.communicate()
    logged, listed, in_folder = register_files(tmp_path / "w.duckdb")
    assert (logged, listed) == before[:2]  # the warehouse as it was
    left = sorted(set(in_folder) - set(listed))
    if moment == "before_listing":
        assert [name.split(".")[0] for name in left] == ["benefits_2018-02-15"]
        assert left[0].endswith(".parquet")
    else:
        assert len(left) == 1 and left[0].endswith(".parquet.writing"), left
    assert state(tmp_path / "w.duckdb") == (4000, 4000)

    done = subprocess.run(killed_loader(tmp_path, "none"), check=True, capture_output=True)
    assert b"loaded " + delivered.encode() + b" (register_benefits): 1600000 rows" in done.stdout
    logged, listed, in_folder = register_files(tmp_path / "w.duckdb")
    assert logged == [("benefits_2018-01-15.parquet", 4000), (delivered, 1_600_000)]
    assert in_folder == listed and len(listed) == 2  # the dead load's file is gone
    assert state(tmp_path / "w.duckdb") == (1_604_000, 1_604_000)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute(
            "select count(distinct (person_id, iso_week)) from raw.register_benefits "
            "where _file_name = ?",
            [delivered],
        ).fetchone() == (1_600_000,)


def test_a_register_load_killed_after_listing_a_replacement_keeps_the_new_version(tmp_path):
    """Committed, the replaced version's file not yet deleted: the warehouse reads the new
    version, and the next load deletes the old file, loading nothing again."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_register(inbox / "benefits_2018-01-15.csv", persons=100)
    subprocess.run(killed_loader(tmp_path, "none"), check=True, capture_output=True)
    [first] = register_files(tmp_path / "w.duckdb")[1]
    write_register(inbox / "benefits_2018-01-15.csv", persons=150)  # the same file, corrected
    killed = subprocess.run(
        killed_loader(tmp_path, "before_deleting_replaced"), capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    logged, listed, in_folder = register_files(tmp_path / "w.duckdb")
    assert logged == [("benefits_2018-01-15.csv", 6000)]
    assert len(listed) == 1 and sorted(set(in_folder) - set(listed)) == [first]
    assert state(tmp_path / "w.duckdb") == (6000, 6000)

    done = subprocess.run(killed_loader(tmp_path, "none"), check=True, capture_output=True)
    assert b"skipped benefits_2018-01-15.csv (register_benefits): already loaded" in done.stdout
    assert register_files(tmp_path / "w.duckdb") == (logged, listed, listed)


KILLED_RUN = """
import os, signal, sys
from stv_pipeline.cli import main
from stv_pipeline.ingest import loader

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

loader.list_file = die  # the first register file kept and synced, not listed
main(["run", "--inbox", sys.argv[1], "--warehouse", sys.argv[2], "--exports", sys.argv[3],
      "--no-record"])
"""


def test_a_run_killed_between_a_register_copy_and_its_listing_is_followed_by_one_loading_it_once(
    tmp_path,
):
    """`stv run` dies in its register load with a kept, unlisted Parquet file beside the
    warehouse; the next `stv run` (a new instance) finishes and holds each file once."""
    place = place_with_inbox(tmp_path, INBOX_SMALL)
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_RUN,
            str(place.inbox),
            str(place.warehouse),
            str(place.exports),
        ],
        cwd=PROJECT,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("STV_")},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout.decode()[-2000:]
    folders = place.warehouse.with_name(place.warehouse.name + ".registers")
    [left] = [p for p in folders.glob("*/*") if p.suffix == ".parquet"]
    with duckdb.connect(str(place.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.register_files").fetchone() == (0,)
    assert place.deliveries() == []

    run = StvRun(place, tmp_path / "dagster_home")
    assert run.wait() == 0, run.output
    assert "waits for" not in run.output
    assert re.search(r"^Run \w{8} succeeded\.$", run.output, re.M)
    with duckdb.connect(str(place.warehouse), read_only=True) as con:
        logged = con.execute(
            "select source, file_name, rows from raw.file_log "
            "where source like 'register_%' and replaced_at is null order by 1, 2"
        ).fetchall()
        listed = con.execute(
            "select source, parquet_file from raw.register_files order by 1, 2"
        ).fetchall()
        viewed = {
            source: con.execute(
                f"select _file_name, count(*) from raw.{source} group by 1 order by 1"
            ).fetchall()
            for source in ("register_benefits", "register_earnings")
        }
    delivered = sorted(
        (p.parent.name, p.name) for p in place.inbox.glob("register_*/*") if p.is_file()
    )
    assert [(s, f) for s, f, _ in logged] == delivered  # each file once
    assert {s: [(f, r) for s2, f, r in logged if s2 == s] for s in viewed} == viewed
    kept = sorted((p.parent.name, p.name) for p in folders.glob("*/*"))
    # the dead run's file deleted, the same content kept again under its name and listed
    assert kept == listed and len(kept) == len(delivered)
    assert (left.parent.name, left.name) in kept

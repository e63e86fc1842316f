"""Peak memory and time of loading one large register CSV (issue 3: 1 GB in about 2 GB).

    python bench/ingest_memory.py [--gb 1.0] [--workdir DIR]

Writes a register_benefits CSV of about the given size, loads it with the real loader into a
fresh warehouse in a child process, and prints wall time and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
BYTES_PER_ROW = 40  # measured: 19.2M rows of this shape make a 777 MB file

LOADER = """
import sys
from pathlib import Path
import duckdb
from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import load_source
con = duckdb.connect(sys.argv[1])
[o] = load_source(con, CONTRACTS["register_benefits"], Path(sys.argv[2]), origin="inbox",
                  quarantine_dir=Path(sys.argv[3]), pseudonym_key=None, log=print)
print(o.status, o.rows)
"""


def write_register(path: Path, gigabytes: float) -> int:
    rows = int(gigabytes * 1e9 / BYTES_PER_ROW)
    persons, weeks = rows // 50 + 1, 50
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select 'p' || lpad(p::varchar, 7, '0') as person_id,
                       (list_value(450, 461, 813, 253, 710))[1 + p % 5] as municipality_code,
                       '2017-W' || lpad((w + 1)::varchar, 2, '0') as iso_week,
                       (list_value('KH-AKT', 'RF', 'IY-AKT', 'KH-JOB'))[1 + (p + w) % 4]
                           as benefit_code,
                       case when (p * 7 + w) % 5 = 0 then 'VP' end as activation_code,
                       date '2017-12-31' as registered_date
                from range({persons}) as a(p), range({weeks}) as b(w)
            ) to '{path}' (header, delimiter ';')"""
        )
    return persons * weeks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        inbox = work / "inbox"
        inbox.mkdir()
        csv = inbox / "benefits_2018-01-15.csv"
        rows = write_register(csv, args.gb)
        size = csv.stat().st_size
        start = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-c",
                LOADER,
                str(work / "w.duckdb"),
                str(inbox),
                str(work / "q"),
            ],
            check=True,
        )
        wall = time.monotonic() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "file_mb": round(size / 1e6),
                "rows": rows,
                "wall_s": round(wall, 1),
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()

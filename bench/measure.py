"""Wall time and peak memory of one command in its own process (and its children).

`/usr/bin/time -v` gives the peak RSS of the largest single process of the tree; the pipeline's
dbt subprocess runs beside the Dagster process, so the tree's summed RSS is also sampled from
/proc every 50 ms, and the larger of the two is the peak reported.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Measurement:
    name: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    log: Path
    # epoch seconds, comparable with the Dagster event log's timestamps
    launched_at: float = 0.0
    exited_at: float = 0.0


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for task in tasks for c in (task / "children").read_text().split()]
    except OSError:
        return []


def _tree_rss_kb(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(_children(pid))
    return total


def measure(
    name: str, command: list[str], log: Path, env: dict[str, str] | None = None
) -> Measurement:
    """Run `command` under /usr/bin/time -v, its output to `log`; sample the tree's RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    peak = [0]
    with log.open("w") as out:
        launched_at, started = time.time(), time.perf_counter()
        process = subprocess.Popen(
            [*timer, *command], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss_kb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        exit_code = process.wait()
        seconds = time.perf_counter() - started
        exited_at = time.time()
        done.set()
        sampler.join()
    # the timer process itself is tiny; its report covers the largest process it waited for
    reported = re.search(r"Maximum resident set size \(kbytes\): (\d+)", log.read_text())
    peak_kb = max(peak[0], int(reported.group(1)) if reported else 0)
    return Measurement(
        name, round(seconds, 2), round(peak_kb / 1024, 1), exit_code, log, launched_at, exited_at
    )

"""`stv run` as a process of its own, as an operator starts it: its output line by line as it
comes, its run log, its export folder being made, its CPU time from /proc, and signals."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stv_pipeline.operations.processes import cpu_ticks, descendants, start_ticks

PROJECT = Path(__file__).resolve().parents[1]
STV = str(Path(sys.executable).with_name("stv"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Place:
    """A warehouse with its inbox and exports, under one folder."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.root / "w.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def deliveries(self) -> list[str]:
        """Export folders with a normal name (whole deliveries)."""
        if not self.exports.is_dir():
            return []
        return sorted(p.name for p in self.exports.iterdir() if not p.name.startswith("."))

    def hidden(self) -> list[str]:
        if not self.exports.is_dir():
            return []
        return sorted(p.name for p in self.exports.iterdir() if p.name.startswith("."))


def place_with_inbox(root: Path, inbox: Path, leave_out: tuple[str, ...] = ()) -> Place:
    place = Place(root)
    shutil.copytree(inbox, place.inbox, ignore=shutil.ignore_patterns(*leave_out))
    return place


class StvRun:
    """`stv run` on a place, recorded in the instance at dagster_home."""

    def __init__(self, place: Place, dagster_home: Path, *options: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("STV_")}
        env |= {"DAGSTER_HOME": str(dagster_home), "PYTHONUNBUFFERED": "1"}
        self.place = place
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [
                STV,
                "run",
                "--inbox",
                str(place.inbox),
                "--warehouse",
                str(place.warehouse),
                "--exports",
                str(place.exports),
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=PROJECT,
        )
        self.lines: list[tuple[float, str]] = []  # (time.time() when it came, the line)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append((time.time(), line.rstrip("\n")))

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def line(self, pattern: str, timeout: float = 120) -> tuple[float, str]:
        """The first output line matching the regular expression (when it came, the line)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if re.search(pattern, line):
                    return at, line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output}")

    @property
    def run_id8(self) -> str:
        return self.line(r"^STV run \w{8}:")[1].split()[2].rstrip(":")

    @property
    def delivery(self) -> str:
        """The name of the export folder the run printed (also when it was unchanged)."""
        return Path(self.line(r"^Exports( \(unchanged, newest\))?: ")[1].split(": ", 1)[1]).name

    @property
    def log(self) -> Path:
        return Path(self.line(r"^Full log: ")[1].removeprefix("Full log: "))

    def until(self, moment, timeout: float = 180, poll: float = 0.01) -> None:
        """Wait until moment() is true (checked every poll seconds) while the run lives."""
        deadline = time.monotonic() + timeout
        while not moment():
            if self.process.poll() is not None:
                raise AssertionError(f"the run ended before the moment:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the moment did not come:\n{self.output}")
            time.sleep(poll)

    def logged(self, text: str) -> bool:
        try:
            return text in self.log.read_text("utf-8", errors="replace")
        except (OSError, AssertionError):
            return False

    def exporting(self) -> bool:
        """Its hidden export folder holds a delivered file (not only the staged tables)."""
        return any(
            f.suffix in (".csv", ".parquet")
            for partial in self.place.exports.glob(f".*_{self.run_id8}.partial")
            for f in partial.iterdir()
        )

    def children(self) -> list[int]:
        return descendants(self.pid)

    def kill(self, signum: int = signal.SIGKILL) -> float:
        """Send the signal; seconds until the process ended."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        self.process.wait(timeout=60)
        took = time.monotonic() - sent
        self._reader.join(timeout=10)
        return took

    def wait(self, timeout: float = 600) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def cpu_share(self, seconds: float) -> float:
        """The share of one core the process used over the next `seconds` (from /proc)."""
        before, started = cpu_ticks(self.pid), time.monotonic()
        time.sleep(seconds)
        used = (cpu_ticks(self.pid) - before) / CLOCK_TICKS
        return used / (time.monotonic() - started)


def all_gone(pids: list[int], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while any(start_ticks(pid) is not None for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True

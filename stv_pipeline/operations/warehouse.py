"""One run at a time per warehouse, and waiting for it idly and visibly (DESIGN §5).

A run holds its warehouse for its whole life through a lock file beside it (`<warehouse>.lock`,
an flock: released by the kernel the moment the holder dies, so a killed run never holds a
warehouse). Runs on different warehouses share nothing and never wait for each other. A run
that finds the warehouse held waits, asleep between looks, and says whom it waits for: once
when it starts waiting and again every minute.

Inside a run, DuckDB's own write lock can still be held by a process that is no run (an
analyst's DuckDB shell, a notebook): the run waits for that too, says which process holds it
(DuckDB's error names it) and gives up after WAREHOUSE_WAIT_LIMIT_SECONDS.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from stv_pipeline.operations import locks
from stv_pipeline.operations.processes import command_line

# Between two looks at a lock: well under a second of waiting per look, and next to no CPU.
POLL_SECONDS = 0.5
# A waiting run says again whom it waits for this often.
REPORT_EVERY_SECONDS = 60
# How long a run waits for a DuckDB lock held by a process that is no run, before it fails.
WAREHOUSE_WAIT_LIMIT_SECONDS = 10 * 60


def duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def lock_file(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@dataclass(frozen=True)
class Holder:
    """Who holds a warehouse, as its lock file's note says."""

    pid: int | None
    command: str
    since: datetime | None
    run_id: str | None

    @staticmethod
    def from_note(note: dict[str, Any] | None) -> Holder:
        note = note or {}
        since = note.get("since")
        return Holder(
            pid=note.get("pid"),
            command=note.get("command", ""),
            since=datetime.fromisoformat(since) if since else None,
            run_id=note.get("run_id"),
        )

    def describe(self) -> str:
        if self.pid is None:
            return "another process"
        what = f"run {self.run_id[:8]}" if self.run_id else "a run starting"
        command = f", `{self.command}`" if self.command else ""
        return f"{what} (PID {self.pid}{command})"


def waiting_message(warehouse: Path, holder: Holder, waited_seconds: float) -> str:
    since = f" since {holder.since:%H:%M:%S}" if holder.since else ""
    line = f"waits for {holder.describe()} holding {warehouse}{since}"
    if waited_seconds < REPORT_EVERY_SECONDS:
        return f"This run {line}."
    return f"This run still {line} (waiting {duration(waited_seconds)})."


@contextmanager
def hold_warehouse(
    warehouse: Path,
    *,
    run_id: str | None = None,
    say: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
) -> Iterator[None]:
    """Hold the warehouse for the block, waiting for a run that holds it. Re-entrant within
    a process; a run id given (by the run this process executes) goes into the note."""
    path = lock_file(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    already_held = locks.is_held_here(path)
    started = time.monotonic()
    next_report = started
    while not locks.try_acquire(path):
        now = time.monotonic()
        if now >= next_report:
            say(waiting_message(warehouse, Holder.from_note(locks.read_note(path)), now - started))
            next_report += REPORT_EVERY_SECONDS
        time.sleep(poll_seconds)
    try:
        if not already_held:
            locks.write_note(
                path,
                {
                    "pid": os.getpid(),
                    "command": command_line(),
                    "since": datetime.now().isoformat(timespec="seconds"),
                    "run_id": run_id,
                },
            )
        elif run_id:
            note = locks.read_note(path) or {}
            if note.get("run_id") != run_id:
                locks.write_note(path, {**note, "run_id": run_id})
        yield
    finally:
        locks.release(path)


# --- DuckDB's own lock, held by a process that is no run ---


class WarehouseLocked(Exception):
    pass


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(message: str) -> str:
    """Who holds the warehouse, as DuckDB names it in its lock error: 'PID 42 (duckdb)' from
    '... Conflicting lock is held in /usr/bin/duckdb (PID 42) by user ...'."""
    found = re.search(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)", message)
    if not found:
        return "another process"
    return f"PID {found['pid']} ({Path(found['program']).name})"


def locked_message(
    warehouse: str, message: str, since: datetime, limit_seconds: float, now: datetime
) -> str:
    """The line a run waiting for DuckDB's lock says: who holds it, since when, until when,
    the warehouse's path last (a terminal line is cut at 160 characters)."""
    waited = (now - since).total_seconds()
    gives_up = datetime.fromtimestamp(since.timestamp() + limit_seconds)
    holder = lock_holder(message)
    still = (
        f"still locked by {holder} (waiting {duration(waited)})"
        if waited >= 1
        else (f"locked by {holder}")
    )
    return (
        f"Warehouse {still}: this run waits for it since {since:%H:%M:%S} and gives up at "
        f"{gives_up:%H:%M:%S} ({warehouse})"
    )


def connect_waiting(
    database: str,
    config: dict[str, Any] | None = None,
    *,
    say: Callable[[str], None] = print,
    limit_seconds: float = WAREHOUSE_WAIT_LIMIT_SECONDS,
    poll_seconds: float = 1.0,
) -> duckdb.DuckDBPyConnection:
    """A writing connection to the warehouse, waiting while another process holds DuckDB's
    lock: says so at the first failed attempt and every minute, fails after limit_seconds."""
    since = started = None
    next_report = 0.0
    while True:
        try:
            return duckdb.connect(database, read_only=False, config=config or {})
        except duckdb.IOException as exc:
            if not is_lock_error(exc):
                raise
            now = time.monotonic()
            if started is None:
                since, started, next_report = datetime.now(), now, now
            if now - started >= limit_seconds:
                raise WarehouseLocked(
                    f"Warehouse still locked by {lock_holder(str(exc))} after "
                    f"{duration(limit_seconds)} of waiting: end that process (or wait for it) and "
                    f"run again ({database})"
                ) from exc
            if now >= next_report:
                say(locked_message(database, str(exc), since, limit_seconds, datetime.now()))
                next_report += REPORT_EVERY_SECONDS
            time.sleep(poll_seconds)

"""File locks held by a live process (flock): the kernel releases one when its process dies,
however it dies (SIGKILL, out of memory, power loss), so a lock is never left behind.

A lock is re-entrant within its process: taken again by the same process it is counted, not
waited for (`stv run` holds the warehouse, and the run it executes takes it again). The lock
file may hold a note about its holder (JSON), for those who wait to say whom they wait for.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class _Held:
    fd: int
    count: int


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def try_acquire(path: Path) -> bool:
    """Take the lock on path (created if missing) unless another process holds it."""
    path = path.absolute()
    with _guard:
        if path in _held:
            _held[path].count += 1
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        _held[path] = _Held(fd, 1)
        return True


def release(path: Path) -> None:
    path = path.absolute()
    with _guard:
        held = _held[path]
        held.count -= 1
        if held.count == 0:
            del _held[path]
            os.close(held.fd)  # closing the last descriptor releases the flock


def is_held_here(path: Path) -> bool:
    return path.absolute() in _held


def write_note(path: Path, note: dict[str, Any]) -> None:
    """Replace the holder's note in a lock this process holds."""
    fd = _held[path.absolute()].fd
    data = json.dumps(note, ensure_ascii=False).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def read_note(path: Path) -> dict[str, Any] | None:
    """The holder's note, or None when there is none or it is being written."""
    try:
        note = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


@contextmanager
def exclusively(path: Path) -> Iterator[None]:
    """Hold the lock on path for the block, waiting for it (re-entrant like try_acquire).
    For short critical sections only: the wait is not announced."""
    path = path.absolute()
    if not try_acquire(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        with _guard:
            _held[path] = _Held(fd, 1)
    try:
        yield
    finally:
        release(path)

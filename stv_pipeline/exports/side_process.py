"""A function run in a process of its own beside this one: the export writes its workbook
(pure-Python XlsxWriter, bound to one core) there while this process writes the CSV, Parquet
and report, so both of a machine's cores work on the export.

The process is a fresh `python -m stv_pipeline.exports.side_process` that imports only the
function's module, not multiprocessing's spawn, which would import this process's `__main__`
(Dagster, dbt) again first. The call goes pickled in a temporary file (written at once, where
a pipe would hold this process until the other had started to read), its outcome comes back
pickled on stdout.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stv_pipeline.operations.processes import die_with_parent


class SideProcessDied(RuntimeError):
    pass


class Running:
    """A started call; `result()` waits for it and returns its value or raises its error.
    Used as a context manager, leaving the block (on an error of one's own, say) stops a call
    that has not finished: nothing goes on writing what nobody will wait for."""

    def __init__(self, process: subprocess.Popen, call: Path, what: str):
        self._process, self._call, self._what = process, call, what

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._call.unlink(missing_ok=True)

    def result(self) -> Any:
        try:
            out, _ = self._process.communicate()
        finally:
            self._call.unlink(missing_ok=True)
        try:
            ok, value = pickle.loads(out)
        except Exception as exc:
            raise SideProcessDied(
                f"{self._what} in a side process ended with exit code "
                f"{self._process.returncode} and no result"
            ) from exc
        if not ok:
            raise value
        return value


def start(fn: Callable[..., Any], *args: Any) -> Running:
    """Run fn(*args) in a side process; fn must be a module-level function."""
    with tempfile.NamedTemporaryFile("wb", suffix=".call.pickle", delete=False) as call:
        pickle.dump((fn.__module__, fn.__qualname__, args), call, protocol=5)
    process = subprocess.Popen(
        [sys.executable, "-m", __name__, str(os.getpid()), call.name],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    return Running(process, Path(call.name), f"{fn.__module__}.{fn.__qualname__}")


def _serve() -> None:
    # killed when this process's parent dies: an export killed mid-write (a crash, SIGKILL)
    # leaves no side process finishing a file nobody waits for
    die_with_parent(int(sys.argv[1]))
    call = Path(sys.argv[2])
    module, name, args = pickle.loads(call.read_bytes())
    call.unlink()
    try:
        outcome = (True, getattr(importlib.import_module(module), name)(*args))
    except Exception as exc:
        outcome = (False, exc)
    pickle.dump(outcome, sys.stdout.buffer, protocol=5)


if __name__ == "__main__":
    _serve()

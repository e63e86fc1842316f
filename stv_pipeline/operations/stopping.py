"""SIGTERM and SIGINT (Ctrl-C) stop `stv run` within seconds, with one clear line, whatever the
run is doing (DESIGN §5).

A signal first asks the run to stop the orderly way: while it waits for the warehouse (or
before it runs) the wait ends at once; while it runs, Dagster's own handlers interrupt the
step, record the run as failed and release what it holds. That can take long (dagster-dbt lets
dbt finish its statement; a solver or a query in C does not look at signals), so a watchdog
thread woken by the signal itself (`signal.set_wakeup_fd`, written by the interpreter's C
handler whatever the main thread is doing) ends the process at GRACE_SECONDS: it kills the
run's child processes and exits. A second signal ends it at once. Either way nothing half done
is left in a form that counts: an export folder gets its name only when complete, DuckDB
commits whole transactions, and the warehouse's lock dies with the process.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from stv_pipeline.operations.processes import kill_descendants

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_SECONDS = 3.0


class StopRequested(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """Raised in the main thread by the first SIGTERM or SIGINT outside a Dagster run."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(signum: int) -> int:
    """As a shell reports a process ended by that signal: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


class StopOnSignals:
    """For the life of the command: the first SIGTERM/SIGINT stops it the orderly way, and in
    any case within GRACE_SECONDS; `line(signum)` is what it says when it stops."""

    def __init__(
        self,
        line: Callable[[int], str],
        *,
        grace_seconds: float = GRACE_SECONDS,
        out: int | None = None,
    ):
        self._line = line
        self._grace = grace_seconds
        self._out = sys.__stderr__.fileno() if out is None else out
        self._said = threading.Lock()
        self.signum: int | None = None

    # what the line says may depend on how far the command got (a run id, say)
    def set_line(self, line: Callable[[int], str]) -> None:
        self._line = line

    def __enter__(self) -> StopOnSignals:
        self._active = threading.current_thread() is threading.main_thread()
        if not self._active:
            return self
        self._reader, writer = socket.socketpair()
        writer.setblocking(False)
        self._writer = writer
        self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._previous = {s: signal.signal(s, self._handle) for s in STOP_SIGNALS}
        threading.Thread(target=self._watch, name="stop-watchdog", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._active:
            return
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._writer.close()  # ends the watchdog's read

    @property
    def stopped(self) -> bool:
        return self.signum is not None

    def say_stopped(self) -> None:
        """Print the stop line, once (the watchdog may print it first)."""
        if self.signum is not None and self._said.acquire(blocking=False):
            os.write(self._out, (self._line(self.signum) + "\n").encode())

    def end(self) -> NoReturn:
        """End a stopped command now, with the stop line and its exit code: the interpreter's
        own exit (finalising the modules of Dagster, dbt and pandas) can take seconds on a busy
        machine, and once it has begun the watchdog thread no longer runs."""
        self.say_stopped()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(exit_code(self.signum))

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = self.signum or signum
        raise StopRequested(signum)

    def _signals(self, timeout: float | None) -> list[int] | None:
        """Stop signals received within timeout: [] when none came, None when the guard
        was left."""
        self._reader.settimeout(timeout)
        try:
            data = self._reader.recv(64)
        except TimeoutError:
            return []
        except OSError:
            return None
        if not data:
            return None
        return [b for b in data if b in STOP_SIGNALS]

    def _watch(self) -> None:
        received: list[int] | None = []
        while not received:
            received = self._signals(None)
            if received is None:  # left without a signal: nothing to watch
                self._reader.close()
                return
        self.signum = self.signum or received[0]
        deadline = time.monotonic() + self._grace
        # an orderly stop has until the deadline, also once the guard is left (the process
        # may still hang on its way out); a second signal ends it at once
        while len(received) < 2 and (remaining := deadline - time.monotonic()) > 0:
            more = self._signals(remaining)
            if more is None:
                time.sleep(max(0.0, deadline - time.monotonic()))
                break
            received += more
        kill_descendants()
        self.say_stopped()
        os._exit(exit_code(self.signum))

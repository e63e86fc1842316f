"""Processes as the kernel knows them: who a process is, so that a PID reused after its process
died is not taken for it; whether it still lives; its descendants; and a child that the kernel
kills when its parent dies, however the parent dies."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from its third field (state) on; the second, the command name in
    parentheses, may itself hold spaces and parentheses."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks after boot (field 22 of /proc/<pid>/stat);
    None when there is no such process or it has died and waits to be reaped (a zombie)."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def cpu_ticks(pid: int) -> int:
    """User and system CPU time the process has used so far, in clock ticks."""
    fields = _stat_fields(pid)
    if fields is None:
        raise ProcessLookupError(pid)
    return int(fields[11]) + int(fields[12])


def boot_id() -> str:
    try:
        return (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return ""


def command_line(pid: int | None = None) -> str:
    """The process's command as typed, with the program named by its file name only."""
    if pid is None or pid == os.getpid():
        argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else []
    else:
        try:
            argv = (PROC / str(pid) / "cmdline").read_bytes().decode().split("\0")[:-1]
        except OSError:
            return ""
        argv = [Path(argv[0]).name, *argv[1:]] if argv else []
    return shlex.join(argv)


@dataclass(frozen=True)
class ProcessIdentity:
    """A process as the kernel tells it apart from any other, past or future, on this machine:
    a PID is reused, a PID with its start time is not (until the machine restarts, which
    boot_id tells)."""

    pid: int
    host: str
    started: int
    boot: str

    @staticmethod
    def of(pid: int | None = None) -> ProcessIdentity:
        pid = os.getpid() if pid is None else pid
        return ProcessIdentity(pid, socket.gethostname(), start_ticks(pid) or 0, boot_id())

    def is_alive(self) -> bool:
        """False only when it is certain the process is gone; a process on another machine
        counts as alive."""
        if self.host != socket.gethostname():
            return True
        if self.boot != boot_id():  # the machine has restarted since
            return False
        return start_ticks(self.pid) == self.started

    def as_tags(self, prefix: str) -> dict[str, str]:
        return {
            f"{prefix}pid": str(self.pid),
            f"{prefix}host": self.host,
            f"{prefix}process_started": str(self.started),
            f"{prefix}boot_id": self.boot,
        }

    @staticmethod
    def from_tags(tags: dict[str, str], prefix: str) -> ProcessIdentity | None:
        try:
            return ProcessIdentity(
                int(tags[f"{prefix}pid"]),
                tags[f"{prefix}host"],
                int(tags[f"{prefix}process_started"]),
                tags[f"{prefix}boot_id"],
            )
        except (KeyError, ValueError):
            return None


def descendants(pid: int) -> list[int]:
    """Every process started by pid, by its children and so on (children before theirs)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants(pid: int | None = None) -> list[int]:
    """SIGKILL every descendant of pid (default this process); the PIDs signalled."""
    killed = []
    for child in descendants(os.getpid() if pid is None else pid):
        try:
            os.kill(child, signal.SIGKILL)
            killed.append(child)
        except ProcessLookupError:
            pass
    return killed


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (kept across exec): a run
    killed with SIGKILL leaves no child going on with work nobody waits for. Exits at once
    when the parent died before the request was made."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)

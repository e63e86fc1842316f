"""The side process the export writes its workbook in: results and errors come back, the call
file goes, and the process does not outlive the one that started it."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from stv_pipeline.exports import side_process


def test_the_value_or_the_error_of_the_call_comes_back_and_its_call_file_goes():
    before = set(Path(tempfile.gettempdir()).glob("*.call.pickle"))
    assert side_process.start(divmod, 17, 5).result() == (3, 2)
    with pytest.raises(ZeroDivisionError):
        side_process.start(divmod, 1, 0).result()
    assert set(Path(tempfile.gettempdir()).glob("*.call.pickle")) == before


def test_a_side_process_that_dies_without_a_result_is_an_error_naming_the_call():
    with pytest.raises(
        side_process.SideProcessDied, match="_exit in a side process ended with exit code 3"
    ):
        side_process.start(os._exit, 3).result()


PARENT = """
import sys, time
from stv_pipeline.exports import side_process
running = side_process.start(time.sleep, 60)
print(running._process.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal")
def test_killing_the_parent_kills_the_side_process():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    time.sleep(1.0)  # the side process has started and set its parent-death signal
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)


def test_leaving_the_block_on_an_error_stops_the_call():
    with pytest.raises(RuntimeError, match="the export failed"):
        with side_process.start(time.sleep, 60) as running:
            child = running._process.pid
            raise RuntimeError("the export failed")
    assert not _alive(child)

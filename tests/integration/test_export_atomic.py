"""Killing the export mid-write never leaves a folder that looks like a delivery (DESIGN §4).

The export of the small inbox, with its revision history made long enough that writing takes a
while, is written by a separate process that is killed with SIGKILL once its hidden folder holds
a given number of files. Whenever it dies, the exports folder must hold no folder with a normal
name; the next export removes the hidden leftover and delivers a whole folder.
"""

import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.delivery import (
    EXPORTED_MARTS,
    read_disclosure_inputs,
    remove_partial_folders,
    write_export,
)
from stv_pipeline.exports.disclosure import Publication, suppress_export
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import ReportInputs
from tests.helpers import INBOX_SMALL, run_stv

pytestmark = pytest.mark.integration

WRITER = """
import pickle, sys
from pathlib import Path
from stv_pipeline.exports.delivery import write_export
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import ReportInputs
publication, folder = pickle.loads(Path(sys.argv[1]).read_bytes()), Path(sys.argv[2])
write_export(folder, publication, about=ReportInputs(run_id="crash-test", labels=Labels()),
             checks=[])
print("DONE", flush=True)
"""
FILES = 2 * len(EXPORTED_MARTS) + 3  # CSV and Parquet per table, workbook, report, manifest


@pytest.fixture(scope="module")
def publication_file(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("atomic")
    shutil.copytree(INBOX_SMALL, tmp / "inbox")
    assert run_stv(tmp) == 0
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        frames, rules = read_disclosure_inputs(con)
    publication = suppress_export(frames, declarations(), rules)
    # a long revision history (older vintages are in the files, not in the workbook)
    name = "registration_revisions"
    history = publication.tables[name]
    copies = 40_000 // max(len(history), 1) + 1
    long = pd.concat(
        [
            history.assign(vintage=history["vintage"] - pd.Timedelta(days=i + 1))
            for i in range(copies)
        ]
        + [history],
        ignore_index=True,
    )
    mask = pd.concat([publication.masks[name]] * (copies + 1), ignore_index=True)
    publication = Publication(
        publication.tables | {name: long},
        publication.masks | {name: mask},
        publication.suppressions,
    )
    path = tmp / "publication.pickle"
    path.write_bytes(pickle.dumps(publication))
    return path


def start_writer(publication_file: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(publication_file), str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )


def delivered(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("files_before_kill", [0, 5, FILES - 3])
def test_a_killed_export_leaves_no_delivery_and_the_next_one_cleans_up(
    publication_file, tmp_path, files_before_kill
):
    root = tmp_path / "exports"
    root.mkdir()
    folder = root / "2026-01-01_crashtst"
    partial = root / f".{folder.name}.partial"
    writer = start_writer(publication_file, folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and writer.poll() is None:
        if partial.is_dir() and len(list(partial.iterdir())) >= files_before_kill:
            break
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL, "the export finished before it could be killed"
    assert delivered(root) == []
    assert partial.is_dir() and len(list(partial.iterdir())) >= files_before_kill
    assert not (partial / "manifest.json").exists()

    assert remove_partial_folders(root) == [partial]
    publication = pickle.loads(publication_file.read_bytes())
    written, _ = write_export(
        folder, publication, about=ReportInputs(run_id="rerun", labels=Labels()), checks=[]
    )
    assert sorted(p.name for p in root.iterdir()) == [folder.name]
    assert len(list(written.iterdir())) == FILES
    assert (written / "manifest.json").exists()

"""The export folder (stv_pipeline/exports/delivery.py): the publication staged in the run's own
hidden folder, hidden folders owned by live processes, formats registered in one place, and no
empty delivery."""

import json
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from stv_pipeline.exports import delivery
from stv_pipeline.exports.audit import Witnesses
from stv_pipeline.exports.delivery import (
    EXPORTED_MARTS,
    Delivered,
    NothingToDeliver,
    begin,
    discard,
    export_folder,
    load_publication,
    nothing_to_deliver,
    partial_folder,
    register_format,
    remove_partial_folders,
    run_folder,
    stage_publication,
    write_export,
)
from stv_pipeline.exports.disclosure import Publication
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import ReportInputs

PROJECT = Path(__file__).resolve().parents[2]
RUN_ID = "0123abcd-4567-89ab-cdef-0123456789ab"


def publication(rows: int = 2) -> Publication:
    frame = pd.DataFrame(
        {
            "municipality_code": pd.array([450, 461][:rows], dtype="Int64"),
            "month": [date(2017, 3, 1), date(2017, 4, 1)][:rows],
            "previous_vintage": [None, date(2017, 4, 10)][:rows],
            "target_group": pd.array(["alle", "alle"][:rows], dtype="str"),
            "n_company": pd.array([12, None][:rows], dtype="Int64"),
            "share_company": [0.75, np.nan][:rows],
        }
    )
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask.loc[1:, ["n_company", "share_company"]] = True
    tables = {name: frame.iloc[0:0] for name in EXPORTED_MARTS} | {"nowcast": frame}
    masks = {name: mask.iloc[0:0] for name in EXPORTED_MARTS} | {"nowcast": mask}
    suppressions = {name: {"primary": 0, "secondary": 0} for name in EXPORTED_MARTS}
    witnesses = Witnesses(sparse.csr_matrix(np.array([[0.0, 2.5], [-1.0, 0.0]])))
    return Publication(tables, masks, suppressions, 0.25, witnesses)


def test_the_staged_publication_reads_back_as_it_was(tmp_path):
    staged = publication()
    stage_publication(tmp_path, staged)
    back = load_publication(tmp_path)
    for name in EXPORTED_MARTS:
        pd.testing.assert_frame_equal(back.tables[name], staged.tables[name], check_exact=True)
        pd.testing.assert_frame_equal(back.masks[name], staged.masks[name], check_exact=True)
    assert back.suppressions == staged.suppressions and back.seconds == 0.25
    assert (back.witnesses.deviations != staged.witnesses.deviations).nnz == 0
    assert sorted(p.name for p in (tmp_path / "staging").iterdir()) == [
        "masks",
        "publication.json",
        "tables",
        "witnesses.npz",
    ]


def test_a_run_finds_its_own_export_by_its_id_whatever_the_date(tmp_path):
    folder = export_folder(tmp_path, RUN_ID, date(2026, 12, 31))
    assert run_folder(tmp_path, RUN_ID) is None
    partial = begin(folder)
    try:
        assert partial == tmp_path / ".2026-12-31_0123abcd.partial" and partial.is_dir()
        assert begin(folder) == partial  # begun by this process: the same folder
        assert run_folder(tmp_path, RUN_ID) == folder
        assert run_folder(tmp_path, "ffffffff-0000") is None
        # a live owner's folder (this process's) is never removed by a clean-up
        assert remove_partial_folders(tmp_path) == [] and partial.is_dir()
    finally:
        assert discard(folder)
    assert sorted(tmp_path.iterdir()) == []
    assert not discard(folder)


BEGIN_AND_WAIT = """
    import sys, time
    from pathlib import Path
    from stv_pipeline.exports.delivery import begin
    begin(Path(sys.argv[1]))
    print("begun", flush=True)
    time.sleep(60)
"""


def test_a_clean_up_removes_the_hidden_folders_of_dead_runs_only(tmp_path):
    writers = {}
    for name in ("2026-12-01_live0000", "2026-12-01_dead0000"):
        writers[name] = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(BEGIN_AND_WAIT), str(tmp_path / name)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT,
        )
        assert writers[name].stdout.readline() == "begun\n"
    writers["2026-12-01_dead0000"].send_signal(signal.SIGKILL)
    writers["2026-12-01_dead0000"].wait()
    # a lock left by a process that died after renaming its folder into place
    (tmp_path / ".2026-11-30_gone0000.partial.lock").write_text("")
    try:
        dead = partial_folder(tmp_path / "2026-12-01_dead0000")
        assert remove_partial_folders(tmp_path) == [dead]
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            ".2026-12-01_live0000.partial",
            ".2026-12-01_live0000.partial.lock",
        ]
    finally:
        writers["2026-12-01_live0000"].kill()
        writers["2026-12-01_live0000"].wait()
    assert remove_partial_folders(tmp_path) == [partial_folder(tmp_path / "2026-12-01_live0000")]
    assert sorted(tmp_path.iterdir()) == []


def test_a_format_is_registered_once_and_the_manifest_lists_what_it_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(delivery, "FORMATS", {"csv": delivery.FORMATS["csv"]})

    @register_format("row_counts")
    def write_row_counts(folder, content):
        counts = {name: len(frame) for name, (frame, _) in content.published.items()}
        (folder / "row_counts.json").write_text(json.dumps(counts))
        return [Delivered("row_counts.json", name, f"key {name}") for name in content.published]

    folder = tmp_path / "2026-12-01_0123abcd"
    written, tables = write_export(
        folder, publication(), about=ReportInputs(run_id=RUN_ID, labels=Labels()), checks=[]
    )
    assert written == folder and sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
    assert tables["nowcast"]["files"] == ["nowcast.csv", "row_counts.json (key nowcast)"]
    assert json.loads((folder / "row_counts.json").read_text())["nowcast"] == 2
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["nowcast"]["files"] == tables["nowcast"]["files"]
    assert not (folder / "staging").exists()


def test_an_export_whose_tables_are_all_empty_is_never_written(tmp_path):
    with pytest.raises(NothingToDeliver, match="every exported table is empty"):
        write_export(
            tmp_path / "2026-12-01_0123abcd",
            publication(rows=0),
            about=ReportInputs(run_id=RUN_ID, labels=Labels()),
            checks=[],
        )
    assert sorted(tmp_path.iterdir()) == []


def test_nothing_to_deliver_says_why_and_names_the_rejected_files():
    rows = {"register_benefits": 0, "municipal_monitoring": 0}
    assert nothing_to_deliver({**rows, "register_benefits": 3}, []) is None
    assert nothing_to_deliver(rows, ["municipal_monitoring/monitoring.csv"]) == (
        "Nothing to deliver: the warehouse holds no rows of municipal_monitoring, "
        "register_benefits after ingestion - every file was rejected "
        "(municipal_monitoring/monitoring.csv; see the quarantine reports). "
        "No export folder is written."
    )
    assert nothing_to_deliver(rows, []).endswith(
        "after ingestion - no such file was delivered. No export folder is written."
    )

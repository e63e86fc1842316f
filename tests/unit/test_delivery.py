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
    Delivered,
    ExportContent,
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
    workbook_sheets,
    write_export,
)
from stv_pipeline.exports.dictionary import (
    SheetSpec,
    exported_marts,
    sheet_spec,
    sheet_specs,
    table_docs,
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
    tables = {name: frame.iloc[0:0] for name in exported_marts()} | {"nowcast": frame}
    masks = {name: mask.iloc[0:0] for name in exported_marts()} | {"nowcast": mask}
    suppressions = {name: {"primary": 0, "secondary": 0} for name in exported_marts()}
    witnesses = Witnesses(sparse.csr_matrix(np.array([[0.0, 2.5], [-1.0, 0.0]])))
    return Publication(tables, masks, suppressions, 0.25, witnesses)


def test_the_staged_publication_reads_back_as_it_was(tmp_path):
    staged = publication()
    stage_publication(tmp_path, staged)
    back = load_publication(tmp_path)
    for name in exported_marts():
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


def lag_publication() -> Publication:
    """Every exported mart with its documented columns, empty but for two rows of
    registration_lag, one with its count suppressed."""
    docs = table_docs()
    tables = {
        name: pd.DataFrame(columns=[doc.column for doc in docs[name][1]])
        for name in exported_marts()
    }
    tables["registration_lag"] = pd.DataFrame(
        {
            "municipality_code": [450, 461],
            "vintage": [date(2019, 4, 15)] * 2,
            "is_newest_vintage": [True, True],
            "person_weeks": pd.array([120, None], dtype="Int64"),
            "lag_median_days": [10.0, None],
            "lag_p90_days": [30.0, None],
            "lag_p99_days": [60.0, None],
            "share_over_8_weeks": [0.05, None],
            "provisional": [False, False],
        }
    )
    masks = {name: frame.isna() for name, frame in tables.items()}
    suppressions = {name: {"primary": 0, "secondary": 0} for name in tables}
    return Publication(tables, masks, suppressions | {"registration_lag": {"primary": 1}})


def test_a_format_registered_in_one_place_is_written_and_listed_in_the_manifest(
    tmp_path, monkeypatch
):
    """The JSON Lines format of the README, beside every format the export has."""
    monkeypatch.setattr(delivery, "FORMATS", dict(delivery.FORMATS))  # registered for this test

    @register_format("jsonl")
    def write_json_lines(folder: Path, content: ExportContent) -> list[Delivered]:
        for name, (frame, _) in content.published.items():
            frame.to_json(folder / f"{name}.jsonl", orient="records", lines=True, date_format="iso")
        return [Delivered(f"{name}.jsonl", name) for name in content.published]

    folder, tables = write_export(
        tmp_path / "2026-12-01_0123abcd",
        lag_publication(),
        about=ReportInputs(run_id=RUN_ID, labels=Labels()),
        checks=[],
    )
    assert tables["registration_lag"]["files"] == [
        "registration_lag.csv",
        "registration_lag.parquet",
        "stv_tabeller.xlsx (sheet registration_lag)",
        "registration_lag.jsonl",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"] == tables
    assert sorted(p.name for p in folder.glob("*.jsonl")) == sorted(
        f"{name}.jsonl" for name in exported_marts()
    )
    lines = (folder / "registration_lag.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "municipality_code": 450,
            "vintage": "2019-04-15T00:00:00.000",
            "is_newest_vintage": True,
            "person_weeks": 120,
            "lag_median_days": 10.0,
            "lag_p90_days": 30.0,
            "lag_p99_days": 60.0,
            "share_over_8_weeks": 0.05,
            "provisional": False,
        },
        {
            "municipality_code": 461,
            "vintage": "2019-04-15T00:00:00.000",
            "is_newest_vintage": True,
            "person_weeks": None,
            "lag_median_days": None,
            "lag_p90_days": None,
            "lag_p99_days": None,
            "share_over_8_weeks": None,
            "provisional": False,
        },
    ]
    assert (folder / "stv_tabeller.xlsx").is_file() and (folder / "report.html").is_file()


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


def test_the_exported_marts_are_those_whose_yml_declares_an_export_in_its_order():
    assert exported_marts() == (
        "success_criteria_monthly",
        "baseline_endline",
        "implementation_fidelity",
        "case_selection",
        "goal_attainment",
        "registration_revisions",
        "registration_lag",
        "reconciliation",
        "monitoring_by_provider",
        "nowcast",
        "jobindsats_success_monthly",
        "jobindsats_vs_register",
    )
    policies = {name: spec.workbook_rows for name, spec in sheet_specs().items()}
    assert {name for name, rows in policies.items() if rows != "all"} == {"registration_revisions"}


def test_a_sheet_shows_the_rows_its_yml_declares():
    frame = pd.DataFrame(
        {
            "vintage": [date(2019, 3, 15), date(2019, 4, 15), date(2019, 4, 15)],
            "value": [5, 7, 9],
        }
    )
    mask = pd.DataFrame({"vintage": [False] * 3, "value": [False, True, False]})
    sheets = {
        "newest": SheetSpec("newest", "Nyeste", "t", workbook_rows="newest_vintage"),
        "every": SheetSpec("every", "Alle", "t"),
    }
    shown = workbook_sheets({"newest": (frame, mask), "every": (frame, mask)}, sheets)
    assert shown["newest"][0]["value"].tolist() == [7, 9]
    assert shown["newest"][1]["value"].tolist() == [True, False]
    assert shown["every"][0] is frame


def test_a_misspelt_export_declaration_is_refused():
    with pytest.raises(ValueError) as refused:
        sheet_spec("toy_mart", {"sheet": "Legetøj", "workbook_row": "all", "workbook_rows": "x"})
    assert str(refused.value) == (
        "toy_mart: meta.export has unknown key 'workbook_row'; no 'title'; "
        "workbook_rows 'x' is none of all, newest_vintage"
    )
    spec = sheet_spec("toy_mart", {"sheet": "Legetøj", "title": "Legetøj efter kommune"})
    assert (spec.position, spec.workbook_rows, spec.rows.shown) == (None, "all", None)

"""A table's CSV and Parquet files taken over from the newest earlier delivery when its content
is the same (stv_pipeline/exports/delivery.py TableFormat, folders.py table_fingerprint): the
same bytes as rendered anew, rendered anew when one cell changed, and no later delivery ever
writing into an earlier one's file."""

import errno
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from stv_pipeline.exports import delivery
from stv_pipeline.exports.delivery import begin, partial_folder, write_export
from stv_pipeline.exports.disclosure import Publication
from stv_pipeline.exports.folders import table_fingerprint
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import ReportInputs
from stv_pipeline.exports.writers import write_csv_for_excel, write_parquet
from tests.unit.test_delivery import RUN_ID, lag_publication

LAG_FILES = ["registration_lag.csv", "registration_lag.parquet"]


@pytest.fixture
def table_formats_only(monkeypatch):
    """The CSV and Parquet formats alone: the workbook and report take seconds each."""
    monkeypatch.setattr(delivery, "FORMATS", {n: delivery.FORMATS[n] for n in ("csv", "parquet")})


def deliver(root: Path, name: str, published: Publication) -> Path:
    folder, _ = write_export(
        root / name, published, about=ReportInputs(run_id=RUN_ID, labels=Labels()), checks=[]
    )
    return folder


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def changed_median(published: Publication, days: float) -> Publication:
    """The publication with registration_lag's first (published) median changed."""
    frame = published.tables["registration_lag"].copy()
    frame.loc[0, "lag_median_days"] = days
    return Publication(
        {**published.tables, "registration_lag": frame}, published.masks, published.suppressions
    )


def test_an_unchanged_tables_files_are_the_earlier_deliverys_the_same_bytes_as_rendered_anew(
    tmp_path,
):
    """The whole delivery, every format: the workbook, report and manifest are written anew."""
    first = deliver(tmp_path, "2026-12-01_aaaaaaaa", lag_publication())
    second = deliver(tmp_path, "2026-12-02_bbbbbbbb", lag_publication())

    for file in LAG_FILES:
        assert (second / file).stat().st_ino == (first / file).stat().st_ino
        assert (second / file).stat().st_nlink == 2
    frame = lag_publication().tables["registration_lag"]
    write_csv_for_excel(frame, tmp_path / "fresh.csv")
    write_parquet(frame, tmp_path / "fresh.parquet")
    assert (second / "registration_lag.csv").read_bytes() == (tmp_path / "fresh.csv").read_bytes()
    assert (second / "registration_lag.parquet").read_bytes() == (
        tmp_path / "fresh.parquet"
    ).read_bytes()
    for whole in ("stv_tabeller.xlsx", "report.html", "manifest.json"):
        assert (second / whole).stat().st_nlink == 1

    written = manifest(second)
    assert written["earlier_delivery"] == "2026-12-01_aaaaaaaa"
    assert manifest(first)["earlier_delivery"] is None
    lag = written["tables"]["registration_lag"]
    assert lag["reused"] == LAG_FILES
    assert lag["files"] == [*LAG_FILES, "stv_tabeller.xlsx (sheet registration_lag)"]
    earlier = manifest(first)["tables"]["registration_lag"]
    assert lag["content_fingerprint"] == earlier["content_fingerprint"]
    assert earlier["reused"] == []


def test_a_table_with_one_cell_changed_is_rendered_anew(tmp_path, table_formats_only):
    first = deliver(tmp_path, "2026-12-01_aaaaaaaa", lag_publication())
    changed = changed_median(lag_publication(), 11.5)
    second = deliver(tmp_path, "2026-12-02_bbbbbbbb", changed)

    for file in LAG_FILES:
        assert (second / file).stat().st_ino != (first / file).stat().st_ino
        assert (first / file).stat().st_nlink == 1
    lines = (second / "registration_lag.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1] == "450;2019-04-15;True;120;11,5;30,0;60,0;0,05;False"
    assert (first / "registration_lag.csv").read_bytes().decode("utf-8-sig").split("\r\n")[1] == (
        "450;2019-04-15;True;120;10,0;30,0;60,0;0,05;False"
    )
    assert pd.read_parquet(second / "registration_lag.parquet")["lag_median_days"][0] == 11.5
    written = manifest(second)["tables"]
    assert written["registration_lag"]["reused"] == []
    # the tables that did not change (empty here) are still the earlier delivery's
    assert written["nowcast"]["reused"] == ["nowcast.csv", "nowcast.parquet"]


def test_a_later_delivery_never_writes_into_an_earlier_deliverys_file(tmp_path, table_formats_only):
    """A file an earlier attempt of the same run left in its hidden folder, linked to the
    earlier delivery's: the delivery's files are new files, the earlier one keeps its bytes."""
    first = deliver(tmp_path, "2026-12-01_aaaaaaaa", lag_publication())
    before = (first / "registration_lag.csv").read_bytes()
    second = tmp_path / "2026-12-02_bbbbbbbb"
    partial = begin(second)
    os.link(first / "registration_lag.csv", partial / "registration_lag.csv")
    deliver(tmp_path, second.name, changed_median(lag_publication(), 11.5))

    assert (first / "registration_lag.csv").read_bytes() == before
    assert (first / "registration_lag.csv").stat().st_nlink == 1
    assert (second / "registration_lag.csv").read_bytes() != before
    assert not partial_folder(second).exists()


def test_where_no_hard_link_can_be_made_the_file_is_copied(
    tmp_path, table_formats_only, monkeypatch
):
    first = deliver(tmp_path, "2026-12-01_aaaaaaaa", lag_publication())

    def cross_device(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(delivery.os, "link", cross_device)
    second = deliver(tmp_path, "2026-12-02_bbbbbbbb", lag_publication())
    for file in LAG_FILES:
        assert (second / file).stat().st_ino != (first / file).stat().st_ino
        assert (second / file).read_bytes() == (first / file).read_bytes()
    assert manifest(second)["tables"]["registration_lag"]["reused"] == LAG_FILES


def test_a_file_gone_from_the_earlier_delivery_or_rendered_by_other_code_is_rendered_anew(
    tmp_path, table_formats_only, monkeypatch
):
    first = deliver(tmp_path, "2026-12-01_aaaaaaaa", lag_publication())
    (first / "registration_lag.csv").unlink()  # pruned by hand, say
    second = deliver(tmp_path, "2026-12-02_bbbbbbbb", lag_publication())
    assert manifest(second)["tables"]["registration_lag"]["reused"] == ["registration_lag.parquet"]
    assert (second / "registration_lag.csv").stat().st_nlink == 1

    monkeypatch.setattr(delivery, "RENDERING_LIBRARIES", ("pandas", "pyarrow"))
    third = deliver(tmp_path, "2026-12-03_cccccccc", lag_publication())
    assert manifest(third)["earlier_delivery"] == second.name
    assert manifest(third)["tables"]["registration_lag"]["reused"] == []


def test_a_tables_fingerprint_is_its_values_to_the_bit_its_types_mask_and_renderer():
    published = lag_publication()
    frame, mask = published.tables["registration_lag"], published.masks["registration_lag"]
    same = table_fingerprint(frame, mask, "r1")
    assert table_fingerprint(frame.copy(), mask.copy(), "r1") == same
    assert table_fingerprint(frame, mask, "r2") != same
    nudged = frame.copy()
    nudged.loc[0, "share_over_8_weeks"] = 0.05 + 2**-57  # the next double after 0.05
    assert table_fingerprint(nudged, mask, "r1") != same
    assert table_fingerprint(frame.astype({"person_weeks": "float64"}), mask, "r1") != same
    unmasked = mask.copy()
    unmasked.loc[1, "person_weeks"] = False
    assert table_fingerprint(frame, unmasked, "r1") != same

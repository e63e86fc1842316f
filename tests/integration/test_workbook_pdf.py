"""The workbook as STAR prints it: LibreOffice Calc converts it to PDF (A4 landscape), and every
page of every sheet holds the sheet's first and last column (one page wide), its header row,
Danish values and formatted numbers."""

import os
import shutil
import subprocess
from datetime import date, timedelta

import pandas as pd
import pytest

from stv_pipeline.exports.delivery import EXPORTED_MARTS
from stv_pipeline.exports.dictionary import SUPPRESSION_NOTE, table_docs
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.writers import write_workbook

pytestmark = pytest.mark.integration

SOFFICE, PDFTOTEXT = shutil.which("soffice"), shutil.which("pdftotext")
ROWS = 120  # enough for every sheet to take several pages, so repeated headers are tested

LABELS = Labels(
    categories={
        ("boolean", "true"): "Ja",
        ("boolean", "false"): "Nej",
        ("target_group", "alle"): "alle målgrupper",
        ("scope", "municipality"): "kommune",
    },
    municipalities={101: "København", 851: "Aalborg"},
)


def column_values(unit: str, column: str, n: int) -> list:
    """Plausible values for a documented column, by its unit, the longest text included."""
    if column == "municipality_code":
        return [101 if i % 2 else 851 for i in range(n)]
    if unit.startswith("dato"):
        return [date(2017, 1, 1) + timedelta(days=31 * (i % 24)) for i in range(n)]
    if unit == "ja/nej":
        return [i % 3 == 0 for i in range(n)]
    if unit.startswith("andel"):
        return [0.1 + i / (3 * n) for i in range(n)]
    if unit == "tekst":
        values = {"target_group": "alle", "scope": "municipality"}
        return [values.get(column, f"{column} værdi {i}") for i in range(n)]
    if unit in ("personer", "personmåneder", "antal", "personuger", "måneder", "rang"):
        return [1000 + 37 * i for i in range(n)]
    return [1.2345 + i for i in range(n)]


def sheets() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    docs = table_docs()
    out = {}
    for name in EXPORTED_MARTS:
        frame = pd.DataFrame(
            {d.column: column_values(d.unit, d.column, ROWS) for d in docs[name][1]}
        )
        out[name] = (frame, pd.DataFrame(False, index=frame.index, columns=frame.columns))
    return out


def page_texts(pdf) -> list[str]:
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.skipif(
    (SOFFICE is None or PDFTOTEXT is None) and not os.environ.get("CI"),
    reason="LibreOffice or pdftotext is not installed (.ci/run installs them)",
)
def test_every_sheet_prints_one_page_wide_in_danish(tmp_path):
    assert SOFFICE and PDFTOTEXT, "LibreOffice and poppler-utils must be installed in CI"
    docs = table_docs()
    book = tmp_path / "stv_tabeller.xlsx"
    write_workbook(book, sheets(), docs, SUPPRESSION_NOTE, LABELS)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    pages = page_texts(tmp_path / "stv_tabeller.pdf")
    by_sheet: dict[str, list[str]] = {}
    for page in pages:
        # The footer names the sheet (&A) on every page.
        footer = page.strip().splitlines()[-1].split()
        by_sheet.setdefault(footer[0], []).append(page)
    assert set(by_sheet) == {*EXPORTED_MARTS, "dataordbog"}

    for name in EXPORTED_MARTS:
        columns = docs[name][1]
        first, last = columns[0].label_da.split()[0], columns[-1].label_da.split()[0]
        for page in by_sheet[name]:
            # One page wide: the first and the last column on every page, with the header
            # row repeated (the first column's header is a header word, not a value).
            assert first in page and last in page, (name, first, last)
            assert "Kommunenavn" in page or "municipality_code" not in [c.column for c in columns]
    # A narrow sheet takes several pages, each with the header row.
    assert len(by_sheet["success_criteria_monthly"]) >= 2
    body = "\n".join(by_sheet["success_criteria_monthly"])
    assert "alle målgrupper" in body and "Aalborg" in body and "København" in body
    assert "10.0%" in body or "10,0 %" in body  # a share as a percent with one decimal
    assert "01-2017" in body  # a month as a month
    assert "alle" not in body.replace("alle målgrupper", "")  # no untranslated code
    assert " Ja" in body and " Nej" in body and "True" not in body
    assert "Relativ afvigelse" in "\n".join(by_sheet["dataordbog"])

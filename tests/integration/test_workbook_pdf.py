"""What STAR reads of the shipped sample's export, read as STAR reads it: the workbook printed by
LibreOffice Calc (A4, fewer than 60 pages, no text under 8 pt, Danish sheet names) and the
report; neither holds an English word or a technical code (the data dictionary's column of
technical names aside), and the report's warnings name the municipality with most rows first."""

import html
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import openpyxl
import pytest

from stv_pipeline.cli import main
from stv_pipeline.settings import SAMPLE_DIR

pytestmark = pytest.mark.integration

SOFFICE, PDFTOTEXT = shutil.which("soffice"), shutil.which("pdftotext")
SHEETS = [
    "Succeskriterier",
    "Nulpunkt og slutmåling",
    "Implementeringsgrad",
    "Udvælgelse af cases",
    "Målopfyldelse",
    "Revisioner",
    "Registreringsforsinkelse",
    "Afstemning",
    "Leverandører",
    "Skøn",
    "Jobindsats",
    "Jobindsats mod register",
    "Dataordbog",
]
# Words a Danish reader should never meet: the English of the marts' old texts, the pipeline's
# and Great Expectations' vocabulary, and the codes of the tables (CSV and Parquet keep those).
ENGLISH = set(
    """
    the of and or with from by is are was not yes no true false none nan null empty
    too recent revised estimate estimated extract extracts final months lag needed
    row rows municipality municipalities provider providers benefits earnings both
    baseline endline participants comparison did scope share count counts expect column value
    values threshold warn error check checks passed failed design sample management staff all
    overall track requirement measure target actual attainment gap flagged provisional reason
    percent points unexpected completion seen
    """.split()
)
SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sample")
    args = ["run", "--inbox", str(SAMPLE_DIR), "--warehouse", str(tmp / "w.duckdb")]
    assert main([*args, "--exports", str(tmp / "exports"), "--no-record"]) == 0
    [folder] = (tmp / "exports").iterdir()
    return folder


def foreign_words(text: str) -> set[str]:
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", text)}
    return (words & ENGLISH) | set(SNAKE_CASE.findall(text))


def workbook_texts(path: Path) -> dict[str, list[str]]:
    book = openpyxl.load_workbook(path, read_only=True)
    texts = {}
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        # the dictionary's first column is the technical name, as CSV and Parquet have it
        skip = 1 if sheet.title == "Dataordbog" else 0
        texts[sheet.title] = [
            v for row in rows for v in row[skip:] if isinstance(v, str) and v.strip()
        ]
    return texts


def report_text(path: Path) -> str:
    """What a reader sees of report.html: its text and its charts' texts, no markup."""
    text = path.read_text("utf-8")
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(text)


def test_no_english_word_or_technical_code_reaches_a_reader(export):
    for sheet, texts in workbook_texts(export / "stv_tabeller.xlsx").items():
        for text in texts:
            assert not foreign_words(text), (sheet, text)
    text = report_text(export / "report.html")
    assert not foreign_words(text), sorted(foreign_words(text))
    # the test itself would see them: a code and an English reason, as they were
    assert foreign_words("revised by +90.0 % (n_company)") == {"revised", "by", "n_company"}


def test_the_reports_warnings_name_the_municipality_with_most_rows_first(export):
    text = " ".join(report_text(export / "report.html").split())
    warnings = text[text.index("Advarsler") :]
    assert "10 af 12 advarselskontroller bestået." in warnings
    assert (
        "Kommunernes tal mod registret : 51 rækker i 5 kommuner: Frederikshavn (813) 23 rækker, "
    ) in warnings
    assert "Sene registreringer : 1 række i 1 kommune: Frederikshavn (813) 1 række." in warnings
    assert "karantæne" not in warnings  # the passed quarantine checks are counted only


def font_sizes(pdf: Path) -> list[float]:
    """Every text size set in the PDF's content streams (`<size> Tf`). LibreOffice draws
    text unscaled (no `cm` or `Tm` scaling of text), so these are the printed sizes."""
    data = pdf.read_bytes()
    sizes = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        assert b" Tm" not in content, "text scaled by a matrix: its Tf size would not be it"
        sizes += [float(s) for s in re.findall(rb"([\d.]+) Tf", content)]
    return sizes


@pytest.mark.skipif(
    (SOFFICE is None or PDFTOTEXT is None) and not os.environ.get("CI"),
    reason="LibreOffice or pdftotext is not installed (.ci/run installs them)",
)
def test_the_sample_workbook_prints_on_a4_under_60_pages_none_under_8_pt(export, tmp_path):
    assert SOFFICE and PDFTOTEXT, "LibreOffice and poppler-utils must be installed in CI"
    book = export / "stv_tabeller.xlsx"
    assert openpyxl.load_workbook(book, read_only=True).sheetnames == SHEETS
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
    pdf = tmp_path / "stv_tabeller.pdf"
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) < 60
    sizes = font_sizes(pdf)
    assert sizes and min(sizes) >= 8.0, sorted(set(sizes))
    by_sheet: dict[str, list[str]] = {}
    for page in pages:
        # the footer names the sheet (&A) and the page: 'Succeskriterier   Side 1 af 50'
        footer = page.strip().splitlines()[-1]
        assert re.search(r"Side \d+ af \d+$", footer), footer
        by_sheet.setdefault(re.split(r"\s{2,}", footer.strip())[0], []).append(page)
    assert list(by_sheet) == SHEETS
    first_heading = {"Leverandører": "Udtræksdato", "Dataordbog": "Kolonne"}
    for sheet, sheet_pages in by_sheet.items():
        # every page holds the header (a block's own, repeated, or the print titles)
        for page in sheet_pages:
            assert first_heading.get(sheet, "Kommune") in page, sheet
    first = by_sheet["Succeskriterier"][0]
    assert "Kilde: Ydelsesregistret (udtræk 15.01.2019, 15.04.2019)" in " ".join(first.split())
    assert "Antal i målgruppen (personer)" in first and "Alle målgrupper" in first

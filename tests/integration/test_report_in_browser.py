"""report.html renders in a real headless browser (Debian's chromium, installed by .ci/run):
it loads without errors, reads in Danish, and the screenshot is not blank (kept where
STV_REPORT_SCREENSHOT says, to look at)."""

import os
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from stv_pipeline.cli import main
from stv_pipeline.settings import SAMPLE_DIR

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
]


def png_rows(path: Path) -> list[bytes]:
    """The scanlines of an 8-bit RGB(A) PNG as stored (after PNG's per-row filter). Not pixel
    values, but enough to tell a blank page: its filtered rows are nearly all one byte."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            channels = {2: 3, 6: 4}[body[9]]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    return [raw[i * stride + 1 : (i + 1) * stride] for i in range(height)]


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (.ci/run installs it)",
)
def test_report_loads_in_danish_and_is_not_blank(tmp_path):
    assert CHROMIUM, "chromium must be installed in CI"
    exports = tmp_path / "exports"
    args = ["run", "--inbox", str(SAMPLE_DIR), "--warehouse", str(tmp_path / "w.duckdb")]
    assert main([*args, "--exports", str(exports), "--no-record"]) == 0
    [folder] = exports.iterdir()
    report = folder / "report.html"
    text = report.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert " id=" not in text and "<dc:date>" not in text  # reruns are byte-identical

    profile = [f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, *profile, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # success, baseline/endline, goals, providers, revisions
    assert dom.count("<svg") == 5 and "Udvælgelse af cases" in dom
    # the shipped sample says so; names, not codes; Danish numbers; no English labels
    assert "syntetiske eksempeldatasæt" in dom and "Aalborg" in dom and "Ja" in dom
    assert "Forskel-i-forskelle" in dom and "pct.-point" in dom
    assert "share_either" not in dom and "<td>True</td>" not in dom and "lag " not in dom

    shot = Path(os.environ.get("STV_REPORT_SCREENSHOT", tmp_path / "report.png"))
    subprocess.run(
        [CHROMIUM, *FLAGS, *profile, f"--screenshot={shot}", report.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    rows = png_rows(shot)
    colours = {row[i : i + 3] for row in rows[::20] for i in range(0, len(row), 3 * 7)}
    assert len(colours) > 20, "the screenshot is (nearly) blank"

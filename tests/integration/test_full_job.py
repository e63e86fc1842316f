"""The whole job in-process, through the `stv run` command, on a small hand-made inbox.

tests/fixtures/inbox_small holds two vintages. In the newest (2017-06-30):
  A: four kontanthjælp weeks in Nyborg (450) in March, VP in the last   -> 450 KH, company
  B: two KH weeks in 450, then two ressourceforløb weeks in Odense (461);
     the tie goes to KH and the municipality to the last week's (461); 12,5 hours -> hours
  C: three RF weeks and one KH week in 450; VO is not company-oriented -> 450 RF, nothing
  D: 2017-W09 starts in February but its Thursday is 2 March: KH with LT -> 450 KH, company
  E: 2017-W14 (April) RF in 461 with NY; 0 hours do not count          -> April 461 RF, company
  F: only jobparat weeks -> in no target group
The older vintage (2017-04-10) has hours for A in March and a person G in 813: both ignored.
"""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.dictionary import exported_marts
from stv_pipeline.exports.folders import newest_export
from tests.helpers import INBOX_SMALL, run_stv
from tests.helpers import INBOX_SMALL_SUCCESS_CRITERIA as EXPECTED

pytestmark = pytest.mark.integration


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for var in ("STV_WAREHOUSE", "STV_INBOX", "STV_EXPORTS"):
        monkeypatch.delenv(var, raising=False)
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX_SMALL, inbox)
    return tmp_path


def mart(workspace: Path) -> list[tuple]:
    with duckdb.connect(str(workspace / "w.duckdb"), read_only=True) as con:
        return con.execute(
            "select municipality_code, month, target_group, population, n_company, n_hours, "
            "n_either, share_either from marts.success_criteria_monthly order by all"
        ).fetchall()


def test_full_run_computes_the_hand_counted_figures_and_exports_them(workspace, capsys):
    assert run_stv(workspace) == 0
    # the paths given on the command line reached dbt through its launcher's options: the run
    # wrote none into its own environment (with none there, dbt would have built the default
    # warehouse, and the figures below would be missing)
    assert not {"STV_WAREHOUSE", "STV_INBOX", "STV_EXPORTS", "STV_SPARK_DIR"} & set(os.environ)
    rows = mart(workspace)
    assert [r[:7] for r in rows] == EXPECTED
    assert [r[7] for r in rows] == [2 / 3, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    # Monitoring (DESIGN §2.3): 450 counts 2 on 6 March beside its providers' 2 + 1; 461
    # counts 0 then, and on 3 April only its providers deliver (6 + 1).
    with duckdb.connect(str(workspace / "w.duckdb"), read_only=True) as con:
        assert con.execute(
            "select municipality_code, extract_date::varchar, actual, actual_source "
            "from marts.goal_attainment order by all"
        ).fetchall() == [
            (450, "2017-03-06", 2, "jobcentre"),
            (461, "2017-03-06", 0, "jobcentre"),
            (461, "2017-04-03", 7, "providers_sum"),
        ]
        assert con.execute(
            "select municipality_code, extract_date::varchar, municipal_count, "
            "municipal_count_source, register_count from marts.reconciliation order by all"
        ).fetchall() == [
            (450, "2017-03-06", 2, "jobcentre", 1),  # D: VP in 2017-W10
            (461, "2017-03-06", 0, "jobcentre", 1),  # F: VP in 2017-W10
            (461, "2017-04-03", 7, "providers_sum", 1),  # E: NY in 2017-W14
        ]
        assert con.execute(
            "select municipality_code, provider, provider_count, jobcentre_count, "
            "provider_share, providers_sum, gap_abs, gap_rel, flagged "
            "from marts.monitoring_by_provider order by all"
        ).fetchall() == [
            (450, "anden aktør", 2, 2, 1.0, 3, 1, 0.5, True),
            (450, "jobmentor", 1, 2, 0.5, 3, 1, 0.5, True),
            (461, "anden aktør", 1, None, None, 7, None, None, False),
            (461, "jobmentor", 6, None, None, 7, None, None, False),
        ]

    out = capsys.readouterr().out
    # one line per phase, with its counts, before anything else
    lines = out.splitlines()
    phases = [line.split(":")[0] for line in lines if line[:1] != " " and ":" in line[:20]]
    assert phases[2:8] == [
        "Ingestion",
        "Reference data",
        "dbt",
        "Checks",
        "Disclosure control",
        "Export",
    ]
    assert "8 files loaded, 0 files rejected, 0 files unchanged (7 sources" in lines[2]
    assert "\x1b[" not in out  # captured, not a terminal: no control codes
    assert len(lines) <= 40
    log = Path(lines[1].removeprefix("Full log: "))
    assert log.parent == workspace / "runs"
    # dbt's command names the run's warehouse, which reaches dbt through its launcher
    assert f"stv-dbt --warehouse={workspace / 'w.duckdb'} " in log.read_text()
    folder = Path(out.strip().splitlines()[-1].removeprefix("Exports: "))
    assert folder.parent == workspace / "exports"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{table}.{ext}" for table in exported_marts() for ext in ("csv", "parquet")]
        + ["manifest.json", "report.html", "stv_tabeller.xlsx"]
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    # The reconciliation WARN fails on counts of 0-7 (2 vs 1, 7 vs 1): the UI may show the
    # failing rows' figures, the files STAR receives may not.
    for name in ("manifest.json", "report.html"):
        text = (folder / name).read_text()
        assert "3 rækker i 2 kommuner: Odense (461) 2 rækker, Nyborg (450) 1 række" in text, name
        assert "register_count=" not in text and "municipal_count=" not in text, name
    assert manifest["run_id"].startswith(folder.name.split("_")[1])
    assert {(i["file"], i["sha256"], i["rows"]) for i in manifest["inputs"]} == {
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest(), len(p.read_text().splitlines()) - 1)
        for p in INBOX_SMALL.rglob("*.csv")
    }
    assert manifest["tables"]["success_criteria_monthly"]["rows"] == 7
    assert {c["check"] for c in manifest["checks"]} >= {
        "gx_success_criteria_monthly",
        "no_quarantined_files",
        "gx_register_vintage_anomalies",
    }
    # every metric table of DESIGN §3.1-3.6, monitoring_by_provider (§2.3) and the two from
    # Jobindsats (§2.7)
    assert len(exported_marts()) == 12
    # every count in this tiny inbox is 0-3 persons: all the non-zero ones leave empty
    exported = pd.read_parquet(folder / "success_criteria_monthly.parquet")
    assert len(exported) == 7
    assert exported["population"].isna().all()
    assert (exported["n_either"] == 0).sum() == 1  # 450 RF: a zero is not small
    for table in exported_marts():
        frame = pd.read_parquet(folder / f"{table}.parquet")
        for column in declarations().get(table).counts if table in declarations() else ():
            assert not frame[column].isin(range(1, 5)).any(), (table, column)

    # A malformed delivery next to the good ones: quarantined, named, and nothing changes.
    bad = workspace / "inbox/register_benefits/benefits_2017-05-31.csv"
    bad.write_text(
        "person_id;kommunekode;uge;ydelseskode;indsatskode;registreringsdato\n"
        "A;450;2017-W54;KH-AKT;;2017-03-12\n"
    )
    assert run_stv(workspace) == 0
    assert mart(workspace) == rows
    assert "  WARN no_quarantined_files (raw/register_benefits): 1 file(s) in" in (
        capsys.readouterr().out
    )
    report = workspace / "quarantine/register_benefits/benefits_2017-05-31.csv.report.json"
    assert not bad.exists()
    assert json.loads(report.read_text())["problems"] == [
        {
            "rule": "must be an ISO week YYYY-Www",
            "row": 2,
            "column": "iso_week",
            "value": "2017-W54",
        }
    ]
    with duckdb.connect(str(workspace / "w.duckdb"), read_only=True) as con:
        # the eight good files, each logged once although the second run saw them again
        assert con.execute("select count(*) from raw.file_log").fetchone()[0] == 8
        assert con.execute("select count(*) from raw.register_benefits").fetchone()[0] == 21

    # Nothing changed since: the run says so and writes no folder; --force-export writes one.
    folders = sorted((workspace / "exports").iterdir())
    assert run_stv(workspace) == 0
    out = capsys.readouterr().out
    assert "unchanged since the newest export: no new folder" in out
    # dbt kept its parse of the project from the runs before, beside this warehouse
    newest_log = max((workspace / "runs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    assert "Unable to do partial parsing" not in newest_log.read_text("utf-8")
    assert (workspace / "dbt_state" / "stv_dbt_models" / "partial_parse.msgpack").is_file()
    newest = newest_export(workspace / "exports")[0]  # by created_at: run ids do not sort
    assert out.strip().splitlines()[-1] == f"Exports (unchanged, newest): {newest}"
    assert sorted((workspace / "exports").iterdir()) == folders

    # Delivered files are archived away: an empty inbox rebuilds from the warehouse (the same
    # tables, so again no new folder).
    shutil.move(workspace / "inbox", workspace / "archive")
    (workspace / "inbox").mkdir()
    assert run_stv(workspace) == 0
    out = capsys.readouterr().out
    assert f"The inbox {workspace / 'inbox'} holds no files: rebuilding from the 8 files" in out
    assert mart(workspace) == rows
    # the same tables as before: still no new folder
    assert out.strip().splitlines()[-1] == f"Exports (unchanged, newest): {newest}"
    with duckdb.connect(str(workspace / "w.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), min(origin) from raw.file_log").fetchone() == (
            8,
            "inbox",
        )


CPRS = {
    "A": ["010180-1111", "0101801111"],
    "B": ["020280-2222"],
    "C": ["030380-3333"],
    "D": ["040480-4444"],
    "E": ["050580-5555"],
    "F": ["060680-6666"],
    "G": ["070780-7777"],
}
# Every CPR number of the test, with and without its dash (a generic 10-digit pattern would
# also match digit runs inside the hex pseudonyms).
CPR_LIKE = re.compile(
    "|".join(
        sorted(
            {c.replace("-", "") for cs in CPRS.values() for c in cs}
            | {c[:6] + "-" + c[-4:] for cs in CPRS.values() for c in cs}
            | {"0808808888", "080880-8888", "090980999", "090980-999"}
        )
    )
)


def with_cprs(path: Path) -> None:
    """Swap the fixture's person ids for CPR numbers, with and without the dash for A."""
    lines = path.read_text().splitlines()
    out = [lines[0].replace("person_id", "cpr")]
    for n, line in enumerate(lines[1:]):
        person, rest = line.split(";", 1)
        options = CPRS[person]
        out.append(f"{options[n % len(options)]};{rest}")
    path.write_text("\n".join(out) + "\n")


def test_no_cpr_number_is_written_anywhere(workspace, monkeypatch, capsys, caplog):
    monkeypatch.setenv("STV_PSEUDONYM_KEY", "integration-test-key")
    for path in (workspace / "inbox").glob("register_*/*.csv"):
        with_cprs(path)
    bad = workspace / "inbox/register_benefits/benefits_2017-05-31.csv"
    bad.write_text(
        "cpr;kommunekode;uge;ydelseskode;indsatskode;registreringsdato\n"
        "080880-8888;450;2017-W10;KH-AKT;;2017-03-12\n"
        "090980-999;999;2017-W10;KH-AKT;;2017-03-12\n"
    )
    assert run_stv(workspace) == 0
    # The same persons as with pseudonyms, so the figures are the same: A's two spellings
    # of one CPR number are one person.
    assert [r[:7] for r in mart(workspace)] == EXPECTED

    found = []
    with duckdb.connect(str(workspace / "w.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
                found += [(schema, table, v) for v in row if CPR_LIKE.search(str(v))]
    written = [p for p in workspace.rglob("*") if p.is_file() and "inbox" not in p.parts]
    written = [
        p
        for p in written
        if p.suffix != ".duckdb" and "quarantine" not in p.parts or p.name.endswith(".report.json")
    ]
    for path in written:
        found += [
            (str(path), m) for m in CPR_LIKE.findall(path.read_bytes().decode(errors="replace"))
        ]
    captured = capsys.readouterr()
    found += CPR_LIKE.findall(captured.out + captured.err + caplog.text)
    assert found == []
    assert len(tables) > 10 and any(p.name.endswith(".report.json") for p in written)


FORMULA_NAMES = ["=1+1", "+SUM(A1:A9)", "-2+3", "@HYPERLINK(x)", "<img src=x onerror=alert(1)>"]


def test_a_provider_named_like_a_formula_reaches_excel_as_text(workspace):
    """CSV injection: names a municipality delivers are text in every CSV as Excel reads it
    (a leading apostrophe), text in the workbook, and escaped in the report."""
    import csv

    import openpyxl

    rows = "".join(
        f"450;06-03-2017;active_company_placements;{name};{i + 1}\n"
        for i, name in enumerate(FORMULA_NAMES)
    )
    (workspace / "inbox" / "municipal_monitoring" / "monitoring_providers.csv").write_text(
        "kommunekode;udtraeksdato;maal;leverandoer;antal\n" + rows, "utf-8"
    )
    assert run_stv(workspace) == 0
    folder, _ = newest_export(workspace / "exports")
    providers = set()
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.DictReader(fh, delimiter=";"))
        for row in table:
            for column, cell in row.items():
                # as Excel reads a cell: a number may start with '-', a text no formula
                starts_formula = cell[:1] in ("=", "+", "-", "@", "\t", "\r")
                assert not starts_formula or re.fullmatch(r"-\d+(,\d+)?", cell), (path, cell)
                if column == "provider":
                    providers.add(cell)
    assert {"'=1+1", "'+SUM(A1:A9)", "'-2+3", "'@HYPERLINK(x)"} <= providers
    # Parquet keeps the name for programs; the workbook stores it as text
    names = set(pd.read_parquet(folder / "monitoring_by_provider.parquet")["provider"])
    assert set(FORMULA_NAMES) <= names
    sheet = openpyxl.load_workbook(folder / "stv_tabeller.xlsx")["Leverandører"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value in FORMULA_NAMES]
    assert {c.value for c in cells} == set(FORMULA_NAMES) and {c.data_type for c in cells} == {"s"}
    report = (folder / "report.html").read_text("utf-8")  # the provider panel's legend
    assert "&lt;img src=x onerror=alert(1)&gt;" in report and "<img src=x" not in report

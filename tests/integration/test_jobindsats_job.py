"""The whole job on Jobindsats files (DESIGN §2.7), alone and beside the register inbox.

tests/fixtures/jobindsats_small holds the portal's tables as it would count the persons of
inbox_small (see test_full_job.py) in March and April 2017, downloaded 2017-06-30, in all three
formats. The portal counts a person in every group and municipality they had a week in, so in
Nyborg (450) in March the aktivitetsparate kontanthjælp recipients are A, B, C and D (4; the
register's tie rules keep only A and D there), of them A (VP) and D (LT) in a company offer and
B with 12,5 hours; C is also in ressourceforløb in 450 (1, nothing). B's ressourceforløb weeks
put him in Odense (461) ressourceforløb in March (1, hours 1) and E is there in April (1, NY;
her hours are suppressed as '-'). An older download (2017-05-31) said 2 for Nyborg's March
ressourceforløb; the newer download's 1 counts. Odense had no aktivitetsparat kontanthjælp
recipient in March (0: a row, with no shares). 'Hele landet' and 'RAR Fyn' are kept out.
"""

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.helpers import INBOX_SMALL, run_stv

pytestmark = pytest.mark.integration

JOBINDSATS_SMALL = Path(__file__).parents[1] / "fixtures" / "jobindsats_small"
KH, RF = "kontanthjaelp_aktivitetsparat", "ressourceforloeb"
MAR, APR = date(2017, 3, 1), date(2017, 4, 1)
# municipality, month, group, population, n_company, n_hours, share_company, share_hours,
# deduplicated, provisional (April ended less than 3 months before 2017-06-30), vintage, tables
DOWNLOADED = date(2017, 6, 30)
EXPECTED = [
    (450, MAR, KH, 4, 2, 1, 0.5, 0.25, False, False, DOWNLOADED, "AKTV01, OTIJ01, Y36A02"),
    (450, MAR, RF, 1, 0, 0, 0.0, 0.0, False, False, DOWNLOADED, "AKTV01, OTIJ01, Y11A02"),
    (461, MAR, KH, 0, None, None, None, None, False, False, DOWNLOADED, "Y36A02"),
    (461, MAR, RF, 1, 0, 1, 0.0, 1.0, False, False, DOWNLOADED, "AKTV01, OTIJ01, Y11A02"),
    (461, APR, RF, 1, 1, None, 1.0, None, False, True, DOWNLOADED, "AKTV01, OTIJ01, Y11A02"),
]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for var in ("STV_WAREHOUSE", "STV_INBOX", "STV_EXPORTS"):
        monkeypatch.delenv(var, raising=False)
    shutil.copytree(JOBINDSATS_SMALL, tmp_path / "inbox")
    return tmp_path


def query(workspace: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(workspace / "w.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def export_folder(out: str) -> Path:
    return Path(out.strip().splitlines()[-1].removeprefix("Exports: "))


def test_only_jobindsats_files_give_the_mart_and_its_export(workspace, capsys):
    # An API error reply saved as a table: refused with the portal's message, the rest loads.
    error = workspace / "inbox/jobindsats/Y36A02_2017-07-01.csv"
    error.write_text("Forkert nøgle eller nøglen er udløbet.", "utf-8")
    # A table the mapping seed does not know: loaded, feeds nothing, and a WARN says so.
    extra = workspace / "inbox/jobindsats/Y01A02_2017-06-30.csv"
    extra.write_text("Area;Periode;Antal fuldtidspersoner\nNyborg;2017M03;2,5\n", "utf-8")

    assert run_stv(workspace) == 0
    out = capsys.readouterr().out
    folder = export_folder(out)
    assert (
        "WARN jobindsats_tables_mapped (quality/jobindsats_mapping_coverage): 1 Jobindsats "
        "table(s) with monthly municipal figures feed nothing: Y01A02;"
    ) in " ".join(out.split())  # a long line wraps under itself
    assert (
        query(workspace, "select * from marts.jobindsats_success_monthly order by all") == EXPECTED
    )
    # no register files: the register marts are empty, and so is the comparison
    assert query(workspace, "select count(*) from marts.success_criteria_monthly") == [(0,)]
    assert query(workspace, "select count(*) from marts.jobindsats_vs_register") == [(0,)]
    assert query(
        workspace,
        "select area, municipality_code from raw.jobindsats "
        "where municipality_code is null group by all order by all",
    ) == [("Hele landet", None), ("RAR Fyn", None)]

    assert not error.exists()
    report = json.loads(
        (workspace / "quarantine/jobindsats/Y36A02_2017-07-01.csv.report.json").read_text()
    )
    assert report["problems"][0]["rule"] == (
        "the file is an API error reply, not data: 'Forkert nøgle eller nøglen er udløbet.'"
    )
    assert query(workspace, "select count(*) from raw.file_log") == [(6,)]

    exported = pd.read_parquet(folder / "jobindsats_success_monthly.parquet")
    assert len(exported) == 5 and not exported["deduplicated"].any()
    # every count is 0-4 persons: the non-zero ones and the shares from them leave empty
    # (-1 stands for empty here); zeros are published
    assert exported["population"].fillna(-1).tolist() == [-1, -1, 0, -1, -1]
    assert exported["n_company"].fillna(-1).tolist() == [-1, 0, -1, 0, -1]
    assert exported["share_company"].isna().all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["jobindsats_success_monthly"]["rows"] == 5
    assert {f["file"] for f in manifest["inputs"]} == {
        extra.name,
        *(p.name for p in (JOBINDSATS_SMALL / "jobindsats").iterdir()),
    }


def test_with_the_register_the_shares_are_set_side_by_side(workspace, capsys):
    for source in INBOX_SMALL.iterdir():
        shutil.copytree(source, workspace / "inbox" / source.name)

    assert run_stv(workspace) == 0
    assert (
        query(workspace, "select * from marts.jobindsats_success_monthly order by all") == EXPECTED
    )
    register_provisional = dict(
        query(
            workspace,
            "select (municipality_code, month, target_group), provisional "
            "from marts.success_criteria_monthly",
        )
    )
    rows = query(
        workspace,
        "select municipality_code, month, target_group, population_jobindsats, "
        "population_register, share_company_jobindsats, share_company_register, "
        "difference_pp_company, share_hours_jobindsats, share_hours_register, "
        "difference_pp_hours, provisional from marts.jobindsats_vs_register order by all",
    )
    # Register (tests/helpers.py): 450 March KH 2 persons, both with company activity, no
    # hours; 450 March RF 1 with nothing; 461 April RF 1 with company activity, 0 hours.
    # 461 March: B is KH there in the register (the tie rule), the portal has 0 KH and B in
    # RF; so the KH row sets 0 against 1 with no Jobindsats share, and RF has no register row.
    assert [r[:11] for r in rows] == [
        (450, MAR, KH, 4, 2, 0.5, 1.0, -50.0, 0.25, 0.0, 25.0),
        (450, MAR, RF, 1, 1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        (461, MAR, KH, 0, 1, None, 0.0, None, None, 1.0, None),
        (461, APR, RF, 1, 1, 1.0, 1.0, 0.0, None, 0.0, None),
    ]
    jobindsats_provisional = {
        (450, MAR, KH): False,
        (450, MAR, RF): False,
        (461, MAR, KH): False,
        (461, APR, RF): True,
    }
    assert [r[11] for r in rows] == [
        jobindsats_provisional[r[:3]] or register_provisional[r[:3]] for r in rows
    ]
    folder = export_folder(capsys.readouterr().out)
    assert (folder / "jobindsats_vs_register.csv").exists()

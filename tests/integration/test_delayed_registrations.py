"""Vintages over time: a late registration keeps a month provisional until an extract no
longer revises it; a revision of a month already mature makes it provisional again, with the
revision as the reason, and is a WARN: the STAR export still goes out (DESIGN §3.6).

Nyborg (450), March 2017, persons A and B on kontanthjælp from the start; C's March week is
registered only on 20 June, D's on 1 December:
  benefits_2017-04-10  A, B      March population 2   provisional (too recent)
  benefits_2017-07-10  A, B, C                    3   provisional (revised +50 %)
  benefits_2017-10-10  A, B, C                    3   final (not revised, old enough)
  benefits_2018-01-10  A, B, C, D                 4   revised +33 % although mature: WARN,
                                                      provisional again (n_company 1 -> 2, +100 %)
No earnings register is delivered: n_hours and n_either are unknown (empty) throughout.
"""

from pathlib import Path

import duckdb
import pytest

from tests.helpers import run_stv

pytestmark = pytest.mark.integration

HEADER = "person_id;kommunekode;uge;ydelseskode;indsatskode;registreringsdato\n"
A_B = (
    "A;450;2017-W10;KH-AKT;VP;2017-03-12\nA;450;2017-W11;KH-AKT;;2017-03-19\n"
    "B;450;2017-W10;KH-AKT;;2017-03-13\nB;450;2017-W12;KH-AKT;;2017-03-27\n"
)
C = "C;450;2017-W12;KH-AKT;;2017-06-20\n"
D = "D;450;2017-W11;KH-AKT;LT;2017-12-01\n"


def deliver(inbox: Path, vintage: str, rows: str) -> None:
    folder = inbox / "register_benefits"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"benefits_{vintage}.csv").write_text(HEADER + rows)


def query(tmp: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


MARCH = "where municipality_code = 450 and month = date '2017-03-01' and target_group = 'alle'"


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


def test_late_registration_then_maturity_then_a_revision_that_warns(tmp, capsys):
    deliver(tmp / "inbox", "2017-04-10", A_B)
    deliver(tmp / "inbox", "2017-07-10", A_B + C)
    assert run_stv(tmp) == 0
    assert query(
        tmp, f"select population, provisional from marts.success_criteria_monthly {MARCH}"
    ) == [(3, True)]
    status = query(
        tmp, f"select too_recent, last_revision_exceeds from intermediate.int_month_status {MARCH}"
    )
    assert status == [(False, True)]  # old enough, but just revised by +50 %

    deliver(tmp / "inbox", "2017-10-10", A_B + C)
    assert run_stv(tmp) == 0
    assert query(
        tmp, f"select population, provisional from marts.success_criteria_monthly {MARCH}"
    ) == [(3, False)]
    assert query(
        tmp,
        f"select vintage::varchar, value, revision_abs, revision_rel "
        f"from marts.registration_revisions {MARCH} and measure = 'population' "
        f"order by vintage",
    ) == [("2017-04-10", 2, None, None), ("2017-07-10", 3, 1, 0.5), ("2017-10-10", 3, 0, 0.0)]
    # the one dbt build of each run loads the seeds too
    assert query(tmp, "select count(*) from reference.municipalities") == [(98,)]
    exports_before = sorted((tmp / "exports").iterdir())
    capsys.readouterr()

    deliver(tmp / "inbox", "2018-01-10", A_B + C + D)
    assert run_stv(tmp) == 0
    out = capsys.readouterr().out
    assert (
        "  WARN gx_registration_revisions_mature_months (marts/registration_revisions): "
        "exceeds_threshold not false"
    ) in out
    assert "(450): exceeds_threshold true, month 2017-03-01" in out
    assert "  ERROR " not in out
    assert query(
        tmp,
        "select population, n_company, n_hours, n_either, provisional, provisional_reason, "
        "revised_measure, revised_vintage::varchar "
        f"from marts.success_criteria_monthly {MARCH}",
    ) == [(4, 2, None, None, True, "revised", "n_company", "2018-01-10")]
    (new_export,) = set((tmp / "exports").iterdir()) - set(exports_before)
    assert (new_export / "success_criteria_monthly.parquet").exists()

"""Register snapshots as they really arrive (DESIGN §3.6): the benefits and earnings registers
are extracted on their own dates, a vintage pairs the newest snapshot of each on or before it,
and a measure without a snapshot of its register is unknown, never 0.

Nyborg (450), March 2017, on kontanthjælp: A (a company-oriented week, VP), B, and C, whose
March week is registered only on 20 May. Odense (461): E, delivered first on 2017-07-10.

  file                          pairs (B = benefits, E = earnings)   March at 450: pop, n_company,
                                                                     n_hours, n_either
  benefits_2017-04-10.csv       B 04-10, no E  (benefits only)       2, 1, NULL, NULL
  earnings_2017-05-02.csv       B 04-10, E 05-02 (earnings only)     2, 1, 1, 2   B: 20 hours
  earnings_2017-07-01.csv       B 04-10, E 07-01 (leads benefits)    2, 1, 2, 2   A: 10.5, B: 20
  benefits_2017-07-10_450.csv   B 07-10, E 07-01 (two files)         3, 1, 2, 2
  benefits_2017-07-10_461.csv
  earnings_2017-10-05.csv       B 07-10, E 10-05 (as 07-01)          3, 1, 2, 2
  benefits_2017-10-10.csv       B 10-10, E 10-05 (newest)            3, 1, 2, 2

Population's +1 at 07-10 is a benefits revision; March was not yet mature in the benefits
snapshot it compares with (04-10), although 07-01 (an earnings date) is after March matured.
n_hours' +1 at 07-01 is an earnings revision. Nothing changes population when only earnings
arrive. In the newest vintage March is final: old enough, and its last revisions were 0.
"""

import contextlib
import io
from pathlib import Path

import duckdb
import pytest

from stv_pipeline.exports.delivery import EXPORTED_MARTS
from tests.helpers import run_stv

pytestmark = pytest.mark.integration

BENEFITS_HEADER = "person_id;kommunekode;uge;ydelseskode;indsatskode;registreringsdato\n"
EARNINGS_HEADER = "person_id;maaned;loentimer\n"
A_B = "A;450;2017-W10;KH-AKT;VP;2017-03-12\nB;450;2017-W11;KH-AKT;;2017-03-19\n"
C = "C;450;2017-W12;KH-AKT;;2017-05-20\n"
E = "E;461;2017-W11;KH-AKT;;2017-03-20\n"
HOURS_B = "B;2017-03;20\n"
HOURS_A_B = "A;2017-03;10,5\nB;2017-03;20\n"

MARCH_450 = "municipality_code = 450 and month = date '2017-03-01' and target_group = 'alle'"


def deliver(inbox: Path, source: str, name: str, text: str) -> None:
    folder = inbox / source
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def query(tmp: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def paired(tmp_path_factory):
    """The job once on the inbox above: its folder, exit code and terminal output."""
    folder = tmp_path_factory.mktemp("paired")
    inbox = folder / "inbox"
    deliver(inbox, "register_benefits", "benefits_2017-04-10.csv", BENEFITS_HEADER + A_B)
    deliver(inbox, "register_earnings", "earnings_2017-05-02.csv", EARNINGS_HEADER + HOURS_B)
    deliver(inbox, "register_earnings", "earnings_2017-07-01.csv", EARNINGS_HEADER + HOURS_A_B)
    deliver(inbox, "register_benefits", "benefits_2017-07-10_450.csv", BENEFITS_HEADER + A_B + C)
    deliver(inbox, "register_benefits", "benefits_2017-07-10_461.csv", BENEFITS_HEADER + E)
    deliver(inbox, "register_earnings", "earnings_2017-10-05.csv", EARNINGS_HEADER + HOURS_A_B)
    deliver(inbox, "register_benefits", "benefits_2017-10-10.csv", BENEFITS_HEADER + A_B + C + E)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.delenv("DAGSTER_HOME", raising=False)
        code = run_stv(folder)
    return folder, code, out.getvalue()


def test_a_vintage_pairs_the_newest_snapshot_of_each_register(paired):
    tmp, code, _ = paired
    assert code == 0
    assert query(
        tmp,
        "select vintage::varchar, benefits_vintage::varchar, earnings_vintage::varchar "
        "from intermediate.int_register_vintages order by vintage",
    ) == [
        ("2017-04-10", "2017-04-10", None),
        ("2017-05-02", "2017-04-10", "2017-05-02"),
        ("2017-07-01", "2017-04-10", "2017-07-01"),
        ("2017-07-10", "2017-07-10", "2017-07-01"),
        ("2017-10-05", "2017-07-10", "2017-10-05"),
        ("2017-10-10", "2017-10-10", "2017-10-05"),
    ]


def test_values_are_unknown_without_their_register_and_revisions_name_the_snapshot(paired):
    tmp, code, _ = paired
    assert code == 0
    rows = query(
        tmp,
        "select measure, vintage::varchar, value, previous_vintage::varchar, changed_snapshots, "
        "revision_abs, mature_at_previous, exceeds_threshold "
        f"from marts.registration_revisions where {MARCH_450} "
        "and measure in ('population', 'n_hours') order by measure desc, vintage",
    )
    assert rows == [
        ("population", "2017-04-10", 2, None, None, None, False, False),
        ("population", "2017-05-02", 2, "2017-04-10", None, 0, False, False),
        ("population", "2017-07-01", 2, "2017-05-02", None, 0, False, False),
        ("population", "2017-07-10", 3, "2017-07-01", "benefits", 1, False, True),
        ("population", "2017-10-05", 3, "2017-07-10", None, 0, True, False),
        ("population", "2017-10-10", 3, "2017-10-05", "benefits", 0, True, False),
        ("n_hours", "2017-04-10", None, None, None, None, False, False),
        ("n_hours", "2017-05-02", 1, None, None, None, False, False),
        ("n_hours", "2017-07-01", 2, "2017-05-02", "earnings", 1, False, True),
        ("n_hours", "2017-07-10", 2, "2017-07-01", "benefits", 0, False, False),
        # both snapshots behind the 07-10 value (earnings 07-01) came after March matured
        ("n_hours", "2017-10-05", 2, "2017-07-10", "earnings", 0, True, False),
        ("n_hours", "2017-10-10", 2, "2017-10-05", "benefits", 0, True, False),
    ]
    # n_either: A by company, B by hours, once the earnings exist; C neither
    assert query(
        tmp,
        "select list(value order by vintage) from marts.registration_revisions "
        f"where {MARCH_450} and measure = 'n_either'",
    ) == [([None, 2, 2, 2, 2, 2],)]
    # the vintage row says which snapshots the value came from
    assert query(
        tmp,
        "select benefits_vintage::varchar, earnings_vintage::varchar "
        f"from marts.registration_revisions where {MARCH_450} and measure = 'n_hours' "
        "and vintage = date '2017-04-10'",
    ) == [("2017-04-10", None)]


def test_several_files_on_one_date_make_one_snapshot(paired):
    tmp, code, _ = paired
    assert code == 0
    assert query(
        tmp,
        "select municipality_code, vintage::varchar, value, revision_abs "
        "from marts.registration_revisions where month = date '2017-03-01' "
        "and target_group = 'alle' and measure = 'population' and vintage = date '2017-07-10' "
        "order by municipality_code",
    ) == [(450, "2017-07-10", 3, 1), (461, "2017-07-10", 1, 1)]


def test_newest_vintage_exports_every_table_with_march_final(paired):
    tmp, code, out = paired
    assert code == 0
    assert query(
        tmp,
        "select population, n_company, n_hours, n_either, provisional, provisional_reason "
        f"from marts.success_criteria_monthly where {MARCH_450}",
    ) == [(3, 1, 2, 2, False, None)]
    # no spurious revision: no check failed, and every table went out
    assert "  WARN " not in out and "  ERROR " not in out
    (export,) = (tmp / "exports").iterdir()
    assert {p.name for p in export.glob("*.parquet")} == {f"{m}.parquet" for m in EXPORTED_MARTS}


def test_a_date_with_only_an_earnings_file_before_any_benefits_knows_nothing(tmp):
    inbox = tmp / "inbox"
    deliver(inbox, "register_earnings", "earnings_2017-04-03.csv", EARNINGS_HEADER + HOURS_A_B)
    deliver(inbox, "register_benefits", "benefits_2017-04-10.csv", BENEFITS_HEADER + A_B)
    deliver(inbox, "register_earnings", "earnings_2017-04-20.csv", EARNINGS_HEADER + HOURS_A_B)
    assert run_stv(tmp) == 0
    assert query(
        tmp,
        "select vintage::varchar, measure, value, changed_snapshots, revision_abs "
        f"from marts.registration_revisions where {MARCH_450} order by vintage, measure",
    ) == [
        ("2017-04-03", "n_company", None, None, None),
        ("2017-04-03", "n_either", None, None, None),
        ("2017-04-03", "n_hours", None, None, None),
        ("2017-04-03", "population", None, None, None),
        # the first benefits snapshot gives the first known values: nothing to revise
        ("2017-04-10", "n_company", 1, None, None),
        ("2017-04-10", "n_either", 2, None, None),
        ("2017-04-10", "n_hours", 2, None, None),
        ("2017-04-10", "population", 2, None, None),
        # a new earnings snapshot with the same hours: only the measures reading it compare
        ("2017-04-20", "n_company", 1, None, 0),
        ("2017-04-20", "n_either", 2, "earnings", 0),
        ("2017-04-20", "n_hours", 2, "earnings", 0),
        ("2017-04-20", "population", 2, None, 0),
    ]
    # March ended 31 March: too recent on 20 April, and says so
    assert query(
        tmp,
        "select provisional, provisional_reason "
        f"from marts.success_criteria_monthly where {MARCH_450}",
    ) == [(True, "too_recent")]


def person_weeks(municipality: int, persons: range, weeks: tuple[str, ...]) -> str:
    return "".join(
        f"P{municipality}-{p};{municipality};2017-{w};KH-AKT;;2017-04-01\n"
        for p in persons
        for w in weeks
    )


def test_a_truncated_newer_extract_blocks_the_export_and_names_its_file(tmp, capsys):
    """Nyborg 1,200 person-weeks (600 persons x 2 weeks), Odense 100, on 2017-04-10. The
    2017-07-10 snapshot comes one file per municipality; Nyborg's lost 20 of them (1.7 %, over
    1 % of at least 1,000), Odense's grew by 200: overall 1,300 -> 1,480, no loss there."""
    inbox = tmp / "inbox"
    weeks = ("W10", "W11")
    older = person_weeks(450, range(600), weeks) + person_weeks(461, range(50), weeks)
    deliver(inbox, "register_benefits", "benefits_2017-04-10.csv", BENEFITS_HEADER + older)
    deliver(
        inbox,
        "register_benefits",
        "benefits_2017-07-10_450.csv",
        BENEFITS_HEADER + person_weeks(450, range(590), weeks),
    )
    deliver(
        inbox,
        "register_benefits",
        "benefits_2017-07-10_461.csv",
        BENEFITS_HEADER + person_weeks(461, range(150), weeks),
    )
    assert run_stv(tmp) == 1
    out = capsys.readouterr().out
    assert "ERROR gx_register_snapshot_losses (quality/register_snapshot_losses)" in out
    assert "municipality: Nyborg (450) 1" in out
    assert "newer_files benefits_2017-07-10_450.csv" in out and "(461)" not in out
    assert "no export written" in out
    assert not (tmp / "exports").exists() or not any((tmp / "exports").iterdir())
    assert query(
        tmp,
        "select municipality_code, older_rows, newer_rows, lost_rows "
        "from quality.register_snapshot_losses order by municipality_code nulls first",
    ) == [(None, 1300, 1480, 0), (450, 1200, 1180, 20), (461, 100, 300, 0)]

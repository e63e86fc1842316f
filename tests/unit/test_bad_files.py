"""The corpus of bad deliveries in tests/fixtures/bad_files: one file per broken rule.

Each file is dropped into an inbox beside a good file that is already loaded. It must be
rejected whole with the named problem (rule, row, column), moved to quarantine with a JSON
report, and leave every table of the warehouse exactly as it was.
"""

import json
import shutil
from pathlib import Path

import pytest

from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import load_source

CORPUS = Path(__file__).parents[1] / "fixtures" / "bad_files"

GOOD = {
    "register_benefits": (
        "benefits_2017-06-30.csv",
        "person_id;kommunekode;uge;ydelseskode;indsatskode;registreringsdato\n"
        "p9;461;2017-W10;RF;;2017-03-12\n",
    ),
    "register_earnings": ("earnings_2017-06-30.csv", "person_id;maaned;loentimer\np9;2017-03;7\n"),
    "municipal_monitoring": (
        "monitoring.csv",
        "kommunekode;udtraeksdato;maal;leverandoer;antal\n461;06-03-2017;referrals;;4\n",
    ),
    "municipal_targets": (
        "targets.csv",
        "municipality_code,measure,target_date,target_count\n461,referrals,2017-01-01,3\n",
    ),
    "implementation_survey": (
        "survey.csv",
        "respondent_id,municipality_code,wave,role,item,score\nR9,461,baseline,leder,1A,3\n",
    ),
    "stv_participants": ("participants.csv", "kommunekode\n461\n"),
}

# file → (words of the rule, row, column); row None = the whole file
EXPECTED = {
    "benefits_2017-06-30__empty.csv": ("the file is empty", None, None),
    "benefits_2017-06-30__header_only.csv": ("header but no data rows", None, None),
    "benefits_2017-06-30__truncated_last_line.csv": (
        "expected 6 fields but found 4 (the line may be truncated)",
        3,
        None,
    ),
    "benefits_2017-06-30__unclosed_quote.csv": ("quoted field is never closed", 3, None),
    "benefits_2017-06-30__extra_field.csv": ("expected 6 fields but found 7", 3, None),
    "benefits_2017-06-30__binary.csv": ("binary, not CSV text", None, None),
    "benefits_2017-06-30__missing_column.csv": (
        "required column missing (expected benefit_code / ydelseskode)",
        1,
        None,
    ),
    "benefits_2017-06-30__duplicate_header.csv": ("appears twice in the header", 1, None),
    "benefits_2017-06-30__unknown_municipality.csv": (
        "must be one of the 98 municipality codes",
        3,
        "municipality_code",
    ),
    "benefits_2017-06-30__municipality_not_a_number.csv": (
        "must be an integer municipality code",
        3,
        "municipality_code",
    ),
    "benefits_2017-06-30__invalid_iso_week.csv": ("must be an ISO week YYYY-Www", 3, "iso_week"),
    "benefits_2017-06-30__impossible_date.csv": ("must be a date", 3, "registered_date"),
    "benefits_2017-06-30__unknown_benefit_code.csv": (
        "must exist in the benefit-code mapping",
        3,
        "benefit_code",
    ),
    "benefits_2017-06-30__missing_benefit_code.csv": ("is required", 3, "benefit_code"),
    "benefits_2017-06-30__unknown_activation_code.csv": (
        "must exist in the activation-code mapping",
        3,
        "activation_code",
    ),
    "benefits_2017-06-30__registered_too_early.csv": (
        "before the week's Monday minus 7 days",
        3,
        "registered_date",
    ),
    "benefits_2017-06-30__registered_after_extract.csv": (
        "must not be after the extract date",
        3,
        "registered_date",
    ),
    "benefits_2017-06-30__duplicate_person_week.csv": (
        "at most one row per week per vintage (repeats an earlier row",
        3,
        "iso_week",
    ),
    "benefits_2017-06-30__already_loaded_person_week.csv": (
        "already loaded from another file of this vintage",
        3,
        "iso_week",
    ),
    "benefits_2017-06-30__malformed_cpr.csv": ("a CPR number of 10 digits", 3, "person_id"),
    "benefits_2017-06-30__cpr_and_person_id.csv": ("either cpr or person_id, not both", 1, None),
    "benefits__no_extract_date.csv": ("extract date missing", 2, "extract_date"),
    "benefits_2017-06-30__wrong_type.json": ("file type .json is not accepted", None, None),
    "earnings_2017-06-30__hours_over_744.csv": ("between 0 and 744", 3, "ordinary_hours"),
    "earnings_2017-06-30__negative_hours.csv": ("between 0 and 744", 2, "ordinary_hours"),
    "earnings_2017-06-30__invalid_month.csv": ("must be a month YYYY-MM", 2, "month"),
    "earnings_2017-06-30__hours_not_a_number.csv": (
        "must be a decimal number",
        2,
        "ordinary_hours",
    ),
    "earnings_2017-06-30__corrupt.parquet": ("not a readable PARQUET file", None, None),
    "monitoring__negative_count.csv": ("must be 0 or more", 2, "count"),
    "monitoring__fractional_count.csv": ("must be a whole number", 2, "count"),
    "monitoring__bad_date.csv": ("must be a date", 2, "extract_date"),
    "targets__negative_target.csv": ("must be 0 or more", 2, "target_count"),
    "targets__duplicate_point.csv": (
        "one target point per municipality, measure and date",
        3,
        "target_date",
    ),
    "survey__score_out_of_range.csv": ("between 1 and 5", 2, "score"),
    "survey__unknown_wave.csv": ("baseline or endline", 2, "wave"),
    "survey__unknown_role.csv": ("leder, projektleder, sagsbehandler", 2, "role"),
    "survey__unknown_item.csv": ("one of 1A 1B 1C 2A 2B 3A 3B 3C", 2, "item"),
    "survey__not_really.xlsx": ("not a readable XLSX workbook", None, None),
    "participants__listed_twice.csv": ("a municipality is listed once", 3, "municipality_code"),
    # two delivered columns for one field: neither may silently win
    "benefits_2017-06-30__iso_week_and_uge.csv": (
        "columns 'iso_week' and 'uge' both deliver the field iso_week",
        1,
        "iso_week",
    ),
    "benefits_2017-06-30__person_id_and_personid.csv": (
        "columns 'person_id' and 'personid' both deliver the field person_id",
        1,
        "person_id",
    ),
    "benefits_2017-06-30__cpr_and_cprnr.csv": (
        "columns 'cpr' and 'cprnr' both deliver the field cpr",
        1,
        "cpr",
    ),
    "benefits__extract_date_and_udtraeksdato.csv": (
        "columns 'extract_date' and 'udtraeksdato' both deliver the field extract_date",
        1,
        "extract_date",
    ),
    "earnings_2017-06-30__maaned_and_month.csv": (
        "columns 'month' and 'maaned' both deliver the field month",
        1,
        "month",
    ),
    "earnings_2017-06-30__loentimer_and_ordinary_hours.csv": (
        "columns 'ordinary_hours' and 'loentimer' both deliver the field ordinary_hours",
        1,
        "ordinary_hours",
    ),
    "monitoring__count_and_antal.csv": (
        "columns 'count' and 'antal' both deliver the field count",
        1,
        "count",
    ),
    "monitoring__extract_date_and_udtraeksdato.csv": (
        "columns 'extract_date' and 'udtraeksdato' both deliver the field extract_date",
        1,
        "extract_date",
    ),
    "targets__dato_and_target_date.csv": (
        "columns 'target_date' and 'dato' both deliver the field target_date",
        1,
        "target_date",
    ),
    "survey__score_and_svar.csv": (
        "columns 'score' and 'svar' both deliver the field score",
        1,
        "score",
    ),
    "participants__municipality_code_and_kommunekode.csv": (
        "columns 'municipality_code' and 'kommunekode' both deliver the field municipality_code",
        1,
        "municipality_code",
    ),
}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file())


def test_the_corpus_is_complete():
    assert sorted(p.name for p in corpus_files()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


def snapshot(con) -> dict[str, list]:
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema = 'raw' order by 1"
    ).fetchall()
    return {t: sorted(map(str, con.execute(f"select * from {t}").fetchall())) for (t,) in tables}


@pytest.mark.parametrize("bad", corpus_files(), ids=lambda p: p.name)
def test_bad_file_is_rejected_reported_and_changes_nothing(bad, reference_con, tmp_path):
    source = bad.parent.name
    inbox = tmp_path / "inbox" / source
    inbox.mkdir(parents=True)
    good_name, good_text = GOOD[source]
    (inbox / good_name).write_text(good_text)

    def load():
        return load_source(
            reference_con,
            CONTRACTS[source],
            inbox,
            origin="inbox",
            quarantine_dir=tmp_path / "quarantine",
            pseudonym_key="k",
            log=lambda _: None,
        )

    assert [o.status for o in load()] == ["loaded"]
    before = snapshot(reference_con)

    shutil.copy(bad, inbox / bad.name)
    outcomes = {o.file_name: o for o in load()}
    assert outcomes[good_name].status == "unchanged"
    outcome = outcomes[bad.name]
    assert outcome.status == "rejected"

    rule, row, column = EXPECTED[bad.name]
    first = outcome.problems[0]
    assert rule in first.rule and (first.row, first.column) == (row, column), first
    assert snapshot(reference_con) == before

    assert not (inbox / bad.name).exists()
    quarantined = tmp_path / "quarantine" / source / bad.name
    assert quarantined.read_bytes() == bad.read_bytes()
    report = json.loads(Path(f"{quarantined}.report.json").read_text())
    assert report["file"] == bad.name and report["total_problems"] >= 1
    assert report["problems"][0]["rule"] == first.rule
    assert "010180" not in json.dumps(report) and "0101801234" not in json.dumps(report)
    assert "010180" not in outcome.summary()

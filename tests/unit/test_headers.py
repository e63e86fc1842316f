from pathlib import Path

from stv_pipeline.ingest.contracts import MUNICIPAL_MONITORING, REGISTER_BENEFITS
from stv_pipeline.ingest.validation import map_headers, vintage_from_name


def test_danish_aliases_match_case_insensitively():
    m = map_headers(["_row", "Kommunekode", "UDTRAEKSDATO", "Maal", "Antal"], MUNICIPAL_MONITORING)
    assert m.problems == []
    assert m.columns == {
        "municipality_code": "Kommunekode",
        "extract_date": "UDTRAEKSDATO",
        "measure": "Maal",
        "count": "Antal",
    }


def test_missing_required_column_is_named():
    m = map_headers(["_row", "kommunekode", "maal", "antal"], MUNICIPAL_MONITORING)
    assert [p.rule for p in m.problems] == [
        "required column missing (expected extract_date / udtraeksdato / udtræksdato)"
    ]


def test_register_needs_exactly_one_person_identifier():
    base = ["kommunekode", "uge", "ydelseskode", "registreringsdato"]
    assert map_headers(["cpr", *base], REGISTER_BENEFITS).cpr_header == "cpr"
    assert map_headers(["person_id", *base], REGISTER_BENEFITS).problems == []
    both = map_headers(["cpr", "person_id", *base], REGISTER_BENEFITS)
    assert [p.rule for p in both.problems] == ["give either cpr or person_id, not both"]
    neither = map_headers(base, REGISTER_BENEFITS)
    assert [p.rule for p in neither.problems] == [
        "required column missing (expected cpr or person_id)"
    ]


def test_vintage_comes_from_the_file_name():
    assert str(vintage_from_name(Path("benefits_2019-04-15.csv"), "benefits")) == "2019-04-15"
    assert vintage_from_name(Path("benefits_2019-02-30.csv"), "benefits") is None
    assert vintage_from_name(Path("benefits.csv"), "benefits") is None


def test_vintage_name_may_carry_a_suffix_for_per_municipality_files():
    assert str(vintage_from_name(Path("benefits_2019-04-15_0450.csv"), "benefits")) == "2019-04-15"
    assert vintage_from_name(Path("benefits_2019-04-15x.csv"), "benefits") is None


def test_two_or_more_columns_for_one_field_are_ambiguous_and_all_named():
    m = map_headers(
        ["_row", "kommunekode", "Udtræksdato", "extract_date", "UDTRAEKSDATO", "maal", "antal"],
        MUNICIPAL_MONITORING,
    )
    assert [(p.rule, p.row, p.column) for p in m.problems] == [
        (
            "columns 'extract_date', 'UDTRAEKSDATO' and 'Udtræksdato' all deliver the field "
            "extract_date: deliver one of them",
            1,
            "extract_date",
        )
    ]
    # an alias of another field is no conflict: `maal` is measure, `antal` is count
    assert (
        map_headers(["kommunekode", "udtraeksdato", "maal", "antal"], MUNICIPAL_MONITORING).problems
        == []
    )

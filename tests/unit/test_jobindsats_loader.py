"""The jobindsats source (DESIGN §2.7): every format feature of the portal's files, loaded
through the shared loader into raw.jobindsats, and every way a file is refused."""

import json
from datetime import date
from pathlib import Path

import pytest

from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.jobindsats import parse_jobindsats, table_id_from_name
from stv_pipeline.ingest.loader import load_source
from stv_pipeline.ingest.readers import UnreadableFile

BOM = "\ufeff"
COLUMNS = (
    "table_id, area, municipality_code, period, period_type, period_start::varchar, "
    "period_end::varchar, dimensions::varchar, is_total, measure, value, extract_date::varchar"
)


def deliver(tmp_path: Path, name: str, content: str | bytes) -> Path:
    folder = tmp_path / "inbox" / "jobindsats"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def load(con, tmp_path):
    return load_source(
        con,
        CONTRACTS["jobindsats"],
        tmp_path / "inbox" / "jobindsats",
        origin="inbox",
        quarantine_dir=tmp_path / "quarantine",
        pseudonym_key=None,
        log=lambda _: None,
    )


def rows(con, where: str = "true") -> list[tuple]:
    return con.execute(
        f"select {COLUMNS} from raw.jobindsats where {where} order by all"
    ).fetchall()


def report(tmp_path: Path, name: str) -> dict:
    return json.loads((tmp_path / "quarantine/jobindsats" / f"{name}.report.json").read_text())


def test_api_v2_csv_with_bom_decimal_comma_negatives_prefixed_labels_and_totals(
    reference_con, tmp_path
):
    deliver(
        tmp_path,
        "Y36A02_2024-05-01.csv",
        BOM + "Area;Periode;Visitationskategori;Antal personer;"
        "Forventet og faktisk antal personer: Faktisk antal\n"
        "Nyborg;2017M03;Aktivitetsparat;12;-3,5\n"
        "Nyborg;2017M03;Visitationskategori i alt;30;1250,25\n",
    )
    [outcome] = load(reference_con, tmp_path)
    assert (outcome.status, outcome.rows, outcome.vintage) == ("loaded", 4, "2024-05-01")
    aktiv = '{"Visitationskategori":"Aktivitetsparat"}'
    total = '{"Visitationskategori":"Visitationskategori i alt"}'
    common = ("Y36A02", "Nyborg", 450, "2017M03", "month", "2017-03-01", "2017-03-31")
    prefixed = "Forventet og faktisk antal personer: Faktisk antal"
    assert rows(reference_con) == [
        (*common, aktiv, False, "Antal personer", 12.0, "2024-05-01"),
        (*common, aktiv, False, prefixed, -3.5, "2024-05-01"),
        (*common, total, True, "Antal personer", 30.0, "2024-05-01"),
        (*common, total, True, prefixed, 1250.25, "2024-05-01"),
    ]


def test_api_v2_json_cells_as_strings_with_decimal_comma_or_numbers(reference_con, tmp_path):
    reply = [
        {
            "Variables": [
                {"Name": "area", "Label": "Area"},
                {"Name": "period", "Label": "Periode"},
                {"Name": "_kon", "Label": "Køn"},
                {"Name": "y35a02_pers", "Label": "Antal personer"},
                {"Name": "y35a02_fuld", "Label": "Fuldtidspersoner"},
            ],
            "Data": [
                ["Ærø", "2018M12", "Mænd", "7", "5,5"],
                ["Ærø", "2018M01", "Køn i alt", 15, 11.25],
            ],
        }
    ]
    deliver(tmp_path, "Y35A02_2019-02-01.json", json.dumps(reply, ensure_ascii=False))
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "loaded"
    assert reference_con.execute(
        "select period, dimensions->>'Køn', is_total, measure, value, municipality_code "
        "from raw.jobindsats order by period, measure"
    ).fetchall() == [
        ("2018M01", "Køn i alt", True, "Antal personer", 15.0, 492),
        ("2018M01", "Køn i alt", True, "Fuldtidspersoner", 11.25, 492),
        ("2018M12", "Mænd", False, "Antal personer", 7.0, 492),
        ("2018M12", "Mænd", False, "Fuldtidspersoner", 5.5, 492),
    ]


def test_api_v3_json_with_omrade_nulls_and_the_table_id_in_the_content(reference_con, tmp_path):
    reply = {
        "table": "Y11A02",
        "columns": ["Område", "Periode", "Køn", "Antal personer"],
        "rows": [
            ["Lyngby-Taarbæk", "2017M05", "Kvinder", None],
            ["Lyngby-Taarbæk", "2017M04", "Kvinder", 3],
        ],
    }
    # no table id and no date in the name: both come from elsewhere
    deliver(tmp_path, "download.json", json.dumps(reply, ensure_ascii=False))
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "loaded"
    assert outcome.vintage == date.today().isoformat()
    assert reference_con.execute(
        "select table_id, area, municipality_code, period, value "
        "from raw.jobindsats order by period"
    ).fetchall() == [
        ("Y11A02", "Lyngby-Taarbæk", 173, "2017M04", 3.0),
        ("Y11A02", "Lyngby-Taarbæk", 173, "2017M05", None),
    ]


def test_every_missing_marker_is_null_never_zero(reference_con, tmp_path):
    deliver(
        tmp_path,
        "Y36A02_2024-05-01.csv",
        "Area;Periode;Antal personer\n"
        "Nyborg;2017M01;\nNyborg;2017M02;-\nNyborg;2017M03;.\nNyborg;2017M04;..\n"
        "Nyborg;2017M05;null\nNyborg;2017M06;0\n",
    )
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "loaded"
    assert reference_con.execute(
        "select period, value from raw.jobindsats order by period"
    ).fetchall() == [
        ("2017M01", None),
        ("2017M02", None),
        ("2017M03", None),
        ("2017M04", None),
        ("2017M05", None),
        ("2017M06", 0.0),
    ]


def test_period_codes_in_any_order(reference_con, tmp_path):
    deliver(
        tmp_path,
        "OTIJ01_2024-05-01.csv",
        "Area;Periode;Antal personer i alt\n"
        "Hele landet;2024Y01;1\n"
        "Hele landet;2020QMAT02;2\n"
        "Hele landet;2017K1;3\n"
        "Hele landet;2017Q4;4\n"
        "Hele landet;2017M12;5\n"
        "Hele landet;2016M02;6\n",
    )
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "loaded"
    assert reference_con.execute(
        "select period, period_type, period_start::varchar, period_end::varchar, value "
        "from raw.jobindsats order by value"
    ).fetchall() == [
        ("2024Y01", "year", "2024-01-01", "2024-12-31", 1.0),
        ("2020QMAT02", "moving_annual_total", "2019-07-01", "2020-06-30", 2.0),
        ("2017K1", "quarter", "2017-01-01", "2017-03-31", 3.0),
        ("2017Q4", "quarter", "2017-10-01", "2017-12-31", 4.0),
        ("2017M12", "month", "2017-12-01", "2017-12-31", 5.0),
        ("2016M02", "month", "2016-02-01", "2016-02-29", 6.0),
    ]


def test_area_names_resolve_whatever_their_spelling_and_other_areas_keep_no_code(
    reference_con, tmp_path
):
    areas = {
        "KØBENHAVN": 101,
        "Høje Taastrup Kommune": 169,
        "Høje-Tåstrup": 169,
        "Aarhus": 751,
        "Århus Kommune": 751,
        "lyngby taarbæk": 173,
        "Ærø": 492,
        "Hele landet": None,
        "Region Syddanmark": None,
        "RAR Fyn": None,
    }
    deliver(
        tmp_path,
        "Y11A02_2024-05-01.csv",
        "Area;Periode;Antal personer\n"
        + "".join(f"{area};2017M{n + 1:02d};{n}\n" for n, area in enumerate(areas)),
    )
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "loaded"
    assert (
        dict(reference_con.execute("select area, municipality_code from raw.jobindsats").fetchall())
        == areas
    )


def test_an_unknown_area_rejects_the_file_naming_it(reference_con, tmp_path):
    deliver(
        tmp_path,
        "Y11A02_2024-05-01.csv",
        "Area;Periode;Antal personer\nNyborg;2017M03;4\nAtlantis;2017M03;5\n",
    )
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "rejected"
    [problem] = report(tmp_path, "Y11A02_2024-05-01.csv")["problems"]
    assert problem["row"] == 3 and problem["column"] == "area"
    assert problem["value"] == "Atlantis"
    assert problem["rule"].startswith("must be a municipality of reference.municipalities")
    assert rows(reference_con) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "Forkert nøgle eller nøglen er udløbet.",
            "API error reply, not data: 'Forkert nøgle eller nøglen er udløbet.'",
        ),
        (
            '"Forkert nøgle eller nøglen er udløbet."',
            "API error reply, not data: 'Forkert nøgle eller nøglen er udløbet.'",
        ),
        (
            "<!DOCTYPE html><html><head><title>Jobindsats - Log ind</title></head></html>",
            "an HTML page (title 'Jobindsats - Log ind'), not Jobindsats data",
        ),
        (
            '{"code": 404, "cause": "Tabellen Y99X99 findes ikke"}',
            "API error reply, not data: code 404: Tabellen Y99X99 findes ikke",
        ),
        (
            '[{"code": 400, "cause": "Ugyldig periode 2017M13"}]',
            "API error reply, not data: code 400: Ugyldig periode 2017M13",
        ),
    ],
)
def test_an_api_error_body_is_rejected_with_its_message(reference_con, tmp_path, content, message):
    deliver(tmp_path, "Y36A02_2024-05-01.json", content)
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "rejected"
    [problem] = report(tmp_path, "Y36A02_2024-05-01.json")["problems"]
    assert message in problem["rule"]
    assert rows(reference_con) == []


def test_one_bad_cell_rejects_the_whole_file_and_names_it(reference_con, tmp_path):
    deliver(
        tmp_path,
        "Y36A02_2024-05-01.csv",
        "Area;Periode;Køn;Antal personer;Andel\n"
        "Nyborg;2017M03;Mænd;4;1,5\nNyborg;2017M13;Kvinder;5;2\nNyborg;2017M04;Kvinder;x;2\n",
    )
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "rejected"
    problems = report(tmp_path, "Y36A02_2024-05-01.csv")["problems"]
    # the bad period once although the row holds two measures; the bad value by its measure
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [
        (3, "period", "2017M13"),
        (4, "Antal personer", "x"),
    ]
    assert rows(reference_con) == []
    assert reference_con.execute("select count(*) from raw.file_log").fetchone()[0] == 0


def test_the_same_figure_twice_in_a_download_is_rejected(reference_con, tmp_path):
    deliver(
        tmp_path,
        "Y36A02_2024-05-01.csv",
        "Area;Periode;Antal personer\nNyborg;2017M03;4\nNyborg;2017M03;5\n",
    )
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "rejected"
    [problem] = report(tmp_path, "Y36A02_2024-05-01.csv")["problems"]
    assert problem["row"] == 3
    assert problem["rule"].startswith("one value per table, area, period")


def test_loading_twice_changes_nothing_and_a_later_download_is_a_new_vintage(
    reference_con, tmp_path
):
    text = "Area;Periode;Antal personer\nNyborg;2017M03;4\n"
    deliver(tmp_path, "Y11A02_2024-05-01.csv", text)
    deliver(tmp_path, "Y11A02.csv", text)  # undated: the load date, and still loaded once
    assert [o.status for o in load(reference_con, tmp_path)] == ["loaded", "loaded"]
    assert [o.status for o in load(reference_con, tmp_path)] == ["unchanged", "unchanged"]
    deliver(tmp_path, "Y11A02_2024-06-01.csv", text.replace(";4", ";5"))
    # in name order: Y11A02.csv, Y11A02_2024-05-01.csv, Y11A02_2024-06-01.csv
    assert [o.status for o in load(reference_con, tmp_path)] == [
        "unchanged",
        "unchanged",
        "loaded",
    ]
    assert reference_con.execute(
        "select extract_date::varchar, value from raw.jobindsats order by 1"
    ).fetchall() == [
        ("2024-05-01", 4.0),
        ("2024-06-01", 5.0),
        (date.today().isoformat(), 4.0),
    ]
    assert reference_con.execute(
        "select source, file_name, rows from raw.file_log order by file_name"
    ).fetchall() == [
        ("jobindsats", "Y11A02.csv", 1),
        ("jobindsats", "Y11A02_2024-05-01.csv", 1),
        ("jobindsats", "Y11A02_2024-06-01.csv", 1),
    ]


def test_a_json_reply_saved_as_csv_is_read_as_json(reference_con, tmp_path):
    reply = {"columns": ["Område", "Periode", "Antal personer"], "rows": [["Odense", "2017M03", 9]]}
    deliver(tmp_path, "Y11A02_2024-05-01.csv", json.dumps(reply))
    [outcome] = load(reference_con, tmp_path)
    assert (outcome.status, outcome.rows) == ("loaded", 1)


def test_file_name_and_content_must_name_the_same_table(reference_con, tmp_path):
    reply = {
        "table": "Y11A02",
        "columns": ["Område", "Periode", "N"],
        "rows": [["Odense", "2017M03", 9]],
    }
    deliver(tmp_path, "Y36A02_2024-05-01.json", json.dumps(reply))
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "rejected"
    assert "file name says table Y36A02 but the content says Y11A02" in outcome.problems[0].rule


def test_a_file_naming_no_table_is_rejected_with_how_to_name_it(reference_con, tmp_path):
    deliver(tmp_path, "download.csv", "Area;Periode;Antal personer\nOdense;2017M03;9\n")
    [outcome] = load(reference_con, tmp_path)
    assert outcome.status == "rejected"
    assert "name the file <TABLE>_<YYYY-MM-DD>.<ext>" in outcome.problems[0].rule


def test_a_stray_text_in_a_measure_column_is_an_invalid_value_not_a_dimension():
    parsed = parse_jobindsats(
        "Area;Periode;Køn;Antal;Andel\n"
        "Odense;2017M03;Mænd;4;1\nOdense;2017M04;Mænd;n/a;2\nOdense;2017M05;Mænd;6;3\n".encode()
    )
    assert {r.measure for r in parsed.rows} == {"Antal", "Andel"}
    assert {tuple(r.dimensions) for r in parsed.rows} == {("Køn",)}
    assert [r.value for r in parsed.rows if r.measure == "Antal"] == ["4", "n/a", "6"]


def test_a_table_of_only_text_columns_has_no_measure():
    with pytest.raises(UnreadableFile, match="no measure column"):
        parse_jobindsats("Area;Periode;Køn\nOdense;2017M03;Mænd\n".encode())


def test_windows_1252_and_a_ragged_row():
    parsed = parse_jobindsats("Område;Periode;Antal\nHøje-Taastrup;2017M03;4\n".encode("cp1252"))
    assert parsed.rows[0].area == "Høje-Taastrup"
    with pytest.raises(UnreadableFile, match="expected 3 fields but found 2") as err:
        parse_jobindsats(b"Area;Periode;Antal\nOdense;2017M03;4\nOdense;2017M04\n")
    assert err.value.row == 3


def test_table_id_from_the_file_name():
    assert table_id_from_name(Path("y36a02_2024-05-01.csv")) == "Y36A02"
    assert table_id_from_name(Path("OTIJ01.json")) == "OTIJ01"
    assert table_id_from_name(Path("download_2024-05-01.csv")) is None

"""Every format and spelling the contracts accept loads to the same canonical rows."""

import datetime as dt

import openpyxl
import pytest

from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import load_source

MONITORING_ROWS = [
    (450, "2017-03-06", "active_company_placements", "Jobcenter Nyborg", 12),
    (461, "2017-03-06", "referrals", None, 3),
]


def monitoring(con):
    return con.execute(
        "select municipality_code, extract_date::varchar, measure, provider, count "
        "from raw.municipal_monitoring order by municipality_code"
    ).fetchall()


def load_one(con, tmp_path, source, name, content: bytes, key=None):
    folder = tmp_path / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    [outcome] = load_source(
        con,
        CONTRACTS[source],
        folder,
        origin="inbox",
        quarantine_dir=tmp_path / "q",
        pseudonym_key=key,
        log=lambda _: None,
    )
    assert outcome.status == "loaded", [p.describe() for p in outcome.problems]
    return outcome


CSV_VARIANTS = {
    "utf8_comma_iso_dates": (
        b"municipality_code,extract_date,measure,provider,count\n"
        b"450,2017-03-06,active_company_placements,Jobcenter Nyborg,12\n"
        b"461,2017-03-06,referrals,,3\n"
    ),
    "cp1252_semicolon_danish_headers_dd_mm_yyyy": (
        "Kommunekode;Udtræksdato;Mål;Leverandør;Antal\r\n"
        "450;06-03-2017;active_company_placements;Jobcenter Nyborg;12\r\n"
        "461;06-03-2017;referrals;;3\r\n"
    ).encode("cp1252"),
    "utf8_bom_slashed_dates_blank_lines_upper_case": (
        "\ufeffKOMMUNEKODE;UDTRAEKSDATO;MAAL;LEVERANDOER;ANTAL\n\n"
        "450;06/03/2017;Active_Company_Placements;Jobcenter Nyborg;12\n   \n"
        "461;06/03/2017;referrals;;3\n\n\n"
    ).encode(),
    "quoted_fields_and_no_final_newline": (
        b'"kommunekode","udtraeksdato","maal","leverandoer","antal"\n'
        b'"450","2017-03-06","active_company_placements","Jobcenter Nyborg","12"\n'
        b'"461","2017-03-06","referrals","","3"'
    ),
}


@pytest.mark.parametrize("variant", CSV_VARIANTS)
def test_csv_variants_load_the_same_rows(variant, reference_con, tmp_path):
    load_one(reference_con, tmp_path, "municipal_monitoring", "m.csv", CSV_VARIANTS[variant])
    assert monitoring(reference_con) == MONITORING_ROWS


def test_xlsx_with_real_dates_and_numbers_loads(reference_con, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["kommunekode", "udtræksdato", "mål", "leverandør", "antal"])
    sheet.append(
        [450, dt.datetime(2017, 3, 6), "active_company_placements", "Jobcenter Nyborg", 12.0]
    )
    sheet.append([None, None, None, None, None])  # a stray empty row
    sheet.append([461, "06-03-2017", "referrals", None, 3])
    workbook.save(tmp_path / "m.xlsx")
    load_one(
        reference_con,
        tmp_path,
        "municipal_monitoring",
        "m.xlsx",
        (tmp_path / "m.xlsx").read_bytes(),
    )
    assert monitoring(reference_con) == MONITORING_ROWS


def test_parquet_register_with_typed_columns_and_extract_date_column(reference_con, tmp_path):
    path = tmp_path / "weekly.parquet"
    reference_con.execute(
        f"""copy (select 'p1' as person_id, 450 as kommunekode, '2017-W10' as uge,
                  'KH-AKT' as ydelseskode, null::varchar as indsatskode,
                  date '2017-03-12' as registreringsdato, date '2017-06-30' as extract_date)
            to '{path}' (format parquet)"""
    )
    outcome = load_one(
        reference_con, tmp_path, "register_benefits", "weekly.parquet", path.read_bytes()
    )
    assert outcome.vintage == "2017-06-30"
    assert reference_con.execute(
        "select person_id, municipality_code, registered_date::varchar, extract_date::varchar "
        "from raw.register_benefits"
    ).fetchall() == [("p1", 450, "2017-03-12", "2017-06-30")]


def test_row_numbers_count_blank_lines_as_a_text_editor_does(reference_con, tmp_path):
    content = (
        b"kommunekode;udtraeksdato;maal;leverandoer;antal\n\n\n"
        b"450;06-03-2017;referrals;;1\n \n461;06-03-2017;referrals;;-1\n"
    )
    folder = tmp_path / "inbox/municipal_monitoring"
    folder.mkdir(parents=True)
    (folder / "m.csv").write_bytes(content)
    [outcome] = load_source(
        reference_con,
        CONTRACTS["municipal_monitoring"],
        folder,
        origin="inbox",
        quarantine_dir=tmp_path / "q",
        pseudonym_key=None,
        log=lambda _: None,
    )
    assert [(p.row, p.column, p.value) for p in outcome.problems] == [(6, "count", "-1")]

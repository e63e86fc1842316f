import time
from datetime import date

import openpyxl
import pandas as pd

from stv_pipeline.exports.delivery import EXPORTED_MARTS
from stv_pipeline.exports.dictionary import SUPPRESSION_NOTE, table_docs
from stv_pipeline.exports.writers import write_workbook


def test_every_exported_column_has_a_danish_label_a_unit_and_a_meaning():
    docs = table_docs()
    for table in EXPORTED_MARTS:
        description, columns = docs[table]
        assert description
        for doc in columns:
            assert doc.label_da != doc.column and doc.unit and doc.meaning, (table, doc.column)


def test_workbook_has_labelled_frozen_sheets_marked_suppression_and_a_dictionary(tmp_path):
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 461],
            "extract_date": [date(2017, 3, 6)] * 2,
            "municipal_count": [12, 3],
            "register_count": [10, 10],
            "register_vintage": [date(2019, 4, 15)] * 2,
            "gap_rel": [0.2, -0.7],
            "flagged": [True, True],
            "provisional": [False, False],
        }
    )
    # the second row's municipal count of 3 and its gap, suppressed as disclosure control does
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask.loc[1, ["municipal_count", "gap_rel"]] = True
    published = frame.astype({"municipal_count": "Int64"}).mask(mask)
    write_workbook(
        tmp_path / "t.xlsx", {"reconciliation": (published, mask)}, table_docs(), SUPPRESSION_NOTE
    )
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["reconciliation", "dataordbog"]
    sheet = book["reconciliation"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:4] == [
        "Kommunekode",
        "Kommunenavn",
        "Udtræksdato",
        "Kommunens opgørelse",
    ]
    assert [c.value for c in sheet[3]][3] == ".." and [c.value for c in sheet[3]][6] == ".."
    assert sheet["C2"].number_format == "dd-mm-yyyy"
    rows = [[c.value for c in r] for r in book["dataordbog"].iter_rows(min_row=2)]
    assert ["reconciliation", "municipality_name", "Kommunenavn", "tekst"] == rows[2][:4]
    assert ["reconciliation", "gap_rel", "Relativ afvigelse", "andel"] in [r[:4] for r in rows]
    assert rows[-1][4] == SUPPRESSION_NOTE
    # the same tables, written again later, give the same bytes: no clock in the file
    time.sleep(1.1)
    write_workbook(
        tmp_path / "again.xlsx",
        {"reconciliation": (published, mask)},
        table_docs(),
        SUPPRESSION_NOTE,
    )
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "t.xlsx").read_bytes()


def test_workbook_cells_read_in_danish_with_number_formats_and_print_one_page_wide(tmp_path):
    from stv_pipeline.exports.labels import Labels

    labels = Labels(
        categories={
            ("boolean", "true"): "Ja",
            ("boolean", "false"): "Nej",
            ("target_group", "alle"): "alle målgrupper",
            ("target_group", "ressourceforloeb"): "borgere i ressourceforløb",
        },
        # the smallest and the largest municipality; 999 has no name in the seed
        municipalities={492: "Ærø", 101: "København"},
    )
    frame = pd.DataFrame(
        {
            "municipality_code": [492, 101, 999],
            "month": [date(2017, 3, 1)] * 3,
            "target_group": ["alle", "ressourceforloeb", "ukendt_gruppe"],
            "population": [40, 5000, 7],
            "n_company": [10, 1000, 5],
            "n_hours": [5, 500, 5],
            "n_either": [12, 1200, 5],
            "share_company": [0.25, 0.2, 5 / 7],
            "share_hours": [0.125, 0.1, 5 / 7],
            "share_either": [0.3, 0.24, 5 / 7],
            "provisional": [True, False, False],
        }
    )
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    write_workbook(
        tmp_path / "t.xlsx",
        {"success_criteria_monthly": (frame, mask)},
        table_docs(),
        SUPPRESSION_NOTE,
        labels,
    )
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["success_criteria_monthly"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Kommunekode", "Kommunenavn", "Måned", "Målgruppe"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == ["Ærø", "København", "999"]
    assert [r[3] for r in rows] == ["alle målgrupper", "borgere i ressourceforløb", "ukendt_gruppe"]
    assert [r[-1] for r in rows] == ["Ja", "Nej", "Nej"]
    share = header.index("Andel med virksomhedsrettet indsats")
    assert rows[0][share] == 0.25 and sheet.cell(2, share + 1).number_format == "0.0%"
    assert sheet.cell(3, header.index("Antal i målgruppen") + 1).number_format == "#,##0"
    assert sheet.cell(2, 3).number_format == "mm-yyyy"
    setup = sheet.page_setup
    # fitToWidth's default in the file format is 1, so XlsxWriter leaves it out
    assert setup.orientation == "landscape" and (setup.fitToWidth or 1) == 1
    assert setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    dictionary = openpyxl.load_workbook(tmp_path / "t.xlsx")["dataordbog"]
    assert dictionary.cell(3, 5).alignment.wrap_text
    assert dictionary.row_dimensions[2].height > 15  # the table's long description, wrapped


def test_a_header_is_as_tall_as_its_wrapped_words():
    from stv_pipeline.exports.writers import _header_lines

    assert _header_lines("Kommunekode", 13) == 1
    # 'Antal med' | 'ordinære' | 'løntimer' in a column 10 wide (9 usable)
    assert _header_lines("Antal med ordinære løntimer", 10) == 3
    assert _header_lines("Andel med virksomhedsrettet indsats og/eller ordinære løntimer", 20) == 4

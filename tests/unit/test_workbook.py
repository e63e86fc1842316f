from datetime import date

import openpyxl
import pandas as pd

from stv_pipeline.defs.exports import EXPORTED_MARTS
from stv_pipeline.exports.dictionary import SUPPRESSION_NOTE, table_docs
from stv_pipeline.exports.disclosure import RULES, suppress
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
    published, mask = suppress(frame, RULES["reconciliation"])
    write_workbook(
        tmp_path / "t.xlsx", {"reconciliation": (published, mask)}, table_docs(), SUPPRESSION_NOTE
    )
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["reconciliation", "dataordbog"]
    sheet = book["reconciliation"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["Kommunekode", "Udtræksdato", "Kommunens opgørelse"]
    assert [c.value for c in sheet[3]][2] == ".." and [c.value for c in sheet[3]][5] == ".."
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    rows = [[c.value for c in r] for r in book["dataordbog"].iter_rows(min_row=2)]
    assert ["reconciliation", "gap_rel", "Relativ afvigelse", "andel"] == rows[7][:4]
    assert rows[-1][4] == SUPPRESSION_NOTE

import time
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from stv_pipeline.exports.delivery import EXPORTED_MARTS
from stv_pipeline.exports.dictionary import SUPPRESSION_NOTE, sheet_specs, table_docs
from stv_pipeline.exports.labels import Labels, labels_from
from stv_pipeline.exports.layout import wrapped_lines
from stv_pipeline.exports.writers import write_workbook
from stv_pipeline.vocabulary import read_vocabulary

UNITS = {
    "kode", "tekst", "ja/nej", "dato", "dato (første dag i måneden)", "personer",
    "personmåneder", "personuger", "procent", "procent (100 = på mål)", "procent (100 = nået)",
    "pct.-point", "score 1-5", "score-point", "rang", "dage", "måneder", "leverandører",
    "personer pr. måned",
}  # fmt: skip


def labels(**municipalities) -> Labels:
    return labels_from(
        read_vocabulary(),
        {"ressourceforloeb": "borgere i ressourceforløb"},
        {450: "Nyborg", 461: "Odense", **municipalities},
        {"nowcast_min_mature_months": 3},
        {"register_benefits": (date(2019, 1, 15), date(2019, 4, 15))},
    )


def test_every_exported_column_has_a_danish_label_a_unit_and_a_danish_meaning():
    docs, specs = table_docs(), sheet_specs()
    for table in EXPORTED_MARTS:
        description, columns = docs[table]
        assert description and specs[table].sheet and specs[table].title
        for doc in columns:
            assert doc.label_da != doc.column and doc.meaning, (table, doc.column)
            assert doc.unit in UNITS, (table, doc.column, doc.unit)
            assert doc.meaning_da and doc.meaning_da != doc.meaning, (table, doc.column)
    # shares are percent where the workbook shows them, differences of shares pct.-point
    units = {d.column: d.unit for d in docs["baseline_endline"][1]}
    assert units["share_either_baseline"] == "procent"
    assert units["change_pp_either"] == "pct.-point"
    assert units["population_baseline"] == "personmåneder"


def reconciliation() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 461],
            "extract_date": [date(2017, 3, 6)] * 2,
            "municipal_count": [12, 3],
            "municipal_count_source": ["jobcentre", "providers_sum"],
            "register_count": [10, 10],
            "register_vintage": [date(2019, 4, 15)] * 2,
            "gap_rel": [0.2, -0.7],
            "flagged": [True, True],
            "provisional": [False, True],
            "provisional_reason": [None, "too_recent"],
        }
    )
    # the second row's municipal count of 3 and its gap, suppressed as disclosure control does
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask.loc[1, ["municipal_count", "gap_rel"]] = True
    return frame.astype({"municipal_count": "Int64"}).mask(mask), mask


def test_a_long_table_prints_under_its_title_unit_source_and_notes(tmp_path):
    published, mask = reconciliation()
    write_workbook(
        tmp_path / "t.xlsx",
        {"reconciliation": (published, mask)},
        table_docs(),
        SUPPRESSION_NOTE,
        labels(),
    )
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["Afstemning", "Dataordbog"]
    sheet = book["Afstemning"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == sheet_specs()["reconciliation"].title
    assert rows[1][0] == "Enhed: personer, procent."
    # the register's extracts named, the monitoring counts without (they have none)
    assert rows[2][0] == (
        "Kilde: Kommunernes egne opgørelser; ydelsesregistret (udtræk 15.01.2019, 15.04.2019)."
    )
    assert rows[3][0].startswith(".. = skjult af diskretionshensyn")
    header = next(i for i, r in enumerate(rows) if r[0] == "Kommune")
    assert rows[header][:4] == [
        "Kommune",
        "Udtræksdato",
        "Kommunens opgørelse (personer)",
        "Kilde til kommunens opgørelse",
    ]
    first, second = rows[header + 1], rows[header + 2]
    assert first[:4] == ["Nyborg (450)", datetime(2017, 3, 6), 12, "jobcentrets egen opgørelse"]
    assert second[:4] == ["Odense (461)", datetime(2017, 3, 6), "..", "leverandørernes sum"]
    assert second[-3:] == ["Ja", "Ja", "for ny"]
    assert sheet.cell(header + 2, 2).number_format == "dd-mm-yyyy"
    assert sheet.cell(header + 2, 7).number_format == "0.0%"
    # the header row on every page, the table as the print area, A4
    assert sheet.print_title_rows == f"${header + 1}:${header + 1}"
    assert sheet.freeze_panes == f"A{header + 2}"
    assert sheet.print_area == f"'Afstemning'!$A$1:$J${header + 3}"
    assert sheet.page_setup.paperSize == 9
    dictionary = [[c.value for c in r] for r in book["Dataordbog"].iter_rows()]
    gap = next(r for r in dictionary if r[0] == "gap_rel")
    assert gap[1:3] == ["Relativ afvigelse", "procent"]
    assert gap[3].startswith("Kommunens opgørelse minus registrets antal")
    assert ["Afstemning: " + sheet_specs()["reconciliation"].title] in [r[:1] for r in dictionary]
    # the same tables, written again later, give the same bytes: no clock in the file
    time.sleep(1.1)
    write_workbook(
        tmp_path / "again.xlsx",
        {"reconciliation": (published, mask)},
        table_docs(),
        SUPPRESSION_NOTE,
        labels(),
    )
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "t.xlsx").read_bytes()


def test_a_monthly_table_prints_months_across_one_figure_a_block(tmp_path):
    months = [date(2017, 1, 1), date(2017, 2, 1)]
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 450, 450, 450],
            "month": months * 2,
            "target_group": ["alle", "alle", "ressourceforloeb", "ressourceforloeb"],
            "population": [40, 44, 8, 9],
            "n_company": [10, 11, 2, 3],
            "n_hours": [5, 5, 1, 1],
            "n_either": [12, 13, 3, 4],
            "share_company": [0.25, 0.25, 0.25, 1 / 3],
            "share_hours": [0.125, 5 / 44, 0.125, 1 / 9],
            "share_either": [0.3, 13 / 44, 0.375, 4 / 9],
            "provisional": [False, True, False, True],
            "provisional_reason": [None, "too_recent", None, "too_recent"],
            "revised_measure": [None] * 4,
            "revised_vintage": [None] * 4,
        }
    )
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask.loc[2, ["share_either"]] = True
    write_workbook(
        tmp_path / "t.xlsx",
        {"success_criteria_monthly": (frame.mask(mask), mask)},
        table_docs(),
        SUPPRESSION_NOTE,
        labels(),
    )
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["Succeskriterier"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert "Kursiv: foreløbigt tal" in " ".join(r[0] or "" for r in rows[:8])
    caption = rows.index(["Antal i målgruppen (personer)", None, None])
    assert rows[caption + 1] == ["Kommune", "jan 2017", "feb 2017"]
    assert rows[caption + 2][0] == "Alle målgrupper"
    assert rows[caption + 3] == ["Nyborg (450)", 40, 44]
    assert rows[caption + 4][0] == "Borgere i ressourceforløb"
    assert rows[caption + 5] == ["Nyborg (450)", 8, 9]
    # a share is a number of percent under a caption saying so; a suppressed one '..'
    either = rows.index(
        ["Andel med virksomhedsrettet indsats og/eller ordinære løntimer (procent)", None, None]
    )
    assert rows[either + 3][1:] == [30.0, pytest.approx(13 / 44 * 100)]
    assert rows[either + 5][1:] == ["..", pytest.approx(4 / 9 * 100)]
    assert sheet.cell(either + 4, 2).number_format == "0.0"
    # the provisional month in italics, the final one not
    assert sheet.cell(either + 4, 3).font.i and not sheet.cell(either + 4, 2).font.i
    # text of 8 pt at the least (LibreOffice prints 8.05 pt as 8.1)
    sizes = {c.font.sz for r in sheet.iter_rows() for c in r if c.value is not None}
    assert min(sizes) >= 8


def test_a_table_of_few_rows_is_turned_a_quarter():
    from stv_pipeline.exports.layout import printed_sheet

    frame = pd.DataFrame(
        {
            "municipality_code": [450, 461],
            "success_change": [24.2, -8.8],
            "fidelity_change_management": [0.5, 0.44],
            "fidelity_change_staff": [0.73, 0.25],
            "fidelity_change_all": [0.7, 0.29],
            "rank_success": pd.array([1, None], dtype="Int64"),
            "rank_fidelity": pd.array([2, None], dtype="Int64"),
            "mean_rank": [1.5, None],
            "selection_order": pd.array([1, None], dtype="Int64"),
            "eligible": [True, False],
            "selected": [True, False],
            "reason": ["udvalgt", "opfylder ikke kriterierne"],
            "provisional": [False, False],
        }
    )
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    docs = table_docs()["case_selection"][1]
    sheet = printed_sheet(sheet_specs()["case_selection"], frame, mask, docs, labels())
    [block] = sheet.blocks
    assert [c.header[0] for c in block.columns] == ["Kommune", "Nyborg (450)", "Odense (461)"]
    rows = {r[0].value: [c.value for c in r[1:]] for _, r in block.rows}
    assert rows["Ændring i succesandel (pct.-point)"] == [24.2, -8.8]
    assert rows["Opfylder kriterierne"] == ["Ja", "Nej"]
    assert rows["Begrundelse"] == ["udvalgt", "opfylder ikke kriterierne"]


def test_a_wrapped_text_takes_the_lines_its_words_need():
    # 8 characters of 3.9 pt fit a cell of 6 + 8 x 3.9 = 37.2 pt
    assert wrapped_lines("Kommunekode", 37.2) == 1 + 1  # a word longer than the line: 2
    assert wrapped_lines("Antal med løntimer", 37.2) == 3
    assert wrapped_lines("Antal med løntimer", 6 + 18 * 3.9) == 1

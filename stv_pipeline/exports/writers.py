"""The files of an export folder: CSV for Danish Excel and typed Parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from stv_pipeline.exports.labels import NAME_COLUMN, Labels, for_readers


def write_csv_for_excel(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (so Excel detects it), semicolons and decimal commas, as Danish Excel
    reads them; suppressed cells are empty."""
    frame.to_csv(
        path,
        sep=";",
        decimal=",",
        index=False,
        encoding="utf-8-sig",
        date_format="%Y-%m-%d",
        lineterminator="\r\n",
    )


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Typed Parquet: counts stay integers (nullable where suppressed), dates stay dates."""
    frame.to_parquet(path, index=False, compression="zstd")


SUPPRESSED_MARK = ".."
HEADER_FILL = "#DDE6F0"
SUPPRESSED_FILL = "#E7E6E6"
NAME_DOC = (
    "Kommunenavn",
    "tekst",
    "The municipality's name (in the workbook only, beside its code).",
)
DICTIONARY_WIDTHS = (24, 30, 36, 16, 90)  # tabel, kolonne, dansk betegnelse, enhed, betydning
LINE_HEIGHT = 15  # points per wrapped line, for row heights the reader needs no click to see


EXCEL_EPOCH = pd.Timestamp("1899-12-30")
WORKBOOK_CREATED = dt.datetime(1980, 1, 1)  # the zip format's own first date


def number_format(unit: str, column: pd.Series) -> str | None:
    """Excel's number format for a column, from its documented unit (meta.unit) and type:
    shares as percent with one decimal, counts as integers, dates as Danish dates."""
    if _is_date_column(column):
        return "mm-yyyy" if "første dag i måneden" in unit else "dd-mm-yyyy"
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    if unit.startswith("andel"):
        return "0.0%"
    if unit in ("procentpoint", "dage"):
        return "0.0"
    if unit.startswith("score"):
        return "0.00"
    if unit == "kode":
        return "0"
    if pd.api.types.is_integer_dtype(column):
        return "#,##0"
    return "#,##0.0"


def _is_date_column(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    sample = column.dropna().head(1).tolist()
    return bool(sample) and isinstance(sample[0], (dt.date, pd.Timestamp))


def _column_cells(sheet, column: pd.Series, cell_format) -> tuple[list, object]:
    """A column's Python values (None where missing) and the XlsxWriter method that writes
    them. Converting and dispatching once per column rather than per cell is what lets a
    sheet of a hundred thousand rows take seconds; dates go in as Excel serial numbers."""
    if _is_date_column(column):
        serial = (pd.to_datetime(column) - EXCEL_EPOCH).dt.days.astype("float64")
        cells = serial.astype(object).where(serial.notna(), None).tolist()
        return cells, lambda row, col, value: sheet.write_number(row, col, value, cell_format)
    cells = column.astype(object).where(column.notna(), None).tolist()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return cells, lambda row, col, value: sheet.write_number(row, col, value, cell_format)
    return cells, lambda row, col, value: sheet.write_string(row, col, str(value))


def _print_setup(sheet) -> None:
    """A4 landscape, one page wide (as many pages tall as it takes), header row on each."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&L&A&RSide &P af &N")


def _header_lines(text: str, width: int) -> int:
    """Lines a header takes when wrapped at spaces into a column `width` characters wide."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width - 1:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _wrapped_lines(text: str, width: int) -> int:
    return max(1, -(-len(text) // max(1, width - 2)))


def write_workbook(
    path: Path,
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    docs: dict[str, tuple[str, list]],
    note: str,
    labels: Labels | None = None,
) -> None:
    """One sheet per table and a data dictionary sheet, for people: Danish headers in a frozen
    row, Danish category values and Ja/Nej, a municipality name beside each code, number
    formats from the columns' units, suppressed cells marked, printable one page wide.
    `tables` maps a name to (published, mask)."""
    import xlsxwriter

    labels = labels or Labels()
    # constant_memory streams each row to disk as it is written: rows must come in order.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    # No clock in the file: the same tables give the same bytes (when the export was made is
    # in manifest.json). XlsxWriter stamps the zip members so already.
    workbook.set_properties({"created": WORKBOOK_CREATED})
    header_format = workbook.add_format(
        {"bold": True, "bg_color": HEADER_FILL, "text_wrap": True, "valign": "top"}
    )
    hidden_format = workbook.add_format({"bg_color": SUPPRESSED_FILL, "align": "right"})
    formats: dict[str | None, object] = {None: None}

    def cell_format(num_format: str | None):
        if num_format not in formats:
            formats[num_format] = workbook.add_format({"num_format": num_format})
        return formats[num_format]

    for name, (published, published_mask) in tables.items():
        frame = for_readers(published, labels)
        mask = published_mask.reindex(columns=frame.columns, fill_value=False)
        sheet = workbook.add_worksheet(name[:31])
        column_docs = {d.column: d for d in docs.get(name, ("", []))[1]}
        headers = [
            column_docs[c].label_da if c in column_docs else NAME_DOC[0] if c == NAME_COLUMN else c
            for c in frame.columns
        ]
        units = [column_docs[c].unit if c in column_docs else "" for c in frame.columns]
        formats_by_column = [
            cell_format(number_format(unit, published[c] if c in published else frame[c]))
            for c, unit in zip(frame.columns, units, strict=True)
        ]
        widths = []
        for i, column in enumerate(frame.columns):
            longest = max([len(str(v)) for v in frame[column].head(200)] or [0])
            # Headers wrap, at spaces: the column takes the longest word, not the whole label.
            word = max(len(w) for w in headers[i].split() or [""])
            widths.append(min(max(longest + 2, word + 2, 9), 45))
            sheet.set_column(i, i, widths[i])
        sheet.freeze_panes(1, 0)
        header_lines = [_header_lines(h, w) for h, w in zip(headers, widths, strict=True)]
        sheet.set_row(0, LINE_HEIGHT * max(header_lines))
        sheet.write_row(0, 0, headers, header_format)
        _print_setup(sheet)
        columns, writers = zip(
            *(
                _column_cells(sheet, frame[c], f)
                for c, f in zip(frame.columns, formats_by_column, strict=True)
            ),
            strict=True,
        )
        hidden = mask.to_numpy()
        hidden_rows = hidden.any(axis=1)
        for r, values in enumerate(zip(*columns, strict=True)):
            for c, value in enumerate(values):
                if hidden_rows[r] and hidden[r, c]:
                    sheet.write_string(r + 1, c, SUPPRESSED_MARK, hidden_format)
                elif value is not None:
                    writers[c](r + 1, c, value)

    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    table_row = workbook.add_format({"text_wrap": True, "valign": "top", "bold": True})
    dictionary = workbook.add_worksheet("dataordbog")
    for i, width in enumerate(DICTIONARY_WIDTHS):
        dictionary.set_column(i, i, width, wrap)
    dictionary.freeze_panes(1, 0)
    dictionary.write_row(
        0, 0, ("tabel", "kolonne", "dansk betegnelse", "enhed", "betydning"), header_format
    )
    _print_setup(dictionary)

    def entry(row: int, values: list[str], style) -> None:
        lines = max(
            _wrapped_lines(str(v), w) for v, w in zip(values, DICTIONARY_WIDTHS, strict=True)
        )
        dictionary.set_row(row, LINE_HEIGHT * lines)
        dictionary.write_row(row, 0, values, style)

    row = 1
    for name, (published, _) in tables.items():
        description, columns_doc = docs.get(name, ("", []))
        entry(row, [name, "", "", "", description], table_row)
        row += 1
        for doc in columns_doc:
            entry(row, [name, doc.column, doc.label_da, doc.unit, doc.meaning], wrap)
            row += 1
            if doc.column == "municipality_code" and "municipality_code" in published:
                entry(row, [name, NAME_COLUMN, *NAME_DOC], wrap)
                row += 1
    dictionary.set_row(row + 1, LINE_HEIGHT * _wrapped_lines(note, DICTIONARY_WIDTHS[4]))
    dictionary.write_string(row + 1, 0, SUPPRESSED_MARK, hidden_format)
    dictionary.write_string(row + 1, 4, note, wrap)
    workbook.close()

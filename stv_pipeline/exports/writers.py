"""The files of an export folder: CSV for Danish Excel and typed Parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd


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


EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _is_date_column(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    sample = column.dropna().head(1).tolist()
    return bool(sample) and isinstance(sample[0], (dt.date, pd.Timestamp))


def _column_cells(sheet, column: pd.Series, date_format) -> tuple[list, object]:
    """A column's Python values (None where missing) and the XlsxWriter method that writes
    them. Converting and dispatching once per column rather than per cell is what lets a
    sheet of a hundred thousand rows take seconds; dates go in as Excel serial numbers."""
    if _is_date_column(column):
        serial = (pd.to_datetime(column) - EXCEL_EPOCH).dt.days.astype("float64")
        cells = serial.astype(object).where(serial.notna(), None).tolist()
        return cells, lambda row, col, value: sheet.write_number(row, col, value, date_format)
    cells = column.astype(object).where(column.notna(), None).tolist()
    if pd.api.types.is_bool_dtype(column):
        return cells, sheet.write_boolean
    if pd.api.types.is_numeric_dtype(column):
        return cells, sheet.write_number
    return cells, lambda row, col, value: sheet.write_string(row, col, str(value))


def write_workbook(
    path: Path,
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    docs: dict[str, tuple[str, list]],
    note: str,
) -> None:
    """One sheet per table (Danish labels in a frozen header row, readable widths, suppressed
    cells marked) and a data dictionary sheet. `tables` maps a name to (published, mask)."""
    import xlsxwriter

    # constant_memory streams each row to disk as it is written: rows must come in order.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    header_format = workbook.add_format({"bold": True, "bg_color": HEADER_FILL})
    hidden_format = workbook.add_format({"bg_color": SUPPRESSED_FILL})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})

    for name, (frame, mask) in tables.items():
        sheet = workbook.add_worksheet(name[:31])
        labels = {d.column: d.label_da for d in docs.get(name, ("", []))[1]}
        headers = [labels.get(c, c) for c in frame.columns]
        for i, (column, header) in enumerate(zip(frame.columns, headers, strict=True)):
            longest = max([len(header)] + [len(str(v)) for v in frame[column].head(200)])
            sheet.set_column(i, i, min(max(longest + 2, 10), 60))
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, headers, header_format)
        columns, writers = zip(
            *(_column_cells(sheet, frame[c], date_format) for c in frame.columns), strict=True
        )
        hidden_rows = mask.to_numpy().any(axis=1)
        hidden = mask.to_numpy()
        for r, values in enumerate(zip(*columns, strict=True)):
            for c, value in enumerate(values):
                if hidden_rows[r] and hidden[r, c]:
                    sheet.write_string(r + 1, c, SUPPRESSED_MARK, hidden_format)
                elif value is not None:
                    writers[c](r + 1, c, value)

    dictionary = workbook.add_worksheet("dataordbog")
    for i, width in enumerate((24, 34, 44, 22, 90)):
        dictionary.set_column(i, i, width)
    dictionary.freeze_panes(1, 0)
    dictionary.write_row(
        0, 0, ("tabel", "kolonne", "dansk betegnelse", "enhed", "betydning"), header_format
    )
    row = 1
    for name in tables:
        description, columns_doc = docs.get(name, ("", []))
        dictionary.write_row(row, 0, [name, "", "", "", description])
        row += 1
        for doc in columns_doc:
            dictionary.write_row(row, 0, [name, doc.column, doc.label_da, doc.unit, doc.meaning])
            row += 1
    dictionary.write_string(row + 1, 0, SUPPRESSED_MARK, hidden_format)
    dictionary.write_string(row + 1, 4, note)
    workbook.close()

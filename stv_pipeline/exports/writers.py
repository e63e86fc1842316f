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
HEADER_FILL = "DDE6F0"
SUPPRESSED_FILL = "E7E6E6"


def write_workbook(
    path: Path,
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    docs: dict[str, tuple[str, list]],
    note: str,
) -> None:
    """One sheet per table (Danish labels in a frozen header row, readable widths, suppressed
    cells marked) and a data dictionary sheet. `tables` maps a name to (published, mask)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold, header_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    hidden_fill = PatternFill("solid", fgColor=SUPPRESSED_FILL)

    def styled(sheet, value, font=None, fill=None):
        cell = WriteOnlyCell(sheet, value=value)
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        return cell

    def value_cell(sheet, value):
        if isinstance(value, (dt.date, pd.Timestamp)):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return None if pd.isna(value) else value

    for name, (frame, mask) in tables.items():
        sheet = workbook.create_sheet(title=name[:31])
        labels = {d.column: d.label_da for d in docs.get(name, ("", []))[1]}
        headers = [labels.get(c, c) for c in frame.columns]
        for i, (column, header) in enumerate(zip(frame.columns, headers, strict=True), start=1):
            longest = max([len(header)] + [len(str(v)) for v in frame[column].head(200)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 10), 60)
        sheet.freeze_panes = "A2"
        sheet.append([styled(sheet, h, bold, header_fill) for h in headers])
        hidden = mask.to_numpy()
        for r, row in enumerate(frame.itertuples(index=False)):
            sheet.append(
                [
                    styled(sheet, SUPPRESSED_MARK, fill=hidden_fill)
                    if hidden[r, c]
                    else value_cell(sheet, v)
                    for c, v in enumerate(row)
                ]
            )

    dictionary = workbook.create_sheet(title="dataordbog")
    for width, letter in zip((24, 34, 44, 22, 90), "ABCDE", strict=True):
        dictionary.column_dimensions[letter].width = width
    dictionary.freeze_panes = "A2"
    dictionary.append(
        [
            styled(dictionary, h, bold, header_fill)
            for h in ("tabel", "kolonne", "dansk betegnelse", "enhed", "betydning")
        ]
    )
    for name in tables:
        description, columns = docs.get(name, ("", []))
        dictionary.append([name, "", "", "", description])
        for doc in columns:
            dictionary.append([name, doc.column, doc.label_da, doc.unit, doc.meaning])
    dictionary.append([])
    dictionary.append([styled(dictionary, "..", fill=hidden_fill), "", "", "", note])
    workbook.save(path)

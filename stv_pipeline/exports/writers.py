"""The files of an export folder: CSV for Danish Excel and typed Parquet."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
import pyarrow as pa

from stv_pipeline.exports.dictionary import SheetSpec, sheet_specs
from stv_pipeline.exports.labels import Labels, revision_lookup
from stv_pipeline.exports.layout import (
    FONT_SIZE,
    HEADER_POINTS,
    LINE_POINTS,
    Block,
    Cell,
    Column,
    PrintedSheet,
    column_spans,
    dictionary_sheet,
    grid_widths,
    printed_sheet,
    span_points,
    width_to_points,
    wrapped_lines,
)
from stv_pipeline.ingest.macros import identifier, literal
from stv_pipeline.vocabulary import read_vocabulary

# A text cell Excel would read as a formula (or whose leading tab or carriage return another
# program strips to the same effect): '=1+1', '+A1', '-2+3', '@SUM(...)' (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_SEPARATOR = ";"
CSV_LINE_END = "\r\n"
# DuckDB's type of a column that holds no value at all (a text column of an empty table)
NO_VALUES = '"NULL"'
CSV_FIELDS_SQL = Path(__file__).with_name("sql") / "csv_for_excel.sql"
# DuckDB's type of a column -> the macro of csv_for_excel.sql that writes its fields
CSV_FIELD_MACRO = {
    "BOOLEAN": "excel_boolean",
    "FLOAT": "excel_number",
    "DOUBLE": "excel_number",
    "DATE": "excel_date",
    # pandas holds a timestamp in seconds, milliseconds, microseconds or nanoseconds
    **{
        timestamp: "excel_date"
        for timestamp in ("TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP", "TIMESTAMP_NS")
    },
    "VARCHAR": "excel_text",
    **{
        integer: "excel_integer"
        for integer in (
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
        )
    },
}


@cache
def csv_field_macros() -> str:
    return jinja2.Template(CSV_FIELDS_SQL.read_text("utf-8"), keep_trailing_newline=True).render(
        separator=literal(CSV_SEPARATOR), formula_start=[literal(c) for c in FORMULA_START]
    )


def _csv_field(column: str, duckdb_type: str) -> str:
    if duckdb_type == NO_VALUES:  # every field empty
        return "null"
    macro = CSV_FIELD_MACRO.get(duckdb_type)
    if macro is None:
        raise TypeError(
            f"column {column} is of type {duckdb_type}, which the CSV for Excel has no way to "
            "write: give it one in exports/sql/csv_for_excel.sql and CSV_FIELD_MACRO"
        )
    return f"{macro}({identifier(column)})"


def write_csv_for_excel(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (so Excel detects it), semicolons and decimal commas, as Danish Excel
    reads them; suppressed cells are empty; no text cell starts a formula. The fields are
    made in DuckDB (exports/sql/csv_for_excel.sql), every row at once, in the frame's order."""
    con = duckdb.connect()
    try:
        con.execute(csv_field_macros()).fetchall()
        con.register("frame", pa.Table.from_pandas(frame, preserve_index=False))
        types = con.execute("select column_name, column_type from (describe frame)").fetchall()
        # DuckDB scans a table in parallel: the rows keep the frame's order by their position
        con.register("row_position", pa.table({"position": pa.array(range(len(frame)))}))
        header = con.execute(
            "select concat_ws(?, "
            + ", ".join(f"csv_field({literal(str(name))})" for name, _ in types)
            + ")",
            [CSV_SEPARATOR],
        ).fetchall()[0][0]
        fields = ", ".join(f"coalesce({_csv_field(name, kind)}, '')" for name, kind in types)
        # a row of one empty field is written as "" (as Python's csv module does), never as
        # an empty line
        lines = (
            con.sql(
                f"select coalesce(nullif(concat_ws($separator, {fields}), ''), '\"\"') "
                "from frame positional join row_position order by position",
                params={"separator": CSV_SEPARATOR},
            )
            .to_arrow_table()
            .column(0)
            .to_pylist()
        )
    finally:
        con.close()
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(header + CSV_LINE_END)
        if lines:
            out.write(CSV_LINE_END.join(lines) + CSV_LINE_END)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Typed Parquet: counts stay integers (nullable where suppressed), dates stay dates."""
    frame.to_parquet(path, index=False, compression="zstd")


SUPPRESSED_MARK = ".."
HEADER_FILL = "#DDE6F0"
SUPPRESSED_FILL = "#E7E6E6"
FONT = "Arial"
TITLE_SIZE = 11
A4 = 9  # XlsxWriter's paper code
PAGE_HEIGHT = {"portrait": 842.0, "landscape": 595.0}
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.4, "bottom": 0.55}  # inches
FOOTER_SIZE = 9  # LibreOffice prints a footer of 8 pt at 7.99 pt
# LibreOffice's body is a little shorter than the page less its margins (the footer's room)
PAGE_SAFETY = 30.0
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
WORKBOOK_CREATED = dt.datetime(1980, 1, 1)  # the zip format's own first date


class _Styles:
    """The workbook's formats, made once each: Arial, nothing under FONT_SIZE points."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.cache: dict[tuple, object] = {}

    def get(self, **props) -> object:
        key = tuple(sorted(props.items()))
        if key not in self.cache:
            self.cache[key] = self.workbook.add_format(
                {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top", **props}
            )
        return self.cache[key]


class _SheetWriter:
    """Writes a printed sheet row by row (the workbook streams rows: they come in order),
    keeping count of the page it is on to repeat a block's header where a page breaks."""

    def __init__(self, workbook, styles: _Styles, sheet: PrintedSheet):
        self.styles, self.sheet = styles, sheet
        self.ws = workbook.add_worksheet(sheet.name[:31])
        self.grid = grid_widths(sheet.blocks)
        for i, width in enumerate(self.grid):
            self.ws.set_column(i, i, width)
        self.row, self.used, self.breaks = 0, 0.0, []
        margins = (MARGINS["top"] + MARGINS["bottom"]) * 72
        self.page = PAGE_HEIGHT[sheet.orientation] - margins - PAGE_SAFETY

    def _merged(self, row: int, first: int, last: int, value, style, write) -> None:
        if first == last:
            if value is None:
                self.ws.write_blank(row, first, None, style)
            else:
                write(row, first, value, style)
        else:
            self.ws.merge_range(row, first, row, last, "", style)
            if value is not None:
                write(row, first, value, style)

    def _text_row(self, text: str, style, size: float = FONT_SIZE) -> None:
        points = sum(width_to_points(w) for w in self.grid)
        height = (
            wrapped_lines(text, points * FONT_SIZE / size) * (LINE_POINTS * size / FONT_SIZE) + 2
        )
        self.ws.set_row(self.row, height)
        self._merged(self.row, 0, len(self.grid) - 1, text, style, self.ws.write_string)
        self.row, self.used = self.row + 1, self.used + height

    def title(self) -> None:
        self._text_row(
            self.sheet.title,
            self.styles.get(bold=True, font_size=TITLE_SIZE, text_wrap=True),
            TITLE_SIZE,
        )
        for line in self.sheet.lines:
            self._text_row(line, self.styles.get(text_wrap=True))
        self.ws.set_row(self.row, LINE_POINTS / 2)
        self.row, self.used = self.row + 1, self.used + LINE_POINTS / 2

    def _header_height(self, block: Block, spans) -> list[float]:
        heights = []
        for level in range(block.header_levels):
            lines = 1
            for k, (column, span) in enumerate(zip(block.columns, spans, strict=True)):
                if column.header[level]:
                    last = (
                        spans[min(k + column.top_span - 1, len(spans) - 1)][1]
                        if level == 0
                        else span[1]
                    )
                    lines = max(
                        lines,
                        wrapped_lines(
                            column.header[level],
                            span_points(self.grid, (span[0], last)),
                            HEADER_POINTS,
                        ),
                    )
            heights.append(lines * LINE_POINTS + 2)
        return heights

    def header(self, block: Block, spans, continued: bool = False) -> None:
        if block.caption or continued:
            caption = block.caption or ""
            if continued:
                caption = f"{caption} {self.sheet_continued}".strip()
            self._text_row(caption, self.styles.get(bold=True, text_wrap=True))
        heights = self._header_height(block, spans)
        style = self.styles.get(bold=True, bg_color=HEADER_FILL, text_wrap=True, valign="bottom")
        top = self.styles.get(
            bold=True,
            bg_color=HEADER_FILL,
            text_wrap=True,
            align="center",
            valign="bottom",
            bottom=1,
            bottom_color="#999999",
        )
        first_header = self.row
        for level, height in enumerate(heights):
            self.ws.set_row(self.row, height)
            k = 0
            while k < len(block.columns):
                column = block.columns[k]
                if level == 0 and column.top_span > 1:
                    first, last = spans[k][0], spans[k + column.top_span - 1][1]
                    self._merged(self.row, first, last, column.header[0], top, self.ws.write_string)
                    k += column.top_span
                    continue
                text = column.header[level] or None
                self._merged(self.row, *spans[k], text, style, self.ws.write_string)
                k += 1
            self.row, self.used = self.row + 1, self.used + height
        self.header_rows = (first_header, self.row - 1)

    def section(self, text: str) -> None:
        self.ws.set_row(self.row, LINE_POINTS + 2)
        self._merged(
            self.row,
            0,
            len(self.grid) - 1,
            text,
            self.styles.get(bold=True, top=1, top_color="#BBBBBB"),
            self.ws.write_string,
        )
        self.row, self.used = self.row + 1, self.used + LINE_POINTS + 2

    def cells(self, block: Block, spans, cells: list[Cell]) -> None:
        lines = 1
        for column, span, cell in zip(block.columns, spans, cells, strict=True):
            if column.wrap and isinstance(cell.value, str):
                lines = max(lines, wrapped_lines(cell.value, span_points(self.grid, span)))
        height = lines * LINE_POINTS
        self.ws.set_row(self.row, height)
        for column, span, cell in zip(block.columns, spans, cells, strict=True):
            self._cell(column, span, cell)
        self.row, self.used = self.row + 1, self.used + height

    def row_height(self, block: Block, spans, cells: list[Cell]) -> float:
        lines = 1
        for column, span, cell in zip(block.columns, spans, cells, strict=True):
            if column.wrap and isinstance(cell.value, str):
                lines = max(lines, wrapped_lines(cell.value, span_points(self.grid, span)))
        return lines * LINE_POINTS

    def _cell(self, column: Column, span, cell: Cell) -> None:
        italic = {"italic": True} if cell.marked else {}
        if cell.hidden:
            style = self.styles.get(bg_color=SUPPRESSED_FILL, align="right", **italic)
            self._merged(self.row, *span, SUPPRESSED_MARK, style, self.ws.write_string)
            return
        value = cell.value
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            self._merged(self.row, *span, None, self.styles.get(), self.ws.write_string)
            return
        if isinstance(value, (dt.date, pd.Timestamp)):
            serial = float((pd.Timestamp(value) - EXCEL_EPOCH).days)
            style = self.styles.get(
                num_format=cell.num_format or column.num_format or "dd-mm-yyyy", **italic
            )
            self._merged(self.row, *span, serial, style, self.ws.write_number)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            style = self.styles.get(
                num_format=cell.num_format or column.num_format or "#,##0.0", **italic
            )
            self._merged(self.row, *span, float(value), style, self.ws.write_number)
        else:
            # text stays text: write_string never makes a formula of '=...'
            style = self.styles.get(text_wrap=column.wrap, **italic)
            self._merged(self.row, *span, str(value), style, self.ws.write_string)

    def page_break(self) -> None:
        self.breaks.append(self.row)
        self.used = 0.0

    def write(self, continued: str) -> None:
        self.sheet_continued = continued
        self.title()
        single = len(self.sheet.blocks) == 1
        for block in self.sheet.blocks:
            spans = column_spans(block, self.grid)
            header = sum(self._header_height(block, spans)) + (LINE_POINTS + 2) * bool(
                block.caption
            )
            first_rows = sum(LINE_POINTS + 2 for _ in block.rows[:3])
            if not single and self.used > 0 and self.used + header + first_rows > self.page:
                self.page_break()
            self.header(block, spans)
            section = None
            for kind, content in block.rows:
                height = (
                    LINE_POINTS + 2 if kind == "section" else self.row_height(block, spans, content)
                )
                if not single and self.used + height > self.page:
                    self.page_break()
                    self.header(block, spans, continued=True)
                    if section is not None and kind != "section":
                        self.section(section)
                if kind == "section":
                    section = content
                    self.section(content)
                else:
                    self.cells(block, spans, content)
            if not single:
                self.ws.set_row(self.row, LINE_POINTS / 2)
                self.row, self.used = self.row + 1, self.used + LINE_POINTS / 2
        self._print_setup(single)

    def _print_setup(self, single: bool) -> None:
        ws = self.ws
        ws.set_paper(A4)
        if self.sheet.orientation == "landscape":
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(**MARGINS)
        font = f'&"{FONT}"&{FOOTER_SIZE}'
        ws.set_footer(f"&L{font}&A&R{font}Side &P af &N", {"margin": 0.2})
        ws.print_area(0, 0, max(self.row - 1, 0), len(self.grid) - 1)
        if single and hasattr(self, "header_rows"):
            ws.repeat_rows(*self.header_rows)
            ws.freeze_panes(self.header_rows[1] + 1, 0)
        if self.breaks:
            ws.set_h_pagebreaks(self.breaks)


def write_workbook(
    path: Path,
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    docs: dict[str, tuple[str, list]],
    note: str,
    labels: Labels | None = None,
    specs: dict[str, SheetSpec] | None = None,
) -> None:
    """One sheet per table and a data dictionary sheet, printed as a statistics office prints
    its tables: a Danish sheet name; above the table its title, unit, source (registers and
    their extracts) and notes (`..`, provisional figures); Danish headings with units, Danish
    values and Ja/Nej, a municipality's name beside its code, number formats from the units;
    wide tables pivoted or split so that every page is A4 at 8 pt or more, long ones with
    their header on every page (exports/layout.py). `tables` maps a name to (published,
    mask). `note` is the manifest's disclosure note; the workbook prints the vocabulary's
    Danish one."""
    import xlsxwriter

    labels = labels or Labels()
    if not labels.vocabulary.texts:
        labels = replace(labels, vocabulary=read_vocabulary())
    specs = specs if specs is not None else sheet_specs()
    revisions = (
        revision_lookup(*tables["registration_revisions"])
        if "registration_revisions" in tables
        else {}
    )
    # constant_memory streams each row to disk as it is written: rows must come in order.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    # No clock in the file: the same tables give the same bytes (when the export was made is
    # in manifest.json). XlsxWriter stamps the zip members so already.
    workbook.set_properties({"created": WORKBOOK_CREATED})
    styles = _Styles(workbook)
    continued = labels.text("workbook", "continued")
    for name, (published, mask) in tables.items():
        description, columns = docs.get(name, ("", []))
        spec = specs.get(name) or SheetSpec(table=name, sheet=name[:31], title=description)
        sheet = printed_sheet(spec, published, mask, columns, labels, revisions)
        _SheetWriter(workbook, styles, sheet).write(continued)
    dictionary = dictionary_sheet(specs, docs, list(tables), labels)
    _SheetWriter(workbook, styles, dictionary).write(continued)
    workbook.close()

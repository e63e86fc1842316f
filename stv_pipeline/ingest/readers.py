"""Read one delivered file into a DuckDB temporary table of text cells.

Every value is read as text, whatever the format, so that one validation path (in SQL) parses
and checks all of them and can report the original value. Register files can be large: CSV and
Parquet are read by DuckDB itself and never pass through pandas; only XLSX (small municipal
spreadsheets) goes through openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from .privacy import mask_cpr
from .text_layout import LayoutProblem, TextLayout, scan, write_clean_copy

ROW_COLUMN = "_row"


class UnreadableFile(Exception):
    """The file cannot be read as the format its name claims; `row` says where, when known."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


def file_format(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
    """CSV in UTF-8 or Windows-1252, ';' or ',', blank lines anywhere; rows keep the line
    numbers of the delivered file."""
    try:
        layout = scan(path)
    except LayoutProblem as exc:
        raise UnreadableFile(str(exc), row=exc.line) from None
    _check_header(layout.header)
    columns = {name: "varchar" for name in layout.header}
    with tempfile.TemporaryDirectory(prefix="stv_read_") as tmp:
        readable = path
        if layout.needs_clean_copy:
            readable = Path(tmp) / "clean.csv"
            write_clean_copy(path, layout, readable)
        # Single-threaded reading keeps file order, so record n is on cleaned line n + header.
        try:
            con.execute(
                f"""
                create or replace temp table {table} as
                select (row_number() over () + 1)::bigint as {ROW_COLUMN}, *
                from read_csv(
                    ?, header = true, columns = ?, delim = ?, quote = '"', escape = '"',
                    auto_detect = false, parallel = false, strict_mode = true,
                    null_padding = false
                )
                """,
                [str(readable), columns, layout.delimiter],
            )
        except duckdb.Error as exc:
            raise _csv_error(exc, layout) from None
    if layout.blank_lines:
        _shift_rows_past_blank_lines(con, table, layout)
    return "row = the line in the file (the header is row 1), as Excel numbers it"


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if not name:
            raise UnreadableFile("the header has an empty column name", row=1)
        if name.lower() in seen:
            raise UnreadableFile(f"column '{name}' appears twice in the header", row=1)
        seen.add(name.lower())


def _csv_error(exc: duckdb.Error, layout: TextLayout) -> UnreadableFile:
    """DuckDB's message quotes the offending line, which may hold a CPR number: keep only
    the line number and the field counts."""
    message = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", message)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    row = layout.original_line(int(line.group(1))) if line else None
    if fields:
        expected, found = fields.groups()
        hint = " (the line may be truncated)" if int(found) < int(expected) else ""
        return UnreadableFile(f"expected {expected} fields but found {found}{hint}", row=row)
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    return UnreadableFile(f"not readable as CSV: {mask_cpr(first)}", row=row)


def _shift_rows_past_blank_lines(
    con: duckdb.DuckDBPyConnection, table: str, layout: TextLayout
) -> None:
    """Renumber rows so they name lines of the delivered file, blank lines included."""
    # Cleaned line n lies after the j-th blank line when n > blank_j - j; consecutive blanks
    # share a threshold, and the largest j counts.
    shifts: dict[int, int] = {}
    for index, blank in enumerate(layout.blank_lines, start=1):
        shifts[blank - index] = index
    thresholds = sorted(shifts.items())
    con.execute("create or replace temp table _blank_thresholds (cleaned bigint, shift bigint)")
    con.executemany("insert into _blank_thresholds values (?, ?)", thresholds)
    con.execute(
        f"""
        create or replace temp table {table} as
        select t.* replace (t.{ROW_COLUMN} + coalesce(b.shift, 0) as {ROW_COLUMN})
        from {table} as t
        asof left join _blank_thresholds as b on t.{ROW_COLUMN} > b.cleaned
        """
    )


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temp table or temp view of this name, whichever it is."""
    kinds = con.execute(
        "select 'view' from duckdb_views() where view_name = $n and temporary "
        "union all select 'table' from duckdb_tables() where table_name = $n and temporary",
        {"n": name},
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"drop {kind} if exists temp.main.{name}")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
    _check_header(
        [
            r[0]
            for r in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
        ]
    )
    # A view, not a copy: Parquet is read where it lies, once to check and once to load.
    literal = str(path).replace("'", "''")
    drop_relation(con, table)
    con.execute(
        f"""
        create temp view {table} as
        select
            (file_row_number + 1)::bigint as {ROW_COLUMN},
            columns(* exclude (file_row_number))::varchar
        from read_parquet('{literal}', file_row_number = true)
        """
    )
    if con.execute(f"select count(*) from {table}").fetchone()[0] == 0:
        raise UnreadableFile("the file has no data rows")
    return "row = the record's number in the Parquet file (the first record is row 1)"


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a non-workbook
        raise UnreadableFile(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows or all(v is None for v in rows[0]):
        raise UnreadableFile("the workbook's first sheet has no header row")
    header = [str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(rows[0])]
    _check_header(header)
    body = [
        (n, *(_cell_text(v) for v in row))
        for n, row in enumerate(rows[1:], start=2)
        if any(v is not None and str(v).strip() != "" for v in row)
    ]
    if not body:
        raise UnreadableFile("the sheet has a header but no data rows")
    write_text_table(con, table, header, body)
    return "row = the row number in the first sheet (the header is row 1), as Excel shows it"


def write_text_table(
    con: duckdb.DuckDBPyConnection, table: str, header: list[str], rows: list[tuple]
) -> None:
    """Temp table `table` of `_row` and text cells from rows read in Python (an XLSX sheet, a
    Jobindsats JSON table): the small sources whose readers cannot be DuckDB's own."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[ROW_COLUMN, *header], dtype="object")
    con.register("_text_rows", frame)
    try:
        casts = ", ".join(f'"{h}"::varchar as "{h}"' for h in header)
        con.execute(
            f"create or replace temp table {table} as "
            f"select {ROW_COLUMN}::bigint as {ROW_COLUMN}, {casts} from _text_rows"
        )
    finally:
        con.unregister("_text_rows")


Reader = Callable[[duckdb.DuckDBPyConnection, Path, str], str]
READERS: dict[str, Reader] = {
    "csv": _read_csv,
    "txt": _read_csv,
    "parquet": _read_parquet,
    "xlsx": _read_xlsx,
}


def cell_readers(*formats: str) -> dict[str, Reader]:
    """The readers of these file types that read a file's cells as they are (a contract's
    `readers`)."""
    return {fmt: READERS[fmt] for fmt in formats}


def read_to_table(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, reader: Reader | None = None
) -> str:
    """Create temp table `table` holding `_row` plus every column of the file as text; return
    how `_row` numbers the file's rows, for the reports. `reader`: the contract's reader of
    this file type (Contract.readers); without one, the cells as the extension says."""
    fmt = file_format(path)
    if path.stat().st_size == 0:
        raise UnreadableFile("the file is empty")
    drop_relation(con, table)
    try:
        return (reader or READERS[fmt])(con, path, table)
    except UnreadableFile:
        raise
    except duckdb.Error as exc:
        message = str(exc).strip()
        first_line = message.splitlines()[0] if message else type(exc).__name__
        raise UnreadableFile(f"not a readable {fmt.upper()} file: {mask_cpr(first_line)}") from None

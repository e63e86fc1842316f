"""Read one delivered file into a DuckDB temporary table of text cells.

Every value is read as text, whatever the format, so that one validation path (in SQL) parses
and checks all of them and can report the original value. Register files can be large: CSV and
Parquet are read by DuckDB itself and never pass through pandas; only XLSX (small municipal
spreadsheets) goes through openpyxl.
"""

from __future__ import annotations

import codecs
import datetime as dt
import tempfile
from pathlib import Path

import duckdb

ROW_COLUMN = "_row"
SNIFF_BYTES = 64 * 1024


class UnreadableFile(Exception):
    """The file cannot be read as the format its name claims."""


def file_format(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def _sniff_text(path: Path) -> tuple[str, str]:
    """Return (encoding, delimiter). UTF-8 when the whole file decodes so, else Windows-1252."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise UnreadableFile("the file is binary, not CSV text")
    encoding = "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "cp1252"
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    header = next((line for line in text.splitlines() if line.strip()), "")
    if not header:
        raise UnreadableFile("the file is empty")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return encoding, delimiter


def _transcode_to_utf8(path: Path, workdir: Path) -> Path:
    """DuckDB reads UTF-8 natively; a Windows-1252 file is streamed into a UTF-8 copy."""
    target = workdir / (path.stem + ".utf8.csv")
    with (
        path.open("r", encoding="cp1252", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    encoding, delimiter = _sniff_text(path)
    with tempfile.TemporaryDirectory(prefix="stv_read_") as tmp:
        readable = _transcode_to_utf8(path, Path(tmp)) if encoding != "utf-8" else path
        # Reading single-threaded keeps file order, so `_row` is the line a user sees (header = 1).
        con.execute(
            f"""
            create or replace temp table {table} as
            select (row_number() over () + 1)::bigint as {ROW_COLUMN}, *
            from read_csv(
                ?, header = true, all_varchar = true, delim = ?, quote = '"', escape = '"',
                auto_detect = true, parallel = false, strict_mode = true
            )
            """,
            [str(readable), delimiter],
        )


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    con.execute(
        f"""
        create or replace temp table {table} as
        select (row_number() over () + 1)::bigint as {ROW_COLUMN}, columns(*)::varchar
        from read_parquet(?)
        """,
        [str(path)],
    )


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


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    import openpyxl
    import pandas as pd

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
    body = [
        (n, *(_cell_text(v) for v in row))
        for n, row in enumerate(rows[1:], start=2)
        if any(v is not None and str(v).strip() != "" for v in row)
    ]
    frame = pd.DataFrame(body, columns=[ROW_COLUMN, *header], dtype="object")
    con.register("_xlsx_frame", frame)
    try:
        casts = ", ".join(f'"{h}"::varchar as "{h}"' for h in header)
        con.execute(
            f"create or replace temp table {table} as "
            f"select {ROW_COLUMN}::bigint as {ROW_COLUMN}, {casts} from _xlsx_frame"
        )
    finally:
        con.unregister("_xlsx_frame")


READERS = {"csv": _read_csv, "txt": _read_csv, "parquet": _read_parquet, "xlsx": _read_xlsx}


def read_to_table(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    """Create temp table `table` holding `_row` plus every column of the file as text."""
    fmt = file_format(path)
    if path.stat().st_size == 0:
        raise UnreadableFile("the file is empty")
    try:
        READERS[fmt](con, path, table)
    except UnreadableFile:
        raise
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableFile(f"not a readable {fmt.upper()} file: {first_line}") from exc

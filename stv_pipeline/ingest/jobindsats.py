"""Read a Jobindsats table (DESIGN §2.7) into long text rows, whatever format it came in.

Jobindsats.dk delivers a table as API v2 CSV (also the browser download), API v2 JSON or API v3
JSON; which one a file is, is told from its content, never its name. Each format is wide (one
column per dimension and per measure); this module turns it into one row per cell of a measure:
table id, area, period, the dimension values (a JSON object, label -> value), the measure label
and the value as delivered. Parsing, area resolution and the rules of every cell are then the
contract's (contracts.JOBINDSATS), in SQL, like every other source.

A reply of the API that is not data (a wrong or expired key, an HTML page, `{"code": 4xx, ...}`)
is refused here with the reply's own message. The tables are aggregated (never person-level)
and small, so reading them in Python is fine.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .readers import UnreadableFile, write_text_table

AREA_LABELS = ("area", "område", "omraade", "omrade")
PERIOD_LABELS = ("periode", "period")
# Texts the portal shows for a missing or suppressed value, besides an empty cell (a JSON null
# arrives as no cell at all): this reader does not take them for numbers, and the contract
# (contracts.JOBINDSATS) reads them as NULL, never 0.
MISSING_MARKERS = ("null", "-", ".", "..")
WRONG_KEY = "Forkert nøgle"
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")
TABLE_ID = re.compile(r"[A-Za-z]+\d[A-Za-z0-9]*")
LONG_COLUMNS = ("table_id", "area", "period", "dimensions", "measure", "value")


@dataclass(frozen=True)
class LongRow:
    row: int  # where the source row is in the file (see JobindsatsTable.row_numbering)
    area: str | None
    period: str | None
    dimensions: dict[str, str | None]
    measure: str
    value: str | None


@dataclass(frozen=True)
class JobindsatsTable:
    table_id: str | None  # from the content, when the format carries it
    format: str  # api_v2_csv | api_v2_json | api_v3_json
    rows: list[LongRow]
    row_numbering: str


def table_id_from_name(path: Path) -> str | None:
    """`Y11A02_2024-05-01.csv` -> Y11A02: the part before the first `_` (or the dot) when it
    looks like a table id (letters, then a digit)."""
    head = path.stem.split("_", 1)[0]
    return head.upper() if TABLE_ID.fullmatch(head) else None


def _cell(value: object) -> str | None:
    """A cell as text: None stays None, JSON numbers keep their digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")


def _refuse_error_reply(text: str) -> None:
    """An API reply that is not data: raise with the reply's own message."""
    stripped = text.strip()
    unquoted = stripped.strip('"').strip()
    if unquoted.startswith(WRONG_KEY):
        raise UnreadableFile(f"the file is an API error reply, not data: {unquoted!r}")
    if stripped.startswith("<"):  # an HTML (or XML) page: a login or error page, not a table
        title = re.search(r"<title>(.*?)</title>", stripped, re.IGNORECASE | re.DOTALL)
        what = f" (title {title.group(1).strip()!r})" if title else ""
        raise UnreadableFile(f"the file is an HTML page{what}, not Jobindsats data")


def _refuse_error_object(reply: object) -> None:
    if isinstance(reply, dict) and "code" in reply:
        cause = reply.get("cause") or reply.get("message") or reply.get("error") or ""
        raise UnreadableFile(
            f"the file is an API error reply, not data: code {reply['code']}: {cause}"
        )


def _content_table_id(reply: object) -> str | None:
    if isinstance(reply, dict):
        for key, value in reply.items():
            if key.lower() in ("tableid", "table_id", "table", "id") and isinstance(value, str):
                return value.strip().upper() or None
    return None


def _find(labels: list[str], names: tuple[str, ...], what: str) -> int:
    for i, label in enumerate(labels):
        if label.strip().lower() in names:
            return i
    raise UnreadableFile(
        f"no {what} column (expected {' or '.join(n.capitalize() for n in names[:2])}); "
        f"the columns are {', '.join(labels)}",
        row=1,
    )


def _is_numberish(cell: str | None) -> bool:
    return cell is not None and bool(NUMBER.fullmatch(cell.strip()))


def _is_missing(cell: str | None) -> bool:
    return cell is None or cell.strip() in ("", *MISSING_MARKERS)


def _first_measure(columns: list[list[str | None]]) -> int:
    """The layout is `area; period; dimensions...; measures...`: the measures start at the first
    column whose values are mostly numbers (or all missing). A stray text in a measure column
    stays a measure (and is then reported as an invalid value), not a dimension."""
    for index, cells in enumerate(columns):
        present = [c for c in cells if not _is_missing(c)]
        if not present or sum(map(_is_numberish, present)) * 2 >= len(present):
            return index
    return len(columns)


def _long_rows(
    labels: list[str],
    rows: list[tuple[int, list[str | None]]],
    area: int,
    period: int,
    is_measure: list[bool],
) -> list[LongRow]:
    dimension_columns = [
        i for i in range(len(labels)) if i not in (area, period) and not is_measure[i]
    ]
    measure_columns = [i for i in range(len(labels)) if i not in (area, period) and is_measure[i]]
    if not measure_columns:
        raise UnreadableFile("the table has no measure column (no column of numbers)", row=1)
    out = []
    for number, cells in rows:
        dimensions = {labels[i].strip(): cells[i] for i in dimension_columns}
        for i in measure_columns:
            out.append(
                LongRow(number, cells[area], cells[period], dimensions, labels[i].strip(), cells[i])
            )
    return out


def _split_by_content(labels: list[str], rows: list[tuple[int, list[str | None]]]) -> list[LongRow]:
    area = _find(labels, AREA_LABELS, "area")
    period = _find(labels, PERIOD_LABELS, "period")
    others = [i for i in range(len(labels)) if i not in (area, period)]
    first = _first_measure([[cells[i] for _, cells in rows] for i in others])
    measures = set(others[first:])
    return _long_rows(labels, rows, area, period, [i in measures for i in range(len(labels))])


def _check_widths(labels: list[str], rows: list[tuple[int, list[str | None]]]) -> None:
    for number, cells in rows:
        if len(cells) != len(labels):
            raise UnreadableFile(
                f"expected {len(labels)} fields but found {len(cells)}", row=number
            )


def _parse_csv(text: str) -> JobindsatsTable:
    lines = text.splitlines()
    header_line = next((n for n, line in enumerate(lines, 1) if line.strip()), None)
    if header_line is None:
        raise UnreadableFile("the file is empty")
    delimiter = (
        ";" if lines[header_line - 1].count(";") >= lines[header_line - 1].count(",") else ","
    )
    records = []
    for number, line in enumerate(lines, 1):
        if number < header_line or not line.strip():
            continue
        [cells] = list(csv.reader([line], delimiter=delimiter))
        records.append((number, [c if c != "" else None for c in cells]))
    labels = [c or "" for c in records[0][1]]
    rows = records[1:]
    if not rows:
        raise UnreadableFile("the file has a header but no data rows")
    _check_widths(labels, rows)
    return JobindsatsTable(
        None,
        "api_v2_csv",
        _split_by_content(labels, rows),
        "row = the line in the file (the header is row 1)",
    )


def _parse_v2_json(reply: list) -> JobindsatsTable:
    table = reply[0]
    variables = table.get("Variables") or []
    try:
        names = [str(v.get("Name", "")) for v in variables]
        labels = [str(v.get("Label") or v.get("Name")) for v in variables]
    except AttributeError:
        raise UnreadableFile("Variables must be a list of {Name, Label} objects") from None
    data = table.get("Data")
    if not isinstance(data, list) or not data:
        raise UnreadableFile("the reply has no Data rows")
    rows = []
    for number, cells in enumerate(data, 1):
        if not isinstance(cells, list):
            raise UnreadableFile("a Data row is not a list of cells", row=number)
        rows.append((number, [_cell(c) for c in cells]))
    _check_widths(labels, rows)
    lowered = [n.lower() for n in names]
    area = lowered.index("area") if "area" in lowered else _find(labels, AREA_LABELS, "area")
    period = (
        lowered.index("period") if "period" in lowered else _find(labels, PERIOD_LABELS, "period")
    )
    # API v2 names dimension variables with a leading underscore (_kon, _viskat_1kth).
    is_measure = [not n.startswith("_") for n in names]
    return JobindsatsTable(
        _content_table_id(table),
        "api_v2_json",
        _long_rows(labels, rows, area, period, is_measure),
        "row = the position in the reply's Data list (the first is row 1)",
    )


def _parse_v3_json(reply: dict) -> JobindsatsTable:
    labels = reply["columns"]
    data = reply["rows"]
    if not isinstance(labels, list) or not isinstance(data, list) or not data:
        raise UnreadableFile("the reply has no rows")
    labels = [
        str(label.get("label", label.get("name")) if isinstance(label, dict) else label)
        for label in labels
    ]
    rows = []
    for number, cells in enumerate(data, 1):
        if not isinstance(cells, list):
            raise UnreadableFile("a row is not a list of cells", row=number)
        rows.append((number, [_cell(c) for c in cells]))
    _check_widths(labels, rows)
    return JobindsatsTable(
        _content_table_id(reply),
        "api_v3_json",
        _split_by_content(labels, rows),
        "row = the position in the reply's rows list (the first is row 1)",
    )


def parse_jobindsats(data: bytes) -> JobindsatsTable:
    """The long rows of one delivered file; UnreadableFile when it is not a Jobindsats table."""
    text = _decode(data)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    _refuse_error_reply(text)
    if text.lstrip()[:1] in "[{":
        try:
            reply = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableFile(f"not readable as JSON: {exc.msg}", row=exc.lineno) from None
        _refuse_error_object(reply)
        if isinstance(reply, str):
            _refuse_error_reply(reply)
        if isinstance(reply, dict) and "columns" in reply and "rows" in reply:
            return _parse_v3_json(reply)
        if isinstance(reply, list) and reply and isinstance(reply[0], dict):
            _refuse_error_object(reply[0])
            if "Variables" in reply[0] and "Data" in reply[0]:
                return _parse_v2_json(reply)
        raise UnreadableFile(
            "JSON, but not a Jobindsats table (expected API v2 [{Variables, Data}] "
            "or API v3 {columns, rows})"
        )
    return _parse_csv(text)


def read_jobindsats(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
    """The loader's reader for the jobindsats source: temp table `table` of long text rows."""
    parsed = parse_jobindsats(path.read_bytes())
    from_name, from_content = table_id_from_name(path), parsed.table_id
    if from_name and from_content and from_name != from_content:
        raise UnreadableFile(
            f"the file name says table {from_name} but the content says {from_content}"
        )
    table_id = from_content or from_name
    if table_id is None:
        raise UnreadableFile(
            "cannot tell which Jobindsats table this is: name the file "
            "<TABLE>_<YYYY-MM-DD>.<ext>, e.g. Y36A02_2024-05-01.csv"
        )
    write_text_table(
        con,
        table,
        list(LONG_COLUMNS),
        [
            (
                r.row,
                table_id,
                r.area,
                r.period,
                json.dumps(r.dimensions, ensure_ascii=False),
                r.measure,
                r.value,
            )
            for r in parsed.rows
        ],
    )
    return f"{parsed.row_numbering}; format {parsed.format}"

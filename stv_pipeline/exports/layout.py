"""How a published table prints in the workbook: blocks of rows under a header, as a statistics
office lays out its tables (DESIGN §4: legible on A4, nothing under 8 pt).

A mart's `meta.export.layout` (in its .yml) says how, as one block spec or a list of them:
- a long table (the default): `columns` to show (default all), `sections` (columns whose values
  become heading rows instead of a column), `order` ({column: [values in order]}),
  `rows_where` (a boolean column that must be true), `distinct` (drop repeated rows of the
  shown columns), `groups` (a common heading over columns, each with its own heading under it),
  `transpose` (a row per column and a column per row, for a table of few rows), `blocks`
  (the same stub over several groups of columns, each a block of its own);
- a pivot: `across` (a column whose values become the columns: months, dates, requirements,
  measures), `values` (the figures), `stub` (the row labels), `sections`; one block per value,
  or with `side_by_side` every value under each column value; `after`: row texts after the
  figures; `only_where` ({column, equals}): other rows' figures do not exist (printed empty,
  never '..'). Across values are split into as many blocks as the page width needs, and a
  share prints as a number of percent (its unit in the caption).
- `mark`: `{column, equals}` prints the figures of the rows it selects in italics, the
  vocabulary's `workbook/<note>` saying why.
A stub entry may be a list of columns: the first non-empty ([municipality_code, scope] names the
municipality, or the pool). A municipality reads 'Frederikshavn (813)'.

Sizes are LibreOffice's, which prints the workbook wider than Excel: a column of width w takes
7 w + 5 pt, and an 8 pt Arial character 4.45 pt.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from stv_pipeline.exports.dictionary import ColumnDoc, SheetSpec
from stv_pipeline.exports.labels import LABELLED_AS, Labels, RevisionKey, for_readers

# points: the smallest text on a printed page. LibreOffice keeps a font's size in 1/100 mm and
# prints 8 pt as 7.99 pt; 8.05 pt prints as 8.05 (Excel shows it as 8).
FONT_SIZE = 8.05
# the width of a character of Arial at FONT_SIZE: a digit, an average of Danish text, and of
# a bold heading (measured in LibreOffice's print)
DIGIT_POINTS, TEXT_POINTS, HEADER_POINTS = 4.45, 3.9, 4.3
LINE_POINTS = 10.0  # a row of one line
COLUMN_POINTS, COLUMN_PADDING = 7.0, 5.0  # a column of width w prints 7 w + 5 pt wide
# A4 less 0.4 in margins, and a little room: LibreOffice rounds each column to its own units
PAGE_WIDTH = {"portrait": (595.0 - 57.6) * 0.96, "landscape": (842.0 - 57.6) * 0.96}
MAX_TEXT_CHARS = 48  # a wider text wraps
MONTHS_DA = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
KOMMUNE = "Kommune"


def points_to_width(points: float) -> float:
    return max(1.0, (points - COLUMN_PADDING) / COLUMN_POINTS)


def width_to_points(width: float) -> float:
    return width * COLUMN_POINTS + COLUMN_PADDING


def chars_to_width(chars: int, per_char: float = DIGIT_POINTS) -> float:
    return points_to_width(chars * per_char + 6)


def word_width(header: str) -> float:
    """The width a heading needs: its longest word, as headings wrap at spaces."""
    return chars_to_width(max([len(w) for w in header.split()] or [0]), HEADER_POINTS)


@dataclass(frozen=True)
class Column:
    header: tuple[str, ...]  # one text per header level, the top one spanning `top_span`
    unit: str  # the documented unit
    width: float
    wrap: bool = False
    num_format: str | None = None  # Excel's number format; None for text
    top_span: int = 1


@dataclass(frozen=True)
class Cell:
    value: Any  # a number, a date or a text; None for an empty cell
    hidden: bool = False  # suppressed by disclosure control: printed '..'
    marked: bool = False  # printed in italics (see the block's mark note)
    num_format: str | None = None  # the cell's own, where its column has none


@dataclass
class Block:
    caption: str | None
    columns: list[Column]
    # ("section", heading text) or ("row", [Cell, ...])
    rows: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def width_points(self) -> float:
        return sum(width_to_points(c.width) for c in self.columns)

    @property
    def header_levels(self) -> int:
        return max(len(c.header) for c in self.columns)


@dataclass
class PrintedSheet:
    table: str
    name: str
    title: str
    lines: list[str]  # unit, source and notes, under the title
    blocks: list[Block]
    orientation: str = "landscape"


def _unit_label(unit: str) -> str:
    return unit.split(" (")[0] if unit.startswith("procent (") else unit


def is_number_unit(unit: str) -> bool:
    return unit not in ("", "tekst", "ja/nej", "kode") and not unit.startswith("dato")


def header_text(doc: ColumnDoc | None, column: str) -> str:
    """A column's Danish heading with its unit: 'Antal i målgruppen (personer)'."""
    if doc is None:
        return KOMMUNE if column == "municipality_code" else column
    if is_number_unit(doc.unit) and doc.unit != "rang":
        return f"{doc.label_da} ({_unit_label(doc.unit)})"
    return doc.label_da


def number_format(unit: str, column: pd.Series) -> str | None:
    """Excel's number format for a column, from its documented unit (meta.unit) and type:
    shares as percent with one decimal, counts as integers, dates as Danish dates."""
    if _is_date_column(column):
        return "mm-yyyy" if "første dag i måneden" in unit else "dd-mm-yyyy"
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    if unit.startswith("procent"):
        return "0.0%"
    if unit in ("pct.-point", "dage"):
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
    return bool(sample) and isinstance(sample[0], (date, pd.Timestamp))


def across_label(value: Any, column: str, labels: Labels) -> str:
    """A column value as a column heading: months 'jun 2016', dates '05.06.2017', codes their
    Danish label."""
    if isinstance(value, (date, pd.Timestamp)):
        day = pd.Timestamp(value)
        if column == "month":
            return f"{MONTHS_DA[day.month - 1]} {day.year}"
        return f"{day:%d.%m.} {day:%Y}"  # wraps to two lines in a narrow column
    text = str(labels.value(column, value))
    return text[:1].upper() + text[1:]


def _stub_value(row: dict[str, Any], spec: str | list[str], labels: Labels) -> Any:
    for column in spec if isinstance(spec, list) else [spec]:
        value = row.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if column == "municipality_code":
            return labels.municipality_with_code(value)
        if isinstance(value, (date, pd.Timestamp)):
            return value
        return labels.value(column, value)
    return None


def _stub_header(spec: str | list[str], docs: dict[str, ColumnDoc]) -> str:
    first = spec[0] if isinstance(spec, list) else spec
    return KOMMUNE if first == "municipality_code" else header_text(docs.get(first), first)


def _text_width(texts: list[Any], header: str) -> tuple[float, bool]:
    """A text column's width (wrapping beyond MAX_TEXT_CHARS) and whether it wraps."""
    longest = max([len(str(t)) for t in texts if t is not None] or [0])
    text = chars_to_width(max(min(longest, MAX_TEXT_CHARS), 4), TEXT_POINTS)
    return max(text, word_width(header)), longest > MAX_TEXT_CHARS


def _number_chars(values: pd.Series, unit: str) -> int:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return 2
    if unit.startswith("procent"):
        return len(f"{numbers.abs().max() * 100:.1f}") + 2 + int((numbers < 0).any())
    decimals = 0 if pd.api.types.is_integer_dtype(values.dropna().infer_objects()) else 1
    if unit.startswith("score"):
        decimals = 2
    longest = numbers.abs().max()
    return len(f"{longest:,.{decimals}f}") + int((numbers < 0).any())


def _marks(frame: pd.DataFrame, mark: dict[str, Any] | None) -> pd.Series:
    if not mark or mark["column"] not in frame:
        return pd.Series(False, index=frame.index)
    column = frame[mark["column"]]
    if "equals" in mark:
        return column.astype(object).eq(mark["equals"]).fillna(False).astype(bool)
    return column.fillna(False).astype(bool)


def _section_text(row: dict[str, Any], sections: list[str], labels: Labels) -> str:
    parts = [
        str(
            labels.municipality_with_code(row.get(s))
            if s == "municipality_code"
            else labels.value(s, row.get(s))
        )
        for s in sections
    ]
    return " – ".join(p[:1].upper() + p[1:] for p in parts)


def _ordered_sections(frame: pd.DataFrame, sections: list[str]) -> list[tuple[Any, pd.Index]]:
    """The rows of each section in the order the sections first appear ('alle' first)."""
    if not sections:
        return [((), frame.index)]
    keys = frame[sections].astype(object).where(frame[sections].notna(), None)
    order: dict[tuple, list] = {}
    for index, key in zip(frame.index, keys.itertuples(index=False, name=None), strict=True):
        order.setdefault(key, []).append(index)
    ordered = sorted(order, key=lambda k: tuple(str(v) != "alle" for v in k))
    return [(k, pd.Index(order[k])) for k in ordered]


def long_block(
    frame: pd.DataFrame,
    mask: pd.DataFrame,
    docs: dict[str, ColumnDoc],
    labels: Labels,
    spec: dict[str, Any],
    revisions: dict[RevisionKey, object] | None = None,
) -> Block:
    """The table as rows under one header, with section headings. `groups` put columns under
    a common heading ({label, columns: {column: its own heading}}); `transpose` turns the
    table a quarter: a row per column, a column per row (few rows, many columns)."""
    if spec.get("rows_where"):
        keep = frame[spec["rows_where"]].fillna(False).astype(bool) & ~mask[spec["rows_where"]]
        frame, mask = frame[keep], mask[keep]
    for column, order in (spec.get("order") or {}).items():
        rank = frame[column].map({v: i for i, v in enumerate(order)}).fillna(len(order))
        keep = rank.sort_values(kind="stable").index
        frame, mask = frame.loc[keep], mask.loc[keep]
    sections = list(spec.get("sections", ()))
    grouped = {c: (g["label"], h) for g in spec.get("groups", ()) for c, h in g["columns"].items()}
    shown = [c for c in spec.get("columns", list(frame.columns)) if c not in sections]
    shown += [c for c in grouped if c not in shown]
    plain = [c for entry in shown for c in (entry if isinstance(entry, list) else [entry])]
    if spec.get("distinct"):
        keep = ~frame[[*plain, *sections]].astype(str).duplicated()
        frame, mask = frame[keep], mask[keep]
    readers = for_readers(
        frame[[*dict.fromkeys([*plain, *sections, *_context(frame)])]], labels, revisions
    )
    marked = _marks(frame, spec.get("mark"))
    columns, getters = [], []
    records = frame.to_dict("records")
    for column in shown:
        if isinstance(column, list) or column == "municipality_code":
            header = _stub_header(column, docs)
            texts = [_stub_value(r, column, labels) for r in records]
            width, wrap = _text_width(texts, header)
            columns.append(Column((header,), "tekst", width, wrap))
            getters.append(lambda i, texts=texts: texts[i])
            continue
        doc = docs.get(column)
        unit = doc.unit if doc else ""
        header = grouped[column][1] if column in grouped else header_text(doc, column)
        if is_number_unit(unit) and pd.api.types.is_numeric_dtype(frame[column]):
            width = chars_to_width(max(_number_chars(frame[column], unit), 4))
            width = max(width, word_width(header))
            columns.append(
                Column((header,), unit, width, False, number_format(unit, frame[column]))
            )
            values = frame[column].astype(object).where(frame[column].notna(), None).tolist()
        elif _is_date_column(frame[column]):
            values = frame[column].astype(object).where(frame[column].notna(), None).tolist()
            width = max(chars_to_width(10), word_width(header))
            columns.append(
                Column((header,), unit, width, False, number_format(unit, frame[column]))
            )
        else:
            values = readers[column].astype(object).where(readers[column].notna(), None)
            values = values.tolist()
            width, wrap = _text_width(values, header)
            columns.append(Column((header,), unit, width, wrap))
        getters.append(lambda i, values=values: values[i])
    if grouped:
        columns = _group_headers(
            columns, [grouped.get(c, ("", ""))[0] if isinstance(c, str) else "" for c in shown]
        )
    hidden = (
        mask[[c[0] if isinstance(c, list) else c for c in shown]].to_numpy(dtype=bool)
        if len(frame)
        else None
    )
    marked_rows = marked.to_numpy(dtype=bool).tolist()
    hidden_cells = hidden.tolist() if hidden is not None else []
    rows = [
        [Cell(get(i), hidden_cells[i][j], marked_rows[i]) for j, get in enumerate(getters)]
        for i in range(len(frame))
    ]
    if spec.get("transpose"):
        return _transposed(columns, rows)
    block = Block(None, columns)
    position = {index: i for i, index in enumerate(frame.index)}
    for key, indexes in _ordered_sections(frame, sections):
        if sections:
            text = _section_text(dict(zip(sections, key, strict=True)), sections, labels)
            block.rows.append(("section", text))
        block.rows += [("row", rows[position[index]]) for index in indexes]
    return block


def _group_headers(columns: list[Column], groups: list[str]) -> list[Column]:
    """Two header levels: a group's label over its columns, each column's own under it."""
    out = []
    for k, column in enumerate(columns):
        label = groups[k]
        starts = label and (k == 0 or groups[k - 1] != label)
        span = 1
        if starts:
            while k + span < len(groups) and groups[k + span] == label:
                span += 1
        out.append(
            Column(
                (label if starts else "", column.header[0]),
                column.unit,
                column.width,
                column.wrap,
                column.num_format,
                span,
            )
        )
    return out


def _transposed(columns: list[Column], rows: list[list[Cell]]) -> Block:
    """A row per column (its heading first), a column per row (headed by its first cell)."""
    heads = [str(r[0].value) for r in rows]
    label_width = max(chars_to_width(min(len(c.header[-1]), 30)) for c in columns[1:])
    width = max([word_width(h) for h in heads] + [chars_to_width(12)])
    block = Block(
        None,
        [Column(columns[0].header, "tekst", label_width, True)]
        + [Column((h,), "tekst", width, True) for h in heads],
    )
    for j, column in enumerate(columns[1:], start=1):
        cells = [Cell(r[j].value, r[j].hidden, r[j].marked, column.num_format) for r in rows]
        block.rows.append(("row", [Cell(column.header[-1])] + cells))
    return block


def _context(frame: pd.DataFrame) -> list[str]:
    """The columns a row's Danish texts are made from."""
    wanted = (
        "municipality_code",
        "month",
        "target_group",
        "revised_measure",
        "revised_vintage",
        "mature_months",
        "completion_factor",
    )
    return [c for c in wanted if c in frame.columns]


def pivot_blocks(
    frame: pd.DataFrame,
    mask: pd.DataFrame,
    docs: dict[str, ColumnDoc],
    labels: Labels,
    spec: dict[str, Any],
    page_width: float,
    revisions: dict[RevisionKey, object] | None = None,
) -> list[Block]:
    """The figures with `across` values as columns, split to the page's width."""
    across, values = spec["across"], list(spec["values"])
    stub = list(spec.get("stub", ["municipality_code"]))
    sections = list(spec.get("sections", ()))
    after = list(spec.get("after", ()))
    marked = _marks(frame, spec.get("mark"))
    # rows whose figures do not exist (a nowcast without an estimate) show none, not '..'
    absent = ~_marks(frame, spec["only_where"]) if spec.get("only_where") else None
    records = frame.to_dict("records")
    texts = (
        for_readers(frame[[*dict.fromkeys([*after, *_context(frame)])]], labels, revisions)
        if after
        else None
    )
    columns_across = sorted(frame[across].dropna().unique(), key=_sort_key(across))
    if not columns_across:  # nothing delivered for the table: say so under its stub
        stub_headers = [_stub_header(s, docs) for s in spec.get("stub", ["municipality_code"])]
        empty = Block(None, [Column((h,), "tekst", word_width(h)) for h in stub_headers])
        empty.rows.append(("section", labels.text("workbook", "empty")))
        return [empty]
    # the row of each (section, stub) and the cell of each (row, across, value)
    stub_of = [tuple(_stub_value(r, s, labels) for s in stub) for r in records]
    section_of = [tuple(r.get(s) for s in sections) for r in records]
    grid: dict[tuple, dict[tuple, Cell]] = {}
    after_of: dict[tuple, list[Any]] = {}
    # the masks and marks as plain lists: a cell is read from them, not from a frame per cell
    hidden_in = {value: mask[value].to_numpy(dtype=bool).tolist() for value in values}
    marked_rows = marked.to_numpy(dtype=bool).tolist()
    absent_rows = absent.to_numpy(dtype=bool).tolist() if absent is not None else None
    percent = {value: docs[value].unit.startswith("procent") for value in values}
    after_texts = {c: texts[c].tolist() for c in after} if after else {}
    for i, record in enumerate(records):
        row_key = (section_of[i], stub_of[i])
        cells = grid.setdefault(row_key, {})
        for value in values:
            hidden = hidden_in[value][i]
            number = record.get(value)
            if absent_rows is not None and absent_rows[i]:
                hidden, number = False, None
            if number is not None and not pd.isna(number) and percent[value]:
                number = number * 100  # the caption says 'procent': the cell shows 25.3
            cells[(record[across], value)] = Cell(
                None if number is None or pd.isna(number) else number,
                hidden,
                marked_rows[i],
            )
        if after and row_key not in after_of:
            after_of[row_key] = [after_texts[c][i] for c in after]
    # sections in the order they first appear, 'alle' first; rows within them as they come
    section_order: dict[tuple, int] = {}
    for section, _ in grid:
        section_order.setdefault(section, len(section_order))
    ordered = sorted(
        grid.items(),
        key=lambda item: (
            tuple(str(v) != "alle" for v in item[0][0]),
            section_order[item[0][0]],
        ),
    )
    stub_headers = [_stub_header(s, docs) for s in stub]
    stub_columns = []
    for j, (column, header) in enumerate(zip(stub, stub_headers, strict=True)):
        first = column[0] if isinstance(column, list) else column
        if first in frame and _is_date_column(frame[first]):
            stub_columns.append(
                Column(
                    (header,),
                    docs[first].unit,
                    chars_to_width(8),
                    False,
                    number_format(docs[first].unit, frame[first]),
                )
            )
        else:
            stub_columns.append(
                Column((header,), "tekst", _text_width([k[1][j] for k in grid], header)[0])
            )
    after_columns = [
        Column((header_text(docs.get(c), c),), "tekst", chars_to_width(MAX_TEXT_CHARS), True)
        for c in after
    ]
    # a share prints as a number of percent, its unit in the caption: no '%' sign
    chars = {
        v: max(_number_chars(frame[v], docs[v].unit) - 2 * docs[v].unit.startswith("procent"), 3)
        for v in values
    }
    fixed = sum(width_to_points(c.width) for c in [*stub_columns, *after_columns])
    groups = [[v] for v in values] if not spec.get("side_by_side") else [values]
    blocks = []
    for group in groups:
        width = max(chars_to_width(chars[v]) for v in group)
        heads = [across_label(a, across, labels) for a in columns_across]
        head_word = max(word_width(h) for h in heads)
        if len(group) == 1:
            width = max(width, head_word)
        else:
            # each figure under its own label; the column value's label spans them all
            words = max(word_width(docs[v].label_da) for v in group)
            width = max(width, words, head_word / len(group))
        per_across = width_to_points(width) * len(group)
        fits = max(1, int((page_width - fixed) // per_across))
        chunks = math.ceil(len(columns_across) / fits) or 1
        size = math.ceil(len(columns_across) / chunks)
        for c in range(chunks):
            chosen = columns_across[c * size : (c + 1) * size]
            formats = {
                v: "0.0"
                if docs[v].unit.startswith("procent")
                else number_format(docs[v].unit, frame[v])
                for v in group
            }
            if len(group) == 1:
                doc = docs[group[0]]
                caption = f"{doc.label_da} ({_unit_label(doc.unit)})"
                columns = [
                    Column(
                        (across_label(a, across, labels),),
                        doc.unit,
                        width,
                        False,
                        formats[group[0]],
                    )
                    for a in chosen
                ]
            else:
                units = list(dict.fromkeys(_unit_label(docs[v].unit) for v in group))
                caption = labels.text("workbook", "unit", units=", ".join(units))
                columns = [
                    Column(
                        (across_label(a, across, labels) if k == 0 else "", docs[v].label_da),
                        docs[v].unit,
                        width,
                        False,
                        formats[v],
                        len(group) if k == 0 else 1,
                    )
                    for a in chosen
                    for k, v in enumerate(group)
                ]
            levels = max(len(col.header) for col in columns)
            pad = ("",) * (levels - 1)
            block = Block(
                caption,
                [_padded(col, pad) for col in stub_columns]
                + columns
                + [_padded(col, pad) for col in after_columns],
            )
            current = None
            for row_key, cells in ordered:
                section, stub_values = row_key
                if sections and section != current:
                    current = section
                    block.rows.append(
                        (
                            "section",
                            _section_text(
                                dict(zip(sections, section, strict=True)), sections, labels
                            ),
                        )
                    )
                figures = [cells.get((a, v), Cell(None)) for a in chosen for v in group]
                if all(f.value is None and not f.hidden for f in figures):
                    continue  # nothing to show in this block (a baseline row's change)
                block.rows.append(
                    (
                        "row",
                        [Cell(s) for s in stub_values]
                        + figures
                        + [Cell(t) for t in after_of.get(row_key, [])],
                    )
                )
            blocks.append(block)
    return blocks


def _padded(column: Column, pad: tuple[str, ...]) -> Column:
    return Column(pad + column.header, column.unit, column.width, column.wrap, column.num_format)


def _sort_key(column: str):
    def key(value: Any) -> tuple:
        if column == "requirement":  # 1A ... 3C, then the tracks, then overall
            text = str(value)
            return (text.startswith("track"), text == "overall", text)
        return (value,)

    return key


def printed_sheet(
    spec: SheetSpec,
    frame: pd.DataFrame,
    mask: pd.DataFrame,
    docs: list[ColumnDoc],
    labels: Labels,
    revisions: dict[RevisionKey, object] | None = None,
) -> PrintedSheet:
    """A published table as it prints: title, unit, source and notes above its blocks."""
    by_column = {d.column: d for d in docs}
    frame, mask = frame.reset_index(drop=True), mask.reset_index(drop=True)
    mask = mask.reindex(columns=frame.columns, fill_value=False)
    specs = spec.layout if isinstance(spec.layout, list) else [spec.layout or {}]
    candidates = {}
    for orientation in ("portrait", "landscape"):
        blocks: list[Block] = []
        for block_spec in specs:
            if "across" in block_spec:
                blocks += pivot_blocks(
                    frame, mask, by_column, labels, block_spec, PAGE_WIDTH[orientation], revisions
                )
            elif "blocks" in block_spec:
                for part in block_spec["blocks"]:
                    part = part if isinstance(part, dict) else {"columns": part}
                    sub = {
                        **block_spec,
                        **part,
                        "columns": [*block_spec.get("stub", []), *part.get("columns", [])],
                    }
                    blocks.append(long_block(frame, mask, by_column, labels, sub, revisions))
            else:
                blocks.append(long_block(frame, mask, by_column, labels, block_spec, revisions))
        if all(b.width_points <= PAGE_WIDTH[orientation] for b in blocks):
            candidates[orientation] = blocks
    # the orientation that takes fewer pages (landscape when neither fits: the wider page)
    orientation = min(
        candidates or {"landscape": blocks},
        key=lambda o: (_pages(candidates.get(o, blocks), o), o != "portrait"),
    )
    blocks = candidates.get(orientation, blocks)
    marks = [s["mark"]["note"] for s in specs if s.get("mark")]
    return PrintedSheet(
        table=spec.table,
        name=spec.sheet,
        title=spec.title,
        lines=sheet_lines(spec, shown_units(blocks), labels, marks, _newest(frame)),
        blocks=blocks,
        orientation=orientation,
    )


def wrapped_lines(text: str, points: float, per_char: float = TEXT_POINTS) -> int:
    """Lines a text takes when wrapped at spaces into a cell `points` wide."""
    per_line = max(1, int((points - 6) // per_char))
    lines, used = 1, 0
    for word in str(text).split():
        if used and used + 1 + len(word) > per_line:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
        while used > per_line:  # a word longer than the line breaks within itself
            lines, used = lines + 1, used - per_line
    return lines


def grid_widths(blocks: list[Block]) -> list[float]:
    """The sheet's column widths: those of its blocks with the most columns; a block with fewer
    columns spans several of them (column_spans)."""
    n = max(len(b.columns) for b in blocks)
    return [max(b.columns[i].width for b in blocks if len(b.columns) == n) for i in range(n)]


def column_spans(block: Block, grid: list[float]) -> list[tuple[int, int]]:
    """The grid columns each of the block's columns takes (first, last)."""
    if len(block.columns) == len(grid):
        return [(i, i) for i in range(len(grid))]
    spans, g = [], 0
    for j, column in enumerate(block.columns):
        left = len(block.columns) - j - 1
        start, reached = g, 0.0
        while g < len(grid) - left:
            reached += width_to_points(grid[g])
            g += 1
            if reached >= width_to_points(column.width) and j < len(block.columns) - 1:
                break
        spans.append((start, max(start, g - 1)))
    return spans


def span_points(grid: list[float], span: tuple[int, int]) -> float:
    return sum(width_to_points(w) for w in grid[span[0] : span[1] + 1])


PAGE_HEIGHT = {"portrait": 842.0 - 100, "landscape": 595.0 - 100}


def _pages(blocks: list[Block], orientation: str) -> float:
    """Pages the blocks take, roughly: LINE_POINTS a line, wrapped texts as the sheet's
    columns (grid_widths) give them room."""
    grid = grid_widths(blocks)
    lines = 0
    for block in blocks:
        spans = column_spans(block, grid)
        lines += block.header_levels + 2 * bool(block.caption) + 1
        for kind, cells in block.rows:
            if kind == "section":
                lines += 1
                continue
            lines += max(
                [1]
                + [
                    wrapped_lines(c.value, span_points(grid, span))
                    for column, span, c in zip(block.columns, spans, cells, strict=True)
                    if column.wrap and isinstance(c.value, str)
                ]
            )
    return lines * LINE_POINTS / PAGE_HEIGHT[orientation]


def _newest(frame: pd.DataFrame) -> str:
    if "vintage" not in frame or frame["vintage"].dropna().empty:
        return ""
    return pd.Timestamp(frame["vintage"].max()).strftime("%d.%m.%Y")


def shown_units(blocks: list[Block]) -> list[str]:
    """The units of the figures the blocks show, each once, in the order they come."""
    units = [_unit_label(c.unit) for b in blocks for c in b.columns if is_number_unit(c.unit)]
    return list(dict.fromkeys(units))


def sheet_lines(
    spec: SheetSpec, units: list[str], labels: Labels, marks: list[str], newest: str = ""
) -> list[str]:
    """Unit, source and notes, from the vocabulary and the sheet's meta."""
    lines = [labels.text("workbook", "unit", units=", ".join(units))] if units else []
    sources = []
    for source in spec.sources:
        name = labels.text("source", source)
        vintages = labels.vintages.get(source, ())
        if vintages:
            name = labels.text(
                "workbook",
                "source_extracts",
                source=name,
                vintages=", ".join(pd.Timestamp(v).strftime("%d.%m.%Y") for v in vintages),
            )
        sources.append(name)
    if sources:
        text = "; ".join(sources)
        lines.append(labels.text("workbook", "source", sources=text[:1].upper() + text[1:]))
    lines.append(labels.text("workbook", "suppressed"))
    lines += [labels.text("workbook", m) for m in marks]
    if spec.note:
        lines.append(
            spec.note.format(
                needed=labels.settings.get("nowcast_min_mature_months", ""), newest=newest
            )
        )
    if "procent" in units:
        lines.append(labels.text("workbook", "shares"))
    return lines


DICTIONARY_HEADERS = ("Kolonne", "Dansk betegnelse", "Enhed", "Betydning")


def code_texts(column: str, labels: Labels) -> list[tuple[str, str]]:
    """The codes of a column and their Danish texts (a template's placeholders as '…')."""
    category = LABELLED_AS.get(column, column)
    found = [
        (code, re.sub(r"\{[^}]*\}", "…", da))
        for (c, code), (da, _) in labels.vocabulary.texts.items()
        if c == category
        and c != "boolean"
        # the reason's variants name one code, revised
        and not (c == "provisional_reason" and code.startswith("revised_"))
    ]
    if category == "target_group":
        found += [
            (code, text)
            for (c, code), text in labels.categories.items()
            if c == "target_group" and code != "alle"
        ]
    return found


def dictionary_sheet(
    specs: dict[str, SheetSpec],
    docs: dict[str, tuple[str, list[ColumnDoc]]],
    tables: list[str],
    labels: Labels,
) -> PrintedSheet:
    """The data dictionary: per sheet, every column's technical name (as in CSV and Parquet),
    Danish heading, unit and meaning."""
    entries = {t: docs.get(t, ("", []))[1] for t in tables}
    every = [d for t in tables for d in entries[t]]
    codes = {d.column: code_texts(d.column, labels) for d in every}
    texts = [d.label_da for d in every] + [t for c in codes.values() for _, t in c]
    label_width, label_wraps = _text_width(texts, DICTIONARY_HEADERS[1])
    widths = [
        _text_width([d.column for d in every], DICTIONARY_HEADERS[0])[0],
        label_width,
        _text_width([d.unit for d in every], DICTIONARY_HEADERS[2])[0],
    ]
    rest = PAGE_WIDTH["landscape"] - sum(width_to_points(w) for w in widths)
    columns = [
        Column((DICTIONARY_HEADERS[0],), "tekst", widths[0]),
        Column((DICTIONARY_HEADERS[1],), "tekst", widths[1], label_wraps),
        Column((DICTIONARY_HEADERS[2],), "tekst", widths[2]),
        Column((DICTIONARY_HEADERS[3],), "tekst", points_to_width(rest - 8), True),
    ]
    block = Block(None, columns)
    explained: set[str] = set()
    for table in tables:
        spec = specs.get(table)
        block.rows.append(("section", f"{spec.sheet}: {spec.title}" if spec else table))
        for doc in entries[table]:
            block.rows.append(
                (
                    "row",
                    [Cell(doc.column), Cell(doc.label_da), Cell(doc.unit), Cell(doc.meaning_da)],
                )
            )
            # a column of codes: each code, as CSV and Parquet have it, and its Danish text,
            # the first time the column comes
            if doc.column not in explained:
                explained.add(doc.column)
                block.rows += [
                    ("row", [Cell(f"    {code}"), Cell(text), Cell(None), Cell(None)])
                    for code, text in codes[doc.column]
                ]
    return PrintedSheet(
        table="",
        name=labels.text("workbook", "dictionary_sheet"),
        title=labels.text("workbook", "dictionary"),
        lines=[
            labels.text("workbook", "dictionary_note"),
            labels.text("workbook", "suppressed"),
            labels.text("workbook", "shares"),
        ],
        blocks=[block],
    )

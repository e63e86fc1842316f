"""One streaming pass over a delivered CSV to learn what DuckDB's reader cannot tell us.

It finds the encoding (UTF-8, else Windows-1252), the delimiter, the header, the lines that
are blank (DuckDB skips empty lines and chokes on whitespace-only ones, which would shift every
row number after them) and whether a quoted field is left open (a truncated file, which DuckDB
would otherwise read as fewer rows without complaint). Memory stays flat: the file is read in
1 MB chunks.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 20
BLANK_LINE = re.compile(rb"^[ \t\r]*$")
BLANK_LINES = re.compile(rb"(?m)^[ \t\r]*\n")


class LayoutProblem(Exception):
    """The file is not usable CSV text; the message says why (and where, when known)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class TextLayout:
    encoding: str
    delimiter: str
    header: list[str]
    blank_lines: list[int] = field(default_factory=list)

    @property
    def needs_clean_copy(self) -> bool:
        return self.encoding != "utf-8" or bool(self.blank_lines)

    def original_line(self, clean_line: int) -> int:
        """Line number in the delivered file of line `clean_line` of the cleaned copy."""
        line = clean_line
        for blank in self.blank_lines:
            if blank <= line:
                line += 1
            else:
                break
        return line


def _blocks(path: Path):
    """Yield blocks of whole lines (each ending in a newline but perhaps the very last one),
    about 1 MB at a time, so every scan below is done by C code on bytes, never per line."""
    carry = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            if cut:
                yield block[:cut]
    if carry:
        yield carry + b"\n"


def scan(path: Path) -> TextLayout:
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if b"\x00" in head:
        raise LayoutProblem("the file is binary, not CSV text")
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, quotes, lines_before = True, 0, 0
    blank: list[int] = []
    header_bytes, header_line = None, 0
    for block in _blocks(path):
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
        quotes += block.count(b'"')
        position, counted = 0, lines_before
        for match in BLANK_LINES.finditer(block):
            counted += block.count(b"\n", position, match.start())
            position = match.start()
            blank.append(counted + 1)
        if header_bytes is None:
            header_bytes, header_line = _first_text_line(block, lines_before)
        lines_before += block.count(b"\n")
    if header_bytes is None:
        raise LayoutProblem("the file is empty")
    if quotes % 2:
        raise LayoutProblem(
            "a quoted field is never closed (the file may be truncated)", line=lines_before
        )
    encoding = "utf-8" if utf8 else "cp1252"
    text = header_bytes.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    header = [h.strip() for h in next(csv.reader(io.StringIO(text), delimiter=delimiter))]
    if lines_before - header_line - sum(1 for b in blank if b > header_line) <= 0:
        raise LayoutProblem("the file has a header but no data rows")
    return TextLayout(encoding, delimiter, header, blank)


def _first_text_line(block: bytes, lines_before: int) -> tuple[bytes | None, int]:
    for number, line in enumerate(block.split(b"\n")[:-1], start=lines_before + 1):
        if not BLANK_LINE.match(line):
            return line, number
    return None, 0


def write_clean_copy(path: Path, layout: TextLayout, target: Path) -> None:
    """UTF-8 copy without blank lines, for DuckDB; `layout.original_line` maps lines back."""
    with target.open("wb") as out:
        for block in _blocks(path):
            block = BLANK_LINES.sub(b"", block)
            if layout.encoding != "utf-8":  # single-byte encoding: safe to convert per block
                block = block.decode(layout.encoding, errors="replace").encode("utf-8")
            out.write(block)

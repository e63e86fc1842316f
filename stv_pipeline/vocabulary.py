"""The one Danish vocabulary of what STAR reads: the seed dbt/seeds/vocabulary.csv.

Each row is a category, a code as the tables hold it, its Danish text and an English one for the
terminal. Column values are labelled by their column's name as category; reasons, notes and the
texts of the workbook and the checks are templates with named placeholders ("{vintage}"),
filled in here. The export reads the seed as the warehouse holds it (reference.vocabulary); a
process without a warehouse (the terminal, a check before the seeds are built) reads the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from stv_pipeline.settings import DBT_PROJECT_DIR

DANISH, ENGLISH = "da", "en"


@dataclass(frozen=True)
class Vocabulary:
    """(category, code) -> (Danish, English)."""

    texts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, str | None]]) -> Vocabulary:
        return cls({(c, k): (da, en or da) for c, k, da, en in rows})

    def has(self, category: str, code: str) -> bool:
        return (category, code) in self.texts

    def text(self, category: str, code: str, language: str = DANISH, **values: Any) -> str:
        """The text of a code in a language, its placeholders filled from `values`."""
        try:
            da, en = self.texts[(category, code)]
        except KeyError:
            raise KeyError(f"seed vocabulary has no {category}/{code}") from None
        template = en if language == ENGLISH else da
        return template.format(**values) if values else template

    def counted(self, n: int, one: str, many: str, language: str = DANISH) -> str:
        """'1 række', '23 rækker': the singular or plural template of a count."""
        number = f"{n:,}".replace(",", "." if language == DANISH else ",")
        return self.text("check", one if n == 1 else many, language, n=number)

    def categories(self) -> set[str]:
        return {category for category, _ in self.texts}


def seed_file() -> Path:
    return DBT_PROJECT_DIR / "seeds" / "vocabulary.csv"


def read_vocabulary(path: Path | None = None) -> Vocabulary:
    """The seed file itself, for a process that has no warehouse to read it from."""
    with (path or seed_file()).open(encoding="utf-8", newline="") as fh:
        return Vocabulary.from_rows(
            (r["category"], r["code"], r["text_da"], r["text_en"]) for r in csv.DictReader(fh)
        )


def danish_number(value: float, decimals: int = 1, signed: bool = False) -> str:
    """Danish notation: decimal comma, a thousands dot ('12.345,6'), '+' when `signed`."""
    text = f"{float(value):{'+' if signed else ''},.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def danish_percent(share: float, decimals: int = 1, signed: bool = False) -> str:
    """A share (0.042) as a Danish percent ('4,2 %')."""
    return f"{danish_number(share * 100, decimals, signed)} %"


def danish_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")

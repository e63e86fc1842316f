"""The data dictionary of an export, read from the dbt documentation (the models' .yml files,
as dbt's manifest holds them: stv_pipeline/dbt_manifest.py), so every meaning is written once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stv_pipeline import dbt_manifest

SUPPRESSION_NOTE = (
    "An empty cell (in the workbook: '..') is suppressed for disclosure control: a count of 1-4 "
    "persons, a figure computed from one, or a cell that would give one back through a relation "
    "between the exported tables (a total, a window, a pool, a revision, a share)."
)


@dataclass(frozen=True)
class ColumnDoc:
    table: str
    column: str
    label_da: str
    meaning: str  # the dbt description, for analysts (English)
    unit: str
    meaning_da: str = ""  # what STAR reads in the data dictionary (meta.meaning_da)


def table_docs(manifest: Path | None = None) -> dict[str, tuple[str, list[ColumnDoc]]]:
    """Per mart: its description and its columns' documentation, in the table's column order."""
    return {
        mart.name: (
            mart.description,
            [
                ColumnDoc(
                    table=mart.name,
                    column=column.name,
                    label_da=column.meta.get("label_da", column.name),
                    meaning=column.description,
                    unit=column.meta.get("unit", ""),
                    meaning_da=column.meta.get("meaning_da", ""),
                )
                for column in mart.columns
            ],
        )
        for mart in dbt_manifest.marts(manifest)
    }


@dataclass(frozen=True)
class SheetRows:
    """Which of an exported table's rows its workbook sheet shows (the sheet's `note` says
    so to its readers), and how the export's manifest names the sheet among its files."""

    shown: Callable[[pd.DataFrame], np.ndarray] | None = None  # None: every row
    part: str = ""  # after the sheet's name


def newest_vintage(frame: pd.DataFrame) -> np.ndarray:
    return (frame["vintage"] == frame["vintage"].max()).to_numpy()


# A mart's `meta.export.workbook_rows`. A sheet holds at most 1,048,576 rows and a revision
# history grows with every vintage (about 50,000 rows a national vintage), so the workbook,
# which is for reading, may show the newest vintage only; the CSV and Parquet files hold all.
WORKBOOK_ROWS = {
    "all": SheetRows(),
    "newest_vintage": SheetRows(newest_vintage, ", newest vintage only"),
}


@dataclass(frozen=True)
class SheetSpec:
    """How a mart is delivered (its `meta.export` in the model's .yml): the sheet's Danish
    name and title, the sources its figures come from, an optional note, the layout (see
    exports/layout.py), its place among the exported tables and which rows its sheet shows."""

    table: str
    sheet: str
    title: str
    sources: tuple[str, ...] = ()
    note: str = ""
    layout: dict[str, Any] | list[dict[str, Any]] = field(default_factory=dict)
    position: int | None = None
    workbook_rows: str = "all"

    @property
    def rows(self) -> SheetRows:
        return WORKBOOK_ROWS[self.workbook_rows]


EXPORT_KEYS = {"sheet", "title", "sources", "note", "layout", "position", "workbook_rows"}


def sheet_spec(table: str, export: dict[str, Any]) -> SheetSpec:
    """A mart's `meta.export`, checked: a misspelt key or policy would silently change what
    STAR receives."""
    problems = [f"unknown key {key!r}" for key in sorted(set(export) - EXPORT_KEYS)]
    problems += [f"no {key!r}" for key in ("sheet", "title") if not export.get(key)]
    rows = export.get("workbook_rows", "all")
    if rows not in WORKBOOK_ROWS:
        problems.append(f"workbook_rows {rows!r} is none of {', '.join(WORKBOOK_ROWS)}")
    if problems:
        raise ValueError(f"{table}: meta.export has {'; '.join(problems)}")
    return SheetSpec(
        table=table,
        sheet=export["sheet"],
        title=export["title"],
        sources=tuple(export.get("sources", ())),
        note=export.get("note", ""),
        layout=export.get("layout") or {},
        position=export.get("position"),
        workbook_rows=rows,
    )


def sheet_specs(manifest: Path | None = None) -> dict[str, SheetSpec]:
    """The exported marts - those whose .yml has a `meta.export` - with their sheets, in the
    delivery's order: by `position`, those without one last, then by name."""
    specs = [
        sheet_spec(mart.name, mart.meta["export"])
        for mart in dbt_manifest.marts(manifest)
        if mart.meta.get("export")
    ]
    specs.sort(key=lambda s: (s.position is None, s.position or 0, s.table))
    return {spec.table: spec for spec in specs}


def exported_marts(manifest: Path | None = None) -> tuple[str, ...]:
    """The marts a delivery publishes, in its order (the workbook's sheets, the manifest's
    tables, the data dictionary)."""
    return tuple(sheet_specs(manifest))


def column_units(manifest: Path | None = None) -> dict[str, dict[str, str]]:
    """Per model of any layer: its columns' units (meta.unit), for formatting a check's
    failing rows."""
    return {
        f"{model.schema}/{model.name}": {c.name: c.meta.get("unit", "") for c in model.columns}
        for model in dbt_manifest.models(manifest)
    }


# The data dictionary's columns, as the workbook's dictionary sheet has them
DICTIONARY_COLUMNS = {
    "table": "The table (mart), as its CSV and Parquet files are named",
    "column": "The column's technical name in CSV and Parquet",
    "label_da": "Its Danish heading in the workbook",
    "unit": "Its unit as the workbook shows it (procent, pct.-point, personer, ...)",
    "meaning_da": "What it means, in Danish, as STAR reads it",
}


def dictionary_records(tables: list[str], manifest: Path | None = None) -> list[dict]:
    """The data dictionary of an export as rows, for the UI (defs/exports.py)."""
    docs = table_docs(manifest)
    return [
        {
            "table": t,
            "column": d.column,
            "label_da": d.label_da,
            "unit": d.unit,
            "meaning_da": d.meaning_da,
        }
        for t in tables
        for d in docs.get(t, ("", []))[1]
    ]

"""The data dictionary of an export, read from the dbt documentation (the models' .yml files,
as dbt's manifest holds them: stv_pipeline/dbt_manifest.py), so every meaning is written once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
class SheetSpec:
    """How a mart prints in the workbook (its `meta.export` in the model's .yml): the sheet's
    Danish name and title, the sources its figures come from, an optional note, and the
    layout (see exports/layout.py)."""

    table: str
    sheet: str
    title: str
    sources: tuple[str, ...] = ()
    note: str = ""
    layout: dict[str, Any] | list[dict[str, Any]] = field(default_factory=dict)


def sheet_specs(manifest: Path | None = None) -> dict[str, SheetSpec]:
    """Per mart with a `meta.export`: its sheet."""
    specs = {}
    for mart in dbt_manifest.marts(manifest):
        export = mart.meta.get("export")
        if not export:
            continue
        specs[mart.name] = SheetSpec(
            table=mart.name,
            sheet=export["sheet"],
            title=export["title"],
            sources=tuple(export.get("sources", ())),
            note=export.get("note", ""),
            layout=export.get("layout") or {},
        )
    return specs


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

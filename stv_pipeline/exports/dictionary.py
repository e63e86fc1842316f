"""The data dictionary of an export, read from the dbt documentation (the models' .yml files,
compiled into dbt/target/manifest.json), so every meaning is written once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stv_pipeline.settings import DBT_PROJECT_DIR

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


def _manifest(manifest_path: Path | None) -> dict[str, Any]:
    return json.loads(
        (manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8")
    )


def _marts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    ]


def table_docs(manifest_path: Path | None = None) -> dict[str, tuple[str, list[ColumnDoc]]]:
    """Per mart: its description and its columns' documentation, in the table's column order."""
    docs = {}
    for node in _marts(_manifest(manifest_path)):
        columns = [
            ColumnDoc(
                table=node["name"],
                column=name,
                label_da=(col.get("meta") or {}).get("label_da", name),
                meaning=" ".join(col.get("description", "").split()),
                unit=(col.get("meta") or {}).get("unit", ""),
                meaning_da=(col.get("meta") or {}).get("meaning_da", ""),
            )
            for name, col in node["columns"].items()
        ]
        docs[node["name"]] = (" ".join(node.get("description", "").split()), columns)
    return docs


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


def sheet_specs(manifest_path: Path | None = None) -> dict[str, SheetSpec]:
    """Per mart with a `meta.export`: its sheet."""
    specs = {}
    for node in _marts(_manifest(manifest_path)):
        export = (node.get("meta") or node.get("config", {}).get("meta") or {}).get("export")
        if not export:
            continue
        specs[node["name"]] = SheetSpec(
            table=node["name"],
            sheet=export["sheet"],
            title=export["title"],
            sources=tuple(export.get("sources", ())),
            note=export.get("note", ""),
            layout=export.get("layout") or {},
        )
    return specs


def column_units(manifest_path: Path | None = None) -> dict[str, dict[str, str]]:
    """Per model of any layer: its columns' units (meta.unit), for formatting a check's
    failing rows."""
    units: dict[str, dict[str, str]] = {}
    for node in _manifest(manifest_path)["nodes"].values():
        if node["resource_type"] != "model":
            continue
        units[f"{node['schema']}/{node['name']}"] = {
            name: (col.get("meta") or {}).get("unit", "") for name, col in node["columns"].items()
        }
    return units


# The data dictionary's columns, as the workbook's dictionary sheet has them
DICTIONARY_COLUMNS = {
    "table": "The table (mart), as its CSV and Parquet files are named",
    "column": "The column's technical name in CSV and Parquet",
    "label_da": "Its Danish heading in the workbook",
    "unit": "Its unit as the workbook shows it (procent, pct.-point, personer, ...)",
    "meaning_da": "What it means, in Danish, as STAR reads it",
}


def dictionary_records(tables: list[str], manifest_path: Path | None = None) -> list[dict]:
    """The data dictionary of an export as rows, for the UI (defs/exports.py)."""
    docs = table_docs(manifest_path)
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

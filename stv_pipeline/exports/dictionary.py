"""The data dictionary of an export, read from the dbt documentation (the models' .yml files,
compiled into dbt/target/manifest.json), so every meaning is written once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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
    meaning: str
    unit: str


def table_docs(manifest_path: Path | None = None) -> dict[str, tuple[str, list[ColumnDoc]]]:
    """Per mart: its description and its columns' documentation, in the table's column order."""
    manifest = json.loads(
        (manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8")
    )
    docs = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        columns = [
            ColumnDoc(
                table=node["name"],
                column=name,
                label_da=(col.get("meta") or {}).get("label_da", name),
                meaning=" ".join(col.get("description", "").split()),
                unit=(col.get("meta") or {}).get("unit", ""),
            )
            for name, col in node["columns"].items()
        ]
        docs[node["name"]] = (" ".join(node.get("description", "").split()), columns)
    return docs

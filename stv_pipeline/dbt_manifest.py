"""dbt's manifest (dbt/target/manifest.json, written by `dbt parse`): the project's models and
what their .yml files say of them, read here and nowhere else.

The Dagster definitions (defs/dbt.py), the disclosure declarations (exports/cells.py), the
delivery and its data dictionary (exports/dictionary.py) and the checks' units all take the
models from here. Not to be confused with an export folder's own manifest.json
(exports/manifest.py), which says what a delivery holds.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stv_pipeline.settings import DBT_PROJECT_DIR

DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
MARTS = "marts"  # the schema of the models that become published tables


@dataclass(frozen=True)
class Column:
    name: str
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    data_type: str = ""


@dataclass(frozen=True)
class Model:
    """A dbt model as its .yml describes it: `meta` is the model's (`config: meta:`), each
    column's is its own."""

    name: str
    schema: str
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    columns: tuple[Column, ...] = ()


def read(path: Path | None = None) -> dict[str, Any]:
    """The manifest as dbt wrote it (for dagster-dbt, which builds the assets from it)."""
    return json.loads((path or DBT_MANIFEST).read_text("utf-8"))


def model_of(node: dict[str, Any]) -> Model:
    return Model(
        name=node["name"],
        schema=node["schema"],
        description=" ".join((node.get("description") or "").split()),
        meta=node.get("meta") or (node.get("config") or {}).get("meta") or {},
        columns=tuple(
            Column(
                name=name,
                description=" ".join((column.get("description") or "").split()),
                meta=column.get("meta") or {},
                data_type=(column.get("data_type") or "").lower(),
            )
            for name, column in node["columns"].items()
        ),
    )


def models(manifest: dict[str, Any] | Path | None = None) -> list[Model]:
    """Every model of the project, in the manifest's order (a manifest already read, or the
    file at a path, default dbt/target/manifest.json)."""
    if isinstance(manifest, dict):
        return _models_of(manifest)
    path = manifest or DBT_MANIFEST
    stat = path.stat()
    return list(_models_in_file(str(path), stat.st_mtime_ns, stat.st_size))


def _models_of(manifest: dict[str, Any]) -> list[Model]:
    return [
        model_of(node) for node in manifest["nodes"].values() if node["resource_type"] == "model"
    ]


# A run asks for the models many times (the declarations, the sheets, the dictionary, ...):
# the file is read once for each version of it that `dbt parse` writes.
@functools.lru_cache(maxsize=4)
def _models_in_file(path: str, modified_ns: int, size: int) -> tuple[Model, ...]:
    return tuple(_models_of(read(Path(path))))


def marts(manifest: dict[str, Any] | Path | None = None) -> list[Model]:
    """The models of the marts schema (dbt/models/marts): the tables a delivery may publish."""
    return [model for model in models(manifest) if model.schema == MARTS]

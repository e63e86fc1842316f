"""What the assets of each phase tell about a run, typed: the asset writes its outcome as its
Dagster metadata (`as_metadata`, what the UI shows), and `stv run`'s summary reads it back from
the materialisation (`read`, progress.py). The metadata keys are spelt here only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

# What becomes of a file of the inbox (ingest/loader.py FileOutcome.status)
FILE_OUTCOMES = ("loaded", "rejected", "unchanged")


def _value(metadata: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A metadata entry's value, whether Dagster wrapped it (MetadataValue) or not."""
    entry = metadata.get(key, default)
    return getattr(entry, "value", entry)


def _suppressed_cells(tables: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(int(t.get("suppressed_cells", 0)) for t in tables.values())


@dataclass(frozen=True)
class SourceLoaded:
    """A source's load (raw/<source>): its files by outcome, and its rows."""

    origin: str  # "inbox" or "sample"
    folder: str
    files: dict[str, int]  # FILE_OUTCOMES -> files
    rows_loaded: int = 0
    rows_in_table: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_metadata(self) -> dict[str, dg.MetadataValue]:
        return {
            "input": dg.MetadataValue.text(f"{self.origin}: {self.folder}"),
            **{f"files_{n}": dg.MetadataValue.int(self.files.get(n, 0)) for n in FILE_OUTCOMES},
            "rows_loaded": dg.MetadataValue.int(self.rows_loaded),
            "rows_in_table": dg.MetadataValue.int(self.rows_in_table),
            "rejected": dg.MetadataValue.json(self.rejected),
            "dagster/row_count": dg.MetadataValue.int(self.rows_in_table),
        }

    @classmethod
    def read(cls, metadata: Mapping[str, Any]) -> SourceLoaded | None:
        if "files_loaded" not in metadata:
            return None
        origin, _, folder = str(_value(metadata, "input", "")).partition(": ")
        return cls(
            origin=origin,
            folder=folder,
            files={n: int(_value(metadata, f"files_{n}", 0)) for n in FILE_OUTCOMES},
            rows_loaded=int(_value(metadata, "rows_loaded", 0)),
            rows_in_table=int(_value(metadata, "rows_in_table", 0)),
            rejected=list(_value(metadata, "rejected", None) or []),
        )


@dataclass(frozen=True)
class TablesSuppressed:
    """Disclosure control's publication (exports/published_tables), staged for the export."""

    suppressions: dict[str, dict[str, Any]]  # table -> its suppression counts
    series: dict[str, Any] = field(default_factory=dict)
    staged_in: str = ""
    seconds: float = 0.0

    @property
    def suppressed_cells(self) -> int:
        return _suppressed_cells(self.suppressions)

    def as_metadata(self) -> dict[str, dg.MetadataValue]:
        return {
            "suppression_seconds": dg.MetadataValue.float(self.seconds),
            "suppressions": dg.MetadataValue.json(self.suppressions),
            "series": dg.MetadataValue.json(self.series),
            "staged_in": dg.MetadataValue.path(self.staged_in),
        }

    @classmethod
    def read(cls, metadata: Mapping[str, Any]) -> TablesSuppressed:
        return cls(
            suppressions=dict(_value(metadata, "suppressions", None) or {}),
            series=dict(_value(metadata, "series", None) or {}),
            staged_in=str(_value(metadata, "staged_in", "")),
            seconds=float(_value(metadata, "suppression_seconds", 0.0)),
        )


@dataclass(frozen=True)
class ExportWritten:
    """The export (exports/star_export): the folder STAR receives, or the newest one when the
    tables and check outcomes are unchanged since it and nothing was written."""

    folder: str
    tables: dict[str, dict[str, Any]]  # table -> what manifest.json says of it
    unchanged: bool
    content_fingerprint: str = ""

    @property
    def suppressed_cells(self) -> int:
        return _suppressed_cells(self.tables)

    def as_metadata(self) -> dict[str, dg.MetadataValue]:
        return {
            "export_folder": dg.MetadataValue.path(self.folder),
            "tables": dg.MetadataValue.json(self.tables),
            "unchanged": dg.MetadataValue.bool(self.unchanged),
            "content_fingerprint": dg.MetadataValue.text(self.content_fingerprint),
        }

    @classmethod
    def read(cls, metadata: Mapping[str, Any]) -> ExportWritten | None:
        if "export_folder" not in metadata:
            return None
        return cls(
            folder=str(_value(metadata, "export_folder")),
            tables=dict(_value(metadata, "tables", None) or {}),
            unchanged=bool(_value(metadata, "unchanged", False)),
            content_fingerprint=str(_value(metadata, "content_fingerprint", "")),
        )

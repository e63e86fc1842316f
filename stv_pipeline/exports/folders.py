"""The export folders of data/exports/: which is the newest, whether a run would repeat it, and
pruning old ones. A folder counts as an export only when it holds manifest.json."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from stv_pipeline.exports.manifest import MANIFEST, read_manifest

# Floats are compared to this many decimals: a sum's last bits change with DuckDB's thread
# order, which is no change in a figure STAR reads.
FINGERPRINT_DECIMALS = 9


def content_fingerprint(tables: dict[str, pd.DataFrame], checks: list[dict[str, Any]]) -> str:
    """sha256 over the published tables (column names, types and every value, floats rounded)
    and the checks
    that did not pass. A check that passed or did not run changes nothing STAR receives; one
    that starts or stops failing does."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name].copy()
        floats = frame.select_dtypes("floating").columns
        frame[floats] = frame[floats].round(FINGERPRINT_DECIMALS)
        digest.update(f"{name}\0{list(frame.columns)}\0{list(map(str, frame.dtypes))}\0".encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    failed = sorted((c["asset"], c["check"], c["severity"]) for c in checks if not c["passed"])
    digest.update(json.dumps(failed).encode())
    return digest.hexdigest()


def table_fingerprint(frame: pd.DataFrame, mask: pd.DataFrame, renderer: str) -> str:
    """sha256 over one table as a delivery publishes it: its published frame and the mask of
    its suppressed cells as Arrow holds them (column names, types, every value to the bit: a
    file rendered from it is the same bytes only then), and `renderer`, the version of what
    renders its files (delivery.renderer_version). Recorded per table in manifest.json, so the
    next delivery knows which files it can take over without reading them."""
    digest = hashlib.sha256(f"{renderer}\0".encode())
    for part in (frame, mask):
        table = pa.Table.from_pandas(part, preserve_index=False)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table)
        digest.update(sink.getvalue())
    return digest.hexdigest()


@dataclass(frozen=True)
class EarlierDelivery:
    """The newest export folder, with each table's fingerprint as its manifest records it (a
    folder written before the fingerprints were recorded has none: nothing is taken from it)."""

    folder: Path
    fingerprints: dict[str, str]


def earlier_delivery(root: Path) -> EarlierDelivery | None:
    newest = newest_export(root)
    if newest is None:
        return None
    folder, manifest = newest
    fingerprints = {
        name: table["content_fingerprint"]
        for name, table in manifest.get("tables", {}).items()
        if table.get("content_fingerprint")
    }
    return EarlierDelivery(folder, fingerprints)


def exports(root: Path) -> list[tuple[str, Path]]:
    """(created_at, folder) of every export under root, oldest first."""
    found = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        manifest = folder / MANIFEST
        if folder.is_dir() and not folder.name.startswith(".") and manifest.is_file():
            created = read_manifest(folder).get("created_at", "")
            found.append((created, folder))
    return sorted(found)


def newest_export(root: Path) -> tuple[Path, dict[str, Any]] | None:
    found = exports(root)
    if not found:
        return None
    folder = found[-1][1]
    return folder, read_manifest(folder)


def unchanged_since(root: Path, fingerprint: str) -> Path | None:
    """The newest export when it holds exactly this content, else None."""
    newest = newest_export(root)
    if newest and newest[1].get("content_fingerprint") == fingerprint:
        return newest[0]
    return None


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest exports; returns the folders deleted."""
    if keep < 0:
        raise ValueError(f"--keep must be 0 or more, not {keep}")
    found = exports(root)
    doomed = [folder for _, folder in found[: max(0, len(found) - keep)]]
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed

"""manifest.json of an export folder: what went in, what came out, and how the checks went.
(dbt's own manifest.json, of the dbt project, is another file: stv_pipeline/dbt_manifest.py.)"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from stv_pipeline.exports.dictionary import SUPPRESSION_NOTE
from stv_pipeline.settings import PROJECT_ROOT

# Written last into an export folder: a folder counts as a delivery only when it holds it.
MANIFEST = "manifest.json"


def code_version(root: Path = PROJECT_ROOT) -> str:
    """The git commit of the code, with '-dirty' when it has uncommitted changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return sha + ("-dirty" if dirty.strip() else "")


def input_files(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "select source, file_name, sha256, rows, extract_date, origin, loaded_at "
        "from raw.file_log where replaced_at is null order by source, file_name"
    ).fetchall()
    return [
        {
            "source": s,
            "file": f,
            "sha256": h,
            "rows": int(n),
            "vintage": v.isoformat() if v else None,
            "origin": o,
            "loaded_at": t.isoformat(timespec="seconds"),
        }
        for s, f, h, n, v, o, t in rows
    ]


def write_manifest(
    folder: Path,
    *,
    run_id: str,
    inputs: list[dict[str, Any]],
    tables: dict[str, dict[str, Any]],
    checks: list[dict[str, Any]],
    content_fingerprint: str | None = None,
    earlier_delivery: str | None = None,
    disclosure_audit: dict[str, Any] | None = None,
    disclosure_series: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> Path:
    manifest = {
        "run_id": run_id,
        "created_at": (created_at or datetime.now()).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "inputs": inputs,
        "tables": tables,
        "checks": checks,
        # What `stv run` compares to write no new folder when nothing changed (folders.py).
        "content_fingerprint": content_fingerprint,
        # the newest export when this one was written: a table's files listed under its
        # `reused` are that export's files (hard links), its content_fingerprint the same
        "earlier_delivery": earlier_delivery,
        "disclosure_control": SUPPRESSION_NOTE,
        # cells checked, groups, the narrowest interval an intruder's LP leaves a suppressed
        # count (at least as narrow as the truth for cells settled in batch), the width required
        "disclosure_audit": disclosure_audit or {},
        # the delivery as the newest of the series STAR keeps: decisions carried over from
        # earlier deliveries, new ones, and the earlier deliveries the audit included
        "disclosure_series": disclosure_series or {},
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export folder."""
    return json.loads((folder / MANIFEST).read_text("utf-8"))

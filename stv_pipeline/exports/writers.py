"""The files of an export folder: CSV for Danish Excel and typed Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_csv_for_excel(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (so Excel detects it), semicolons and decimal commas, as Danish Excel
    reads them; suppressed cells are empty."""
    frame.to_csv(
        path,
        sep=";",
        decimal=",",
        index=False,
        encoding="utf-8-sig",
        date_format="%Y-%m-%d",
        lineterminator="\r\n",
    )


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Typed Parquet: counts stay integers (nullable where suppressed), dates stay dates."""
    frame.to_parquet(path, index=False, compression="zstd")

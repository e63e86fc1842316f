"""Shared by the integration tests: the whole job through the `stv run` command."""

from pathlib import Path

from stv_pipeline.cli import main


def run_stv(folder: Path) -> int:
    """`stv run` on folder/inbox, with the warehouse folder/w.duckdb and exports folder/exports."""
    return main(
        [
            "run",
            "--inbox",
            str(folder / "inbox"),
            "--warehouse",
            str(folder / "w.duckdb"),
            "--exports",
            str(folder / "exports"),
        ]
    )

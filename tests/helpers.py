"""Shared by the integration tests: the whole job through the `stv run` command."""

from datetime import date
from pathlib import Path

from stv_pipeline.cli import main

INBOX_SMALL = Path(__file__).parent / "fixtures" / "inbox_small"

KH, RF = "kontanthjaelp_aktivitetsparat", "ressourceforloeb"
MAR, APR = date(2017, 3, 1), date(2017, 4, 1)
# DESIGN §3.1 on INBOX_SMALL, counted by hand (the persons are described in test_full_job.py):
# municipality, month, group, population, n_company, n_hours, n_either
INBOX_SMALL_SUCCESS_CRITERIA = [
    (450, MAR, "alle", 3, 2, 0, 2),
    (450, MAR, KH, 2, 2, 0, 2),
    (450, MAR, RF, 1, 0, 0, 0),
    (461, MAR, "alle", 1, 0, 1, 1),
    (461, MAR, KH, 1, 0, 1, 1),
    (461, APR, "alle", 1, 1, 0, 1),
    (461, APR, RF, 1, 1, 0, 1),
]


def run_stv(folder: Path, inbox: Path | None = None) -> int:
    """`stv run` on inbox (default folder/inbox), with the warehouse folder/w.duckdb and the
    exports folder/exports."""
    return main(
        [
            "run",
            "--inbox",
            str(inbox or folder / "inbox"),
            "--warehouse",
            str(folder / "w.duckdb"),
            "--exports",
            str(folder / "exports"),
            # tests leave the project's Dagster instance (what `dagster dev` shows) alone
            "--no-record",
        ]
    )

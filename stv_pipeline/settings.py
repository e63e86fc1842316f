"""Run-time configuration, read from environment variables with safe defaults (DESIGN §5).

Every path default is relative to the project root, so `make run`, `dagster dev` and the
tests agree on where the warehouse, inbox and exports live whatever the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# The shipped sample: read only when a run is pointed at it (`make run`), never as a fallback.
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"

ENV_WAREHOUSE = "STV_WAREHOUSE"
ENV_INBOX = "STV_INBOX"
ENV_EXPORTS = "STV_EXPORTS"
ENV_PSEUDONYM_KEY = "STV_PSEUDONYM_KEY"
ENV_ALERT_WEBHOOK = "STV_ALERT_WEBHOOK"
ENV_ENGINE = "STV_ENGINE"
ENV_SPARK_DIR = "STV_SPARK_DIR"

DEFAULT_WAREHOUSE = "data/warehouse/stv.duckdb"
DEFAULT_INBOX = "data/inbox"
DEFAULT_EXPORTS = "data/exports"
DEFAULT_SPARK_DIR = "data/spark"
# Where the dbt models run (DESIGN §7): DuckDB in the warehouse file, or Apache Spark.
ENGINES = ("duckdb", "spark")


class UnknownEngine(ValueError):
    pass


def _path(environ: Mapping[str, str], name: str, default: str) -> Path:
    value = environ.get(name)
    # A value given by the user is relative to where they stand; a default to the project.
    return Path(value).expanduser().resolve() if value else PROJECT_ROOT / default


def _engine(environ: Mapping[str, str]) -> str:
    engine = (environ.get(ENV_ENGINE) or "duckdb").strip().lower()
    if engine not in ENGINES:
        raise UnknownEngine(
            f"{ENV_ENGINE}={engine!r} is not an engine: use one of {', '.join(ENGINES)}"
        )
    return engine


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    inbox: Path
    exports: Path
    pseudonym_key: str | None
    alert_webhook: str | None
    engine: str = "duckdb"
    # Spark's run folder: the raw Parquet copies, its warehouse and its metastore.
    spark_dir: Path = PROJECT_ROOT / DEFAULT_SPARK_DIR
    # Write an export folder also when tables and check outcomes equal the newest export's.
    force_export: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            warehouse=_path(env, ENV_WAREHOUSE, DEFAULT_WAREHOUSE),
            inbox=_path(env, ENV_INBOX, DEFAULT_INBOX),
            exports=_path(env, ENV_EXPORTS, DEFAULT_EXPORTS),
            pseudonym_key=env.get(ENV_PSEUDONYM_KEY) or None,
            alert_webhook=env.get(ENV_ALERT_WEBHOOK) or None,
            engine=_engine(env),
            spark_dir=_path(env, ENV_SPARK_DIR, DEFAULT_SPARK_DIR),
        )

    @property
    def quarantine(self) -> Path:
        """Rejected files go beside the inbox, so they stay with the deliveries they came from."""
        return self.inbox.parent / "quarantine"

    @property
    def run_logs(self) -> Path:
        """Each run's full log (dbt and Dagster), beside the warehouse it wrote."""
        return self.warehouse.parent / "runs"

    @property
    def dbt_state(self) -> Path:
        """dbt's target folder for the runs on this warehouse, beside it: its run results and
        compiled SQL stay with the warehouse they describe, and runs on two warehouses at once
        (tests, a benchmark) never write the same folder. Its partial parse starts as a copy
        of `make manifest`'s (dbt/target), which holds for any warehouse path."""
        return self.warehouse.parent / "dbt_state"

"""`stv-dbt [--warehouse=FILE] [--spark-dir=DIR] <dbt arguments>`: dbt as a child that dies with
the run that started it, told that run's warehouse.

dagster-dbt starts dbt as a subprocess. Killed with SIGKILL (or ended by the stop watchdog), the
run could leave dbt writing the warehouse, holding DuckDB's lock against the next run. This
launcher, named as the dbt executable of the runs (defs/resources.py), asks the kernel to kill
it when its parent dies (PR_SET_PDEATHSIG, which exec keeps) and then becomes the dbt beside
this Python (exec): dbt's PID, signals, output and exit code are dbt's own.

The run's settings reach dbt as this launcher's own options, which it puts in dbt's environment
only (STV_WAREHOUSE for the plugin stv_pipeline/dbt_warehouse.py, STV_SPARK_DIR for the Spark
target): the run's process never writes them into its own environment, so two runs in one
process (the tests) or a run whose `stv run --warehouse` differs from STV_WAREHOUSE each give
dbt their own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from stv_pipeline.operations.processes import die_with_parent
from stv_pipeline.settings import ENV_SPARK_DIR, ENV_WAREHOUSE, Settings

# The launcher's options and the variable of dbt's environment each sets. They come first, each
# as one `--name=value` word, so no dbt argument is ever taken for one.
OPTIONS = {"--warehouse": ENV_WAREHOUSE, "--spark-dir": ENV_SPARK_DIR}


def launcher_options(settings: Settings) -> list[str]:
    """What a run puts before dbt's arguments (DbtCliResource.global_config_flags)."""
    return [f"--warehouse={settings.warehouse}", f"--spark-dir={settings.spark_dir}"]


def split_arguments(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(dbt's environment from the launcher's options, dbt's arguments)."""
    environment: dict[str, str] = {}
    rest = list(argv)
    while rest and "=" in rest[0] and rest[0].split("=", 1)[0] in OPTIONS:
        name, value = rest.pop(0).split("=", 1)
        environment[OPTIONS[name]] = value
    return environment, rest


def main() -> None:
    die_with_parent(os.getppid())
    environment, arguments = split_arguments(sys.argv[1:])
    dbt = Path(sys.executable).with_name("dbt")
    os.execve(dbt, [str(dbt), *arguments], {**os.environ, **environment})


if __name__ == "__main__":
    main()

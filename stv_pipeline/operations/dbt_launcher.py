"""`stv-dbt`: dbt as a child that dies with the run that started it.

dagster-dbt starts dbt as a subprocess. Killed with SIGKILL (or ended by the stop watchdog), the
run could leave dbt writing the warehouse, holding DuckDB's lock against the next run. This
launcher, named as the dbt executable of the runs (defs/resources.py), asks the kernel to kill
it when its parent dies (PR_SET_PDEATHSIG, which exec keeps) and then becomes the dbt beside
this Python (exec): dbt's PID, signals, output and exit code are dbt's own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from stv_pipeline.operations.processes import die_with_parent


def main() -> None:
    die_with_parent(os.getppid())
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()

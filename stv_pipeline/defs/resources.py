"""Resources shared by the asset definitions: the DuckDB warehouse and the dbt project."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from stv_pipeline.settings import DBT_PROJECT_DIR, ENV_WAREHOUSE, Settings

# DuckDB allows one writing process per file: every asset that writes the warehouse (loaders,
# dbt, checks that read it while others write) runs in this pool, limited to 1 in dagster.yaml.
WAREHOUSE_POOL = "stv_warehouse"

# The one transient failure here: another process (a dbt run, a UI run, an analyst's DuckDB
# shell) holds the warehouse file's write lock. Such a step is retried; a real failure (a bad
# model, a failing test) is not, since retrying cannot mend it.
LOCK_RETRIES, LOCK_WAIT_SECONDS = 5, 30


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(message: str) -> str:
    """Who holds the warehouse, as DuckDB names it in its lock error: 'PID 42 (/usr/bin/duckdb)'
    from '... Conflicting lock is held in /usr/bin/duckdb (PID 42) by user ...'."""
    found = re.search(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)", message)
    if not found:
        return "another process"
    return f"PID {found['pid']} ({found['program']})"


def lock_wait_message(
    warehouse: str, message: str, attempt: int | None, now: datetime | None = None
) -> str:
    """The line a waiting step logs: who holds the file, and when the next attempt is."""
    next_at = (now or datetime.now()) + timedelta(seconds=LOCK_WAIT_SECONDS)
    tried = f" (attempt {attempt + 1} of {LOCK_RETRIES + 1})" if attempt is not None else ""
    return (
        f"The warehouse {warehouse} is locked by {lock_holder(message)}{tried}; "
        f"next attempt at {next_at:%H:%M:%S}"
    )


def _retry_number() -> int | None:
    try:
        return dg.OpExecutionContext.get().retry_number
    except Exception:  # outside a step (a test, a script) there is no attempt to count
        return None


@contextmanager
def warehouse_connection(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse connection, with a held file lock turned into a retry of the step."""
    try:
        with resource.get_connection() as con:
            yield con
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            attempt = _retry_number()
            if attempt is not None and attempt >= LOCK_RETRIES:
                raise dg.Failure(
                    f"The warehouse {resource.database} is still locked by "
                    f"{lock_holder(str(exc))} after {attempt + 1} attempts: end that process "
                    "(or wait for it) and run again"
                ) from exc
            dg.get_dagster_logger().warning(lock_wait_message(resource.database, str(exc), attempt))
            raise dg.RetryRequested(
                max_retries=LOCK_RETRIES, seconds_to_wait=LOCK_WAIT_SECONDS
            ) from exc
        raise


def wait_for_free_warehouse(resource: DuckDBResource) -> None:
    """Before dbt (a subprocess) starts: fail over to a retry while another process writes."""
    with warehouse_connection(resource):
        pass


class ManifestMissing(Exception):
    pass


def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if not project.manifest_path.exists():
        raise ManifestMissing(
            f"dbt manifest not found at {project.manifest_path}: run `make manifest` "
            "(dbt parse) before loading the Dagster definitions"
        )
    return project


def dbt_executable() -> str:
    """The dbt installed beside this Python, so nothing depends on the venv being activated."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


# What the manifest is parsed from: a file here newer than it (a `git pull`, an edited model
# or seed) makes the Dagster definitions disagree with dbt's own build.
DBT_SOURCES = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")


def manifest_is_stale(manifest: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in DBT_SOURCES:
        path = project_dir / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def parse_dbt_project(warehouse: Path, target_path: Path | None = None) -> None:
    """`dbt parse` of the project into `target_path` (default dbt/target, whose manifest.json
    the Dagster definitions read). The parse holds for every warehouse path (the path is no
    part of dbt's profile: stv_pipeline/dbt_warehouse.py); `warehouse` is the one dbt would
    connect to."""
    target = ["--target-path", str(target_path)] if target_path else []
    subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            *target,
        ],
        check=True,
        env={**os.environ, ENV_WAREHOUSE: str(warehouse)},
    )


def ensure_dbt_manifest() -> Path:
    """Build dbt/target/manifest.json (dbt parse) when missing or older than the dbt project;
    `make manifest` does it too, with the warehouse path the runs use."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if manifest_is_stale(manifest):
        print("Building the dbt manifest (dbt parse) ...", flush=True)
        parse_dbt_project(Settings.from_env().warehouse)
    return manifest


class StvDbtCliResource(DbtCliResource):
    """What dagster-dbt does in this process before each `dbt build`, cut to what is used.

    It asks the dbt executable for its version (`dbt --version`, a Python start) in every run;
    the executable here is always the dbt-core installed beside this Python (dbt_executable),
    so its version is read from the package instead."""

    @cached_property
    def _cli_version(self):
        from dbt.version import __version__
        from packaging import version

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args):
        """None: dagster-dbt opens a dbt adapter in this process (loading dbt's adapter and the
        profile, a second or more per run) only for its fetch_row_counts and
        fetch_column_metadata, which this project does not call - defs/dbt.py counts rows
        itself once dbt has finished, when the warehouse is free."""
        return None


def build_resources(settings: Settings, project: DbtProject) -> dict[str, object]:
    return {
        "warehouse": DuckDBResource(database=str(settings.warehouse)),
        "dbt": StvDbtCliResource(
            project_dir=project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
        ),
    }

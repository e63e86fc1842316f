"""Resources shared by the asset definitions: the DuckDB warehouse, held by the run for its whole
life, the run's export folder, and the dbt project."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtProject
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from stv_pipeline.exports import delivery
from stv_pipeline.exports.disclosure import Publication
from stv_pipeline.framework_internals import StvDbtCliResource
from stv_pipeline.operations.dbt_launcher import launcher_options
from stv_pipeline.operations.processes import ProcessIdentity, command_line
from stv_pipeline.operations.warehouse import (
    WAREHOUSE_WAIT_LIMIT_SECONDS,
    WarehouseLocked,
    connect_waiting,
    hold_warehouse,
)
from stv_pipeline.quality.suites import SuiteFile, validate_in_warehouse
from stv_pipeline.settings import DBT_PROJECT_DIR, ENV_WAREHOUSE, Settings

# Tags of a run naming the process that executes it, so that another run can tell it died.
PROCESS_TAG_PREFIX = "stv/"


def process_tags() -> dict[str, str]:
    """The tags naming this process, for the run it executes."""
    return {
        **ProcessIdentity.of().as_tags(PROCESS_TAG_PREFIX),
        f"{PROCESS_TAG_PREFIX}command": command_line(),
    }


class WarehouseResource(DuckDBResource):
    """The warehouse, held by the run from its start to its end (operations/warehouse.py):
    runs on one warehouse run one at a time, however they were launched (`stv run`, the
    schedule, the sensor, the UI), and runs on different warehouses never wait for each other.
    A run that finds the warehouse held waits and says whom for; once it holds it, it marks
    failed the runs recorded as started whose process is gone. A connection waits while a
    process that is no run (an analyst's DuckDB shell) holds DuckDB's own lock, and says so."""

    lock_wait_limit_seconds: float = Field(
        default=WAREHOUSE_WAIT_LIMIT_SECONDS,
        description="how long a step waits for DuckDB's lock held by a process that is no run",
    )
    _held: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.dagster_run is None:  # a context built outside a run (a test)
            return
        instance, run_id = context.instance, context.run_id
        instance.add_run_tags(run_id, process_tags())
        with ExitStack() as held:
            held.enter_context(
                hold_warehouse(Path(self.database), run_id=run_id, say=context.log.warning)
            )
            for line in mark_dead_runs_failed(instance, run_id):
                context.log.warning(line)
            self._held = held.pop_all()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._held is not None:
            self._held.close()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect_waiting(
            self.database,
            {"custom_user_agent": "dagster", **self.connection_config},
            say=dg.get_dagster_logger().warning,
            limit_seconds=self.lock_wait_limit_seconds,
        )
        try:
            yield con
        finally:
            con.close()


def mark_dead_runs_failed(instance: dg.DagsterInstance, by_run_id: str) -> list[str]:
    """Mark failed, with the reason, every run recorded as started whose process is gone
    (killed with SIGKILL, out of memory, the machine restarted): it never ends by itself, and
    the run monitoring of the daemon sees only the runs the daemon launched."""
    said = []
    for run in instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING])
    ):
        process = ProcessIdentity.from_tags(run.tags, PROCESS_TAG_PREFIX)
        if run.run_id == by_run_id or process is None or process.is_alive():
            continue
        command = run.tags.get(f"{PROCESS_TAG_PREFIX}command", "")
        line = (
            f"Run {run.run_id[:8]} died without ending: its process (PID {process.pid} on "
            f"{process.host}{', `' + command + '`' if command else ''}) is gone - killed, out of "
            f"memory or the machine restarted. Marked failed by run {by_run_id[:8]}."
        )
        instance.report_run_failed(run, line)
        said.append(line)
    return said


@contextmanager
def warehouse_connection(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse connection; a DuckDB lock held too long fails the step, naming the
    holder."""
    try:
        with resource.get_connection() as con:
            yield con
    except WarehouseLocked as exc:
        raise dg.Failure(str(exc)) from None


def wait_for_free_warehouse(resource: DuckDBResource) -> None:
    """Before dbt (a subprocess) starts: wait while another process writes the warehouse."""
    with warehouse_connection(resource):
        pass


class DeliveryResource(dg.ConfigurableResource):
    """The run's export folder (exports/delivery.py), found by the run's id: published_tables
    begins it and stages the publication there, the audit and star_export read it back, and
    star_export renames it into place. What is left of it when the run ends (an audit that
    failed, an export unchanged since the newest, a failed step) is removed then."""

    exports: str
    _run_id: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = context.run_id

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        folder = delivery.run_folder(self.root, self.run_id) if self._run_id else None
        if folder is not None:
            delivery.discard(folder)

    @property
    def root(self) -> Path:
        return Path(self.exports)

    @property
    def run_id(self) -> str:
        if self._run_id is None:
            raise RuntimeError("the delivery resource is used outside a run")
        return self._run_id

    @property
    def folder(self) -> Path:
        """Where this run's export goes (begun today, or on the day it was begun)."""
        return delivery.run_folder(self.root, self.run_id) or delivery.export_folder(
            self.root, self.run_id
        )

    def stage(self, publication: Publication) -> list[Path]:
        """Begin the run's hidden export folder and stage the publication in it; the hidden
        folders of dead runs removed on the way."""
        removed = delivery.remove_partial_folders(self.root)
        delivery.stage_publication(delivery.begin(self.folder), publication)
        return removed

    def publication(self) -> Publication:
        return delivery.staged_publication(self.root, self.run_id)

    def discard(self) -> None:
        delivery.discard(self.folder)


class GreatExpectationsResource(dg.ConfigurableResource):
    """Great Expectations for the run's checks. Its context is begun in a thread of the run's
    process while dbt builds (defs/dbt.py); a check that asks before it is ready waits for that
    one context, and a check run on its own makes it then."""

    def validate(
        self, suite: SuiteFile, con: duckdb.DuckDBPyConnection
    ) -> tuple[dict[str, Any], int, dict[str, Any]]:
        return validate_in_warehouse(suite, con)


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


def dbt_for_runs() -> str:
    """What runs start as dbt: the launcher that makes dbt die with its run and gives it the
    run's warehouse (stv-dbt, operations/dbt_launcher.py), installed with the package."""
    launcher = Path(sys.executable).with_name("stv-dbt")
    if not launcher.exists():
        raise FileNotFoundError(
            f"{launcher} is missing: install the package (`make install`), whose stv-dbt starts "
            "dbt for the runs"
        )
    return str(launcher)


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


def build_resources(settings: Settings, project: DbtProject) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(database=str(settings.warehouse)),
        "delivery": DeliveryResource(exports=str(settings.exports)),
        "great_expectations": GreatExpectationsResource(),
        "dbt": StvDbtCliResource(
            project_dir=project,
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=dbt_for_runs(),
            # the launcher's options, which come right after the executable: the run's paths
            # reach dbt in its own environment, never through this process's
            global_config_flags=launcher_options(settings),
        ),
    }

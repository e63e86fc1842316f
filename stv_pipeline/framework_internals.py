"""The one module that reaches into Dagster's and dagster-dbt's private code.

Each class below replaces private members of an upstream class, for a cost a run pays every
time. Private members change without notice, so every one of them is listed in OVERRIDES with
the fingerprint of the upstream source it was written against (CHECKED_AGAINST), and
tests/unit/test_framework_internals.py fails as soon as an upgrade changes one: re-read the
upstream code, adapt the override (or drop it), and record the new fingerprint. No other module
imports `dagster._core` or overrides a private member (the same test looks).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import dagster as dg
import sqlalchemy as db
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._serdes import ConfigurableClassData
from dagster_dbt import DbtCliResource
from sqlalchemy.engine import Connection, Engine

CHECKED_AGAINST = {"dagster": "1.13.27", "dagster-dbt": "0.29.27"}


@dataclass(frozen=True)
class Override:
    """A private upstream member this module replaces or relies on."""

    upstream: str  # "module:Class.member"
    fingerprint: str  # the first 16 hex digits of the sha256 of its source
    replaced_by: str  # "Class.member" here, or "" where it is only relied on
    why: str
    # (upstream "module:Class.member", text): where upstream calls what is overridden
    called_in: tuple[tuple[str, str], ...] = ()


OVERRIDES = (
    Override(
        upstream="dagster_dbt:DbtCliResource._cli_version",
        fingerprint="b06b86a642ba8bcd",
        replaced_by="StvDbtCliResource._cli_version",
        why="runs `dbt --version` (a Python start) in every run to learn the version of the "
        "dbt-core installed beside this Python, which the package tells at once",
        called_in=(("dagster_dbt:DbtCliResource.cli", "self._cli_version"),),
    ),
    Override(
        upstream="dagster_dbt:DbtCliResource._initialize_dbt_core_adapter",
        fingerprint="f033303d9d777bff",
        replaced_by="StvDbtCliResource._initialize_dbt_core_adapter",
        why="opens a dbt adapter in the run's process (dbt's adapter and profile loaded, a "
        "second or more per run) only for fetch_row_counts and fetch_column_metadata, which "
        "this project does not call",
        called_in=(("dagster_dbt:DbtCliResource.cli", "self._initialize_dbt_core_adapter(args)"),),
    ),
    Override(
        upstream="dagster._core.storage.event_log:SqliteEventLogStorage._connect",
        fingerprint="b8435f2665689760",
        replaced_by="KeptConnectionsEventLogStorage._connect",
        why="creates and disposes of a database engine for every event a run stores (~700 a "
        "run), and syncs the file to disk at every commit",
    ),
    Override(
        upstream="dagster._core.storage.event_log:SqliteEventLogStorage._initdb",
        fingerprint="7a302d98eb61a34d",
        replaced_by="",
        why="creates a file's tables; KeptConnectionsEventLogStorage._connect calls it on a "
        "kept engine as the upstream _connect does on a new one",
    ),
    Override(
        upstream="dagster._core.instance.ref:InstanceRef.from_dir",
        fingerprint="62b86881bff8b1c3",
        replaced_by="",
        why="takes an instance_class's config_defaults(base_dir) for the storages "
        "(KeptConnectionsInstance.config_defaults), the composite storage included",
        called_in=(
            (
                "dagster._core.instance.ref:InstanceRef.from_dir",
                "custom_instance_class.config_defaults(base_dir)",
            ),
        ),
    ),
    Override(
        upstream="dagster._core.storage.legacy_storage:CompositeStorage.from_config_value",
        fingerprint="145b90ba031d529a",
        replaced_by="",
        why="reads the module_name, class_name and config_yaml of each storage that "
        "KeptConnectionsInstance.config_defaults writes",
    ),
    Override(
        upstream="dagster._core.storage.event_log:SqliteEventLogStorage.__init__",
        fingerprint="264c15baa761a7bb",
        replaced_by="",
        why="sets the _db_lock and _initialized_dbs that KeptConnectionsEventLogStorage._connect "
        "uses as the upstream _connect does",
    ),
)


class StvDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, without what it does in this process before each `dbt build`
    and this project does not use (OVERRIDES)."""

    @cached_property
    def _cli_version(self):
        # the executable of the runs is the dbt-core installed beside this Python (or the
        # launcher that becomes it): its version is the package's
        from dbt.version import __version__
        from packaging import version

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args):
        # None: no adapter in this process; defs/dbt.py counts rows itself once dbt has
        # finished, when the warehouse is free
        return None


# The event log (dagster.yaml's `instance_class`).
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Run files with a kept connection, besides the index: a run stores its events in its own file,
# so a few suffice for the runs in progress, while a long-lived process (the UI, the daemon)
# that reads many runs' events does not keep a file open for each of them.
KEPT_RUN_FILES = 8


def _relaxed_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with one engine per file, its connection kept between events:
    the index's for the life of the storage, those of the KEPT_RUN_FILES runs used last.

    The default opens a new engine and connection for every event it stores (to the run's file,
    another to the index of asset events, more for asset checks and status changes); a run
    stores ~700 events, ~190 of them at its creation. Commits here use SQLite's
    `synchronous=NORMAL`, which keeps every file consistent after a crash of the process or the
    machine (a power cut may lose the last events written, never corrupt the log). The files,
    their schema and what is stored and read are Dagster's own."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = db.create_engine(
            self.conn_string_for_shard(shard),
            # one connection per file, used under the storage's lock by any thread
            poolclass=db.pool.StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        db.event.listen(engine, "connect", _relaxed_sync)
        self._engines[shard] = engine
        runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
        for oldest in runs[: max(0, len(runs) - KEPT_RUN_FILES)]:
            self._engines.pop(oldest).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def kept_files(self) -> list[str]:
        """The files with a kept connection, the one used last at the end."""
        return list(self._engines)

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def _class_data(cls: type, config: Mapping[str, object]) -> ConfigurableClassData:
    return ConfigurableClassData(cls.__module__, cls.__name__, yaml.dump(dict(config)))


class KeptConnectionsInstance(dg.DagsterInstance):
    """Dagster's instance, its defaults but for the event log: KeptConnectionsEventLogStorage in
    <instance folder>/history/runs (dagster.yaml's `instance_class`), where Dagster's default
    keeps it. The storage is the instance's, not a process's: in the folder the instance is
    opened from (DAGSTER_HOME, a path given to `DagsterInstance.from_config`, a launched run's
    instance reference); an environment variable in the storage's configuration would make a
    process whose DAGSTER_HOME names another folder read and write that folder's events."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        event_log = _class_data(
            KeptConnectionsEventLogStorage, {"base_dir": os.path.join(base_dir, "history", "runs")}
        )
        parts = {
            "run_storage": defaults["run_storage"],
            "event_log_storage": event_log,
            "schedule_storage": defaults["schedule_storage"],
        }
        defaults["event_log_storage"] = event_log
        defaults["storage"] = ConfigurableClassData(
            "dagster._core.storage.legacy_storage",
            "CompositeStorage",
            yaml.dump(
                {
                    name: {
                        "module_name": data.module_name,
                        "class_name": data.class_name,
                        "config_yaml": data.config_yaml,
                    }
                    for name, data in parts.items()
                }
            ),
        )
        return defaults

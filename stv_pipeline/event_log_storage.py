"""Dagster's SQLite event log, writing each event over kept connections (dagster.yaml names it).

Dagster's own SQLite event log opens a new database engine and connection for every event it
stores (one to the run's file, another to the index of asset events, more for asset checks and
status changes) and syncs the file to disk at every commit. A run of this project stores some
700 events (a planned and a stored evaluation for each of the ~140 checks, each asset's
materialisation, the steps'), and run creation writes ~190 of them before the first step: most
of that time was opening connections and waiting for the disk. This storage keeps an engine per
database file and commits in SQLite's WAL mode with `synchronous=NORMAL`, which keeps every file
consistent after a crash of the process or the machine (a power cut may lose the last events
written, never corrupt the log).

The storage is the instance's, not a process's: `dagster.yaml` names the instance class below,
which puts the event log in the folder the instance is opened from (DAGSTER_HOME, a path given
to `DagsterInstance.from_config`, a launched run's instance reference), where Dagster's default
keeps it. An environment variable in its configuration would make a process whose DAGSTER_HOME
names another folder read and write that folder's events.

Everything else - the files, their schema, what is stored and read - is Dagster's own.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as db
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

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
    """SqliteEventLogStorage with one engine per file, its connection kept between events: the
    index's for the life of the storage, those of the KEPT_RUN_FILES runs used last."""

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
    <instance folder>/history/runs (dagster.yaml's `instance_class`)."""

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

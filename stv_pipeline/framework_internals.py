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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as db
from dagster import StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
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


def _relaxed_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


SQLITE_BUSY_TIMEOUT_SECONDS = 30


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (dagster.yaml names it), each database's engine and connection
    kept for the life of the process.

    The default opens a new engine and connection for every event it stores (to the run's file,
    another to the index of asset events, more for asset checks and status changes), and run
    creation alone writes ~190 events before the first step. Commits here use SQLite's
    `synchronous=NORMAL`, which keeps every file consistent after a crash of the process or the
    machine (a power cut may lose the last events written, never corrupt the log). The files,
    their schema and what is stored and read are Dagster's own, in Dagster's place
    (`$DAGSTER_HOME/history/runs`): configured with the instance's folder
    (`dagster_home: {env: DAGSTER_HOME}`)."""

    def __init__(self, dagster_home: str, inst_data=None):
        self._engines: dict[str, Engine] = {}
        super().__init__(os.path.join(dagster_home, "history", "runs"), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                # one connection per shard, used under the storage's lock by any thread
                poolclass=db.pool.StaticPool,
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                    "check_same_thread": False,
                },
            )
            db.event.listen(engine, "connect", _relaxed_sync)
            self._engines[shard] = engine
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

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

"""Dagster's SQLite event log, writing each event over kept connections (dagster.yaml names it).

Dagster's own SQLite event log opens a new database engine and connection for every event it
stores (one to the run's file, another to the index of asset events, more for asset checks and
status changes) and syncs the file to disk at every commit. A run of this project stores some
700 events (a planned and a stored evaluation for each of the ~140 checks, each asset's
materialisation, the steps'), and run creation writes ~190 of them before the first step: most
of that time was opening connections and waiting for the disk. This storage keeps one engine per
database file for the life of the process and commits in SQLite's WAL mode with
`synchronous=NORMAL`, which keeps every file consistent after a crash of the process or the
machine (a power cut may lose the last events written, never corrupt the log).

Everything else - the files, their schema, what is stored and read - is Dagster's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster import StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _relaxed_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with one engine per shard, its connection kept between events.

    Configured with the instance's folder (`dagster_home: {env: DAGSTER_HOME}`), whose
    history/runs/ holds the event log as it does for Dagster's default storage."""

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

"""The warehouse file on dbt's DuckDB connection: a dbt-duckdb plugin, named in dbt/profiles.yml.

dbt keeps its parse of the project between runs only while the connection settings of its
profile are unchanged (it hashes them: path, database, attach, settings, plugins ...). Were the
warehouse path one of them, every run on a new path (a test, a benchmark, a fresh deployment)
would parse the whole project again. So the profile names a fixed in-memory database and a fixed
plugin, and the plugin attaches the warehouse of this run when dbt connects, under the name every
model is built in: STV_WAREHOUSE in dbt's environment, which the run's launcher (stv-dbt) sets
from the run's settings.

Imported by dbt's process only: it imports nothing of Dagster.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from stv_pipeline.settings import Settings

# The database name the profile gives dbt (profiles.yml `database`): the models' relations are
# "stv"."<schema>"."<table>" whatever the warehouse file is called.
WAREHOUSE_ALIAS = "stv"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        warehouse = Settings.from_env().warehouse
        conn.execute(f"attach if not exists {_literal(str(warehouse))} as {WAREHOUSE_ALIAS}")
        # Spill beside the warehouse, as DuckDB does for a database file it opens itself (an
        # in-memory database would spill into the working directory, dbt/).
        conn.execute(f"set temp_directory = {_literal(str(warehouse) + '.tmp')}")

    def configure_cursor(self, cursor) -> None:
        # Unqualified names in the macros (raw.file_log, say) mean the warehouse.
        cursor.execute(f"use {WAREHOUSE_ALIAS}")

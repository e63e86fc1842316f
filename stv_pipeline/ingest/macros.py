"""The loaders' SQL lives in `.sql` templates beside this module (sql/), rendered with Jinja.

`define_macros` defines the DuckDB macros of sql/macros.sql (the parsers the contracts name and
the rules dbt applies too) on a connection, before a file is parsed on it; `render` fills in
any other template (sql/problems.sql), whose filters `ident` and `literal` quote a name or a
text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from stv_pipeline.settings import DBT_PROJECT_DIR

SQL_FOLDER = Path(__file__).with_name("sql")
# The rules the models apply to the loaded rows again, written once as dbt macros.
SHARED_RULES = DBT_PROJECT_DIR / "macros" / "shared_rules.sql"
# Defined after the others: a connection that has it has them all.
DEFINED = "loader_macros_defined"


def seed(name: str) -> str:
    """SQL reading one reference seed CSV of the dbt project (dbt/seeds/<name>.csv) directly:
    the loaders check codes against the same file dbt loads into reference.<name>, so ingestion
    does not wait for a dbt build of the seeds."""
    path = str(DBT_PROJECT_DIR / "seeds" / f"{name}.csv").replace("'", "''")
    return f"read_csv('{path}', header = true)"


@cache
def _templates() -> jinja2.Environment:
    # StrictUndefined: a template naming what it is not given fails, never renders it empty
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SQL_FOLDER),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters.update(ident=identifier, literal=literal)
    return environment


def identifier(name: str) -> str:
    """A name as a quoted SQL identifier: `Område` -> `"Område"`."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A text as an SQL string literal: `it's` -> `'it''s'`."""
    return "'" + text.replace("'", "''") + "'"


def render(template: str, **context: Any) -> str:
    return _templates().get_template(template).render(**context)


@cache
def shared_rules() -> Any:
    """dbt/macros/shared_rules.sql as Jinja macros (`shared_rules().week_month('d')`): that file
    needs no dbt context, so plain Jinja renders what dbt renders."""
    return _templates().from_string(SHARED_RULES.read_text("utf-8")).module


@cache
def macro_definitions() -> str:
    return render("macros.sql", shared=shared_rules(), seed=seed)


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the loaders' temporary macros on `con`, unless they are there: defining them
    takes tens of milliseconds, and a connection loads many files. Outside a transaction: a
    rolled-back one would take them with it."""
    try:
        con.execute(f"select {DEFINED}()")
    except duckdb.CatalogException:
        con.execute(macro_definitions() + f"\ncreate temp macro {DEFINED}() as true;\n")

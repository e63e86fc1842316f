"""Load the Great Expectations suites kept as JSON in expectations/ and validate a table with one.

A suite file is GX's own suite JSON; its `meta` names the asset it checks (`asset`, a
slash-separated asset key) and the default severity (`ERROR` blocks the STAR exports, `WARN`
only shows). An expectation may override the severity in its own `meta`. Optional: `query`,
the SQL selecting the rows to validate (default: the whole table), and `example_columns`,
the columns that identify a failing row in the check's metadata.

Thresholds live once, in the evaluation settings seed (DESIGN §3.6): an expectation's kwarg
written `{"$setting": "<column>"}` (optionally with `"times": <factor>`, e.g. -1 for a lower
bound) takes its value from that column of the settings table the marts were built with.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import duckdb

SETTINGS_TABLE = "reference.evaluation_settings"
SETTING_KEY = "$setting"


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    name: str
    asset: str
    severity: str
    description: str
    body: dict[str, Any]
    query: str
    example_columns: tuple[str, ...] = ()
    # what a failure means in Danish, for STAR's report (meta title_da, description_da; the
    # latter may name settings in braces: "{revision_threshold}")
    title_da: str = ""
    description_da: str = ""


def read_suite(path: Path) -> SuiteFile:
    body = json.loads(path.read_text("utf-8"))
    meta = body.get("meta", {})
    for key in ("asset", "severity"):
        if key not in meta:
            raise ValueError(f"{path}: suite meta must name '{key}'")
    if meta["severity"] not in ("ERROR", "WARN"):
        raise ValueError(f"{path}: severity must be ERROR or WARN, not {meta['severity']!r}")
    schema, table = meta["asset"].split("/")
    return SuiteFile(
        path=path,
        name=body["name"],
        asset=meta["asset"],
        severity=meta["severity"],
        description=meta.get("description", body["name"]),
        body=body,
        query=meta.get("query", f"select * from {schema}.{table}"),
        example_columns=tuple(meta.get("example_columns", ())),
        title_da=meta.get("title_da", ""),
        description_da=meta.get("description_da", ""),
    )


def discover_suites(folder: Path) -> list[SuiteFile]:
    return [read_suite(p) for p in sorted(folder.glob("*.json"))]


_context_made = threading.Lock()


def import_gx() -> Any:
    """Great Expectations, without Spark. GX looks for pyspark when it is imported, and with
    pyspark installed (the `spark` extra) that imports Spark Connect, whose import ends a
    process whose `__main__` has no file, such as the worker of a run the daemon launched.
    The suites validate pandas frames; Spark runs only in dbt's own process (STV_ENGINE=spark).
    So here, unless something has imported it already, pyspark counts as not installed."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    sys.modules.setdefault("pyspark", None)
    import great_expectations

    return great_expectations


@functools.cache
def _gx_context() -> Any:
    """The one GX context of this process, with a pandas data source: importing GX and making a
    context cost seconds, so every suite of a run validates in the same one."""
    gx = import_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    context.data_sources.add_pandas("stv")
    return context


def gx_context() -> Any:
    """The context, made once even when prepare_gx_context's thread is making it meanwhile."""
    with _context_made:
        return _gx_context()


def prepare_gx_context() -> None:
    """Start making the GX context in a thread of this process, for the checks that run later
    in it: importing GX is seconds of Python that overlap a step this process only waits on
    (dbt's build, in a process of its own)."""
    threading.Thread(target=gx_context, name="prepare-gx-context", daemon=True).start()


def validate_frame(suite: SuiteFile, frame: pd.DataFrame) -> dict[str, Any]:
    """Validate `frame` with the suite in the process's GX context; return GX's result as JSON."""
    gx = import_gx()
    context = gx_context()
    source = context.data_sources.get("stv")
    # One data asset per suite, registered on its first validation in this process.
    if suite.name in source.get_asset_names():
        batch_definition = source.get_asset(suite.name).get_batch_definition("whole_table")
    else:
        batch_definition = source.add_dataframe_asset(
            name=suite.name
        ).add_batch_definition_whole_dataframe("whole_table")
    gx_suite = context.suites.add_or_update(
        gx.ExpectationSuite(name=suite.name, expectations=suite.body["expectations"])
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if suite.example_columns:
        result_format["unexpected_index_column_names"] = list(suite.example_columns)
    return batch.validate(gx_suite, result_format=result_format).to_json_dict()


def resolve_settings(value: Any, settings: dict[str, Any]) -> Any:
    """`value` (a suite body or any part of it) with every `{"$setting": name}` replaced by the
    setting's value (times the optional `times` factor). An unknown name is an error naming
    the known ones, so a typo in a suite cannot silently drop a threshold."""
    if isinstance(value, dict):
        if SETTING_KEY in value:
            name = value[SETTING_KEY]
            if name not in settings:
                known = ", ".join(sorted(settings))
                raise KeyError(
                    f"suite refers to setting {name!r}, not in {SETTINGS_TABLE} ({known})"
                )
            return settings[name] * value.get("times", 1)
        return {k: resolve_settings(v, settings) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_settings(v, settings) for v in value]
    return value


def read_settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The one row of the evaluation settings seed as the warehouse holds it."""
    cursor = con.execute(f"select * from {SETTINGS_TABLE}")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if len(rows) != 1:
        raise ValueError(f"{SETTINGS_TABLE} must hold exactly one row, not {len(rows)}")
    return dict(zip(names, rows[0], strict=True))


def with_settings(suite: SuiteFile, settings: dict[str, Any]) -> SuiteFile:
    """The suite with its `$setting` thresholds filled in from `settings`."""
    return replace(suite, body=resolve_settings(suite.body, settings))


def validate_in_warehouse(
    suite: SuiteFile, con: duckdb.DuckDBPyConnection
) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """Run the suite's query in the warehouse and validate its rows with the suite, thresholds
    read from the settings the marts were built with; GX's result, the rows validated and the
    settings."""
    # In a fixed order, so the failing rows a check shows as examples do not depend on how
    # the engine that built the table stored it (DuckDB or Spark's Parquet, DESIGN §7).
    frame = con.execute(f"select * from ({suite.query}) order by all").df()
    settings = read_settings(con)
    return validate_frame(with_settings(suite, settings), frame), len(frame), settings


def setting_text(value: Any) -> str:
    """A setting as a Danish text quotes it: a share as a percent ('10 %'), a number as is."""
    if isinstance(value, float) and 0 < abs(value) < 1:
        percent = round(value * 100, 1)
        return f"{percent:g} %".replace(".", ",")
    return str(value)


def danish_texts(suite: SuiteFile, settings: dict[str, Any]) -> dict[str, str]:
    """The suite's Danish title and description, its settings filled in, for the report."""
    return {
        "title_da": suite.title_da,
        "description_da": suite.description_da.format(
            **{name: setting_text(value) for name, value in settings.items()}
        ),
    }


def municipality_names(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """The municipalities' names (seed municipalities), to name a failing row's municipality;
    none before the seeds are built."""
    try:
        return dict(
            con.execute(
                "select municipality_code, municipality_name from reference.municipalities"
            ).fetchall()
        )
    except Exception:  # noqa: BLE001 - no seed yet: the codes alone
        return {}


def seed_settings() -> dict[str, Any]:
    """The evaluation settings as the seed file holds them, for texts made before a run (the
    UI's check descriptions); a check uses the warehouse's (read_settings)."""
    import csv

    from stv_pipeline.settings import DBT_PROJECT_DIR

    with (DBT_PROJECT_DIR / "seeds" / "evaluation_settings.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    return {k: float(v) if "." in v else int(v) for k, v in row.items()}

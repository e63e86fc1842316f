"""The same job on DuckDB and on Apache Spark (STV_ENGINE=spark) gives equal marts and exports.

`make test-spark` runs this (it installs the `spark` extra and a JVM); the normal `make test`
leaves it out (marker `spark`), and it is skipped where pyspark or Java is missing. Both runs
load the shipped sample through the same `stv run`, so everything but the engine is shared.
"""

from __future__ import annotations

import json
import shutil
import time

import duckdb
import pytest

from stv_pipeline.cli import main
from stv_pipeline.defs.engine import spark_tables
from stv_pipeline.settings import ENV_ENGINE, ENV_SPARK_DIR, SAMPLE_DIR
from tests.spark.mart_diff import table_differences

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a JVM (Java 17)"),
]

ENGINES = ("duckdb", "spark")
# what differs between two runs by nature, whatever the engine (and every `*_seconds` timing):
# dbt's test outcomes carry its invocation id and durations in their metadata
RUN_IDENTITY = {
    "run_id",
    "created_at",
    "code_version",
    "loaded_at",
    "invocation_id",
    "Execution Duration",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, monkeypatch_module, pytestconfig):
    root = tmp_path_factory.mktemp("engines")
    monkeypatch_module.setenv(ENV_SPARK_DIR, str(root / "spark_run_folder"))
    durations = {}
    for engine in ENGINES:
        inbox = root / engine / "inbox"
        shutil.copytree(SAMPLE_DIR, inbox)
        monkeypatch_module.setenv(ENV_ENGINE, engine)
        started = time.monotonic()
        code = main(
            [
                "run",
                "--inbox",
                str(inbox),
                "--warehouse",
                str(root / engine / "stv.duckdb"),
                "--exports",
                str(root / engine / "exports"),
            ]
        )
        durations[engine] = time.monotonic() - started
        assert code == 0, f"the {engine} run failed"
    with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\nstv run times: {', '.join(f'{e} {s:.0f} s' for e, s in durations.items())}")
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
    ]


def test_every_mart_is_equal_on_both_engines(runs):
    con = duckdb.connect()
    con.execute(f"attach '{runs / 'duckdb' / 'stv.duckdb'}' as duck (read_only)")
    built_on_spark = spark_tables(runs / "spark_run_folder" / "warehouse")
    with duckdb.connect(str(runs / "duckdb" / "stv.duckdb"), read_only=True) as duck:
        marts = _mart_names(duck)
        # two empty builds would be equal: the sample fills every mart
        empty = [
            m for m in marts if not duck.execute(f"select count(*) from marts.{m}").fetchone()[0]
        ]
    assert len(marts) >= 9 and empty == []
    assert sorted(t for s, t in built_on_spark if s == "marts") == marts
    differences = {
        mart: table_differences(
            con, f"duck.marts.{mart}", f"read_parquet('{built_on_spark[('marts', mart)]}')"
        )
        for mart in marts
    }
    assert {mart: d[:5] for mart, d in differences.items() if d} == {}


def test_the_exports_are_the_same_files_with_the_same_content(runs):
    folders = {e: next((runs / e / "exports").iterdir()) for e in ENGINES}
    names = {e: sorted(p.name for p in folders[e].iterdir()) for e in ENGINES}
    assert names["duckdb"] == names["spark"]
    con = duckdb.connect()
    for name in names["duckdb"]:
        duck, spark = folders["duckdb"] / name, folders["spark"] / name
        if name.endswith(".parquet"):
            assert table_differences(con, f"'{duck}'", f"'{spark}'") == [], name
        elif name.endswith(".csv"):
            # the STAR CSVs are Danish: semicolons, decimal commas
            read = "read_csv('{}', header = true, delim = ';', decimal_separator = ',')"
            assert table_differences(con, read.format(duck), read.format(spark)) == [], name
    assert _comparable(json.loads((folders["duckdb"] / "manifest.json").read_text())) == (
        _comparable(json.loads((folders["spark"] / "manifest.json").read_text()))
    )


def _comparable(value):
    """A manifest without what identifies the run, with its lists in one order."""
    if isinstance(value, dict):
        return {
            k: _comparable(v)
            for k, v in value.items()
            if k not in RUN_IDENTITY and not k.endswith("_seconds")
        }
    if isinstance(value, list):
        return sorted((_comparable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value

"""The same inputs give the same outputs to the last bit (issue 11): two fresh warehouses fed
the shipped sample write byte-identical Parquet exports and workbooks and hold identical marts.
Only the run id and the timestamps in manifest.json and the report differ."""

import shutil

import duckdb
import pytest

from stv_pipeline.settings import SAMPLE_DIR
from tests.helpers import run_stv

pytestmark = pytest.mark.integration


def test_two_runs_on_the_same_inbox_give_identical_exports_and_marts(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    runs = [tmp_path / "first", tmp_path / "second"]
    for folder in runs:
        shutil.copytree(SAMPLE_DIR, folder / "inbox")
        assert run_stv(folder) == 0

    (first_export,), (second_export,) = (list((f / "exports").iterdir()) for f in runs)
    parquet = sorted(p.name for p in first_export.glob("*.parquet"))
    assert len(parquet) >= 9
    assert parquet == sorted(p.name for p in second_export.glob("*.parquet"))
    differing = [
        name
        for name in parquet
        if (first_export / name).read_bytes() != (second_export / name).read_bytes()
    ]
    assert differing == []
    workbooks = [
        (export / "stv_tabeller.xlsx").read_bytes() for export in (first_export, second_export)
    ]
    assert workbooks[0] == workbooks[1]

    contents = []
    for folder in runs:
        with duckdb.connect(str(folder / "w.duckdb"), read_only=True) as con:
            tables = [
                name
                for (name,) in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_schema = 'marts' order by table_name"
                ).fetchall()
            ]
            contents.append(
                {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}
            )
    assert len(contents[0]) >= 9
    assert contents[0].keys() == contents[1].keys()
    assert [t for t in contents[0] if contents[0][t] != contents[1][t]] == []

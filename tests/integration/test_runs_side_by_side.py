"""Two `stv run`s at once in one new Dagster instance, on two warehouses with different deliveries
(issue 21): both succeed, neither waits for the other, and each export holds exactly its own
warehouse's tables, disclosure-controlled, and lists its own inputs. And an inbox whose every
file is rejected delivers nothing and exits 1."""

from __future__ import annotations

import json
import re
import sqlite3

import dagster as dg
import duckdb
import pytest

from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.delivery import read_disclosure_inputs
from stv_pipeline.exports.dictionary import exported_marts
from stv_pipeline.exports.disclosure import suppress_export
from stv_pipeline.exports.manifest import input_files
from stv_pipeline.exports.writers import write_parquet
from tests.helpers import INBOX_SMALL
from tests.processes import PROJECT, StvRun, place_with_inbox
from tests.spark.mart_diff import table_differences

pytestmark = pytest.mark.integration

NEWEST_BENEFITS = "benefits_2017-06-30.csv"
REJECTED = PROJECT / "tests/fixtures/bad_files/implementation_survey/survey__unknown_wave.csv"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("side_by_side")
    home = root / "new_dagster_home"  # no instance yet: both runs find none
    places = {
        "sample": place_with_inbox(root / "sample", INBOX_SMALL),
        "without_newest": place_with_inbox(root / "without", INBOX_SMALL, (NEWEST_BENEFITS,)),
    }
    runs = {name: StvRun(place, home) for name, place in places.items()}
    for run in runs.values():
        run.wait()
    return home, places, runs


def test_both_runs_succeed_in_a_new_instance_which_stays_whole(two_runs):
    home, _, runs = two_runs
    for run in runs.values():
        assert run.process.returncode == 0, run.output
        assert "waits for" not in run.output
    # they ran at the same time
    spans = [(r.started, r.lines[-1][0]) for r in runs.values()]
    assert max(start for start, _ in spans) < min(end for _, end in spans)
    for db in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        with sqlite3.connect(home / db) as con:
            assert len(con.execute("select * from alembic_version").fetchall()) == 1, db
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = {r.run_id[:8]: r.status for r in instance.get_runs()}
    assert statuses == {r.run_id8: dg.DagsterRunStatus.SUCCESS for r in runs.values()}


def test_each_export_holds_its_own_warehouses_tables_and_inputs(two_runs, tmp_path):
    _, places, runs = two_runs
    exported = {}
    for name, place in places.items():
        [folder] = place.deliveries()
        assert folder == runs[name].delivery
        folder = place.exports / folder
        with duckdb.connect(str(place.warehouse), read_only=True) as con:
            frames, rules = read_disclosure_inputs(con)
            inputs = input_files(con)
        # a first delivery: decided as the run decided it, with no earlier one to keep to
        expected = suppress_export(frames, declarations(), rules)
        con = duckdb.connect()
        for table in exported_marts():
            own = tmp_path / f"{name}_{table}.parquet"
            write_parquet(expected.tables[table], own)
            assert table_differences(con, f"'{folder / table}.parquet'", f"'{own}'") == [], table
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["run_id"].startswith(runs[name].run_id8)
        assert manifest["inputs"] == inputs
        assert {t: m["rows"] for t, m in manifest["tables"].items()} == {
            t: len(expected.tables[t]) for t in exported_marts()
        }
        exported[name] = (manifest, frames)
    # the two deliveries differ, so each could only be its own
    files = {n: {i["file"] for i in m["inputs"]} for n, (m, _) in exported.items()}
    assert files["sample"] - files["without_newest"] == {NEWEST_BENEFITS}
    assert len(files["without_newest"]) == 7 and len(files["sample"]) == 8
    revisions = {n: len(f["registration_revisions"]) for n, (_, f) in exported.items()}
    assert revisions["sample"] > revisions["without_newest"] > 0


def test_an_inbox_whose_files_are_all_rejected_exits_1_writing_no_export(two_runs, tmp_path):
    home, _, _ = two_runs
    place = place_with_inbox(tmp_path / "rejected", INBOX_SMALL, ("*",))
    (place.inbox / "implementation_survey").mkdir()
    (place.inbox / "implementation_survey" / "survey.csv").write_bytes(REJECTED.read_bytes())
    run = StvRun(place, home)
    assert run.wait() == 1
    assert not place.exports.exists()
    said = " ".join(line.strip() for line in run.output.splitlines())
    assert (
        "ERROR something_to_deliver (raw/file_log): Nothing to deliver: the warehouse holds no "
        "rows of implementation_survey, jobindsats, municipal_monitoring, municipal_targets, "
        "register_benefits, register_earnings after ingestion - every file was rejected "
        "(implementation_survey/survey.csv; see the quarantine reports). No export folder is "
        "written."
    ) in said
    assert [line for line in run.output.splitlines()[2:] if len(line) >= 160] == []
    assert "blocking asset check failed" not in run.output  # said once, by the check
    assert run.output.splitlines()[-2].startswith(
        f"Run {run.run_id8} FAILED: no export written - the ERROR check(s) above failed"
    )
    assert "dbt:                0 of 36 models built" in run.output  # nothing was built


def test_each_warehouse_reads_only_the_register_files_beside_it(two_runs):
    """The runs kept their register snapshots in two folders, each beside its own warehouse,
    and each warehouse's views read its own folder's files and no others."""
    _, places, _ = two_runs
    kept = {}
    for name, place in places.items():
        own = place.warehouse.with_name(place.warehouse.name + ".registers")
        kept[name] = sorted(p.relative_to(own).as_posix() for p in own.glob("*/*"))
        with duckdb.connect(str(place.warehouse), read_only=True) as con:
            listed = con.execute(
                "select source || '/' || parquet_file from raw.register_files order by 1"
            ).fetchall()
            views = " ".join(
                sql
                for (sql,) in con.execute(
                    "select sql from duckdb_views() where schema_name = 'raw'"
                ).fetchall()
            )
        read = sorted(re.findall(r"read_parquet\('([^']+)'\)", views))
        assert read == [str(own / f) for f in kept[name]]
        assert [f for (f,) in listed] == kept[name]
    newest = {
        f for f in kept["sample"] if f.startswith(f"register_benefits/{NEWEST_BENEFITS[:-4]}.")
    }
    assert len(newest) == 1 and not newest & set(kept["without_newest"])
    assert len(kept["sample"]) == 4 and len(kept["without_newest"]) == 3

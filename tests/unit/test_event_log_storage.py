"""The event log with kept connections (dagster.yaml): Dagster's files in Dagster's place, read
back by Dagster's own storage."""

import shutil

import dagster as dg

from stv_pipeline.framework_internals import KeptConnectionsEventLogStorage, SqliteEventLogStorage
from stv_pipeline.settings import PROJECT_ROOT


@dg.asset
def benefit_weeks() -> int:
    return 3


@dg.asset_check(asset=benefit_weeks)
def benefit_weeks_counted() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_a_run_is_stored_where_dagsters_default_storage_keeps_and_reads_it(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, KeptConnectionsEventLogStorage)
        result = dg.materialize([benefit_weeks, benefit_weeks_counted], instance=instance)
        assert result.success
        written = [e.dagster_event_type for e in instance.all_logs(result.run_id)]
    assert (home / "history" / "runs" / f"{result.run_id}.db").is_file()
    default = SqliteEventLogStorage(str(home / "history" / "runs"))
    read = [e.dagster_event_type for e in default.get_logs_for_run(result.run_id)]
    assert read == written
    kinds = {kind.value for kind in read if kind is not None}
    assert {"ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION", "PIPELINE_SUCCESS"} <= kinds
    latest = default.get_latest_materialization_events([dg.AssetKey("benefit_weeks")])
    assert latest[dg.AssetKey("benefit_weeks")].run_id == result.run_id

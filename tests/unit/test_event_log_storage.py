"""The event log with kept connections (dagster.yaml): Dagster's files in the instance's own
folder, whichever folder DAGSTER_HOME names, read back by Dagster's own storage; a process
reading many runs keeps few files open."""

import shutil

import dagster as dg

from stv_pipeline.framework_internals import (
    KEPT_RUN_FILES,
    KeptConnectionsEventLogStorage,
    KeptConnectionsInstance,
    SqliteEventLogStorage,
)
from stv_pipeline.settings import PROJECT_ROOT


@dg.asset
def benefit_weeks() -> int:
    return 3


@dg.asset_check(asset=benefit_weeks)
def benefit_weeks_counted() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def instance_folder(path):
    path.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", path / "dagster.yaml")
    return path


def test_a_run_is_stored_where_dagsters_default_storage_keeps_and_reads_it(tmp_path, monkeypatch):
    home = instance_folder(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance, KeptConnectionsInstance)
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


def test_an_instance_opened_from_its_folder_keeps_its_events_there_whatever_dagster_home_says(
    tmp_path, monkeypatch
):
    """A test or a tool opening another instance than DAGSTER_HOME's (the project's, under
    `make`) reads and writes that instance's event log, not DAGSTER_HOME's."""
    home = instance_folder(tmp_path / "nightly_home")
    elsewhere = instance_folder(tmp_path / "project_home")
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([benefit_weeks], instance=instance)
        assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS
        ).records
    assert (home / "history" / "runs" / f"{result.run_id}.db").is_file()
    assert not (elsewhere / "history").exists()


def test_a_process_reading_many_runs_keeps_the_index_and_the_runs_used_last(tmp_path):
    storage = KeptConnectionsEventLogStorage(str(tmp_path / "runs"))
    runs = [f"run{i:02}" for i in range(KEPT_RUN_FILES + 4)]  # 12 runs, 8 kept
    with storage.index_connection():
        pass
    for run_id in runs:
        assert storage.get_logs_for_run(run_id) == []
    # the first run read again is opened anew and is the last used
    storage.get_logs_for_run("run00")
    assert storage.kept_files() == ["index", *runs[5:], "run00"]
    storage.dispose()
    assert storage.kept_files() == []

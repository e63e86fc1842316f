"""Operations: a locked warehouse is waited for, a failed step notifies, a run works on the inbox
it is given (a missing one is an error, an empty one rebuilds or has nothing to do)."""

import http.server
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from stv_pipeline.cli import main
from stv_pipeline.defs.alerts import notify_on_failure
from stv_pipeline.defs.ingest import ingest_assets
from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.inbox import (
    InboxMissing,
    MixedOrigins,
    Plan,
    origin_of,
    plan_run,
    warehouse_origins,
)
from stv_pipeline.ingest.loader import FILE_LOG_DDL
from stv_pipeline.operations.warehouse import WarehouseLocked, connect_waiting
from stv_pipeline.settings import SAMPLE_DIR, Settings

HOLD_DUCKDB = (
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
    "time.sleep(120)"
)


@pytest.fixture
def duckdb_held(tmp_path):
    """A warehouse whose DuckDB write lock another process holds, as an analyst's shell does."""
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "held\n"
    yield path, holder
    holder.kill()
    holder.wait()


def test_a_held_duckdb_lock_is_said_at_the_first_attempt_and_given_up_after_the_limit(
    duckdb_held,
):
    path, holder = duckdb_held
    said = []
    started = time.monotonic()
    with pytest.raises(WarehouseLocked) as locked:
        connect_waiting(
            str(path),
            say=lambda line: said.append((time.monotonic() - started, line)),
            limit_seconds=2,
            poll_seconds=0.2,
        )
    assert str(locked.value).startswith(f"Warehouse still locked by PID {holder.pid} (")
    assert str(locked.value).endswith(
        f"after 2 s of waiting: end that process (or wait for it) and run again ({path})"
    )
    [(at, line)] = said
    assert at < 1
    assert line.startswith(f"Warehouse locked by PID {holder.pid} (") and str(path) in line
    assert 2 <= time.monotonic() - started < 5


def test_a_wait_for_duckdb_ends_when_the_holder_lets_go(duckdb_held):
    path, holder = duckdb_held
    threading.Timer(1.0, holder.kill).start()
    said = []
    con = connect_waiting(str(path), say=said.append, limit_seconds=60, poll_seconds=0.2)
    assert con.execute("select 42").fetchone() == (42,)
    con.close()
    assert len(said) == 1


def test_other_io_errors_are_not_waited_for(tmp_path):
    with pytest.raises(duckdb.IOException, match="No such file"):
        connect_waiting(str(tmp_path / "nowhere" / "w.duckdb"), limit_seconds=60)


def test_a_failed_step_posts_to_the_webhook():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()

    @dg.op
    def load_register():
        raise ValueError("the inbox is on fire")

    @dg.job(hooks={notify_on_failure})
    def failing():
        load_register()

    settings = Settings.from_env({"STV_ALERT_WEBHOOK": f"http://127.0.0.1:{server.server_port}"})
    result = failing.execute_in_process(resources={"settings": settings}, raise_on_error=False)
    thread.join(timeout=5)
    server.server_close()
    assert not result.success
    [alert] = received
    assert alert["step"] == "load_register" and "the inbox is on fire" in alert["text"]
    assert alert["run_id"] == result.run_id


# --- What a run works on (DESIGN §5): the inbox named, never the sample as a fallback ---


@pytest.fixture
def clean_env(monkeypatch):
    """`stv run` writes its overrides into the environment: undo them after each test."""
    for var in ("STV_WAREHOUSE", "STV_INBOX", "STV_EXPORTS", "DAGSTER_HOME"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)


def stv_run(tmp_path: Path, inbox: Path) -> int:
    return main(
        [
            "run",
            "--inbox",
            str(inbox),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--exports",
            str(tmp_path / "exports"),
        ]
    )


def test_a_missing_inbox_is_an_error_naming_it_before_anything_runs(tmp_path, capsys, clean_env):
    missing = tmp_path / "nonexistent"
    assert stv_run(tmp_path, missing) == 2
    captured = capsys.readouterr()
    assert f"the inbox folder {missing} does not exist" in captured.err
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no warehouse, no exports


def test_an_empty_inbox_and_an_empty_warehouse_is_nothing_to_do(tmp_path, capsys, clean_env):
    inbox = tmp_path / "inbox"
    (inbox / "register_benefits").mkdir(parents=True)
    assert stv_run(tmp_path, inbox) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Nothing to do: the inbox {inbox} holds no files")
    assert "Nothing was loaded or exported" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox"]


def test_the_plan_follows_the_inbox_and_what_the_warehouse_holds(tmp_path):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    with pytest.raises(InboxMissing, match=f"the inbox folder {inbox} does not exist"):
        plan_run(inbox, warehouse)
    (inbox / "municipal_monitoring").mkdir(parents=True)
    (inbox / "municipal_monitoring" / ".hidden").write_text("not a delivery")
    (inbox / "unknown_source").mkdir()
    (inbox / "unknown_source" / "x.csv").write_text("not a source of DESIGN §2")
    assert plan_run(inbox, warehouse) is Plan.NOTHING_TO_DO and not warehouse.exists()

    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        con.execute(FILE_LOG_DDL)
    assert plan_run(inbox, warehouse) is Plan.NOTHING_TO_DO  # a log, but nothing in it
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.file_log values ('stv_participants', 'p.csv', 'abc', 'inbox', 2, "
            "null, now(), now())"
        )
    assert plan_run(inbox, warehouse) is Plan.NOTHING_TO_DO  # only a replaced file
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.file_log values ('stv_participants', 'p.csv', 'def', 'inbox', 1, "
            "null, now(), null)"
        )
    assert plan_run(inbox, warehouse) is Plan.REBUILD
    assert warehouse_origins(warehouse) == {"inbox": 1}

    (inbox / "municipal_monitoring" / "monitoring.csv").write_text("kommunekode\n")
    assert plan_run(inbox, warehouse) is Plan.LOAD


def sample_loaded_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(FILE_LOG_DDL)
        con.execute(
            "insert into raw.file_log values ('stv_participants', 'participants.csv', 'abc', "
            "'sample', 10, null, now(), null)"
        )
    return path


def test_deliveries_are_never_mixed_into_a_warehouse_holding_the_sample(tmp_path):
    warehouse = sample_loaded_warehouse(tmp_path / "w.duckdb")
    inbox = tmp_path / "inbox"
    (inbox / "stv_participants").mkdir(parents=True)
    assert plan_run(inbox, warehouse) is Plan.REBUILD  # nothing to mix: rebuild the sample
    assert plan_run(SAMPLE_DIR, warehouse) is Plan.LOAD  # the sample again: unchanged files
    (inbox / "stv_participants" / "participants.csv").write_text("kommunekode\n450\n")
    with pytest.raises(MixedOrigins, match=f"the warehouse {warehouse} holds the shipped sample"):
        plan_run(inbox, warehouse)


def test_the_sample_is_never_mixed_into_a_warehouse_of_deliveries(tmp_path, capsys, clean_env):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        con.execute(FILE_LOG_DDL)
        con.execute(
            "insert into raw.file_log values ('stv_participants', 'p.csv', 'abc', 'inbox', 2, "
            "null, now(), null)"
        )
    assert stv_run(tmp_path, SAMPLE_DIR) == 2
    err = capsys.readouterr().err
    assert f"the warehouse {warehouse} holds real deliveries; loading the shipped sample" in err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.file_log").fetchone()[0] == 1
    assert not (tmp_path / "exports").exists()


def test_origin_is_sample_only_for_the_shipped_sample_folder(tmp_path):
    assert origin_of(SAMPLE_DIR) == "sample"
    assert origin_of(SAMPLE_DIR / ".." / "sample") == "sample"
    assert origin_of(tmp_path) == "inbox"
    assert origin_of(SAMPLE_DIR / "register_benefits") == "inbox"  # not an inbox root


def test_an_inbox_holding_only_a_rejected_file_loads_nothing_else(reference_con, tmp_path):
    """The loaders of the sources after the rejected one see an empty inbox: they load
    nothing (once they loaded the shipped sample)."""
    reference_con.close()
    inbox = tmp_path / "inbox"
    bad = inbox / "implementation_survey" / "survey.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("respondent_id,municipality_code,wave,role,item,score\nR1,450,x,leder,1A,3\n")
    settings = Settings.from_env(
        {"STV_INBOX": str(inbox), "STV_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
    )
    result = dg.materialize(
        ingest_assets()[:-1],
        resources={
            "warehouse": DuckDBResource(database=str(settings.warehouse)),
            "settings": settings,
        },
        raise_on_error=False,
    )
    assert result.success
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.file_log").fetchone()[0] == 0
        for source in CONTRACTS:
            assert con.execute(f"select count(*) from raw.{source}").fetchone()[0] == 0, source
    assert not bad.exists()
    assert (tmp_path / "quarantine" / "implementation_survey" / "survey.csv").exists()


def test_the_ingest_step_refuses_to_mix_deliveries_into_the_sample(reference_con, tmp_path):
    reference_con.execute("create schema raw")
    reference_con.execute(FILE_LOG_DDL)
    reference_con.execute(
        "insert into raw.file_log values ('stv_participants', 'participants.csv', 'abc', "
        "'sample', 10, null, now(), null)"
    )
    reference_con.close()
    inbox = tmp_path / "inbox"
    (inbox / "stv_participants").mkdir(parents=True)
    (inbox / "stv_participants" / "p.csv").write_text("kommunekode\n450\n")
    settings = Settings.from_env(
        {"STV_INBOX": str(inbox), "STV_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
    )
    [participants] = [
        a for a in ingest_assets() if a.key == dg.AssetKey(["raw", "stv_participants"])
    ]
    result = dg.materialize(
        [participants],
        resources={
            "warehouse": DuckDBResource(database=str(settings.warehouse)),
            "settings": settings,
        },
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "holds the shipped sample; loading deliveries would mix the two" in str(
        failure.step_failure_data.error
    )
    # the failed step's traceback still holds its connection: open one of the same kind
    with DuckDBResource(database=str(settings.warehouse)).get_connection() as con:
        assert con.execute("select count(*) from raw.file_log").fetchone()[0] == 1
        assert con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall() == [("file_log",)]
    assert (inbox / "stv_participants" / "p.csv").exists()


def test_the_ingest_step_fails_naming_a_missing_inbox(reference_con, tmp_path):
    reference_con.close()
    settings = Settings.from_env(
        {"STV_INBOX": str(tmp_path / "gone"), "STV_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
    )
    [benefits] = [a for a in ingest_assets() if a.key == dg.AssetKey(["raw", "register_benefits"])]
    result = dg.materialize(
        [benefits],
        resources={
            "warehouse": DuckDBResource(database=str(settings.warehouse)),
            "settings": settings,
        },
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert f"the inbox folder {tmp_path / 'gone'} does not exist" in str(
        failure.step_failure_data.error
    )

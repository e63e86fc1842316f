"""Operations: a locked warehouse is retried, a failed step notifies."""

import http.server
import json
import threading

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from stv_pipeline.defs.alerts import notify_on_failure
from stv_pipeline.defs.resources import warehouse_connection
from stv_pipeline.settings import Settings


class LockedWarehouse(DuckDBResource):
    def get_connection(self):
        raise duckdb.IOException(
            'IO Error: Could not set lock on file "w.duckdb": Conflicting '
            "lock is held in /usr/bin/python3 (PID 42)"
        )


def test_a_held_file_lock_becomes_a_retry_of_the_step():
    with pytest.raises(dg.RetryRequested) as retry:
        with warehouse_connection(LockedWarehouse(database="w.duckdb")):
            pass
    assert retry.value.max_retries == 5 and retry.value.seconds_to_wait == 30


class BrokenWarehouse(DuckDBResource):
    def get_connection(self):
        raise duckdb.IOException('IO Error: Cannot open file "w.duckdb": No such file')


def test_other_io_errors_are_not_retried():
    with pytest.raises(duckdb.IOException, match="No such file"):
        with warehouse_connection(BrokenWarehouse(database="w.duckdb")):
            pass


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

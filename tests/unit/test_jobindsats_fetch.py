"""`stv fetch-jobindsats` against a local stand-in of the Jobindsats API v2 on 127.0.0.1."""

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stv_pipeline.cli import main
from stv_pipeline.ingest.jobindsats_api import (
    FetchFailed,
    TableQuery,
    fetch_to_inbox,
    split_values,
    token_from_env,
)

TOKEN = "abc123-raw-token"
CSV_REPLY = (
    "\ufeffArea;Periode;Visitationskategori;Antal personer\n"
    "Nyborg;2017M03;Aktivitetsparat;41\nNyborg;2017M02;Aktivitetsparat;39\n"
).encode()
JSON_REPLY = json.dumps(
    [
        {
            "Variables": [
                {"Name": "area", "Label": "Area"},
                {"Name": "period", "Label": "Periode"},
                {"Name": "y11a02_pers", "Label": "Antal personer"},
            ],
            "Data": [["Nyborg", "2017M03", "12"]],
        }
    ]
).encode()
WRONG_KEY = "Forkert nøgle eller nøglen er udløbet.".encode()
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Log ind</title></head><body></body></html>"


class FakeJobindsats(BaseHTTPRequestHandler):
    """Replies of the shapes the portal sends: a table when the raw token is right, else the
    wrong-key text (with 200, as the portal does, or 403); an HTML page and a JSON error."""

    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": json.loads(body)}
        )
        table = self.path.split("/")[3]
        if self.headers.get("Authorization") != TOKEN:
            status, reply = (403 if table == "Y36A02" else 200), WRONG_KEY
        elif table == "HTML":
            status, reply = 200, LOGIN_PAGE
        elif table == "NOPE":
            status, reply = 404, b'{"code": 404, "cause": "Tabellen NOPE findes ikke"}'
        else:
            status, reply = 200, CSV_REPLY if self.path.endswith("/csv") else JSON_REPLY
        self.send_response(status)
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def api(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeJobindsats)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeJobindsats.requests = []
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("JOBINDSATS_API_URL", url)
    monkeypatch.setenv("JOBINDSATS_TOKEN", TOKEN)
    yield url
    server.shutdown()
    server.server_close()


def fetch(tmp_path, *args: str) -> int:
    return main(["fetch-jobindsats", *args, "--inbox", str(tmp_path / "inbox")])


def inbox_files(tmp_path) -> list[str]:
    folder = tmp_path / "inbox" / "jobindsats"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_reply_is_written_byte_for_byte_under_the_dated_name(api, tmp_path, capsys):
    assert fetch(tmp_path, "y36a02", "--period", "2017M02,2017M03", "--area", "Nyborg") == 0
    name = f"Y36A02_{date.today().isoformat()}.csv"
    assert inbox_files(tmp_path) == [name]
    assert (tmp_path / "inbox/jobindsats" / name).read_bytes() == CSV_REPLY
    assert FakeJobindsats.requests == [
        {
            "path": "/v2/data/Y36A02/csv",
            "auth": TOKEN,  # the raw token, no "Bearer"
            "body": {"area": ["Nyborg"], "period": ["2017M02", "2017M03"]},
        }
    ]
    assert capsys.readouterr().out.strip() == f"written: {tmp_path / 'inbox/jobindsats' / name}"


def test_json_for_every_area_and_a_repeat_download_is_not_a_second_file(api, tmp_path):
    assert fetch(tmp_path, "Y11A02", "--period", "2017M03", "--format", "json") == 0
    assert fetch(tmp_path, "Y11A02", "--period", "2017M03", "--format", "json") == 0
    assert inbox_files(tmp_path) == [f"Y11A02_{date.today().isoformat()}.json"]
    assert [r["body"] for r in FakeJobindsats.requests] == [
        {"area": "*", "period": ["2017M03"]}
    ] * 2


@pytest.mark.parametrize(
    ("table", "token", "message"),
    [
        ("Y36A02", "wrong", "Jobindsats answered 403 Forbidden for Y36A02: Forkert nøgle"),
        ("Y11A02", "wrong", "not data: 'Forkert nøgle eller nøglen er udløbet.'"),
        ("HTML", TOKEN, "an HTML page (title 'Log ind'), not Jobindsats data"),
        ("NOPE", TOKEN, 'answered 404 Not Found for NOPE: {"code": 404, "cause": "Tabellen'),
    ],
)
def test_an_error_reply_is_reported_and_nothing_is_written(
    api, tmp_path, monkeypatch, capsys, table, token, message
):
    monkeypatch.setenv("JOBINDSATS_TOKEN", token)
    assert fetch(tmp_path, table, "--period", "2017M03") == 1
    err = capsys.readouterr().err
    assert message in err and err.rstrip().endswith("nothing was written to the inbox")
    assert inbox_files(tmp_path) == []


def test_another_query_of_the_same_day_gets_its_own_file(api, tmp_path):
    folder = tmp_path / "inbox" / "jobindsats"
    folder.mkdir(parents=True)
    (folder / "Y36A02_2019-04-15.csv").write_bytes(b"an earlier, different reply")
    query = TableQuery("Y36A02", ("2017M03",))
    path, new = fetch_to_inbox(query, tmp_path / "inbox", TOKEN, api, today=date(2019, 4, 15))
    assert (path.name, new) == ("Y36A02_2019-04-15_2.csv", True)
    assert path.read_bytes() == CSV_REPLY


def test_no_token_is_a_clear_error_before_any_request(api, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("JOBINDSATS_TOKEN")
    assert fetch(tmp_path, "Y36A02", "--period", "2017M03") == 1
    assert "JOBINDSATS_TOKEN is not set" in capsys.readouterr().err
    assert FakeJobindsats.requests == [] and inbox_files(tmp_path) == []
    with pytest.raises(FetchFailed):
        token_from_env({"JOBINDSATS_TOKEN": "  "})


def test_periods_and_areas_split_on_commas_and_repeat():
    assert split_values(["2017M01, 2017M02", "2017M03"]) == ("2017M01", "2017M02", "2017M03")
    assert split_values(None) == ()

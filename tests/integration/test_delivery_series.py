"""The shipped sample delivered as the registers really arrive, three deliveries into one
warehouse, attacked together as STAR (or anyone it passes them to) could (DESIGN §4).

1. the first benefits snapshot (2019-01-15) and the first earnings snapshot (2019-02-05);
2. the next earnings snapshot (2019-04-08);
3. the next benefits snapshot (2019-04-15), in four regional files.

The attack is tests/intruder.py, written apart from the pipeline's cell system and audit: it
reads the three folders' Parquet files only. Each delivery protected alone survived it before
the ledger, the three together did not (the closing note of issue 22 has the figures).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from stv_pipeline.cli import main
from stv_pipeline.exports.delivery import read_mart
from stv_pipeline.exports.dictionary import exported_marts
from stv_pipeline.exports.folders import exports
from stv_pipeline.settings import PROJECT_ROOT, SAMPLE_DIR
from tests.helpers import INBOX_SMALL, run_stv
from tests.intruder import Intruder, violated_relations

pytestmark = pytest.mark.integration

WINDOWS = {
    "baseline": (date(2016, 7, 1), date(2016, 12, 31)),
    "endline": (date(2018, 7, 1), date(2018, 12, 31)),
}
STEPS = (
    lambda name: not name.startswith(("benefits_2019-04-15", "earnings_2019-04-08")),
    lambda name: not name.startswith("benefits_2019-04-15"),
    lambda name: True,
)


def deliver(inbox: Path, source: Path, keep) -> None:
    """Copy the files `keep` admits from `source` into the inbox (the ones there stay)."""
    for path in source.rglob("*"):
        if path.is_file() and keep(path.name):
            target = inbox / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.copy2(path, target)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("series")
    for keep in STEPS:
        deliver(tmp / "inbox", SAMPLE_DIR, keep)
        assert run_stv(tmp) == 0
    folders = [folder for _, folder in exports(tmp / "exports")]  # in the order delivered
    assert len(folders) == 3
    return tmp, folders


def marts(warehouse: Path):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {name: read_mart(con, name) for name in exported_marts()}


def test_no_suppressed_cell_is_recoverable_from_the_three_deliveries_together(series):
    tmp, folders = series
    intruder = Intruder(WINDOWS)
    for folder in folders:
        intruder.read(folder)
    # the intruder's relations hold for the true values (the newest warehouse holds every
    # vintage's figures): its attack is sound
    truth = Intruder(WINDOWS)
    truth.read_tables(marts(tmp / "w.duckdb"), "marts")
    known = {k: v for k, v in truth.k.values.items() if v is not None}
    assert violated_relations(intruder, known) == []
    attack = intruder.attack()
    suppressed = attack[[key in known or key[0] == "window" for key in attack["key"]]]
    assert len(suppressed) > 5000
    narrow = suppressed[suppressed["width"] < 2 - 1e-6]
    assert narrow.empty, narrow.head(10).to_string()


def test_each_delivery_keeps_the_decisions_of_the_ones_before(series):
    _, folders = series
    manifests = [json.loads((f / "manifest.json").read_text("utf-8")) for f in folders]
    figures = [m["disclosure_series"] for m in manifests]
    assert figures[0]["cells_carried_over"] == 0 and figures[0]["earlier_deliveries"] == []
    for i in (1, 2):
        assert figures[i]["status_flips_unchanged_values"] == 0
        assert figures[i]["cells_carried_over"] > 0
        assert figures[i]["earlier_deliveries"] == [f.name for f in folders[:i]]
        # the audit attacked only what is new and what it touches
        assert manifests[i]["disclosure_audit"]["cells_checked"] < (
            figures[i]["suppressions_carried_over"]
            + figures[i]["new_primary"]
            + figures[i]["new_secondary"]
        )
        assert manifests[i]["disclosure_audit"]["cells_exposed"] == 0


def ledger_rows(warehouse: Path) -> dict[str, set]:
    """The ledger in terms of identities and folders (its ids depend on the order written)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cells = con.execute(
            "select d.folder, c.* exclude (cell_id, delivery_id) from publication.cells as c "
            "inner join publication.deliveries as d using (delivery_id)"
        ).fetchall()
        relations = con.execute(
            """
            select d.folder, r.sense, r.rhs, r.kind,
                list(concat_ws('|', c.measure, c.area, c.period, c.cell_group, c.vintage,
                               c.detail, t.coef) order by all) as terms
            from publication.relations as r
            inner join publication.deliveries as d using (delivery_id)
            inner join publication.relation_terms as t using (relation_id)
            inner join publication.cells as c using (cell_id)
            group by r.relation_id, d.folder, r.sense, r.rhs, r.kind
            """
        ).fetchall()
        deliveries = con.execute(
            "select folder, run_id, created_at, state from publication.deliveries"
        ).fetchall()
    return {
        "cells": set(cells),
        "relations": {(*r[:4], tuple(r[4])) for r in relations},
        "deliveries": set(deliveries),
    }


def test_the_ledger_read_back_from_the_folders_equals_the_one_the_runs_wrote(series, tmp_path):
    tmp, folders = series
    copy = tmp_path / "w.duckdb"
    shutil.copy2(tmp / "w.duckdb", copy)
    written = ledger_rows(copy)
    assert (
        main(
            [
                "exports",
                "ledger",
                "--rebuild",
                "--warehouse",
                str(copy),
                "--exports",
                str(tmp / "exports"),
            ]
        )
        == 0
    )
    rebuilt = ledger_rows(copy)
    assert {name: len(rows) for name, rows in rebuilt.items()} == {
        name: len(rows) for name, rows in written.items()
    }
    assert rebuilt == written
    assert {d[0] for d in written["deliveries"]} == {f.name for f in folders}


def test_a_suppression_that_forgets_the_ledger_is_caught_by_the_audit(
    series, tmp_path, monkeypatch, capsys
):
    tmp, folders = series
    shutil.copytree(tmp, tmp_path / "copy")
    copy = tmp_path / "copy"
    from stv_pipeline.defs import exports

    remembering = exports.suppress_export

    def forgetful(frames, tables, rules, ledger=None, cells=None):
        return remembering(frames, tables, rules)

    monkeypatch.setattr(exports, "suppress_export", forgetful)
    capsys.readouterr()
    assert run_stv(copy) == 1
    out = capsys.readouterr().out
    assert "disclosure_audit" in out and "FAILED" in out
    # the run's full log names the earlier deliveries whose figures expose the cells
    log = Path(re.search(r"Full log: (\S+)", out).group(1)).read_text("utf-8")
    named = re.findall(r"exposed by what earlier deliveries published: ([\w, -]+)", log)
    delivered = {f.name for f in folders}
    assert named and all({x.strip() for x in n.split(",")} <= delivered for n in named)
    # nothing new delivered, and the ledger holds the three deliveries only
    assert sorted(p.name for p in (copy / "exports").iterdir()) == sorted(f.name for f in folders)
    with duckdb.connect(str(copy / "w.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from publication.deliveries").fetchall() == [(3,)]


# --- a run killed between its ledger rows and its folder ------------------------------------

KILLED_RUN = """
import os, signal, sys
from stv_pipeline.cli import main
from stv_pipeline.exports import ledger

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

moment = sys.argv[1]
if moment == "before_rename":  # the ledger's rows are written, the folder is not in place
    record = ledger.record_delivery
    def record_then_die(*args, **kwargs):
        record(*args, **kwargs)
        die()
    ledger.record_delivery = record_then_die
else:  # the folder is in place, the ledger's rows not yet marked delivered
    ledger.mark_delivered = die
main(["run", "--inbox", sys.argv[2], "--warehouse", sys.argv[3], "--exports", sys.argv[4],
      "--no-record"])
"""


@pytest.fixture(scope="module")
def first_delivery(tmp_path_factory):
    """The small inbox's first vintage, delivered."""
    tmp = tmp_path_factory.mktemp("first_delivery")
    deliver(tmp / "inbox", INBOX_SMALL, lambda name: "2017-06-30" not in name)
    assert run_stv(tmp) == 0
    return tmp


@pytest.mark.parametrize("moment", ["before_rename", "after_rename"])
def test_a_run_killed_between_ledger_and_folder_is_reconciled_by_the_next(
    first_delivery, tmp_path, moment
):
    tmp = tmp_path / "w"
    shutil.copytree(first_delivery, tmp)
    deliver(tmp / "inbox", INBOX_SMALL, lambda name: True)
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_RUN,
            moment,
            str(tmp / "inbox"),
            str(tmp / "w.duckdb"),
            str(tmp / "exports"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        env={**os.environ, "DAGSTER_HOME": ""},
    )
    assert killed.returncode == -signal.SIGKILL
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        assert con.execute(
            "select state from publication.deliveries order by delivery_id"
        ).fetchall() == [("delivered",), ("pending",)]
    in_place = sorted(p.name for p in (tmp / "exports").iterdir() if not p.name.startswith("."))
    assert len(in_place) == (1 if moment == "before_rename" else 2)

    assert run_stv(tmp) == 0
    folders = sorted(p.name for p in (tmp / "exports").iterdir())
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        states = con.execute(
            "select folder, state from publication.deliveries order by delivery_id"
        ).fetchall()
    # every folder in place is one delivered ledger entry, and nothing is pending
    assert sorted(f for f, _ in states) == folders
    assert {s for _, s in states} == {"delivered"}
    assert len(folders) == 2  # the killed run's folder, or the next run's in its stead

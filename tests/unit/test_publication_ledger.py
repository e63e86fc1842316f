"""Disclosure control over the series of deliveries (DESIGN §4): the publication ledger.

STAR keeps every delivery. Two little deliveries of one municipality's population, by target
group and month, in the first vintage (2019-01-15) and then again beside the next (2019-04-15):

    vintage 2019-01-15   KH  RF  IY  alle        July + August = the baseline window
    July 2016            20   8   1   29         KH 50, RF 17, IY 7, alle 74
    August 2016          30   9   6   45

The first delivery publishes the window (that vintage is the newest then) and hides July's
IY (1 person, primary) with RF (8) in July, and August's IY (6) and RF (9), so the window's IY
7 and RF 17 give nothing back. In the second delivery the window is the new vintage's; the old
vintage's months stand alone, and protected alone they would publish August's IY 6: with the
first delivery's IY 7 an intruder has July's IY, 1 person. With the ledger the second delivery
keeps every decision of the first, and nothing is recovered from the two together.
"""

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from stv_pipeline.exports import ledger
from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.disclosure import audit_publication, suppress_export
from tests.disclosure_frames import (
    IY,
    KH,
    RF,
    RULES,
    WINDOWS,
    baseline_endline,
    revisions,
    success,
    window_row,
)
from tests.intruder import Intruder

V1, V2 = date(2019, 1, 15), date(2019, 4, 15)
JUL, AUG = date(2016, 7, 1), date(2016, 8, 1)
# (vintage, month) -> population per group
POPULATION = {
    (V1, JUL): {KH: 20, RF: 8, IY: 1},
    (V1, AUG): {KH: 30, RF: 9, IY: 6},
    (V2, JUL): {KH: 21, RF: 8, IY: 1},
    (V2, AUG): {KH: 31, RF: 9, IY: 6},
}
JULY_IY_OF_V1 = ("register", "population", "101", JUL.isoformat(), IY, (V1.isoformat(),))


@pytest.fixture(scope="module")
def tables():
    return declarations()


def groups(vintage, month):
    counts = dict(POPULATION[(vintage, month)])
    return {**counts, "alle": sum(counts.values())}


def delivery(newest: date) -> dict[str, pd.DataFrame]:
    """The three register tables of a delivery whose newest vintage is `newest`."""
    vintages = [v for v in (V1, V2) if v <= newest]
    rows = []
    for month in (JUL, AUG):
        for group, value in groups(newest, month).items():
            rows.append((101, month, group, value, 0, 0, 0))
    window = {g: sum(groups(newest, m)[g] for m in (JUL, AUG)) for g in (KH, RF, IY, "alle")}
    revision_rows = [
        (101, month, group, "population", v, value, vintages[i - 1] if i else None)
        for i, v in enumerate(vintages)
        for month in (JUL, AUG)
        for group, value in groups(v, month).items()
    ]
    return {
        "success_criteria_monthly": success(rows),
        "baseline_endline": baseline_endline(
            *(
                window_row("municipality", 101, True, g, population_baseline=window[g])
                for g in (KH, RF, IY, "alle")
            )
        ),
        "registration_revisions": revisions(revision_rows),
    }


def deliver(con, frames, tables, name, *, with_ledger=True):
    publication = suppress_export(frames, tables, RULES, ledger=con if with_ledger else None)
    decisions = publication.decisions
    done = ledger.record_delivery(
        con,
        run_id=name,
        folder=name,
        created_at=datetime(2019, 5, 1),
        cells=decisions.cells,
        relations=decisions.relations,
        terms=decisions.terms,
        rules=decisions.rules,
    )
    ledger.mark_delivered(con, done)
    return publication


def intruder_on(*publications) -> pd.DataFrame:
    """The intruder's intervals of the suppressed counts (the fixture's endline is empty in
    the marts too: those are no figures)."""
    intruder = Intruder(WINDOWS)
    for i, publication in enumerate(publications):
        intruder.read_tables(publication.tables, f"delivery {i + 1}")
    truth = Intruder(WINDOWS)
    for newest in (V1, V2):
        truth.read_tables(delivery(newest), "marts")
    attack = intruder.attack().set_index("key")
    return attack[[truth.k.values.get(key) is not None for key in attack.index]]


def test_protecting_the_second_delivery_alone_gives_a_cell_of_the_first_back(tables):
    con = duckdb.connect()
    first = deliver(con, delivery(V1), tables, "first")
    revisions_1 = first.masks["registration_revisions"]["value"].to_numpy()
    # July's IY and RF, August's IY and RF hidden; KH and alle shown
    assert revisions_1.tolist() == [False, True, True, False, False, True, True, False]
    alone = suppress_export(delivery(V2), tables, RULES)
    each = [intruder_on(first), intruder_on(alone)]
    assert all((attack["width"] >= 2).all() for attack in each)  # each is safe alone
    together = intruder_on(first, alone)
    assert together.loc[[JULY_IY_OF_V1], ["lower", "upper"]].values.tolist() == [[1.0, 1.0]]

    # the ledger's audit catches the forgetful second delivery, and names the first
    union, result = audit_publication(delivery(V2), alone, tables, RULES, ledger=con)
    assert result.exposed.size > 0
    lines = union.describe(result)
    assert any("exposed by what earlier deliveries published: first" in line for line in lines)


def test_with_the_ledger_the_second_delivery_keeps_the_first_ones_decisions(tables):
    con = duckdb.connect()
    first = deliver(con, delivery(V1), tables, "first")
    second = deliver(con, delivery(V2), tables, "second")
    old_vintage = (second.tables["registration_revisions"]["vintage"] == V1).to_numpy()
    assert (
        second.masks["registration_revisions"]["value"].to_numpy()[old_vintage].tolist()
        == first.masks["registration_revisions"]["value"].to_numpy().tolist()
    )
    together = intruder_on(first, second)
    assert (together["width"] >= 2).all()
    assert together.loc[[JULY_IY_OF_V1], "width"].item() >= 2
    _, result = audit_publication(delivery(V2), second, tables, RULES, ledger=con)
    assert result.exposed.size == 0
    figures = second.series
    # the first vintage's eight population cells are carried over, the rest is new
    assert figures["status_flips_unchanged_values"] == 0
    assert figures["earlier_deliveries"] == ["first"]
    assert figures["cells_carried_over"] == 8
    assert figures["new_decisions"] == figures["cells"] - 8


def test_a_pending_delivery_counts_only_once_its_folder_is_in_place(tables, tmp_path):
    con = duckdb.connect()
    deliver(con, delivery(V1), tables, "first")
    publication = suppress_export(delivery(V2), tables, RULES, ledger=con)
    decisions = publication.decisions
    for folder_in_place in (False, True):
        pending = ledger.record_delivery(
            con,
            run_id="second",
            folder="2019-05-02_second",
            created_at=datetime(2019, 5, 2),
            cells=decisions.cells,
            relations=decisions.relations,
            terms=decisions.terms,
            rules=decisions.rules,
        )
        # not yet delivered: the next run's history knows only the first delivery
        assert [d.folder for d in ledger.deliveries(con)] == ["first"]
        if folder_in_place:
            (tmp_path / "2019-05-02_second").mkdir()
            (tmp_path / "2019-05-02_second" / "manifest.json").write_text("{}")
        outcome = ledger.reconcile(con, tmp_path)
        counts = con.execute(
            "select count(*) from publication.cells where delivery_id = ?", [pending]
        ).fetchall()[0][0]
        if folder_in_place:
            assert outcome == {"kept": ["2019-05-02_second"], "removed": []}
            assert counts == int((decisions.cells["instance"] < 0).sum())
        else:
            assert outcome == {"kept": [], "removed": ["2019-05-02_second"]}
            assert counts == 0
    assert [d.folder for d in ledger.deliveries(con)] == ["first", "2019-05-02_second"]


def test_a_revised_value_is_a_new_cell_and_an_unchanged_one_keeps_its_decision(tables):
    con = duckdb.connect()
    deliver(con, delivery(V1), tables, "first")
    frames = delivery(V1)
    # the V1 benefits file replaced: August's KH 30 -> 31 (and alle 45 -> 46)
    revised = frames["registration_revisions"].copy()
    at = (revised["month"] == AUG) & revised["target_group"].isin([KH, "alle"])
    revised.loc[at, "value"] = revised.loc[at, "value"] + 1
    frames["registration_revisions"] = revised
    success_ = frames["success_criteria_monthly"].copy()
    at = (success_["month"] == AUG) & success_["target_group"].isin([KH, "alle"])
    success_.loc[at, "population"] += 1
    frames["success_criteria_monthly"] = success_
    be = frames["baseline_endline"].copy()
    at = be["target_group"].isin([KH, "alle"])
    be.loc[at, "population_baseline"] += 1
    frames["baseline_endline"] = be
    publication = suppress_export(frames, tables, RULES, ledger=con)
    cells = publication.decisions.cells
    population = cells[cells["measure"] == "population"]
    new = population[population["instance"] < 0]
    assert sorted(zip(new["period"], new["group"], new["value"], strict=True)) == [
        ("2016-08-01", "alle", 46.0),
        ("2016-08-01", KH, 31.0),
        ("baseline", "alle", 75.0),
        ("baseline", KH, 51.0),
    ]
    assert publication.series["status_flips_unchanged_values"] == 0
    assert np.all(population.loc[population["instance"] >= 0, "status"] != "")

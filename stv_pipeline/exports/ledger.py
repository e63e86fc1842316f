"""The publication ledger: every cell STAR has ever received, in the warehouse (DESIGN §4).

STAR keeps every delivery, so the unit of protection is the series of deliveries: what one
delivery published is known to the intruder who attacks the next. The ledger records, per
delivery written (run id, folder name, time), every exported cell (its identity as
exports/cells.py defines it, its true value and its status: published, primary or secondary)
and every relation that holds a suppressed cell, so that the next run can

- keep each unchanged cell's decision (a cell is an *instance*: an identity with a value; a
  revised value is a new instance of its identity, and the old one stays what it was),
- attack the union of everything published (the old relations with the old published values
  as constants), and
- decide only the new instances anew.

A delivery's rows are written, marked pending, before its folder is renamed into place, and
marked delivered after; a run that finds a pending delivery (a crash in between) keeps it when
its folder is in place and removes its rows otherwise (`reconcile`). Folders the ledger lacks
(deliveries written before the ledger existed, or a lost warehouse) are read back from their
Parquet files (`rebuild.py`).

True values never leave the warehouse: the ledger lives beside the person-level tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from stv_pipeline.exports.cells import DIMENSIONS, relation_hashes
from stv_pipeline.exports.manifest import MANIFEST

SCHEMA = "publication"
PUBLISHED, PRIMARY, SECONDARY = "published", "primary", "secondary"
PENDING, DELIVERED = "pending", "delivered"
EQUAL, AT_MOST = "=", "<="
# the dimension `group` is a keyword in SQL: the ledger spells it cell_group
LEDGER_DIMENSIONS = tuple("cell_group" if d == "group" else d for d in DIMENSIONS)

LEDGER_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.deliveries (
    delivery_id integer primary key,
    run_id varchar not null,
    folder varchar not null,           -- the export folder's name, <date>_<run id>
    created_at timestamp not null,
    state varchar not null,            -- 'pending' until the folder is in place
    rules varchar not null             -- fingerprint of the disclosure rules it was made by
);
create table if not exists {SCHEMA}.cells (
    cell_id bigint primary key,
    measure varchar not null,
    area varchar not null,
    period varchar not null,
    cell_group varchar not null,
    vintage varchar not null,          -- for a register figure: the snapshots it reads
    detail varchar not null,
    value double,                      -- the true value (NULL: a rebuild could not recover it)
    status varchar not null,           -- published | primary | secondary
    delivery_id integer not null       -- the delivery that first carried this instance
);
create table if not exists {SCHEMA}.relations (
    relation_id bigint primary key,
    sense varchar not null,            -- '=' or '<='
    rhs double not null,
    kind varchar not null,             -- what the relation is, for the audit's log
    signature varchar not null,        -- its terms as text: each relation is kept once
    delivery_id integer not null
);
create table if not exists {SCHEMA}.relation_terms (
    relation_id bigint not null,
    cell_id bigint not null,
    coef double not null
);
"""


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL).fetchall()


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    run_id: str
    folder: str
    created_at: datetime
    state: str
    rules: str = ""


def deliveries(con: duckdb.DuckDBPyConnection, state: str | None = DELIVERED) -> list[Delivery]:
    rows = con.execute(
        f"select delivery_id, run_id, folder, created_at, state, rules from {SCHEMA}.deliveries "
        "where ? is null or state = ? order by delivery_id",
        [state, state],
    ).fetchall()
    return [Delivery(*row) for row in rows]


def reconcile(con: duckdb.DuckDBPyConnection, exports_root: Path) -> dict[str, list[str]]:
    """Pending deliveries after a crash: kept when their folder is in place (the crash came
    after the rename), removed with their rows otherwise. Returns the folders of each."""
    ensure_ledger(con)
    outcome = {"kept": [], "removed": []}
    for delivery in deliveries(con, PENDING):
        if (exports_root / delivery.folder / MANIFEST).is_file():
            mark_delivered(con, delivery.delivery_id)
            outcome["kept"].append(delivery.folder)
        else:
            forget(con, delivery.delivery_id)
            outcome["removed"].append(delivery.folder)
    return outcome


def clear(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ledger (before it is rebuilt from the folders)."""
    ensure_ledger(con)
    for table in ("relation_terms", "relations", "cells", "deliveries"):
        con.execute(f"delete from {SCHEMA}.{table}").fetchall()


def mark_delivered(con: duckdb.DuckDBPyConnection, delivery_id: int) -> None:
    con.execute(
        f"update {SCHEMA}.deliveries set state = '{DELIVERED}' where delivery_id = ?",
        [delivery_id],
    ).fetchall()


def forget(con: duckdb.DuckDBPyConnection, delivery_id: int) -> None:
    """Remove a delivery and every instance and relation it brought, in one transaction."""
    con.execute("begin transaction").fetchall()
    try:
        con.execute(
            f"delete from {SCHEMA}.relation_terms where relation_id in "
            f"(select relation_id from {SCHEMA}.relations where delivery_id = ?)",
            [delivery_id],
        ).fetchall()
        for table in ("relations", "cells", "deliveries"):
            con.execute(
                f"delete from {SCHEMA}.{table} where delivery_id = ?", [delivery_id]
            ).fetchall()
        con.execute("commit").fetchall()
    except BaseException:
        con.execute("rollback").fetchall()
        raise


# --- what the ledger knows about the current cells -------------------------------------


@dataclass(frozen=True)
class History:
    """The ledger's knowledge, per current cell (in the order of the cell system's cells):

    `instance`: the ledger's id of the same identity with the same value, -1 for a new one;
    `status`: that instance's status ('' for a new one);
    `first_delivery`: the delivery that first carried that instance (-1 for a new one);
    `hidden_before`: the identity was suppressed in some earlier delivery (any value);
    `last_status`: the status of the identity's newest instance ('' when never delivered).
    """

    instance: np.ndarray
    status: np.ndarray
    first_delivery: np.ndarray
    hidden_before: np.ndarray
    last_status: np.ndarray
    deliveries: tuple[Delivery, ...] = ()

    @staticmethod
    def empty(n_cells: int) -> History:
        return History(
            instance=np.full(n_cells, -1, dtype=np.int64),
            status=np.full(n_cells, "", dtype=object),
            first_delivery=np.full(n_cells, -1, dtype=np.int64),
            hidden_before=np.zeros(n_cells, dtype=bool),
            last_status=np.full(n_cells, "", dtype=object),
        )

    @property
    def carried(self) -> np.ndarray:
        return self.instance >= 0

    @property
    def hidden(self) -> np.ndarray:
        """Carried instances that STAR has never seen (suppressed in every delivery)."""
        return self.carried & (self.status != PUBLISHED)

    def folder_of(self, delivery_id: int) -> str:
        for delivery in self.deliveries:
            if delivery.delivery_id == delivery_id:
                return delivery.folder
        return f"delivery {delivery_id}"


def _ledger_frame(cells: pd.DataFrame) -> pd.DataFrame:
    frame = cells[list(DIMENSIONS)].rename(columns={"group": "cell_group"}).astype(str)
    frame["value"] = cells["value"].to_numpy(dtype=float)
    frame["position"] = np.arange(len(cells))
    return frame


def history(con: duckdb.DuckDBPyConnection, cells: pd.DataFrame) -> History:
    """Match the current cells (a cell system's `cells`) to the delivered instances."""
    ensure_ledger(con)
    done = deliveries(con)
    if not done:
        return History.empty(len(cells))
    con.register("current_cells", _ledger_frame(cells))
    try:
        matched = con.execute(MATCH_QUERY).df()
    finally:
        con.unregister("current_cells")
    out = History.empty(len(cells))
    position = matched["position"].to_numpy(dtype=np.int64)
    instance = matched["instance"].to_numpy(dtype=float)
    has = ~np.isnan(instance)
    out.instance[position[has]] = instance[has].astype(np.int64)
    out.status[position[has]] = matched["status"].to_numpy(dtype=object)[has]
    out.first_delivery[position[has]] = matched["delivery_id"].to_numpy(dtype=float)[has]
    out.hidden_before[position] = matched["hidden_before"].fillna(False).to_numpy(dtype=bool)
    out.last_status[position] = matched["last_status"].fillna("").to_numpy(dtype=object)
    return History(
        out.instance,
        out.status,
        out.first_delivery,
        out.hidden_before,
        out.last_status,
        tuple(done),
    )


_ON_IDENTITY = " and ".join(f"c.{d} = l.{d}" for d in LEDGER_DIMENSIONS)

MATCH_QUERY = f"""
with delivered as (
    select l.*
    from {SCHEMA}.cells as l
    inner join {SCHEMA}.deliveries as d using (delivery_id)
    where d.state = '{DELIVERED}'
),

by_identity as (
    select
        c.position,
        l.cell_id,
        l.value,
        l.status,
        l.delivery_id,
        -- an instance whose value the rebuild could not recover is taken to be unchanged
        (l.value = c.value or l.value is null) as same_value
    from current_cells as c
    inner join delivered as l on {_ON_IDENTITY}
)

select
    position,
    max_by(cell_id, delivery_id) filter (where same_value) as instance,
    max_by(status, delivery_id) filter (where same_value) as status,
    max_by(delivery_id, delivery_id) filter (where same_value) as delivery_id,
    bool_or(status <> '{PUBLISHED}') as hidden_before,
    max_by(status, delivery_id) as last_status
from by_identity
group by position
"""


# --- old relations ------------------------------------------------------------------------


@dataclass(frozen=True)
class OldRelations:
    """Relations of earlier deliveries over ledger instances, with the instances they hold
    that are not among the current cells."""

    relations: pd.DataFrame  # relation_id, sense, rhs, kind, delivery_id
    terms: pd.DataFrame  # relation_id, cell_id, coef
    instances: pd.DataFrame  # cell_id, dimensions..., value, status, delivery_id


def relations_around(con: duckdb.DuckDBPyConnection, hidden_instances: np.ndarray) -> OldRelations:
    """Every delivered relation reachable from the given suppressed instances through
    relations and the suppressed instances they hold: the intruder's knowledge around them."""
    seen: set[int] = set()
    frontier = {int(i) for i in hidden_instances}
    relation_ids: set[int] = set()
    while frontier:
        seen |= frontier
        con.register("frontier", pd.DataFrame({"cell_id": sorted(frontier)}, dtype=np.int64))
        try:
            found = {r for (r,) in con.execute(TOUCHING_QUERY).fetchall()} - relation_ids
        finally:
            con.unregister("frontier")
        if not found:
            break
        relation_ids |= found
        con.register("found", pd.DataFrame({"relation_id": sorted(found)}, dtype=np.int64))
        try:
            hidden = {c for (c,) in con.execute(HIDDEN_MEMBERS_QUERY).fetchall()}
        finally:
            con.unregister("found")
        frontier = hidden - seen
    terms = _terms_of(con, relation_ids)
    con.register("wanted", pd.DataFrame({"relation_id": sorted(relation_ids)}, dtype=np.int64))
    try:
        relations = con.execute(
            f"select relation_id, sense, rhs, kind, delivery_id from {SCHEMA}.relations "
            "inner join wanted using (relation_id) order by relation_id"
        ).df()
    finally:
        con.unregister("wanted")
    instances = _instances(con, np.unique(terms["cell_id"].to_numpy(dtype=np.int64)))
    return OldRelations(relations, terms, instances)


TOUCHING_QUERY = f"""
select distinct t.relation_id
from {SCHEMA}.relation_terms as t
inner join frontier as f on f.cell_id = t.cell_id
inner join {SCHEMA}.relations as r on r.relation_id = t.relation_id
inner join {SCHEMA}.deliveries as d on d.delivery_id = r.delivery_id
where d.state = '{DELIVERED}'
"""

HIDDEN_MEMBERS_QUERY = f"""
select distinct t.cell_id
from {SCHEMA}.relation_terms as t
inner join found as f on f.relation_id = t.relation_id
inner join {SCHEMA}.cells as c on c.cell_id = t.cell_id
where c.status <> '{PUBLISHED}'
"""


def _terms_of(con: duckdb.DuckDBPyConnection, relation_ids) -> pd.DataFrame:
    con.register("wanted", pd.DataFrame({"relation_id": sorted(relation_ids)}, dtype=np.int64))
    try:
        return con.execute(
            f"select relation_id, cell_id, coef from {SCHEMA}.relation_terms "
            "inner join wanted using (relation_id) order by relation_id, cell_id"
        ).df()
    finally:
        con.unregister("wanted")


def _instances(con: duckdb.DuckDBPyConnection, cell_ids: np.ndarray) -> pd.DataFrame:
    columns = f"cell_id, {', '.join(LEDGER_DIMENSIONS)}, value, status, delivery_id"
    con.register("wanted", pd.DataFrame({"cell_id": cell_ids}, dtype=np.int64))
    try:
        frame = con.execute(
            f"select {columns} from {SCHEMA}.cells inner join wanted using (cell_id) "
            "order by cell_id"
        ).df()
    finally:
        con.unregister("wanted")
    return frame.rename(columns={"cell_group": "group"})


# --- writing a delivery -------------------------------------------------------------------


def relation_signatures(
    relation: np.ndarray,
    cell_id: np.ndarray,
    coef: np.ndarray,
    sense: np.ndarray,
    rhs: np.ndarray,
) -> np.ndarray:
    """Per relation (0 .. len(sense) - 1), a text that equal relations share: its sense, its
    right-hand side and 128 bits of its terms over ledger ids (cells.relation_hashes)."""
    hashes = relation_hashes(relation, cell_id, coef, len(sense))
    return np.array(
        [
            f"{s}{r!r}|{a:016x}{b:016x}"
            for s, r, (a, b) in zip(sense, np.asarray(rhs, dtype=float), hashes, strict=True)
        ],
        dtype=object,
    )


def record_delivery(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    folder: str,
    created_at: datetime,
    cells: pd.DataFrame,
    relations: pd.DataFrame,
    terms: pd.DataFrame,
    rules: str = "",
) -> int:
    """Write a delivery, pending, with its new instances and relations, in one transaction.

    `cells`: the delivery's cells (dimensions, value, status, `instance`: the ledger id of a
    carried instance or -1 for a new one; `revealed`, optional: a carried instance this
    delivery showed though the ledger has it suppressed, published from now on).
    `relations` (relation, sense, rhs, kind) and `terms` (relation, cell: a row of `cells`,
    coef): the relations that hold a suppressed cell.
    Returns the delivery id."""
    ensure_ledger(con)
    con.execute("begin transaction").fetchall()
    try:
        delivery_id = con.execute(
            f"select coalesce(max(delivery_id), 0) + 1 from {SCHEMA}.deliveries"
        ).fetchall()[0][0]
        con.execute(
            f"insert into {SCHEMA}.deliveries values (?, ?, ?, ?, '{PENDING}', ?)",
            [delivery_id, run_id, folder, created_at, rules],
        ).fetchall()
        next_id = con.execute(
            f"select coalesce(max(cell_id), 0) + 1 from {SCHEMA}.cells"
        ).fetchall()[0][0]
        instance = cells["instance"].to_numpy(dtype=np.int64).copy()
        new = instance < 0
        instance[new] = next_id + np.arange(new.sum())
        fresh = _ledger_frame(cells[new]).drop(columns="position")
        fresh.insert(0, "cell_id", instance[new])
        fresh["status"] = cells.loc[new, "status"].to_numpy(dtype=object)
        fresh["delivery_id"] = delivery_id
        # a carried instance a folder read back shows, though another one hid it, is known
        seen = ~new & cells.get("revealed", pd.Series(False, index=cells.index)).to_numpy(
            dtype=bool
        )
        if seen.any():
            con.register("seen_cells", pd.DataFrame({"cell_id": instance[seen]}))
            con.execute(
                f"update {SCHEMA}.cells set status = '{PUBLISHED}' "
                "where cell_id in (select cell_id from seen_cells)"
            ).fetchall()
            con.unregister("seen_cells")
        con.register("fresh_cells", fresh)
        con.execute(f"insert into {SCHEMA}.cells by name select * from fresh_cells").fetchall()
        con.unregister("fresh_cells")
        _record_relations(con, delivery_id, relations, terms, instance)
        con.execute("commit").fetchall()
    except BaseException:
        con.execute("rollback").fetchall()
        raise
    return int(delivery_id)


# the candidate relations whose signature the ledger does not hold yet
NEW_RELATIONS_QUERY = f"""
select relation
from candidate
anti join {SCHEMA}.relations using (signature)
"""


def _record_relations(
    con: duckdb.DuckDBPyConnection,
    delivery_id: int,
    relations: pd.DataFrame,
    terms: pd.DataFrame,
    instance: np.ndarray,
) -> None:
    """The relations not yet in the ledger (by signature), over ledger ids."""
    if relations.empty:
        return
    cell_ids = instance[terms["cell"].to_numpy(dtype=np.int64)]
    grouped = pd.DataFrame(
        {"relation": terms["relation"].to_numpy(), "cell_id": cell_ids, "coef": terms["coef"]}
    )
    local = np.searchsorted(
        relations["relation"].to_numpy(dtype=np.int64),
        grouped["relation"].to_numpy(dtype=np.int64),
    )
    signatures = relation_signatures(
        local,
        cell_ids,
        grouped["coef"].to_numpy(dtype=float),
        relations["sense"].to_numpy(dtype=object),
        relations["rhs"].to_numpy(dtype=float),
    )
    frame = relations.assign(signature=signatures).drop_duplicates("signature")
    con.register("candidate", frame[["relation", "signature"]])
    try:
        new = con.execute(NEW_RELATIONS_QUERY).fetchnumpy()["relation"]
    finally:
        con.unregister("candidate")
    frame = frame[np.isin(frame["relation"].to_numpy(dtype=np.int64), new)]
    if frame.empty:
        return
    first = con.execute(
        f"select coalesce(max(relation_id), 0) + 1 from {SCHEMA}.relations"
    ).fetchall()[0][0]
    ids = first + np.arange(len(frame))
    rows = pd.DataFrame(
        {
            "relation_id": ids,
            "sense": frame["sense"].to_numpy(),
            "rhs": frame["rhs"].to_numpy(dtype=float),
            "kind": frame["kind"].to_numpy(),
            "signature": frame["signature"].to_numpy(),
            "delivery_id": delivery_id,
        }
    )
    id_of = dict(zip(frame["relation"].to_numpy(), ids, strict=True))
    kept = grouped[grouped["relation"].isin(id_of)]
    term_rows = pd.DataFrame(
        {
            "relation_id": kept["relation"].map(id_of).to_numpy(dtype=np.int64),
            "cell_id": kept["cell_id"].to_numpy(dtype=np.int64),
            "coef": kept["coef"].to_numpy(dtype=float),
        }
    )
    con.register("new_relations", rows)
    con.register("new_terms", term_rows)
    try:
        con.execute(
            f"insert into {SCHEMA}.relations by name select * from new_relations"
        ).fetchall()
        con.execute(
            f"insert into {SCHEMA}.relation_terms by name select * from new_terms"
        ).fetchall()
    finally:
        con.unregister("new_relations")
        con.unregister("new_terms")

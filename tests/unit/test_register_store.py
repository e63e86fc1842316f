"""Register files kept as Parquet beside the warehouse (issue 24): kept as delivered when every
value reads as delivered, else written once as typed Parquet; never a CPR number on disk; a
replaced or half-written file does not stay."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import load_source, sha256_of
from stv_pipeline.ingest.register_store import RegisterFilesMissing, register_folder

BENEFITS = CONTRACTS["register_benefits"]
EARNINGS = CONTRACTS["register_earnings"]


def load(con, folder: Path, contract, tmp_path: Path, key: str | None = None):
    return load_source(
        con,
        contract,
        folder,
        origin="inbox",
        quarantine_dir=tmp_path / "quarantine",
        pseudonym_key=key,
        log=lambda _: None,
    )


def write_parquet(path: Path, select: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(f"copy ({select}) to '{path}' (format parquet)")
    return path


TWO_WEEKS = (
    "select * from (values ('p1', 450, '2017-W10', 'KH-AKT', null, date '2017-03-12'), "
    "('p2', 461, '2017-W10', 'RF', 'VP', date '2017-03-13')) "
    "as t(person_id, kommunekode, uge, ydelseskode, indsatskode, registreringsdato)"
)


def kept_files(con, source: str) -> list[Path]:
    return sorted((register_folder(con) / source).iterdir())


def test_a_parquet_snapshot_that_reads_as_delivered_is_kept_byte_for_byte(reference_con, tmp_path):
    inbox = tmp_path / "inbox" / "register_benefits"
    delivered = write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    [outcome] = load(reference_con, inbox, BENEFITS, tmp_path)
    assert (outcome.status, outcome.rows, outcome.vintage) == ("loaded", 2, "2017-06-30")
    [kept] = kept_files(reference_con, "register_benefits")
    assert kept.parent == tmp_path / "warehouse.duckdb.registers" / "register_benefits"
    assert sha256_of(kept) == sha256_of(delivered)
    # the view reads the Danish column names as the contract's, the vintage from the file name
    assert reference_con.execute(
        "select person_id, municipality_code, iso_week, benefit_code, activation_code, "
        "registered_date::varchar, extract_date::varchar, _file_name, _file_sha256 "
        "from raw.register_benefits order by person_id"
    ).fetchall() == [
        ("p1", 450, "2017-W10", "KH-AKT", None, "2017-03-12", "2017-06-30",
         "benefits_2017-06-30.parquet", sha256_of(delivered)),
        ("p2", 461, "2017-W10", "RF", "VP", "2017-03-13", "2017-06-30",
         "benefits_2017-06-30.parquet", sha256_of(delivered)),
    ]  # fmt: skip
    assert reference_con.execute(
        "select typeof(municipality_code), typeof(extract_date) from raw.register_benefits limit 1"
    ).fetchone() == ("INTEGER", "DATE")


def test_a_snapshot_whose_values_parse_to_something_else_is_written_typed(reference_con, tmp_path):
    """A padded code and a decimal comma: the kept file holds the parsed values."""
    inbox = tmp_path / "inbox" / "register_earnings"
    delivered = write_parquet(
        inbox / "earnings_2017-06-30.parquet",
        "select 'p1' as person_id, '2017-03' as maaned, ' 12,5' as loentimer",
    )
    [outcome] = load(reference_con, inbox, EARNINGS, tmp_path)
    assert outcome.status == "loaded"
    [kept] = kept_files(reference_con, "register_earnings")
    assert sha256_of(kept) != sha256_of(delivered)
    assert duckdb.connect().execute(f"select * from '{kept}'").fetchall() == [
        ("p1", date(2017, 3, 1), 12.5, date(2017, 6, 30))
    ]


def test_a_kept_file_never_holds_a_cpr_number(reference_con, tmp_path):
    inbox = tmp_path / "inbox" / "register_earnings"
    write_parquet(
        inbox / "earnings_2017-06-30.parquet",
        "select '010180-1234' as cpr, '2017-03' as maaned, 3.0 as loentimer",
    )
    [outcome] = load(reference_con, inbox, EARNINGS, tmp_path, key="test-key")
    assert outcome.status == "loaded"
    [kept] = kept_files(reference_con, "register_earnings")
    content = kept.read_bytes()
    assert b"0101801234" not in content and b"010180" not in content
    [(person,)] = duckdb.connect().execute(f"select person_id from '{kept}'").fetchall()
    assert len(person) == 64  # the hex HMAC


def test_a_replaced_file_goes_and_its_successor_is_read(reference_con, tmp_path):
    inbox = tmp_path / "inbox" / "register_benefits"
    path = write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    load(reference_con, inbox, BENEFITS, tmp_path)
    write_parquet(path, TWO_WEEKS + " where person_id = 'p2'")
    [outcome] = load(reference_con, inbox, BENEFITS, tmp_path)
    assert (outcome.status, outcome.rows) == ("loaded", 1)
    [kept] = kept_files(reference_con, "register_benefits")
    assert sha256_of(kept) == sha256_of(path)
    assert reference_con.execute("select person_id from raw.register_benefits").fetchall() == [
        ("p2",)
    ]
    assert reference_con.execute(
        "select count(*), count(replaced_at) from raw.file_log"
    ).fetchone() == (2, 1)


def test_files_a_dead_load_left_are_removed_by_the_next_load(reference_con, tmp_path):
    inbox = tmp_path / "inbox" / "register_benefits"
    write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    load(reference_con, inbox, BENEFITS, tmp_path)
    folder = register_folder(reference_con) / "register_benefits"
    (folder / "benefits_2017-07-31.0123456789abcdef.parquet").write_bytes(b"unlisted")
    (folder / "benefits_2017-07-31.0123456789abcdef.parquet.writing").write_bytes(b"half")
    [outcome] = load(reference_con, inbox, BENEFITS, tmp_path)
    assert outcome.status == "unchanged"
    assert [p.name for p in folder.iterdir()] == [
        f"benefits_2017-06-30.{sha256_of(inbox / 'benefits_2017-06-30.parquet')[:16]}.parquet"
    ]


def test_a_warehouse_with_the_rows_in_a_table_has_them_moved_into_kept_files(tmp_path):
    """A warehouse written before issue 24 held the register rows in raw.register_benefits."""
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("create schema raw")
    con.execute(
        "create table raw.register_benefits as select 'p1' as person_id, "
        "450::integer as municipality_code, '2017-W10' as iso_week, 'KH-AKT' as benefit_code, "
        "null::varchar as activation_code, date '2017-03-12' as registered_date, "
        "date '2017-06-30' as extract_date, 'benefits_2017-06-30.csv' as _file_name, "
        "'abc' as _file_sha256, timestamp '2026-01-02 03:04:05' as _loaded_at"
    )
    before = con.execute("select * from raw.register_benefits").fetchall()
    load(con, tmp_path / "inbox" / "register_benefits", BENEFITS, tmp_path)
    assert con.execute("select * from raw.register_benefits").fetchall() == before
    assert con.execute(
        "select table_type from information_schema.tables where table_name = 'register_benefits'"
    ).fetchone() == ("VIEW",)
    assert [p.name for p in kept_files(con, "register_benefits")] == [
        "benefits_2017-06-30.abc.parquet"
    ]


def test_the_spark_lane_copies_the_view_partitioned_by_vintage(reference_con, tmp_path):
    from stv_pipeline.ingest.parquet_copy import copy_raw_table

    inbox = tmp_path / "inbox" / "register_benefits"
    write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    write_parquet(inbox / "benefits_2017-07-31.parquet", TWO_WEEKS + " where person_id = 'p1'")
    load(reference_con, inbox, BENEFITS, tmp_path)
    target = copy_raw_table(reference_con, "register_benefits", tmp_path / "spark", by_vintage=True)
    assert sorted(p.name for p in target.iterdir()) == [
        "extract_date=2017-06-30",
        "extract_date=2017-07-31",
    ]
    assert duckdb.connect().execute(
        f"select extract_date::varchar, count(*) from read_parquet('{target}/*/*.parquet', "
        "hive_partitioning = true) group by all order by 1"
    ).fetchall() == [("2017-06-30", 2), ("2017-07-31", 1)]


def test_a_warehouse_moved_with_its_folder_reads_its_files_after_the_next_load(tmp_path):
    import shutil

    first = tmp_path / "first"
    first.mkdir()
    inbox = tmp_path / "inbox" / "register_benefits"
    write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    with duckdb.connect(str(first / "stv.duckdb")) as con:
        load(con, inbox, BENEFITS, tmp_path)
    shutil.move(first, tmp_path / "moved")
    with duckdb.connect(str(tmp_path / "moved" / "stv.duckdb")) as con:
        [outcome] = load(con, inbox, BENEFITS, tmp_path)
        assert outcome.status == "unchanged"
        assert con.execute("select count(*) from raw.register_benefits").fetchone() == (2,)


def test_two_warehouses_in_one_folder_keep_their_files_apart(tmp_path):
    """`w.duckdb` and `w.db` side by side: each reads only its own snapshot, and loading one
    never deletes the other's files as files a dead load left."""
    june = write_parquet(tmp_path / "june" / "benefits_2017-06-30.parquet", TWO_WEEKS)
    july = write_parquet(
        tmp_path / "july" / "benefits_2017-07-31.parquet", TWO_WEEKS + " where person_id = 'p1'"
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as first:
        load(first, june.parent, BENEFITS, tmp_path)
        with duckdb.connect(str(tmp_path / "w.db")) as second:
            load(second, july.parent, BENEFITS, tmp_path)
            load(first, june.parent, BENEFITS, tmp_path)  # removes what a dead load left
            for con, delivered, rows in ((first, june, 2), (second, july, 1)):
                assert con.execute(
                    "select _file_name, count(*) from raw.register_benefits group by all"
                ).fetchall() == [(delivered.name, rows)]
                [kept] = kept_files(con, "register_benefits")
                assert sha256_of(kept) == sha256_of(delivered)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("w.")) == [
        "w.db", "w.db.registers", "w.duckdb", "w.duckdb.registers"
    ]  # fmt: skip


def test_a_warehouse_copied_without_its_folder_stops_its_load_naming_the_folder(tmp_path):
    import shutil

    inbox = tmp_path / "inbox" / "register_benefits"
    write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    with duckdb.connect(str(tmp_path / "stv.duckdb")) as con:
        load(con, inbox, BENEFITS, tmp_path)
    (tmp_path / "copy").mkdir()
    shutil.copy(tmp_path / "stv.duckdb", tmp_path / "copy" / "stv.duckdb")
    with duckdb.connect(str(tmp_path / "copy" / "stv.duckdb")) as con:
        with pytest.raises(RegisterFilesMissing) as missing:
            load(con, inbox, BENEFITS, tmp_path)
    assert str(missing.value) == (
        "register_benefits: 1 of the 1 loaded files are missing from "
        f"{tmp_path / 'copy' / 'stv.duckdb.registers' / 'register_benefits'} (first: "
        "benefits_2017-06-30.parquet): the register snapshots are kept there, beside the "
        "warehouse file; move or copy the folder with the warehouse (renamed with it), or "
        "restore both from the same backup"
    )
    with duckdb.connect(str(tmp_path / "stv.duckdb")) as con:
        assert con.execute("select count(*) from raw.register_benefits").fetchone() == (2,)


def test_a_warehouse_in_memory_has_no_place_for_register_files(tmp_path):
    inbox = tmp_path / "inbox" / "register_benefits"
    write_parquet(inbox / "benefits_2017-06-30.parquet", TWO_WEEKS)
    with pytest.raises(RegisterFilesMissing, match="a warehouse in memory has no such place"):
        load(duckdb.connect(), inbox, BENEFITS, tmp_path)

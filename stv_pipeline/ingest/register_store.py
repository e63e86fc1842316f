"""Register snapshots kept as Parquet files beside the warehouse, read through a view (issue 24).

A register source's rows (`raw.register_benefits`, `raw.register_earnings`) are not copied into
a DuckDB table. Each loaded file is kept as one Parquet file in `<warehouse file>.registers/
<source>/` beside the warehouse file (`data/warehouse/stv.duckdb.registers/` for `stv.duckdb`),
named after the whole file name like its lock and DuckDB's own `.wal`: two warehouses in one
folder (`w.duckdb`, `w.db`) never share one, and a load never deletes another warehouse's files.

* a Parquet delivery whose every value reads as delivered (person_id pseudonyms, ISO weeks,
  dates as dates) is kept byte for byte: validating it is one scan, and nothing is written but
  a copy of the file;
* any other delivery (CSV, CPR numbers to pseudonymise, values that parse to something else)
  is written once as typed Parquet of the contract's columns, so a kept file never holds a CPR
  number (DESIGN §6).

`raw.register_files` lists the kept files with how each one's columns read as the contract's,
and `raw.<source>` is a view over them: one branch per file, its vintage, file name, SHA-256 and
load time constants of the branch, so a query for one vintage reads only that vintage's files.
The view names the files by absolute path; each load defines it afresh from the folder beside
the warehouse, so a warehouse moved with its folder reads its files again once a run has loaded,
and a load finding a listed file missing there (a warehouse moved or copied without its folder)
stops, naming the folder, rather than let its run read another warehouse's files or none.

A file is kept in the same transaction as its file-log entry: the Parquet file is written and
synced first, under a name no listed file has, and only the commit lists it; a load that dies
before the commit leaves an unlisted file, which the next load deletes. A replaced file is
deleted once the commit that unlists it is done.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from .contracts import Contract

REGISTER_FILES_DDL = """
create table if not exists raw.register_files (
    source varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    loaded_at timestamp not null,
    parquet_file varchar not null,    -- the kept file's name in <warehouse>.registers/<source>/
    columns_sql varchar not null      -- how its columns read as the contract's
)
"""
WRITING_SUFFIX = ".writing"
FOLDER_SUFFIX = ".registers"


def keeps_files(contract: Contract) -> bool:
    """Register sources (a vintage per file, millions of rows) are kept as Parquet files."""
    return contract.vintage_file_prefix is not None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class RegisterFilesMissing(Exception):
    pass


def register_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """`<warehouse file>.registers/` beside the warehouse file of this connection."""
    path = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    if not path:
        raise RegisterFilesMissing(
            "register snapshots are kept as Parquet files beside the warehouse file "
            "(<warehouse>.registers/): a warehouse in memory has no such place; open the "
            "warehouse from a file"
        )
    warehouse = Path(path).resolve()
    return warehouse.with_name(f"{warehouse.name}{FOLDER_SUFFIX}")


def source_folder(con: duckdb.DuckDBPyConnection, contract: Contract) -> Path:
    folder = register_folder(con) / contract.source
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def kept_name(file_name: str, sha256: str) -> str:
    """A kept file's name: the delivered name with the content's hash, as the same name may
    come again with other content (which replaces it) and the same content under another name
    (a later vintage)."""
    stem = Path(file_name).stem
    return f"{stem}.{sha256[:16]}.parquet"


def empty_select(contract: Contract) -> str:
    columns = ", ".join(f'null::{c.sql_type} as "{c.name}"' for c in contract.output_columns)
    return (
        f"select {columns}, null::varchar as _file_name, null::varchar as _file_sha256, "
        "null::timestamp as _loaded_at where false"
    )


def view_sql(con: duckdb.DuckDBPyConnection, contract: Contract) -> str:
    """The view over the source's listed files: one branch per file, each read from the folder
    beside the warehouse as it is now."""
    folder = register_folder(con) / contract.source
    files = con.execute(
        "select file_name, sha256, loaded_at, parquet_file, columns_sql from raw.register_files "
        "where source = ? order by file_name, loaded_at",
        [contract.source],
    ).fetchall()
    branches = [
        f"select {columns}, {_literal(name)} as _file_name, {_literal(sha)} as _file_sha256, "
        f"timestamp '{loaded_at.isoformat(sep=' ')}' as _loaded_at "
        f"from read_parquet({_literal(str(folder / Path(parquet).name))})"
        for name, sha, loaded_at, parquet, columns in files
    ]
    return "\nunion all\n".join(branches) if branches else empty_select(contract)


def refresh_view(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(f"create or replace view raw.{contract.source} as {view_sql(con, contract)}")


def ensure_register_view(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """The file list and the view, the view defined afresh so that it reads the folder beside
    the warehouse wherever the two were moved; a warehouse whose source is still a table
    (written before issue 24) has that table's rows moved into kept files first."""
    con.execute(REGISTER_FILES_DDL)
    kind = con.execute(
        "select table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'raw' and table_name = ?",
        [contract.source],
    ).fetchone()
    if kind is not None and kind[0] == "BASE TABLE":
        _move_table_into_files(con, contract)
    else:
        _require_listed_files(con, contract)
        refresh_view(con, contract)


def _require_listed_files(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Every listed file in the folder beside this warehouse: a load on a warehouse file moved,
    copied or renamed without its folder stops here, before its run reads the view."""
    folder = register_folder(con) / contract.source
    listed = con.execute(
        "select file_name, parquet_file from raw.register_files where source = ? "
        "order by file_name",
        [contract.source],
    ).fetchall()
    missing = [name for name, kept in listed if not (folder / Path(kept).name).is_file()]
    if missing:
        raise RegisterFilesMissing(
            f"{contract.source}: {len(missing)} of the {len(listed)} loaded files are missing "
            f"from {folder} (first: {missing[0]}): the register snapshots are kept there, beside "
            "the warehouse file; move or copy the folder with the warehouse (renamed with it), "
            "or restore both from the same backup"
        )


def _move_table_into_files(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    folder = source_folder(con, contract)
    names = ", ".join(f'"{c.name}"' for c in contract.output_columns)
    columns = ", ".join(f'"{c.name}"::{c.sql_type} as "{c.name}"' for c in contract.output_columns)
    files = con.execute(
        f"select distinct _file_name, _file_sha256, _loaded_at from raw.{contract.source}"
    ).fetchall()
    written = []
    for name, sha, loaded_at in files:
        target = folder / kept_name(name, sha)
        con.execute(
            f"copy (select {names} from raw.{contract.source} where _file_name = ? "
            f"and _file_sha256 = ? and _loaded_at = ?) to {_literal(str(target))} "
            "(format parquet)",
            [name, sha, loaded_at],
        )
        sync(target)
        written.append((contract.source, name, sha, loaded_at, target.name, columns))
    con.execute("begin transaction")
    try:
        con.executemany("insert into raw.register_files values (?, ?, ?, ?, ?, ?)", written)
        con.execute(f"drop table raw.{contract.source}")
        refresh_view(con, contract)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def remove_unlisted(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Delete what a load that died left: files being written, and written but never listed."""
    folder = register_folder(con) / contract.source
    if not folder.is_dir():
        return
    # by name: a listed file is never deleted, however its folder was named when it was listed
    listed = {
        Path(name).name
        for (name,) in con.execute(
            "select parquet_file from raw.register_files where source = ?", [contract.source]
        ).fetchall()
    }
    for path in folder.iterdir():
        if path.name not in listed:
            path.unlink(missing_ok=True)


def sync(path: Path) -> None:
    """The file's bytes and its name on disk before a commit lists it."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def keep_copy(path: Path, target: Path) -> None:
    """The delivered file's bytes, under a name no listed file has until it is complete."""
    writing = target.with_name(target.name + WRITING_SUFFIX)
    shutil.copyfile(path, writing)
    writing.replace(target)
    sync(target)


def list_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    file_name: str,
    sha256: str,
    loaded_at: datetime,
    parquet_file: Path,
    columns_sql: str,
) -> list[str]:
    """Inside the load's transaction: list the kept file in place of the earlier version of
    the same file name, and redefine the view; returns the files it replaced (to delete once
    committed)."""
    replaced = [
        parquet_file.with_name(Path(name).name)
        for (name,) in con.execute(
            "select parquet_file from raw.register_files where source = ? and file_name = ?",
            [contract.source, file_name],
        ).fetchall()
    ]
    con.execute(
        "delete from raw.register_files where source = ? and file_name = ?",
        [contract.source, file_name],
    )
    con.execute(
        "insert into raw.register_files values (?, ?, ?, ?, ?, ?)",
        [contract.source, file_name, sha256, loaded_at, parquet_file.name, columns_sql],
    )
    refresh_view(con, contract)
    return [p for p in replaced if p != parquet_file]


def delete_files(paths: list[Path]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)

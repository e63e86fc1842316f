"""Load a source's files into `raw.<source>`: validate whole files, quarantine rejects, log loads.

Each file is one transaction (its rows and its file-log entry commit together or not at all) and
is identified by the SHA-256 of its content (with, for register files, the vintage in its name),
so loading the same content twice is a no-op and a changed file with the same name replaces the
rows of its earlier version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from .contracts import Contract, Problem
from .privacy import PseudonymKeyMissing, mask_cpr
from .readers import UnreadableFile, drop_relation, file_format, read_to_table
from .register_store import (
    delete_files,
    ensure_register_view,
    keep_copy,
    keeps_files,
    kept_name,
    list_file,
    remove_unlisted,
    source_folder,
    sync,
)
from .validation import (
    TypedScan,
    Validation,
    count_keys_in_other_rows,
    count_repeats,
    find_problems,
    other_files_of_vintage,
    typed_scan,
    vintage_from_name,
)

FILE_LOG_DDL = """
create table if not exists raw.file_log (
    source varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    origin varchar not null,          -- 'inbox' or 'sample'
    rows bigint not null,
    extract_date date,                -- the vintage, for register sources
    loaded_at timestamp not null,
    replaced_at timestamp             -- set when a changed file of the same name replaced it
)
"""
LOADER_MEMORY_LIMIT = "1GB"
META_COLUMNS = (
    "_file_name varchar not null, _file_sha256 varchar not null, _loaded_at timestamp not null"
)


@dataclass
class FileOutcome:
    source: str
    file_name: str
    sha256: str
    status: str  # loaded | unchanged | rejected
    rows: int = 0
    vintage: str | None = None
    total_problems: int = 0
    problems: list[Problem] = field(default_factory=list)
    report: str | None = None
    row_numbering: str = ""

    def summary(self) -> str:
        if self.status == "loaded":
            vintage = f", vintage {self.vintage}" if self.vintage else ""
            return f"loaded {self.file_name} ({self.source}): {self.rows} rows{vintage}"
        if self.status == "unchanged":
            return f"skipped {self.file_name} ({self.source}): already loaded with this content"
        first = self.problems[0].describe() if self.problems else ""
        return mask_cpr(
            f"REJECTED {self.file_name} ({self.source}): {self.total_problems} problem(s); "
            f"first: {first}; file moved to {self.report and Path(self.report).parent}"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def discover_files(folder: Path) -> list[Path]:
    """Deliverable files in a source folder, in name order; hidden files and reports ignored."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".report.json")
    )


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute("create schema if not exists raw")
    con.execute(FILE_LOG_DDL)
    if keeps_files(contract):
        ensure_register_view(con, contract)
        return
    cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in contract.output_columns)
    con.execute(f"create table if not exists raw.{contract.source} ({cols}, {META_COLUMNS})")


def _quarantine(
    path: Path, outcome: FileOutcome, quarantine_dir: Path, keep_original: bool
) -> None:
    target_dir = quarantine_dir / outcome.source
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{outcome.sha256[:12]}{path.suffix}"
    report_path = target.with_name(target.name + ".report.json")
    report = {
        "file": path.name,
        "source": outcome.source,
        "sha256": outcome.sha256,
        "rejected_at": datetime.now().isoformat(timespec="seconds"),
        "total_problems": outcome.total_problems,
        "problems_shown": len(outcome.problems),
        "row_numbering": outcome.row_numbering or "row 1 is the header",
        "problems": [asdict(p) for p in outcome.problems],
    }
    report_path.write_text(mask_cpr(json.dumps(report, indent=2, ensure_ascii=False)), "utf-8")
    if keep_original:  # shipped sample files are part of the repository: copy, never move
        shutil.copy2(path, target)
    else:
        shutil.move(str(path), target)
    outcome.report = str(report_path)


# Raised inside DuckDB by the first row breaking a rule: the insert stops and rolls back.
BROKEN_ROW = "stv_pipeline: a row breaks the contract of its source"
TYPED = "_incoming_typed"


def _read_and_scan(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    pseudonym_key: str | None,
    outcome: FileOutcome,
) -> TypedScan | Validation:
    fmt = file_format(path)
    reader = contract.readers.get(fmt)
    if reader is None:
        accepted = ", ".join(contract.formats)
        rule = f"file type .{fmt} is not accepted for {contract.source} (accepted: {accepted})"
        return Validation([Problem(rule)], 1)
    try:
        outcome.row_numbering = read_to_table(con, path, "_incoming", reader)
    except UnreadableFile as exc:
        return Validation([Problem(mask_cpr(str(exc)), row=exc.row)], 1)
    return typed_scan(con, contract, "_incoming", path, pseudonym_key)


@dataclass(frozen=True)
class Loaded:
    rows: int
    extract_date: date | None


def _checked_rows(scan: TypedScan) -> str:
    """The parsed rows, a broken row raising BROKEN_ROW inside DuckDB."""
    return (
        f"select * from ({scan.select}) "
        f"where case when {scan.any_broken} then error('{BROKEN_ROW}') else true end"
    )


def _insert_checked(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    sha: str,
    origin: str,
    scan: TypedScan,
    *,
    check: bool,
) -> Loaded | None:
    """Load the file in one transaction, parsing it once: the insert reads the typed scan and a
    broken row aborts it; then the inserted (typed) rows, with the other files of their vintage,
    are checked for repeated keys. Returns None, with nothing changed, when a row breaks a rule
    or a key may repeat (`check`). A register file is kept as Parquet instead (_keep_checked)."""
    if keeps_files(contract):
        return _keep_checked(con, contract, path, sha, origin, scan, check=check)
    names = ", ".join(f'"{c.name}"' for c in contract.output_columns)
    rows_sql = _checked_rows(scan) if check else scan.select
    this_file = (
        f"(select * from raw.{contract.source} "
        "where _file_name = $file_name and _loaded_at = $loaded_at)"
    )
    loaded_at = datetime.now()
    meta = {"file_name": path.name, "sha256": sha, "loaded_at": loaded_at}
    con.execute("begin transaction")
    in_transaction = True
    try:
        con.execute(f"delete from raw.{contract.source} where _file_name = ?", [path.name])
        con.execute(
            "update raw.file_log set replaced_at = ? "
            "where source = ? and file_name = ? and replaced_at is null",
            [loaded_at, contract.source, path.name],
        )
        try:
            rows = con.execute(
                f"insert into raw.{contract.source} ({names}, _file_name, _file_sha256, "
                f"_loaded_at) select {names}, $file_name, $sha256, $loaded_at from ({rows_sql})",
                {**scan.params, **meta},
            ).fetchone()[0]
        except duckdb.Error as exc:
            if BROKEN_ROW not in str(exc):
                raise
            in_transaction = False
            con.execute("rollback")
            return None
        first = last = None
        if contract.vintage_file_prefix:
            first, last = con.execute(
                f"select min(extract_date), max(extract_date) from {this_file}",
                {"file_name": path.name, "loaded_at": loaded_at},
            ).fetchone()
        # a key may repeat within the file or, when the vintage comes in several files (one
        # per region, say), across them: the file's own keys are hashed once, and the rows of
        # the vintage's other files are looked up in that hash table
        keyed_params = {"file_name": path.name, "loaded_at": loaded_at}
        other_files = (
            f"(select * from raw.{contract.source} where extract_date between $first and $last "
            "and not (_file_name = $file_name and _loaded_at = $loaded_at))"
        )
        if check and (
            count_repeats(con, contract, this_file, keyed_params)
            or (
                other_files_of_vintage(con, contract, path.name, first, last)
                and count_keys_in_other_rows(
                    con,
                    contract,
                    this_file,
                    other_files,
                    {**keyed_params, "first": first, "last": last},
                )
            )
        ):
            in_transaction = False
            con.execute("rollback")
            return None
        con.execute(
            "insert into raw.file_log values (?, ?, ?, ?, ?, ?, ?, null)",
            [contract.source, path.name, sha, origin, rows, last, loaded_at],
        )
        in_transaction = False
        con.execute("commit")
    except BaseException:
        if in_transaction:
            con.execute("rollback")
        raise
    return Loaded(rows, last)


def _keep_checked(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    sha: str,
    origin: str,
    scan: TypedScan,
    *,
    check: bool,
) -> Loaded | None:
    """Keep a register file as Parquet (register_store.py), parsing it once: a Parquet file
    whose every row reads as delivered is checked by one scan and copied as it is, any other
    is written as typed Parquet by the scan itself; a broken row aborts either. The kept rows,
    with the other files of their vintage, are then checked for repeated keys, and the file is
    listed with its file-log entry in one transaction. Returns None, with nothing changed, when
    a row breaks a rule or a key may repeat (`check`)."""
    names = ", ".join(f'"{c.name}"' for c in contract.output_columns)
    typed = ", ".join(f'"{c.name}"::{c.sql_type} as "{c.name}"' for c in contract.output_columns)
    rows_sql = _checked_rows(scan) if check else scan.select
    target = source_folder(con, contract) / kept_name(path.name, sha)
    writing = target.with_name(target.name + ".writing")
    try:
        as_delivered = False
        if scan.as_delivered is not None and file_format(path) == "parquet":
            rows, as_delivered = con.execute(
                f"select count(*), coalesce(bool_and({scan.reads_as_delivered}), true) "
                f"from ({rows_sql})",
                scan.params,
            ).fetchone()
        if as_delivered:
            keep_copy(path, target)
            columns = scan.as_delivered
        else:
            rows = con.execute(
                f"copy (select {names} from ({rows_sql})) to {_literal(writing)} (format parquet)",
                scan.params,
            ).fetchone()[0]
            writing.replace(target)
            sync(target)
            columns = typed
    except duckdb.Error as exc:
        writing.unlink(missing_ok=True)
        if BROKEN_ROW not in str(exc):
            raise
        return None
    kept_rows = f"(select {columns} from read_parquet({_literal(target)}))"
    first = last = None
    if contract.vintage_file_prefix:
        first, last = con.execute(
            f"select min(extract_date), max(extract_date) from {kept_rows}"
        ).fetchone()
    other_files = (
        f"(select * from raw.{contract.source} where extract_date between $first and $last "
        "and _file_name <> $file_name)"
    )
    if check and (
        count_repeats(con, contract, kept_rows, {})
        or (
            other_files_of_vintage(con, contract, path.name, first, last)
            and count_keys_in_other_rows(
                con,
                contract,
                kept_rows,
                other_files,
                {"file_name": path.name, "first": first, "last": last},
            )
        )
    ):
        target.unlink(missing_ok=True)
        return None
    loaded_at = datetime.now()
    con.execute("begin transaction")
    try:
        con.execute(
            "update raw.file_log set replaced_at = ? "
            "where source = ? and file_name = ? and replaced_at is null",
            [loaded_at, contract.source, path.name],
        )
        replaced = list_file(con, contract, path.name, sha, loaded_at, target, columns)
        con.execute(
            "insert into raw.file_log values (?, ?, ?, ?, ?, ?, ?, null)",
            [contract.source, path.name, sha, origin, rows, last, loaded_at],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        target.unlink(missing_ok=True)
        raise
    delete_files(replaced)
    return Loaded(rows, last)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def load_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    *,
    origin: str,
    quarantine_dir: Path,
    pseudonym_key: str | None,
) -> FileOutcome:
    sha = sha256_of(path)
    outcome = FileOutcome(contract.source, path.name, sha, status="unchanged")
    # A file is its content; but a register file's vintage is in its name, so the same rows
    # delivered as a later extract (nothing changed) are a new vintage, not a repeat.
    vintage = (
        vintage_from_name(path, contract.vintage_file_prefix)
        if contract.vintage_file_prefix
        else None
    )
    already = con.execute(
        "select 1 from raw.file_log where source = ? and sha256 = ? and replaced_at is null "
        "and (?::date is null or extract_date = ?::date)",
        [contract.source, sha, vintage, vintage],
    ).fetchone()
    if already:
        return outcome

    scan = _read_and_scan(con, contract, path, pseudonym_key, outcome)
    if isinstance(scan, Validation):
        return _reject(path, outcome, scan, quarantine_dir, origin)
    loaded = _insert_checked(con, contract, path, sha, origin, scan, check=True)
    if loaded is None:
        # A broken row or a possibly repeated key: find every problem with its place. None
        # found means a hash collision.
        validation = find_problems(con, contract, scan, path, TYPED)
        if validation.total:
            return _reject(path, outcome, validation, quarantine_dir, origin)
        loaded = _insert_checked(con, contract, path, sha, origin, scan, check=False)
    outcome.status, outcome.rows = "loaded", loaded.rows
    outcome.vintage = loaded.extract_date.isoformat() if loaded.extract_date else None
    return outcome


def _reject(
    path: Path, outcome: FileOutcome, validation: Validation, quarantine_dir: Path, origin: str
) -> FileOutcome:
    outcome.status, outcome.problems = "rejected", validation.problems
    outcome.total_problems = max(validation.total, len(validation.problems))
    _quarantine(path, outcome, quarantine_dir, keep_original=origin == "sample")
    return outcome


def load_source(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    folder: Path,
    *,
    origin: str,
    quarantine_dir: Path,
    pseudonym_key: str | None,
    log: Callable[[str], None] = print,
) -> list[FileOutcome]:
    """Load every file of one source folder; a rejected file never stops the others.

    Files with CPR numbers but no pseudonymisation key are left in the inbox untouched (the
    file is fine, the configuration is not); once the other files are loaded, that is raised.
    """
    ensure_raw_tables(con, contract)
    if keeps_files(contract):
        remove_unlisted(con, contract)
    outcomes, waiting = [], []
    previous_limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    # Large register files stay within a bounded memory: DuckDB spills to disk beyond this.
    con.execute(f"set memory_limit = '{LOADER_MEMORY_LIMIT}'")
    con.execute("set enable_progress_bar = false")
    try:
        for path in discover_files(folder):
            try:
                outcome = load_file(
                    con,
                    contract,
                    path,
                    origin=origin,
                    quarantine_dir=quarantine_dir,
                    pseudonym_key=pseudonym_key,
                )
            except PseudonymKeyMissing as exc:
                waiting.append(str(exc))
                continue
            log(outcome.summary())
            outcomes.append(outcome)
    finally:
        for relation in ("_incoming_typed_problems", "_incoming_typed", "_incoming"):
            drop_relation(con, relation)
        con.execute(f"set memory_limit = '{previous_limit}'")
    if waiting:
        raise PseudonymKeyMissing("; ".join(waiting))
    return outcomes

"""Turn a contract into SQL that parses a file's text cells and lists every broken rule.

Input: a temp table or view of text cells (see `readers.py`). Output: a `TypedScan`, the SQL
that parses those cells into the contract's typed columns (plus `<column>__raw` text for
reporting) with a flag for rows breaking any row rule, and, for a file with problems, every
problem with its row, column and value.

Why one scan: a register extract has millions of rows and is valid nearly always, so the loader
inserts it straight from this parse and lets a broken row abort the insert (loader.py); no
typed copy is materialised and the file is parsed once. Only a file with problems pays for the
detailed per-rule queries that name rows and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from .contracts import (
    CPR,
    CPR_ALIASES,
    EXTRACT_DATE_ALIASES,
    PERSON_ID_ALIASES,
    Column,
    Contract,
    Problem,
    Validation,
)
from .macros import define_macros, render
from .privacy import PseudonymKeyMissing, hmac_pads, hmac_sql, mask_cpr
from .readers import ROW_COLUMN, drop_relation

REPORTED_PROBLEMS = 50


def _norm(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip().lstrip("\ufeff").lower())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def vintage_from_name(path: Path, prefix: str) -> date | None:
    """The date in `<prefix>_YYYY-MM-DD[...].ext`; `prefix` is a regular expression.

    benefits_2019-01-15.csv, or benefits_2019-01-15_0450.csv when split per municipality."""
    pattern = rf"(?:{prefix})_(\d{{4}}-\d{{2}}-\d{{2}})(?:[_.-].*)?"
    match = re.fullmatch(pattern, path.stem, re.IGNORECASE)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


@dataclass
class HeaderMap:
    """Canonical column name → the file's header, plus problems with the header itself."""

    columns: dict[str, str]
    problems: list[Problem]
    cpr_header: str | None = None


def map_headers(headers: list[str], contract: Contract) -> HeaderMap:
    by_norm: dict[str, str] = {}
    problems: list[Problem] = []
    for h in headers:
        if h == ROW_COLUMN:
            continue
        if _norm(h) in by_norm:
            problems.append(Problem(f"column '{h}' appears twice in the header", row=1, column=h))
        by_norm[_norm(h)] = h

    def find(field: str, names: tuple[str, ...]) -> str | None:
        """The header delivering `field`; two would be ambiguous, which rejects the file."""
        hits = [by_norm[n] for n in names if n in by_norm]
        if len(hits) > 1:
            quoted = [f"'{h}'" for h in hits]
            named = ", ".join(quoted[:-1]) + " and " + quoted[-1]
            each = "both" if len(hits) == 2 else "all"
            problems.append(
                Problem(
                    f"columns {named} {each} deliver the field {field}: deliver one of them",
                    row=1,
                    column=field,
                )
            )
        return hits[0] if hits else None

    mapped: dict[str, str] = {}
    for col in contract.columns:
        if col.derived_from:
            continue
        header = find(col.name, (col.name, *col.aliases))
        if header is not None:
            mapped[col.name] = header
        elif col.required:
            names = " / ".join((col.name, *col.aliases))
            problems.append(Problem(f"required column missing (expected {names})", row=1))

    cpr_header = None
    if contract.has_person:
        cpr_header = find("cpr", CPR_ALIASES)
        person_header = find("person_id", PERSON_ID_ALIASES)
        if cpr_header and person_header:
            problems.append(Problem("give either cpr or person_id, not both", row=1))
        elif person_header:
            mapped["person_id"] = person_header
        elif not cpr_header:
            problems.append(Problem("required column missing (expected cpr or person_id)", row=1))
    if contract.vintage_file_prefix:
        header = find("extract_date", EXTRACT_DATE_ALIASES)
        if header:
            mapped["extract_date"] = header
    return HeaderMap(mapped, problems, cpr_header)


def _is_missing(col: Column, raw: str) -> str:
    """SQL: the raw cell holds no value (empty, or one of the column's missing markers)."""
    markers = ", ".join("'" + m.replace("'", "''") + "'" for m in col.missing)
    blank = f"nullif(trim({raw}), '') is null"
    return f"({blank} or trim({raw}) in ({markers}))" if col.missing else blank


def _typed_select(contract: Contract, headers: HeaderMap, vintage: date | None) -> list[str]:
    parts = [ROW_COLUMN]
    for col in contract.output_columns:
        if col.name == "person_id" and headers.cpr_header:
            raw = _quote(headers.cpr_header)
            cpr = CPR.format(c=raw)
            parts.append(f"case when {cpr} is not null then {hmac_sql(cpr)} end as person_id")
            parts.append(f"{raw} as person_id__raw")
            continue
        if col.name == "extract_date" and "extract_date" not in headers.columns:
            literal = f"date '{vintage.isoformat()}'" if vintage else "null::date"
            parts.append(f"{literal} as extract_date")
            parts.append(f"'{vintage.isoformat() if vintage else ''}' as extract_date__raw")
            continue
        header = headers.columns.get(col.derived_from or col.name)
        raw = _quote(header) if header else "null::varchar"
        parsed = col.parse.format(c=raw)
        if col.missing:
            parsed = f"case when {_is_missing(col, raw)} then null else {parsed} end"
        parts.append(f"({parsed})::{col.sql_type} as {_quote(col.name)}")
        parts.append(f"{raw} as {_quote(col.name + '__raw')}")
    return parts


@dataclass(frozen=True)
class RowCheck:
    column: str
    rule: str
    where: str  # true for a row breaking the rule
    reported_as: str | None = None  # see Column.reported_as


def _row_checks(contract: Contract, cpr: bool) -> list[RowCheck]:
    """The rules each row is checked against on its own (not the uniqueness rules), in the
    order a row's problems are reported: the columns' in the contract's order, then its rules."""
    columns = {c.name: c for c in contract.output_columns}
    checks = [
        RowCheck(col.name, rule, where, col.reported_as)
        for col in contract.output_columns
        if not col.derived_from
        for rule, where in _column_checks(contract, col, cpr)
    ]
    for rule in contract.rules:
        needs = [n for n in rule.needs if n in columns]
        guard = " and ".join(f"{_quote(n)} is not null" for n in needs) or "true"
        reported_as = columns[rule.column].reported_as if rule.column in columns else None
        checks.append(RowCheck(rule.column, rule.rule, f"{guard} and ({rule.broken})", reported_as))
    return checks


def _column_checks(contract: Contract, col: Column, cpr: bool) -> list[tuple[str, str]]:
    """(rule, SQL true for a row breaking it) of one column's cell: there when required, and
    what it parses to."""
    raw, parsed = _quote(col.name + "__raw"), _quote(col.name)
    blank = _is_missing(col, raw)
    expected = col.expected
    if col.name == "person_id" and cpr:
        expected = "a CPR number of 10 digits (DDMMYY-XXXX or DDMMYYXXXX)"
    checks = []
    if col.name == "extract_date":
        if contract.vintage_file_prefix:
            checks.append(
                (
                    "extract date missing: name the file "
                    f"{contract.vintage_file_prefix}_YYYY-MM-DD.<ext> "
                    "or add an extract_date column",
                    blank,
                )
            )
    elif col.required:
        checks.append(("is required", blank))
    checks.append((f"must be {expected}", f"not ({blank}) and {parsed} is null"))
    return checks


def _problems_sql(contract: Contract, typed: str, cpr: bool, file_name: str) -> str:
    """SQL listing every problem of the parse `typed` (sql/problems.sql)."""
    return render(
        "problems.sql",
        typed=typed,
        row_column=ROW_COLUMN,
        checks=_row_checks(contract, cpr),
        unique_key=list(contract.unique_key),
        unique_rule=contract.unique_rule,
        by_vintage=bool(contract.vintage_file_prefix),
        source=contract.source,
        file_name=file_name,
    )


def _as_delivered(contract: Contract, headers: HeaderMap, vintage: date | None) -> list[str]:
    """The contract's columns read from the delivered file's own columns (each cast to its
    type), the vintage from the file's name where the file has no extract_date column."""
    parts = []
    for col in contract.output_columns:
        header = headers.columns.get(col.derived_from or col.name)
        if col.name == "extract_date" and header is None:
            literal = f"date '{vintage.isoformat()}'" if vintage else "null::date"
            parts.append(f"{literal} as extract_date")
        elif header is None:
            parts.append(f"null::{col.sql_type} as {_quote(col.name)}")
        else:
            parts.append(f"{_quote(header)}::{col.sql_type} as {_quote(col.name)}")
    return parts


@dataclass(frozen=True)
class TypedScan:
    """A file's rows parsed by its contract: `select` (over the file's text cells, with the
    named `params` it binds) yields the typed columns, their `__raw` text and `_row`;
    `any_broken` is SQL over those, true for a row that breaks a row rule.

    `as_delivered` reads the same columns from the delivered file's own (typed) columns, and
    `reads_as_delivered` is SQL over the parse, true for a row each of whose values is the
    delivered cell itself (no trimming, no decimal comma, no missing marker): a file whose
    every row reads as delivered can be kept as it is. None when it cannot be (a CPR number is
    never kept)."""

    select: str
    params: dict[str, object]
    any_broken: str
    cpr: bool
    as_delivered: str | None = None
    reads_as_delivered: str = "false"


def typed_scan(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    incoming: str,
    path: Path,
    pseudonym_key: str | None,
) -> TypedScan | Validation:
    """How to parse and check `incoming`, or the problems of a header that cannot be used."""
    define_macros(con)
    headers = [r[0] for r in con.execute(f"describe {incoming}").fetchall()]
    header_map = map_headers(headers, contract)
    if header_map.problems:
        return Validation(header_map.problems, len(header_map.problems))
    if header_map.cpr_header and not pseudonym_key:
        raise PseudonymKeyMissing(
            f"{path.name} has a CPR column but STV_PSEUDONYM_KEY is not set: set the key "
            "(see .env.example) so CPR numbers can be pseudonymised before anything is written"
        )
    vintage = (
        vintage_from_name(path, contract.vintage_file_prefix or "")
        if contract.vintage_file_prefix
        else None
    )
    if vintage is None and contract.vintage_defaults_to_load_date:
        vintage = date.today()
    cpr = bool(header_map.cpr_header)
    select = (
        "select " + ", ".join(_typed_select(contract, header_map, vintage)) + f" from {incoming}"
    )
    any_broken = " or ".join(f"({c.where})" for c in _row_checks(contract, cpr)) or "false"
    params = hmac_pads(pseudonym_key) if cpr and pseudonym_key else {}
    if cpr or any(c.derived_from for c in contract.output_columns):
        return TypedScan(select, dict(params), any_broken, cpr)
    reads_as_delivered = " and ".join(
        f"{_quote(c.name)}::varchar is not distinct from {_quote(c.name + '__raw')}"
        for c in contract.output_columns
        if c.name != "extract_date" or "extract_date" in header_map.columns
    )
    return TypedScan(
        select,
        dict(params),
        any_broken,
        cpr,
        as_delivered=", ".join(_as_delivered(contract, header_map, vintage)),
        reads_as_delivered=reads_as_delivered or "true",
    )


def _hashed_keys(contract: Contract, rows: str) -> str:
    """SQL: the 64-bit hash `h` of each key of `rows` (within its vintage), rows without a whole
    key left out."""
    key = [*contract.unique_key, *(["extract_date"] if contract.vintage_file_prefix else [])]
    keyed = " and ".join(f"{_quote(k)} is not null" for k in contract.unique_key)
    return f"select hash({', '.join(_quote(k) for k in key)}) as h from {rows} where {keyed}"


def count_repeats(
    con: duckdb.DuckDBPyConnection, contract: Contract, rows: str, params: dict[str, object]
) -> int:
    """Keys occurring more than once in `rows` (SQL of a typed relation, binding `params`),
    counted on a 64-bit hash of the key (one cheap aggregate); a hash collision only sends the
    file to the exact per-row queries, which then find nothing."""
    if not contract.unique_key:
        return 0
    return con.execute(
        f"select count(*) from ({_hashed_keys(contract, rows)} group by h having count(*) > 1)",
        params,
    ).fetchone()[0]


def count_keys_in_other_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    rows: str,
    others: str,
    params: dict[str, object],
) -> int:
    """Rows of `others` (typed rows already loaded: the other files of a vintage) whose key
    is also a key of `rows`, compared on the same hash: a semi join whose hash table holds only
    the new file's keys, where one aggregate over the whole vintage would hold all of them."""
    if not contract.unique_key:
        return 0
    return con.execute(
        f"select count(*) from ({_hashed_keys(contract, others)}) as other "
        f"semi join ({_hashed_keys(contract, rows)}) as new on other.h = new.h",
        params,
    ).fetchone()[0]


def other_files_of_vintage(
    con: duckdb.DuckDBPyConnection, contract: Contract, file_name: str, first, last
) -> bool:
    """Whether the file log holds another file of the vintages first..last (then the rows
    must be checked against that file's for repeated keys)."""
    if not contract.vintage_file_prefix or first is None:
        return False
    return bool(
        con.execute(
            "select count(*) from raw.file_log where source = ? and file_name <> ? "
            "and replaced_at is null and extract_date between ? and ?",
            [contract.source, file_name, first, last],
        ).fetchone()[0]
    )


def find_problems(
    con: duckdb.DuckDBPyConnection, contract: Contract, scan: TypedScan, path: Path, typed: str
) -> Validation:
    """Every broken rule of the file with its row, column and value (the first
    REPORTED_PROBLEMS), from the parse in temp relation `typed`."""
    drop_relation(con, typed)
    if scan.params:
        # The key is bound as a parameter, which a view cannot hold: materialise the hashes.
        con.execute(f"create temp table {typed} as {scan.select}", scan.params)
    else:
        con.execute(f"create temp view {typed} as {scan.select}")
    return _problems(con, contract, typed, path, scan.cpr)


def _problems(
    con: duckdb.DuckDBPyConnection, contract: Contract, typed: str, path: Path, cpr: bool
) -> Validation:
    """Every broken rule with its row, column and value (the first REPORTED_PROBLEMS)."""
    problems_sql = _problems_sql(contract, typed, cpr, path.name)
    drop_relation(con, f"{typed}_problems")
    # distinct: a source row read as several rows (a wide table made long) breaks a rule of
    # its shared cells once, not once per row made of it
    con.execute(f"create temp table {typed}_problems as select distinct * from ({problems_sql})")
    total = con.execute(f"select count(*) from {typed}_problems").fetchone()[0]
    rows = con.execute(
        f"select row_number, column_name, value, rule from {typed}_problems "
        f"order by row_number, check_order limit {REPORTED_PROBLEMS}"
    ).fetchall()
    problems = [
        Problem(
            rule=rule,
            row=int(row),
            column=column,
            value=mask_cpr(value) if value is not None else None,
        )
        for row, column, value, rule in rows
    ]
    if cpr:
        problems = [
            Problem(
                p.rule,
                p.row,
                p.column,
                "XXXXXX-XXXX" if p.column == "person_id" and p.value else p.value,
            )
            for p in problems
        ]
    return Validation(problems, total)

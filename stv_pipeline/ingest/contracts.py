"""The input data contracts of DESIGN §2, as data.

A contract lists the canonical columns of a source with their Danish aliases, how each value is
parsed from text (a DuckDB SQL expression over the raw cell `{c}`) and the rules a parsed row
must satisfy. The validation engine (`validation.py`) turns these into SQL, so a contract change
never needs new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stv_pipeline.settings import DBT_PROJECT_DIR

# --- parsers: SQL over one raw text cell `{c}` that yield a typed value, or NULL when invalid ---
TEXT = "nullif(trim({c}), '')"
INTEGER = "try_cast(trim({c}) as bigint)"
# Decimal comma or point; a comma means the point (if any) is a thousands separator.
DECIMAL = (
    "try_cast(case when contains(trim({c}), ',') "
    "then replace(replace(trim({c}), '.', ''), ',', '.') else trim({c}) end as double)"
)
DATE = (
    "coalesce(try_strptime(trim({c}), '%Y-%m-%d'), try_strptime(trim({c}), '%d-%m-%Y'), "
    "try_strptime(trim({c}), '%d/%m/%Y'), try_strptime(trim({c}), '%Y-%m-%d %H:%M:%S'))::date"
)
ISO_WEEK = (
    "case when regexp_full_match(trim({c}), '\\d{{4}}-W\\d{{2}}') "
    "and try_cast(substr(trim({c}), 7, 2) as integer) between 1 "
    "and weekofyear(make_date(try_cast(substr(trim({c}), 1, 4) as integer), 12, 28)) "
    "then trim({c}) end"
)
MONTH = (
    "case when regexp_full_match(trim({c}), '\\d{{4}}-\\d{{2}}') "
    "then try_strptime(trim({c}) || '-01', '%Y-%m-%d')::date end"
)


def iso_week_monday(week: str) -> str:
    """SQL for the Monday of a valid ISO week text `YYYY-Www`: week 1 holds January 4th."""
    jan4 = f"make_date(cast(substr({week}, 1, 4) as integer), 1, 4)"
    week_number = f"cast(substr({week}, 7, 2) as integer)"
    return f"({jan4} - cast(isodow({jan4}) - 1 as integer) + ({week_number} - 1) * 7)"


CPR = (
    "case when regexp_full_match(trim({c}), '\\d{{6}}-?\\d{{4}}') "
    "then replace(trim({c}), '-', '') end"
)


def enum(values: dict[str, str]) -> str:
    """Parser for a closed list; `values` maps every accepted spelling (lower case) to its key."""
    whens = " ".join(f"when '{alias}' then '{key}'" for alias, key in values.items())
    return f"case lower(trim({{c}})) {whens} end"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    parse: str
    expected: str  # what a valid value looks like, for error reports
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Rule:
    """A row rule. `broken` is SQL over the parsed columns, true when the row breaks the rule;
    it is only evaluated when every column it names parsed, so it never repeats a type error."""

    column: str
    rule: str
    broken: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    source: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    formats: tuple[str, ...] = ("csv",)
    # Register sources identify persons (cpr or person_id) and carry a vintage.
    has_person: bool = False
    vintage_file_prefix: str | None = None
    unique_key: tuple[str, ...] = ()
    unique_rule: str = ""

    @property
    def output_columns(self) -> tuple[Column, ...]:
        cols = self.columns
        if self.has_person:
            cols = (Column("person_id", "varchar", TEXT, "a pseudonymised person id"), *cols)
        if self.vintage_file_prefix:
            cols = (*cols, Column("extract_date", "date", DATE, "a date"))
        return cols


def seed(name: str) -> str:
    """SQL reading one reference seed CSV of the dbt project (dbt/seeds/<name>.csv) directly:
    the loaders check codes against the same file dbt loads into reference.<name>, so ingestion
    does not wait for a dbt build of the seeds."""
    path = str(DBT_PROJECT_DIR / "seeds" / f"{name}.csv").replace("'", "''")
    return f"read_csv('{path}', header = true)"


MUNICIPALITY = Column(
    "municipality_code", "integer", INTEGER, "an integer municipality code", ("kommunekode",)
)
KNOWN_MUNICIPALITY = Rule(
    "municipality_code",
    "must be one of the 98 municipality codes (reference.municipalities)",
    f"municipality_code not in (select municipality_code from {seed('municipalities')})",
    ("municipality_code",),
)

REGISTER_BENEFITS = Contract(
    source="register_benefits",
    formats=("csv", "parquet"),
    has_person=True,
    vintage_file_prefix="benefits",
    columns=(
        MUNICIPALITY,
        Column("iso_week", "varchar", ISO_WEEK, "an ISO week YYYY-Www", ("uge",)),
        Column("benefit_code", "varchar", TEXT, "a benefit code", ("ydelseskode",)),
        Column(
            "activation_code",
            "varchar",
            TEXT,
            "an activation code",
            ("indsatskode",),
            required=False,
        ),
        Column("registered_date", "date", DATE, "a date", ("registreringsdato",)),
    ),
    rules=(
        KNOWN_MUNICIPALITY,
        Rule(
            "benefit_code",
            "must exist in the benefit-code mapping (seed benefit_codes)",
            f"benefit_code not in (select benefit_code from {seed('benefit_codes')})",
            ("benefit_code",),
        ),
        Rule(
            "activation_code",
            "must exist in the activation-code mapping (seed activation_codes) when present",
            f"activation_code not in (select activation_code from {seed('activation_codes')})",
            ("activation_code",),
        ),
        Rule(
            "registered_date",
            "must not be before the week's Monday minus 7 days",
            f"registered_date < {iso_week_monday('iso_week')} - 7",
            ("registered_date", "iso_week"),
        ),
        Rule(
            "registered_date",
            "must not be after the extract date",
            "registered_date > extract_date",
            ("registered_date", "extract_date"),
        ),
    ),
    unique_key=("person_id", "iso_week"),
    unique_rule="a person has at most one row per week per vintage",
)

REGISTER_EARNINGS = Contract(
    source="register_earnings",
    formats=("csv", "parquet"),
    has_person=True,
    vintage_file_prefix="earnings",
    columns=(
        Column("month", "date", MONTH, "a month YYYY-MM", ("maaned", "måned")),
        Column("ordinary_hours", "double", DECIMAL, "a decimal number", ("loentimer", "løntimer")),
    ),
    rules=(
        Rule(
            "ordinary_hours",
            "must be between 0 and 744 hours",
            "ordinary_hours < 0 or ordinary_hours > 744",
            ("ordinary_hours",),
        ),
    ),
)

MUNICIPAL_MONITORING = Contract(
    source="municipal_monitoring",
    formats=("csv", "xlsx"),
    columns=(
        MUNICIPALITY,
        Column("extract_date", "date", DATE, "a date", ("udtraeksdato", "udtræksdato")),
        Column("measure", "varchar", f"lower({TEXT})", "a measure name", ("maal", "mål")),
        Column(
            "provider",
            "varchar",
            TEXT,
            "a provider name",
            ("leverandoer", "leverandør"),
            required=False,
        ),
        Column("count", "bigint", INTEGER, "a whole number", ("antal",)),
    ),
    rules=(
        KNOWN_MUNICIPALITY,
        Rule("count", "must be 0 or more", "count < 0", ("count",)),
    ),
)

MUNICIPAL_TARGETS = Contract(
    source="municipal_targets",
    formats=("csv", "xlsx"),
    columns=(
        MUNICIPALITY,
        Column("measure", "varchar", f"lower({TEXT})", "a measure name", ("maal", "mål")),
        Column("target_date", "date", DATE, "a date", ("dato",)),
        Column("target_count", "double", DECIMAL, "a decimal number", ("maaltal", "måltal")),
    ),
    rules=(
        KNOWN_MUNICIPALITY,
        Rule("target_count", "must be 0 or more", "target_count < 0", ("target_count",)),
    ),
    unique_key=("municipality_code", "measure", "target_date"),
    unique_rule="one target point per municipality, measure and date",
)

IMPLEMENTATION_SURVEY = Contract(
    source="implementation_survey",
    formats=("csv", "xlsx"),
    columns=(
        Column("respondent_id", "varchar", TEXT, "a respondent id", ("respondent",)),
        MUNICIPALITY,
        Column(
            "wave",
            "varchar",
            enum(
                {
                    "baseline": "baseline",
                    "nulpunkt": "baseline",
                    "endline": "endline",
                    "slutmaaling": "endline",
                    "slutmåling": "endline",
                }
            ),
            "baseline or endline (nulpunkt or slutmaaling)",
            ("maaling", "måling", "runde"),
        ),
        Column(
            "role",
            "varchar",
            enum(
                {r: r for r in ("leder", "projektleder", "sagsbehandler", "virksomhedskonsulent")}
            ),
            "leder, projektleder, sagsbehandler or virksomhedskonsulent",
            ("rolle",),
        ),
        Column(
            "item",
            "varchar",
            enum({i.lower(): i for i in ("1A", "1B", "1C", "2A", "2B", "3A", "3B", "3C")}),
            "one of 1A 1B 1C 2A 2B 3A 3B 3C",
            ("krav", "minimumskrav"),
        ),
        # Empty means "ved ikke" (don't know): kept as NULL and left out of every mean.
        Column("score", "integer", INTEGER, "a whole number 1-5", ("svar",), required=False),
    ),
    rules=(
        KNOWN_MUNICIPALITY,
        Rule(
            "score",
            "must be between 1 and 5 (or empty for 'ved ikke')",
            "score not between 1 and 5",
            ("score",),
        ),
    ),
    unique_key=("respondent_id", "wave", "item"),
    unique_rule="one answer per respondent, wave and item",
)

STV_PARTICIPANTS = Contract(
    source="stv_participants",
    formats=("csv", "xlsx"),
    columns=(
        MUNICIPALITY,
        Column("start_date", "date", DATE, "a date", ("startdato",), required=False),
    ),
    rules=(KNOWN_MUNICIPALITY,),
    unique_key=("municipality_code",),
    unique_rule="a municipality is listed once",
)

CONTRACTS: dict[str, Contract] = {
    c.source: c
    for c in (
        REGISTER_BENEFITS,
        REGISTER_EARNINGS,
        MUNICIPAL_MONITORING,
        MUNICIPAL_TARGETS,
        IMPLEMENTATION_SURVEY,
        STV_PARTICIPANTS,
    )
}

# Column names a person identifier may arrive under; cpr is pseudonymised at load (DESIGN §6).
CPR_ALIASES = ("cpr", "cprnr", "cpr_nr", "cpr-nr")
PERSON_ID_ALIASES = ("person_id", "personid", "pnr_pseudo")
EXTRACT_DATE_ALIASES = ("extract_date", "udtraeksdato", "udtræksdato")


@dataclass(frozen=True)
class Problem:
    """One broken rule in one place of a file. `row` is the row number a user sees in Excel or
    a text editor (header = row 1); None for problems of the whole file."""

    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        col = f", column '{self.column}'" if self.column else ""
        val = f", value {self.value!r}" if self.value is not None else ""
        return f"{where}{col}{val}: {self.rule}"


@dataclass
class Validation:
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

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
    # Cell texts that mean "no value" as an empty cell does (e.g. a suppressed figure shown
    # as '..'): NULL, never a parse error.
    missing: tuple[str, ...] = ()
    # A column computed from another column's cell (`parse` reads that cell): it has no header
    # of its own and is checked through the column it comes from and the contract's rules.
    derived_from: str | None = None
    # The column whose cell names this cell's column in the delivered file (a wide table read
    # as long rows: the measure label of a value), shown as the column in problem reports.
    reported_as: str | None = None


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
    # A regular expression for the file-name part before `_YYYY-MM-DD` that dates a vintage.
    vintage_file_prefix: str | None = None
    # A file without a date in its name (or an extract_date column) is of the load date,
    # instead of being rejected.
    vintage_defaults_to_load_date: bool = False
    # Files whose layout needs more than reading cells (see loader.CONTENT_READERS), read by
    # this reader whatever their extension says.
    reader: str | None = None
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

# --- Jobindsats (DESIGN §2.7) ---
# An area name as a comparable key: lower case, without "Kommune", aa spelt å, hyphens and runs
# of spaces as one space ("Høje-Taastrup Kommune" and "høje taastrup" meet).
AREA_KEY = (
    "regexp_replace(replace(regexp_replace(lower(trim({c})), '\\s+kommune$', ''), 'aa', 'å'), "
    "'[\\s-]+', ' ', 'g')"
)
MUNICIPALITY_BY_NAME = (
    f"(select m.municipality_code from {seed('municipalities')} as m "
    f"where {AREA_KEY.format(c='m.municipality_name')} = {AREA_KEY})"
)
# Areas that are not a municipality keep their name and no code.
NOT_A_MUNICIPALITY = (
    "(lower(trim({c})) = 'hele landet' or lower(trim({c})) like 'rar %' or lower(trim({c})) in "
    f"(select distinct lower(region) from {seed('municipalities')}))"
)
# Period codes: 2017M03 (month), 2017K1 / 2017Q1 (quarter), 2020QMAT02 (the four quarters
# ending with quarter 2 of 2020), 2024Y01 (year).
PERIOD_PATTERNS = {
    "month": "\\d{{4}}M(0[1-9]|1[0-2])",
    "quarter": "\\d{{4}}[KQ][1-4]",
    "moving_annual_total": "\\d{{4}}QMAT0?[1-4]",
    "year": "\\d{{4}}Y(01)?",
}
PERIOD_TEXT = "upper(trim({c}))"
PERIOD_YEAR = f"cast(left({PERIOD_TEXT}, 4) as integer)"
PERIOD_LAST_DIGIT = f"cast(right({PERIOD_TEXT}, 1) as integer)"
PERIOD_TYPE = (
    "case "
    + " ".join(
        f"when regexp_full_match({PERIOD_TEXT}, '{pattern}') then '{kind}'"
        for kind, pattern in PERIOD_PATTERNS.items()
    )
    + " end"
)
# The first month of the period and its number of months.
PERIOD_FIRST_MONTH = (
    f"case {PERIOD_TYPE} "
    f"when 'month' then make_date({PERIOD_YEAR}, cast(substr({PERIOD_TEXT}, 6, 2) as integer), 1) "
    f"when 'quarter' then make_date({PERIOD_YEAR}, 3 * {PERIOD_LAST_DIGIT} - 2, 1) "
    f"when 'moving_annual_total' then make_date({PERIOD_YEAR}, 3 * {PERIOD_LAST_DIGIT} - 2, 1) "
    "- interval 9 months "
    f"when 'year' then make_date({PERIOD_YEAR}, 1, 1) end"
)
PERIOD_MONTHS = (
    f"case {PERIOD_TYPE} when 'month' then 1 when 'quarter' then 3 "
    "when 'moving_annual_total' then 12 when 'year' then 12 end"
)
PERIOD_START = f"({PERIOD_FIRST_MONTH})::date"
PERIOD_END = f"(({PERIOD_FIRST_MONTH}) + to_months({PERIOD_MONTHS}) - interval 1 day)::date"
# A dimension value ending in ' i alt' ("Køn i alt") totals the others of its dimension.
HAS_TOTAL_VALUE = (
    "coalesce(list_bool_or(list_transform(json_extract_string({c}, '$.*'), "
    "lambda v: regexp_matches(lower(trim(v)), '(^| )i alt$'))), false)"
)

JOBINDSATS = Contract(
    source="jobindsats",
    formats=("csv", "json", "txt"),
    reader="jobindsats",
    # Y36A02_2024-05-01.csv: the table id, then the download date; without a date, the load date.
    vintage_file_prefix="[A-Za-z0-9]+",
    vintage_defaults_to_load_date=True,
    columns=(
        Column("table_id", "varchar", f"upper({TEXT})", "a Jobindsats table id"),
        Column("area", "varchar", TEXT, "an area name", ("område",)),
        Column(
            "municipality_code",
            "integer",
            f"case when not {NOT_A_MUNICIPALITY} then {MUNICIPALITY_BY_NAME} end",
            "the code of a municipality",
            derived_from="area",
        ),
        Column(
            "period",
            "varchar",
            f"case when ({PERIOD_TYPE}) is not null then {PERIOD_TEXT} end",
            "a Jobindsats period: 2017M03, 2017K1 or 2017Q1, 2020QMAT02 or 2024Y01",
            ("periode",),
        ),
        Column("period_type", "varchar", PERIOD_TYPE, "a period type", derived_from="period"),
        Column("period_start", "date", PERIOD_START, "a date", derived_from="period"),
        Column("period_end", "date", PERIOD_END, "a date", derived_from="period"),
        Column("dimensions", "json", "json({c})", "a JSON object of dimension values"),
        Column("is_total", "boolean", HAS_TOTAL_VALUE, "a flag", derived_from="dimensions"),
        Column("measure", "varchar", TEXT, "a measure label"),
        Column(
            "value",
            "double",
            DECIMAL,
            "a number (decimal comma or point), or empty, null, -, . or .. when suppressed",
            required=False,
            missing=("-", ".", "..", "null"),
            reported_as="measure",
        ),
    ),
    rules=(
        Rule(
            "area",
            "must be a municipality of reference.municipalities (ignoring case, 'Kommune', "
            "aa/å and hyphens), Hele landet, a region or an RAR area",
            f"municipality_code is null and not {NOT_A_MUNICIPALITY.format(c='area')}",
            ("area",),
        ),
    ),
    unique_key=("table_id", "area", "period", "dimensions", "measure"),
    unique_rule="one value per table, area, period, dimension values and measure",
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
        JOBINDSATS,
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

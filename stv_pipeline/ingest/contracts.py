"""The input data contracts of DESIGN §2, as data.

A contract lists the canonical columns of a source with their Danish aliases, how each value is
parsed from text (a DuckDB SQL expression over the raw cell `{c}`, most of them a macro of
sql/macros.sql) and the rules a parsed row must satisfy. The validation engine
(`validation.py`) turns these into SQL, so a contract change never needs new code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .jobindsats import MISSING_MARKERS, read_jobindsats
from .macros import seed
from .readers import Reader, cell_readers

GENERATOR = "stv_pipeline.sample.generator"

# --- parsers: SQL over one raw text cell `{c}` yielding a typed value, or NULL when invalid;
# each a DuckDB macro of sql/macros.sql ---
TEXT = "parse_text({c})"
INTEGER = "parse_integer({c})"
DECIMAL = "parse_decimal({c})"
DATE = "parse_date({c})"
ISO_WEEK = "parse_iso_week({c})"
MONTH = "parse_month({c})"
CPR = "parse_cpr({c})"


def one_of(words: tuple[str, ...]) -> str:
    """Words as a reader lists alternatives: 'a', 'a or b', 'a, b or c'."""
    return " or ".join(filter(None, (", ".join(words[:-1]), words[-1])))


def enum(values: dict[str, str]) -> str:
    """Parser for a closed list; `values` maps every accepted spelling (lower case) to its key."""
    whens = " ".join(f"when '{alias}' then '{key}'" for alias, key in values.items())
    return "case lower(trim({c})) " + whens + " end"


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
    """A source of DESIGN §2, whole: adding a source is adding its contract to CONTRACTS (with
    its staging model and its entry in dbt/models/staging/_sources.yml). The ingestion asset
    and its quarantine check, the loader, the inbox's lists and the sample generator all read
    the contracts."""

    source: str  # the inbox folder <inbox>/<source>/ and the table raw.<source>
    # What the raw table holds, for the analysts (the Dagster asset's description).
    description: str
    columns: tuple[Column, ...]
    # The reader of each accepted file type (readers.py): most read cells as they are, a few
    # read a layout told by the content (jobindsats.read_jobindsats). Not compared: functions.
    readers: Mapping[str, Reader] = field(compare=False)
    # The sample generator's writer of this source's files, as module:function (resolved when
    # a sample is written, so loading never imports the generator).
    sample: str
    rules: tuple[Rule, ...] = ()
    # Register sources identify persons (cpr or person_id) and carry a vintage.
    has_person: bool = False
    # A regular expression for the file-name part before `_YYYY-MM-DD` that dates a vintage.
    vintage_file_prefix: str | None = None
    # A file without a date in its name (or an extract_date column) is of the load date,
    # instead of being rejected.
    vintage_defaults_to_load_date: bool = False
    unique_key: tuple[str, ...] = ()
    unique_rule: str = ""
    # Whether its rows become published figures; a list that only sets the evaluation up
    # (the participating jobcentres) does not, and alone is no delivery to run on.
    becomes_figures: bool = True

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.readers)

    @property
    def output_columns(self) -> tuple[Column, ...]:
        cols = self.columns
        if self.has_person:
            cols = (Column("person_id", "varchar", TEXT, "a pseudonymised person id"), *cols)
        if self.vintage_file_prefix:
            cols = (*cols, Column("extract_date", "date", DATE, "a date"))
        return cols


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
    description=(
        "Weekly benefit and activation registrations per person (DREAM-like, DESIGN §2.1), "
        "every register vintage kept. CPR numbers are pseudonymised at load; one row per "
        "person, ISO week and vintage."
    ),
    readers=cell_readers("csv", "parquet"),
    sample=f"{GENERATOR}:benefits_files",
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
            "registered_date < iso_week_monday(iso_week) - 7",
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
    description=(
        "Monthly ordinary paid hours per person (eIndkomst-like, DESIGN §2.2), every vintage kept."
    ),
    readers=cell_readers("csv", "parquet"),
    sample=f"{GENERATOR}:earnings_files",
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
    description=(
        "The municipalities' own monitoring counts (e.g. active company placements) per "
        "extract date (DESIGN §2.3)."
    ),
    readers=cell_readers("csv", "xlsx"),
    sample=f"{GENERATOR}:monitoring_files",
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
    description="The municipalities' target points per measure and date (DESIGN §2.4).",
    readers=cell_readers("csv", "xlsx"),
    sample=f"{GENERATOR}:targets_files",
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
    description=(
        "Manager and staff answers (1-5, or empty for 'ved ikke') on the STV minimum "
        "requirements 1A-3C, at baseline and endline (DESIGN §2.5)."
    ),
    readers=cell_readers("csv", "xlsx"),
    sample=f"{GENERATOR}:survey_files",
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
    description=(
        "The jobcentres taking part in STV (DESIGN §2.8); the rest are the comparison group."
    ),
    readers=cell_readers("csv", "xlsx"),
    sample=f"{GENERATOR}:participants_files",
    columns=(
        MUNICIPALITY,
        Column("start_date", "date", DATE, "a date", ("startdato",), required=False),
    ),
    rules=(KNOWN_MUNICIPALITY,),
    unique_key=("municipality_code",),
    unique_rule="a municipality is listed once",
    becomes_figures=False,
)

# --- Jobindsats (DESIGN §2.7) ---
JOBINDSATS = Contract(
    source="jobindsats",
    description=(
        "Jobindsats.dk tables (STAR's public portal, DESIGN §2.7) in any of its formats (API v2 "
        "CSV or JSON, API v3 JSON), one row per table, area, period, dimension values and "
        "measure; every download (vintage) kept. Aggregated figures, never person-level."
    ),
    # any of the portal's formats, told apart by the content (jobindsats.py)
    readers=dict.fromkeys(("csv", "json", "txt"), read_jobindsats),
    sample=f"{GENERATOR}:jobindsats_files",
    # Y36A02_2024-05-01.csv: the table id, then the download date; without a date, the load date.
    vintage_file_prefix="[A-Za-z0-9]+",
    vintage_defaults_to_load_date=True,
    columns=(
        Column("table_id", "varchar", f"upper({TEXT})", "a Jobindsats table id"),
        Column("area", "varchar", TEXT, "an area name", ("område",)),
        Column(
            "municipality_code",
            "integer",
            "municipality_code_of_area({c})",
            "the code of a municipality",
            derived_from="area",
        ),
        Column(
            "period",
            "varchar",
            "parse_jobindsats_period({c})",
            "a Jobindsats period: 2017M03, 2017K1 or 2017Q1, 2020QMAT02 or 2024Y01",
            ("periode",),
        ),
        Column(
            "period_type",
            "varchar",
            "jobindsats_period_type({c})",
            "a period type",
            derived_from="period",
        ),
        Column(
            "period_start", "date", "jobindsats_period_start({c})", "a date", derived_from="period"
        ),
        Column("period_end", "date", "jobindsats_period_end({c})", "a date", derived_from="period"),
        Column("dimensions", "json", "json({c})", "a JSON object of dimension values"),
        Column(
            "is_total",
            "boolean",
            "dimensions_hold_a_total({c})",
            "a flag",
            derived_from="dimensions",
        ),
        Column("measure", "varchar", TEXT, "a measure label"),
        Column(
            "value",
            "double",
            DECIMAL,
            "a number (decimal comma or point), or "
            + one_of(("empty", *MISSING_MARKERS))
            + " when suppressed",
            required=False,
            missing=MISSING_MARKERS,
            reported_as="measure",
        ),
    ),
    rules=(
        Rule(
            "area",
            "must be a municipality of reference.municipalities (ignoring case, 'Kommune', "
            "aa/å and hyphens), Hele landet, a region or an RAR area",
            "municipality_code is null and not area_is_not_a_municipality(area)",
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

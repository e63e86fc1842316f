"""Deterministic synthetic data of every STV input source (DESIGN §2), at any scale.

Why: the main job must run on a fresh machine with no register access, so a small,
reproducible sample of every source is committed to ``data/sample/`` and rebuilt with
``stv sample --out DIR --seed N``; ``--scale small|medium|national`` writes the same model for
all 98 municipalities up to STAR's national size, for the benchmark (see scenarios.py).
Nothing here is real data: person ids are pseudonyms ``P000123`` (never 10 digits, so they can
never be mistaken for CPR numbers).

What the data models:

* A pool of persons per municipality (the sample: ten municipalities, six of them STV
  participants starting 2017-01-01, the rest the comparison group) followed week by week
  over the ISO weeks from the week of 2016-06-01 to the week of 2019-03-31. Each week a person is on
  or off benefits (spells: entry and exit hazards), carries one benefit code (a few switch
  code, e.g. KH-JOB -> KH-AKT or KH-AKT -> RF), lives in one municipality (a few move),
  and may be in an activation spell: company-oriented (VP, LT, NY) or not (VO, MT).
* The weekly company-oriented rate is ``base rate(benefit code) x municipality level x
  (1 + uplift x ramp)`` where the ramp goes 0 -> 1 between the STV start and mid-2018.
  Participants get larger and varying uplifts (Odense deliberately gets worse) than the
  comparison group (a small secular trend), so baseline (2016 H2) versus endline
  (2018 H2) and the difference-in-differences show something, and case selection (§3.4)
  has both eligible and ineligible participants.
* Registration delay (§3.6): every person-week gets ``registered_date`` = the week's
  Sunday + a right-skewed lag (a few registered during the week, most within two weeks,
  a tail of several weeks, ~3 % over eight weeks, none over twelve weeks), scaled per
  municipality. A vintage is the snapshot of rows registered up to its extract date, so
  the older vintage is a strict subset of the newer one and recent months grow between
  vintages. The benefits and earnings registers have their own snapshot dates, which do
  not line up, and some benefits snapshots come as one file per region (scenarios.py).
* Ordinary hours per person-month come from weekly work hazards (high off benefits, low
  on benefits, rising with the participant uplift); a month's earnings are reported a few
  days to a few months after the month, so the last two months of a vintage are partial.
* Municipal monitoring counts are the register's "truth" for the ISO week of the extract
  date times a municipal reporting ratio (mostly a little below; Frederikshavn clearly
  below, to exercise the reconciliation flag). Odense and Frederikshavn deliver, beside
  the jobcentre's own count (empty provider), the tallies of their providers, which miss
  some of the jobcentre's registrations and hold some it has not registered yet, so they
  need not add up to it; on a few dates the jobcentre's own count is missing and only the
  providers' tallies arrive.
  Targets rise from the 2016 H2 level. The implementation survey has per municipality
  and wave 1 leder, 1 projektleder, 4-6 sagsbehandlere and 2-3 virksomhedskonsulenter;
  endline mostly higher, but Holbæk's management declines (not eligible for case
  selection).

Everything is vectorised over persons (the only Python loop is over the ~150 weeks) and
person-week rows stay integer arrays until Arrow turns them into strings, so national scale
(16 million person-weeks a vintage) takes under a minute. Output is byte-identical for a given
seed: rows are sorted, Parquet files carry no pandas or timestamp metadata, CSVs use ``\\n``
line endings.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.macros import define_macros

from .jobindsats import write_jobindsats_sample
from .scenarios import REGISTER_FORMATS, Scenario, region_file_labels, scenario

# --------------------------------------------------------------------------------------
# Tunable figures (the municipalities and vintages are in scenarios.py)
# --------------------------------------------------------------------------------------


STV_START_DATE = date(2017, 1, 1)
RAMP_END_DATE = date(2018, 7, 1)  # uplift fully in effect from here
PERIOD_FIRST_DAY = date(2016, 6, 1)  # first ISO week is the one containing this day
PERIOD_LAST_DAY = date(2019, 3, 31)  # last ISO week is the one containing this day
BURN_IN_WEEKS = 26  # simulated before the period so spells start in equilibrium

# Benefit codes (order = index used in the simulation) and their dynamics.
BENEFIT_CODES = ("KH-AKT", "KH-JOB", "RF", "IY-AKT", "IY-JOB", "SDP")
INITIAL_CODE_SHARES = (0.34, 0.14, 0.22, 0.16, 0.06, 0.08)
INITIAL_ON_SHARE = 0.65
ENTRY_RATE = 0.02  # weekly probability of (re)entering benefits when off
EXIT_RATE = (0.012, 0.030, 0.006, 0.012, 0.030, 0.040)  # weekly, per benefit code
CODE_SWITCH_RATES = {  # weekly probability of switching code while on benefits
    ("KH-JOB", "KH-AKT"): 0.004,
    ("KH-AKT", "KH-JOB"): 0.002,
    ("KH-AKT", "RF"): 0.003,
    ("IY-JOB", "IY-AKT"): 0.004,
    ("IY-AKT", "IY-JOB"): 0.002,
    ("IY-AKT", "KH-AKT"): 0.001,
    ("SDP", "RF"): 0.002,
    ("SDP", "KH-JOB"): 0.003,
}
MOVE_RATE = 0.0002  # weekly probability of moving to another sample municipality

# Activation: weekly steady-state share in a company-oriented spell at baseline, per code.
COMPANY_RATE = (0.10, 0.16, 0.12, 0.14, 0.20, 0.03)
COMPANY_RATE_CAP = 0.6
COMPANY_STOP_RATE = 0.20  # mean spell ~5 weeks
COMPANY_CODES = ("VP", "LT", "NY")
COMPANY_CODE_SHARES = (0.55, 0.27, 0.18)
OTHER_CODES = ("VO", "MT")
OTHER_CODE_SHARES = (0.6, 0.4)
OTHER_START_RATE = 0.05
OTHER_STOP_RATE = 0.20
ACTIVATION_CODES = ("", *COMPANY_CODES, *OTHER_CODES)  # index 0 = no activation

# Registration lag (days after the week's Sunday): mixture of four components.
LAG_EARLY_SHARE, LAG_EARLY_RANGE = 0.06, (-6, -1)  # registered during the week
LAG_PROMPT_SHARE, LAG_PROMPT_MEAN, LAG_PROMPT_MAX = 0.74, 3.5, 14
LAG_LATE_SHARE, LAG_LATE_RANGE = 0.175, (15, 56)
LAG_VERY_LATE_SHARE, LAG_VERY_LATE_MIN, LAG_VERY_LATE_MEAN_EXCESS = 0.025, 57, 25.0
# 12 weeks: inside the 3 maturity months, so a month mature in one vintage is not revised in
# the next; later registrations are what the revision check (DESIGN §3.6) exists to catch.
LAG_MAX_DAYS = 84
LAG_MIN_DAYS = -13  # the week's Monday minus 7 days

# Ordinary hours: weekly hazard of having paid work, aggregated to months.
WORK_HAZARD_ON = (0.012, 0.040, 0.008, 0.012, 0.040, 0.030)  # per benefit code
WORK_HAZARD_OFF = 0.16
WORK_UPLIFT_FACTOR = 0.6  # share of the municipality uplift applied to work on benefits
HOURS_ON_MEAN, HOURS_OFF_MEAN, HOURS_SHAPE = 30.0, 125.0, 2.0
HOURS_MIN, HOURS_MAX = 0.5, 744.0
# Earnings report lag in days after the month's end: (share, low, high) components.
EARNINGS_LAG_COMPONENTS = ((0.70, 4, 12), (0.20, 13, 40), (0.10, 41, 100))

# Municipal monitoring.
MONITORING_FIRST_MONTH, MONITORING_LAST_MONTH = "2017-01", "2019-03"
MONITORING_RATIO_SD = 0.04
MONITORING_WINDOW_WEEKS = 4  # referrals / deregistrations counted over the preceding weeks
MONITORING_MEASURES = ("active_company_placements", "referrals", "deregistrations")
PROVIDER_SPLITS = {  # municipality -> (provider names, share of the first provider)
    461: (("Anden aktør Fyn", "STV jobmentorer"), 0.65),
    813: (("Læsø-Sæby Mentorhus", "STV jobmentorer"), 0.75),
}
# A provider's tally against its true share of the jobcentre's count: registrations the
# provider has not made yet, and registrations the jobcentre has not made yet.
PROVIDER_MISSING_SHARE, PROVIDER_AHEAD_SHARE = 0.06, 0.05
JOBCENTRE_COUNT_MISSING_PROBABILITY = 0.1  # dates where only the providers' tallies arrive

# Targets: (target date, multiple of the 2016 H2 level) per measure.
TARGET_POINTS = {
    "active_company_placements": (
        ("2017-01-01", 1.00),
        ("2017-07-01", 1.15),
        ("2018-01-01", 1.35),
        ("2018-12-31", 1.60),
    ),
    "referrals": (
        ("2017-01-01", 1.00),
        ("2017-07-01", 1.10),
        ("2018-01-01", 1.20),
        ("2018-12-31", 1.30),
    ),
}
BASELINE_WINDOW = (date(2016, 7, 1), date(2016, 12, 31))

# Implementation survey.
SURVEY_WAVES = ("baseline", "endline")
SURVEY_ROLE_COUNTS = {  # role -> (min, max) respondents per municipality and wave
    "leder": (1, 1),
    "projektleder": (1, 1),
    "sagsbehandler": (4, 6),
    "virksomhedskonsulent": (2, 3),
}
MANAGEMENT_ROLES = ("leder", "projektleder")
SURVEY_ITEMS = ("1A", "1B", "1C", "2A", "2B", "3A", "3B", "3C")
SURVEY_ITEM_EFFECTS = (0.2, 0.0, -0.2, 0.1, -0.3, 0.3, 0.0, -0.1)
SURVEY_LEVEL_RANGE = (2.6, 3.3)  # municipal baseline mean score
SURVEY_RESPONDENT_SD, SURVEY_NOISE_SD = 0.35, 0.5  # respondents answer both waves (panel)
SURVEY_DONT_KNOW_SHARE = 0.05

# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


def generate_sample(
    out_dir: Path,
    seed: int = 2016,
    scale: str = "sample",
    register_format: str = "parquet",
    vintages: int | None = None,
) -> dict[str, list[Path]]:
    """Write a deterministic data set of every input source into out_dir/<source>/ and return
    the files written per source. Register files (one per vintage) are Parquet or CSV; the
    municipal sources are CSV. `vintages`: monthly snapshots per register (scenarios.py).
    Each source's files are written by the function its contract names (Contract.sample)."""
    if register_format not in REGISTER_FORMATS:
        raise ValueError(f"register_format must be one of {REGISTER_FORMATS}")
    world = SampleWorld.of(scale, scenario(scale, seed, vintages), seed, register_format)
    return {
        source: pkgutil.resolve_name(contract.sample)(world, Path(out_dir) / source)
        for source, contract in CONTRACTS.items()
    }


@dataclass(frozen=True)
class SampleWorld:
    """What every source's sample is drawn from: one simulation of the scenario's persons and
    the registers' rows as they were finally registered."""

    scale: str
    scn: Scenario
    seed: int
    register_format: str
    munis: MuniTable
    calendar: pd.DataFrame
    sim: Simulation
    benefits: BenefitRows
    earnings: EarningsRows
    monitoring: pd.DataFrame
    survey_stream: np.random.Generator

    @classmethod
    def of(cls, scale: str, scn: Scenario, seed: int, register_format: str) -> SampleWorld:
        munis = MuniTable.of(scn)
        rng = np.random.default_rng(seed)
        streams = dict(
            zip(("register", "lags", "earnings", "monitoring", "survey"), rng.spawn(5), strict=True)
        )
        calendar = week_calendar()
        sim = simulate_register(streams["register"], calendar, munis)
        return cls(
            scale=scale,
            scn=scn,
            seed=seed,
            register_format=register_format,
            munis=munis,
            calendar=calendar,
            sim=sim,
            benefits=benefit_rows(sim, calendar, streams["lags"], munis),
            earnings=earnings_rows(sim, calendar, streams["earnings"], munis),
            monitoring=monitoring_rows(sim, calendar, streams["monitoring"], munis),
            survey_stream=streams["survey"],
        )


# --------------------------------------------------------------------------------------
# One writer per source (named by its contract's `sample`)
# --------------------------------------------------------------------------------------


def benefits_files(world: SampleWorld, folder: Path) -> list[Path]:
    """A snapshot per benefits vintage; some vintages come as one file per region."""
    written = []
    for extract in world.scn.benefits_vintages:
        snapshot = benefits_vintage(world.benefits, world.calendar, world.sim, world.munis, extract)
        if extract in world.scn.benefits_split_by_region:
            for label, part in split_by_region(snapshot):
                name = f"benefits_{extract}_{label}.{world.register_format}"
                written.append(write_table(part, folder / name))
        else:
            name = f"benefits_{extract}.{world.register_format}"
            written.append(write_table(snapshot, folder / name))
    return written


def earnings_files(world: SampleWorld, folder: Path) -> list[Path]:
    return [
        write_table(
            earnings_vintage(world.earnings, world.sim, extract),
            folder / f"earnings_{extract}.{world.register_format}",
        )
        for extract in world.scn.earnings_vintages
    ]


def monitoring_files(world: SampleWorld, folder: Path) -> list[Path]:
    return [write_csv(world.monitoring, folder / "monitoring.csv", sep=";")]


def targets_files(world: SampleWorld, folder: Path) -> list[Path]:
    return [write_csv(target_rows(world.sim, world.calendar, world.munis), folder / "targets.csv")]


def survey_files(world: SampleWorld, folder: Path) -> list[Path]:
    survey = survey_rows(world.survey_stream, world.munis, world.scn.fidelity_change)
    return [write_csv(survey, folder / "survey.csv")]


def participants_files(world: SampleWorld, folder: Path) -> list[Path]:
    return [write_csv(participant_rows(world.munis), folder / "participants.csv")]


def jobindsats_files(world: SampleWorld, folder: Path) -> list[Path]:
    """The public tables a user without register access has (DESIGN §2.7), for the shipped
    sample only."""
    if world.scale != "sample":
        return []
    return write_jobindsats_sample(
        folder,
        world.sim,
        world.calendar,
        world.earnings,
        [m.name for m in world.scn.municipalities],
        download=max(world.scn.benefits_vintages[-1], world.scn.earnings_vintages[-1]),
        seed=world.seed,
    )


# --------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------


def _monday(day: date) -> pd.Timestamp:
    ts = pd.Timestamp(day)
    return ts - pd.Timedelta(days=ts.weekday())


def week_calendar() -> pd.DataFrame:
    """One row per ISO week: monday, sunday, iso_week, month (the one the pipeline gives the
    week), ramp (the uplift at the middle of the week)."""
    mondays = pd.date_range(_monday(PERIOD_FIRST_DAY), _monday(PERIOD_LAST_DAY), freq="7D")
    iso = mondays.isocalendar()
    return pd.DataFrame(
        {
            "monday": mondays,
            "sunday": mondays + pd.Timedelta(days=6),
            "iso_week": [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)],
            "month": week_months(mondays),
            "ramp": uplift_ramp(mondays + pd.Timedelta(days=3)),
        }
    ).reset_index(drop=True)


def week_months(mondays: pd.DatetimeIndex) -> list[str]:
    """'YYYY-MM' of each week's month, by the loader's own rule (the macro week_month)."""
    con = duckdb.connect()
    define_macros(con)
    [months] = con.execute(
        "select list_transform($mondays, lambda monday: strftime(week_month(monday), '%Y-%m'))",
        {"mondays": [monday.date() for monday in mondays]},
    ).fetchone()
    return months


def uplift_ramp(days: pd.DatetimeIndex) -> np.ndarray:
    """0 before the STV start, rising linearly to 1 at RAMP_END_DATE."""
    start, end = pd.Timestamp(STV_START_DATE), pd.Timestamp(RAMP_END_DATE)
    frac = (days - start) / (end - start)
    return np.clip(np.asarray(frac, dtype=float), 0.0, 1.0)


def month_blocks(calendar: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each month's block of consecutive weeks, and the month labels."""
    months = calendar["month"].to_numpy()
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    return starts, months[starts]


# --------------------------------------------------------------------------------------
# Person-week simulation (vectorised over persons, loop over weeks)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MuniTable:
    """The scenario's municipalities as arrays indexed like the simulation's `muni` matrix."""

    code: np.ndarray
    persons: np.ndarray
    participant: np.ndarray
    activation_level: np.ndarray
    uplift: np.ndarray
    lag_scale: np.ndarray
    monitoring_ratio: np.ndarray

    @classmethod
    def of(cls, scn: Scenario) -> MuniTable:
        return cls(
            **{
                name: np.array([getattr(m, name) for m in scn.municipalities])
                for name in cls.__dataclass_fields__
            }
        )

    def __len__(self) -> int:
        return self.code.size

    def participant_indices(self) -> np.ndarray:
        return np.flatnonzero(self.participant)


@dataclass
class Simulation:
    """Person x week state matrices (rows = persons, columns = calendar weeks)."""

    person_ids: np.ndarray  # str, per person
    person_numbers: np.ndarray  # the number in the id: sorting by it sorts by id
    on: np.ndarray  # bool
    code: np.ndarray  # int8 index into BENEFIT_CODES
    muni: np.ndarray  # int16 index into the MuniTable
    act: np.ndarray  # int8 index into ACTIVATION_CODES

    @property
    def company(self) -> np.ndarray:
        return self.on & (self.act >= 1) & (self.act <= len(COMPANY_CODES))


def _code_switch_cumulative() -> np.ndarray:
    """Cumulative weekly code transition matrix (rows: from-code), last column exactly 1."""
    k = len(BENEFIT_CODES)
    matrix = np.zeros((k, k))
    for (src, dst), rate in CODE_SWITCH_RATES.items():
        matrix[BENEFIT_CODES.index(src), BENEFIT_CODES.index(dst)] = rate
    matrix[np.arange(k), np.arange(k)] = 1.0 - matrix.sum(axis=1)
    cumulative = matrix.cumsum(axis=1)
    cumulative[:, -1] = 1.0
    return cumulative


def simulate_register(
    rng: np.random.Generator, calendar: pd.DataFrame, munis: MuniTable
) -> Simulation:
    home = np.repeat(np.arange(len(munis)), munis.persons)
    n, n_weeks = home.size, len(calendar)
    on = rng.random(n) < INITIAL_ON_SHARE
    code = rng.choice(len(BENEFIT_CODES), size=n, p=INITIAL_CODE_SHARES).astype(np.int8)
    muni = home.astype(np.int16)
    act = np.zeros(n, dtype=np.int8)
    switch_cum = _code_switch_cumulative()

    for _ in range(BURN_IN_WEEKS):
        on, code, muni = advance_benefits(rng, on, code, muni, switch_cum, len(munis))
        act = advance_activation(rng, on, code, muni, act, munis, ramp=0.0)

    shape = (n, n_weeks)
    numbers = rng.permutation(n) + 1
    width = max(6, len(str(n)))
    sim = Simulation(
        person_ids=np.array([f"P{i:0{width}d}" for i in numbers]),
        person_numbers=numbers,
        on=np.zeros(shape, dtype=bool),
        code=np.zeros(shape, dtype=np.int8),
        muni=np.zeros(shape, dtype=np.int16),
        act=np.zeros(shape, dtype=np.int8),
    )
    for w, ramp in enumerate(calendar["ramp"].to_numpy()):
        on, code, muni = advance_benefits(rng, on, code, muni, switch_cum, len(munis))
        act = advance_activation(rng, on, code, muni, act, munis, ramp=ramp)
        sim.on[:, w], sim.code[:, w], sim.muni[:, w], sim.act[:, w] = on, code, muni, act
    return sim


def advance_benefits(rng, on, code, muni, switch_cum, n_munis: int):
    """One week of benefit dynamics: exits, entries, code switches and moves."""
    n = on.size
    u = rng.random(n)
    staying = on & (u >= np.asarray(EXIT_RATE)[code])
    entering = ~on & (u < ENTRY_RATE)
    new_on = staying | entering

    switched = (rng.random(n)[:, None] >= switch_cum[code]).sum(axis=1).astype(np.int8)
    new_code = np.where(staying, switched, code).astype(np.int8)

    moving = new_on & (rng.random(n) < MOVE_RATE)
    offset = rng.integers(1, n_munis, size=n)
    new_muni = np.where(moving, (muni + offset) % n_munis, muni).astype(np.int16)
    return new_on, new_code, new_muni


def company_rate(code, muni, munis: MuniTable, ramp: float) -> np.ndarray:
    """Steady-state weekly share in company-oriented activation for each person this week."""
    rate = (
        np.asarray(COMPANY_RATE)[code]
        * munis.activation_level[muni]
        * (1.0 + munis.uplift[muni] * ramp)
    )
    return np.clip(rate, 0.0, COMPANY_RATE_CAP)


def advance_activation(rng, on, code, muni, act, munis: MuniTable, ramp: float):
    """One week of activation spells; the start rate keeps the company share at company_rate()."""
    n = on.size
    n_company = len(COMPANY_CODES)
    rate = company_rate(code, muni, munis, ramp)
    start_p = rate * COMPANY_STOP_RATE / (1.0 - rate)

    in_company = (act >= 1) & (act <= n_company)
    u = rng.random(n)
    stop_company = in_company & (u < COMPANY_STOP_RATE)
    start_company = ~in_company & (u < start_p)
    company_type = rng.choice(n_company, size=n, p=COMPANY_CODE_SHARES) + 1

    new_act = act.copy()
    new_act[stop_company] = 0
    new_act[start_company] = company_type[start_company]

    u_other = rng.random(n)
    in_other = new_act > n_company
    new_act[in_other & (u_other < OTHER_STOP_RATE)] = 0
    other_type = rng.choice(len(OTHER_CODES), size=n, p=OTHER_CODE_SHARES) + n_company + 1
    start_other = (act == 0) & (new_act == 0) & (u_other < OTHER_START_RATE)
    new_act[start_other] = other_type[start_other]

    new_act[~on] = 0
    return new_act.astype(np.int8)


# --------------------------------------------------------------------------------------
# register_benefits
# --------------------------------------------------------------------------------------


def registration_lags(rng: np.random.Generator, lag_scale: np.ndarray) -> np.ndarray:
    """Days between the week's Sunday and the registration, right-skewed, scaled per row."""
    n = lag_scale.size
    component = rng.choice(
        4, size=n, p=(LAG_EARLY_SHARE, LAG_PROMPT_SHARE, LAG_LATE_SHARE, LAG_VERY_LATE_SHARE)
    )
    early = rng.integers(LAG_EARLY_RANGE[0], LAG_EARLY_RANGE[1] + 1, size=n)
    prompt = np.minimum(np.floor(rng.exponential(LAG_PROMPT_MEAN, size=n)), LAG_PROMPT_MAX)
    late = rng.integers(LAG_LATE_RANGE[0], LAG_LATE_RANGE[1] + 1, size=n)
    very_late = LAG_VERY_LATE_MIN + np.floor(rng.exponential(LAG_VERY_LATE_MEAN_EXCESS, size=n))
    lag = np.choose(component, (early, prompt, late, very_late)).astype(float)
    positive = lag > 0
    lag[positive] = np.round(lag[positive] * lag_scale[positive])
    return np.clip(lag, LAG_MIN_DAYS, LAG_MAX_DAYS).astype(np.int64)


@dataclass(frozen=True)
class BenefitRows:
    """The final (fully registered) person-weeks on benefits, sorted by person id and week."""

    person: np.ndarray  # index into Simulation rows
    week: np.ndarray  # index into the calendar
    registered: np.ndarray  # datetime64[D]


def benefit_rows(
    sim: Simulation, calendar: pd.DataFrame, rng: np.random.Generator, munis: MuniTable
) -> BenefitRows:
    person, week = np.nonzero(sim.on)
    lag = registration_lags(rng, munis.lag_scale[sim.muni[person, week]])
    sunday = calendar["sunday"].to_numpy().astype("datetime64[D]")
    registered = sunday[week] + lag.astype("timedelta64[D]")
    order = np.lexsort((week, sim.person_numbers[person]))
    return BenefitRows(person[order], week[order], registered[order])


def benefits_vintage(
    rows: BenefitRows, calendar: pd.DataFrame, sim: Simulation, munis: MuniTable, extract: date
) -> pa.Table:
    """Snapshot at `extract`: weeks started and registered on or before the extract date."""
    cutoff = np.datetime64(extract, "D")
    monday = calendar["monday"].to_numpy().astype("datetime64[D]")
    keep = (rows.registered <= cutoff) & (monday[rows.week] <= cutoff)
    person, week = rows.person[keep], rows.week[keep]
    act = sim.act[person, week]
    columns = {
        "person_id": _labels(person, sim.person_ids),
        "municipality_code": pa.array(munis.code[sim.muni[person, week]].astype(np.int64)),
        "iso_week": _labels(week, calendar["iso_week"].to_numpy()),
        "benefit_code": _labels(sim.code[person, week], BENEFIT_CODES),
        "activation_code": _labels(act, ACTIVATION_CODES, missing=act == 0),
        "registered_date": pa.array(rows.registered[keep], type=pa.date32()),
    }
    return pa.Table.from_pydict(columns, schema=BENEFITS_SCHEMA)


def split_by_region(snapshot: pa.Table) -> list[tuple[str, pa.Table]]:
    """One part of a benefits snapshot per region with rows, as regions deliver them."""
    by_label: dict[str, list[int]] = {}
    for code, label in region_file_labels().items():
        by_label.setdefault(label, []).append(code)
    parts = []
    for label, codes in sorted(by_label.items()):
        part = snapshot.filter(pc.is_in(snapshot["municipality_code"], pa.array(codes, pa.int64())))
        if part.num_rows:
            parts.append((label, part))
    return parts


def _labels(indices: np.ndarray, labels, missing: np.ndarray | None = None) -> pa.Array:
    """Strings by index, built in Arrow rather than as millions of Python objects."""
    codes = pa.array(indices.astype(np.int32), mask=missing)
    dictionary = pa.array(list(labels), pa.string())
    return pa.DictionaryArray.from_arrays(codes, dictionary).dictionary_decode()


BENEFITS_SCHEMA = pa.schema(
    [
        ("person_id", pa.string()),
        ("municipality_code", pa.int64()),
        ("iso_week", pa.string()),
        ("benefit_code", pa.string()),
        ("activation_code", pa.string()),
        ("registered_date", pa.date32()),
    ]
)


# --------------------------------------------------------------------------------------
# register_earnings
# --------------------------------------------------------------------------------------


def work_hazard(sim: Simulation, calendar: pd.DataFrame, munis: MuniTable) -> np.ndarray:
    """Weekly probability of paid work per person-week."""
    ramp = calendar["ramp"].to_numpy()[None, :]
    uplift = munis.uplift[sim.muni]
    on_hazard = np.asarray(WORK_HAZARD_ON)[sim.code] * (1.0 + WORK_UPLIFT_FACTOR * uplift * ramp)
    return np.where(sim.on, np.clip(on_hazard, 0.0, 0.9), WORK_HAZARD_OFF)


@dataclass(frozen=True)
class EarningsRows:
    """The final earnings: person-months with hours > 0, sorted by person id and month."""

    person: np.ndarray
    month: np.ndarray  # index into `months`
    months: np.ndarray  # labels YYYY-MM
    hours: np.ndarray
    reported: np.ndarray  # datetime64[D]


def earnings_rows(
    sim: Simulation, calendar: pd.DataFrame, rng: np.random.Generator, munis: MuniTable
) -> EarningsRows:
    starts, months = month_blocks(calendar)
    weeks_in_month = np.diff(np.r_[starts, len(calendar)])
    no_work_log = np.add.reduceat(np.log1p(-work_hazard(sim, calendar, munis)), starts, axis=1)
    p_work = 1.0 - np.exp(no_work_log)
    off_share = np.add.reduceat((~sim.on).astype(float), starts, axis=1) / weeks_in_month

    works = rng.random(p_work.shape) < p_work
    works &= sim.on.any(axis=1)[:, None]  # only persons of the benefit population
    mean_hours = HOURS_ON_MEAN + (HOURS_OFF_MEAN - HOURS_ON_MEAN) * off_share
    hours = rng.gamma(HOURS_SHAPE, mean_hours / HOURS_SHAPE)
    hours = np.round(np.clip(hours, HOURS_MIN, HOURS_MAX), 2)

    person, month = np.nonzero(works)
    month_end = pd.PeriodIndex(months, freq="M").end_time.normalize().to_numpy()
    reported = month_end.astype("datetime64[D]")[month] + earnings_report_lags(
        rng, person.size
    ).astype("timedelta64[D]")
    order = np.lexsort((month, sim.person_numbers[person]))
    person, month = person[order], month[order]
    return EarningsRows(person, month, months, hours[person, month], reported[order])


def earnings_report_lags(rng: np.random.Generator, n: int) -> np.ndarray:
    shares = [c[0] for c in EARNINGS_LAG_COMPONENTS]
    component = rng.choice(len(shares), size=n, p=shares)
    draws = [rng.integers(low, high + 1, size=n) for _, low, high in EARNINGS_LAG_COMPONENTS]
    return np.choose(component, draws).astype(np.int64)


def earnings_vintage(rows: EarningsRows, sim: Simulation, extract: date) -> pa.Table:
    """Months before the extract month whose earnings were reported by the extract date."""
    keep = (rows.reported <= np.datetime64(extract, "D")) & (
        rows.months[rows.month] < f"{extract:%Y-%m}"
    )
    columns = {
        "person_id": _labels(rows.person[keep], sim.person_ids),
        "month": _labels(rows.month[keep], rows.months),
        "ordinary_hours": pa.array(rows.hours[keep], type=pa.float64()),
    }
    return pa.Table.from_pydict(columns, schema=EARNINGS_SCHEMA)


EARNINGS_SCHEMA = pa.schema(
    [("person_id", pa.string()), ("month", pa.string()), ("ordinary_hours", pa.float64())]
)


# --------------------------------------------------------------------------------------
# Municipal sources
# --------------------------------------------------------------------------------------


def monitoring_extract_dates() -> pd.DatetimeIndex:
    """First Monday of each month in the monitoring period."""
    firsts = pd.date_range(f"{MONITORING_FIRST_MONTH}-01", f"{MONITORING_LAST_MONTH}-01", freq="MS")
    return firsts + pd.to_timedelta((7 - firsts.weekday) % 7, unit="D")


def weekly_counts(sim: Simulation, n_muni: int) -> dict[str, np.ndarray]:
    """Register truth per municipality x week: active placements, placement starts, exits."""
    n_weeks = sim.on.shape[1]
    company = sim.company
    starts = company.copy()
    starts[:, 1:] &= ~company[:, :-1]
    exits = np.zeros_like(sim.on)
    exits[:, 1:] = sim.on[:, :-1] & ~sim.on[:, 1:]
    exit_muni = np.zeros_like(sim.muni)
    exit_muni[:, 1:] = sim.muni[:, :-1]

    def per_muni(mask: np.ndarray, muni: np.ndarray) -> np.ndarray:
        week = np.broadcast_to(np.arange(n_weeks), mask.shape)[mask]
        flat = muni[mask].astype(np.int64) * n_weeks + week
        return np.bincount(flat, minlength=n_muni * n_weeks).reshape(n_muni, n_weeks)

    return {
        "active_company_placements": per_muni(company, sim.muni),
        "referrals": per_muni(starts, sim.muni),
        "deregistrations": per_muni(exits, exit_muni),
    }


def _window_sum(counts: np.ndarray, week: int) -> np.ndarray:
    """Sum over the MONITORING_WINDOW_WEEKS weeks before `week` (per municipality)."""
    return counts[:, max(week - MONITORING_WINDOW_WEEKS, 0) : week].sum(axis=1)


def monitoring_rows(
    sim: Simulation, calendar: pd.DataFrame, rng: np.random.Generator, munis: MuniTable
) -> pd.DataFrame:
    counts = weekly_counts(sim, len(munis))
    mondays = calendar["monday"].to_numpy()
    ratio, codes = munis.monitoring_ratio, munis.code
    records = []
    for extract in monitoring_extract_dates():
        week = int(np.searchsorted(mondays, extract.to_datetime64()))
        truth = {
            "active_company_placements": counts["active_company_placements"][:, week],
            "referrals": _window_sum(counts["referrals"], week),
            "deregistrations": _window_sum(counts["deregistrations"], week),
        }
        for m in munis.participant_indices():
            for measure in MONITORING_MEASURES:
                reported = truth[measure][m] * rng.normal(ratio[m], MONITORING_RATIO_SD)
                total = max(int(round(reported)), 0)
                for provider, count in split_by_provider(rng, int(codes[m]), total):
                    records.append((int(codes[m]), f"{extract:%d-%m-%Y}", measure, provider, count))
    frame = pd.DataFrame(
        records, columns=["kommunekode", "udtraeksdato", "maal", "leverandoer", "antal"]
    )
    frame["_date"] = pd.to_datetime(frame["udtraeksdato"], format="%d-%m-%Y")
    frame = frame.sort_values(["kommunekode", "_date", "maal", "leverandoer"], kind="stable")
    return frame.drop(columns="_date").reset_index(drop=True)


def split_by_provider(rng: np.random.Generator, code: int, total: int) -> list[tuple[str, int]]:
    """The jobcentre's own count (empty provider) and, where the municipality has providers,
    each provider's own tally beside it; the tallies need not add up to the jobcentre's
    count, and on some dates the jobcentre's own count is not delivered."""
    if code not in PROVIDER_SPLITS:
        return [("", total)]
    (first, second), share = PROVIDER_SPLITS[code]
    n_first = int(rng.binomial(total, share))
    rows = [] if rng.random() < JOBCENTRE_COUNT_MISSING_PROBABILITY else [("", total)]
    for provider, true_count in ((first, n_first), (second, total - n_first)):
        registered = int(rng.binomial(true_count, 1 - PROVIDER_MISSING_SHARE))
        ahead = int(rng.poisson(PROVIDER_AHEAD_SHARE * true_count))
        rows.append((provider, registered + ahead))
    return rows


def target_rows(sim: Simulation, calendar: pd.DataFrame, munis: MuniTable) -> pd.DataFrame:
    """Rising target points from each participant's 2016 H2 register level."""
    counts = weekly_counts(sim, len(munis))
    mondays = calendar["monday"]
    in_baseline = (
        (mondays >= pd.Timestamp(BASELINE_WINDOW[0]))
        & (mondays <= pd.Timestamp(BASELINE_WINDOW[1]))
    ).to_numpy()
    level = {
        "active_company_placements": counts["active_company_placements"][:, in_baseline].mean(
            axis=1
        ),
        "referrals": counts["referrals"][:, in_baseline].mean(axis=1) * MONITORING_WINDOW_WEEKS,
    }
    codes = munis.code
    records = [
        (int(codes[m]), measure, target_date, round(float(max(level[measure][m], 1.0) * factor), 1))
        for m in munis.participant_indices()
        for measure, points in TARGET_POINTS.items()
        for target_date, factor in points
    ]
    frame = pd.DataFrame(
        records, columns=["municipality_code", "measure", "target_date", "target_count"]
    )
    return frame.sort_values(
        ["municipality_code", "measure", "target_date"], kind="stable"
    ).reset_index(drop=True)


def survey_rows(
    rng: np.random.Generator, munis: MuniTable, fidelity_change: dict[int, tuple[float, float]]
) -> pd.DataFrame:
    """One row per participant respondent x item and wave; scores 1-5 or empty ("ved ikke")."""
    frames = [
        survey_wave(rng, code, roster, wave_no, fidelity_change[code])
        for code in (int(c) for c in munis.code[munis.participant_indices()])
        for roster in [survey_roster(rng, code)]
        for wave_no in range(len(SURVEY_WAVES))
    ]
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(
        ["municipality_code", "wave", "respondent_id", "item"], kind="stable"
    ).reset_index(drop=True)


def survey_roster(rng: np.random.Generator, code: int) -> pd.DataFrame:
    """The municipality's possible respondents (max count per role) with their personal level."""
    roles = np.concatenate([np.repeat(role, hi) for role, (_, hi) in SURVEY_ROLE_COUNTS.items()])
    level = rng.uniform(*SURVEY_LEVEL_RANGE)
    return pd.DataFrame(
        {
            "respondent_id": [f"R{code}-{i + 1:02d}" for i in range(roles.size)],
            "role": roles,
            "level": level + rng.normal(0.0, SURVEY_RESPONDENT_SD, roles.size),
        }
    )


def survey_wave(
    rng: np.random.Generator,
    code: int,
    roster: pd.DataFrame,
    wave_no: int,
    change_by_group: tuple[float, float],
) -> pd.DataFrame:
    """Answers of one wave: per role the first k roster members answer (k varies by wave)."""
    n_answering = {role: rng.integers(lo, hi + 1) for role, (lo, hi) in SURVEY_ROLE_COUNTS.items()}
    rank_in_role = roster.groupby("role", sort=False).cumcount().to_numpy()
    answering = roster.loc[rank_in_role < roster["role"].map(n_answering).to_numpy()]

    is_management = answering["role"].isin(MANAGEMENT_ROLES).to_numpy()
    change = np.where(is_management, *change_by_group) * wave_no
    raw = (answering["level"].to_numpy() + change)[:, None] + np.asarray(SURVEY_ITEM_EFFECTS)[
        None, :
    ]
    raw = raw + rng.normal(0.0, SURVEY_NOISE_SD, raw.shape)
    score = np.clip(np.rint(raw), 1, 5)
    score[rng.random(raw.shape) < SURVEY_DONT_KNOW_SHARE] = np.nan
    n_items = len(SURVEY_ITEMS)
    return pd.DataFrame(
        {
            "respondent_id": np.repeat(answering["respondent_id"].to_numpy(), n_items),
            "municipality_code": code,
            "wave": SURVEY_WAVES[wave_no],
            "role": np.repeat(answering["role"].to_numpy(), n_items),
            "item": np.tile(SURVEY_ITEMS, len(answering)),
            "score": pd.array(score.ravel(), dtype="Int64"),
        }
    )


def participant_rows(munis: MuniTable) -> pd.DataFrame:
    codes = munis.code[munis.participant_indices()]
    return pd.DataFrame(
        {
            "municipality_code": np.sort(codes).astype(np.int64),
            "start_date": f"{STV_START_DATE:%Y-%m-%d}",
        }
    )


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def write_table(table: pa.Table, path: Path) -> Path:
    """Parquet with no pandas or timestamp metadata (byte-identical reruns), or CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        options = pa_csv.WriteOptions(quoting_style="needed")
        pa_csv.write_csv(table, path, write_options=options)
    else:
        table = table.replace_schema_metadata(None)
        pq.write_table(table, path, compression="zstd", write_statistics=True, store_schema=False)
    return path


def write_csv(frame: pd.DataFrame, path: Path, sep: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=sep, index=False, lineterminator="\n", encoding="utf-8")
    return path

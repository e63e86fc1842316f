"""Which municipalities, sizes and vintages a synthetic data set has (`stv sample --scale`).

* ``sample`` — the committed ``data/sample/``: ten municipalities (six STV participants), two
  benefits and two earnings snapshots; small enough for git and for every test.
* ``small``, ``medium``, ``national`` — all 98 municipalities, 27 of them STV participants (as
  in the evaluation), each with a person pool proportional to its population, and four monthly
  snapshots of each register. ``national`` is the size STAR runs: about 130,000 persons in the
  target groups and 15–20 million person-weeks per vintage. ``medium`` is a quarter and
  ``small`` a fiftieth of that, so the three sizes differ only in rows (the benchmark's
  slope, see ``bench/``).

The two registers are extracted separately, as DREAM and eIndkomst are: their snapshot dates do
not line up (an earnings snapshot lags the benefits one, another leads it), and a benefits
snapshot may arrive as one file per region on one date (DESIGN §2.1, §3.6).

Municipal behaviour (activation level, STV uplift, registration speed, reporting ratio) is fixed
for the ten sample municipalities and drawn from the seed for the others.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

POPULATIONS_CSV = Path(__file__).with_name("municipality_populations.csv")


@dataclass(frozen=True)
class MunicipalitySpec:
    code: int
    name: str
    persons: int  # size of the person pool whose home is this municipality
    participant: bool  # STV participant (else comparison group)
    activation_level: float  # multiplier of the base company-oriented rate
    uplift: float  # relative rise of that rate from STV start to RAMP_END_DATE
    lag_scale: float  # multiplier of registration lags (slow vs quick registration)
    monitoring_ratio: float  # municipal active placements / register count (participants)


@dataclass(frozen=True)
class Scenario:
    name: str
    municipalities: tuple[MunicipalitySpec, ...]
    benefits_vintages: tuple[date, ...]
    earnings_vintages: tuple[date, ...]
    # the benefits snapshots delivered as one file per region rather than one file
    benefits_split_by_region: tuple[date, ...]
    # participant code -> (management change, staff change) of survey scores, endline - baseline
    fidelity_change: dict[int, tuple[float, float]]

    @property
    def persons(self) -> int:
        return sum(m.persons for m in self.municipalities)


SAMPLE_MUNICIPALITIES: tuple[MunicipalitySpec, ...] = (
    MunicipalitySpec(450, "Nyborg", 120, True, 0.95, 1.20, 1.0, 0.95),
    MunicipalitySpec(813, "Frederikshavn", 130, True, 1.05, 0.90, 1.4, 0.84),
    MunicipalitySpec(253, "Greve", 120, True, 0.90, 0.80, 0.8, 0.97),
    MunicipalitySpec(710, "Favrskov", 110, True, 1.10, 0.70, 1.0, 0.93),
    MunicipalitySpec(461, "Odense", 240, True, 1.00, -0.40, 1.1, 0.92),
    MunicipalitySpec(316, "Holbæk", 120, True, 0.95, 0.40, 0.9, 0.96),
    MunicipalitySpec(751, "Aarhus", 260, False, 1.05, 0.10, 1.0, 1.0),
    MunicipalitySpec(851, "Aalborg", 240, False, 0.95, 0.05, 1.1, 1.0),
    MunicipalitySpec(561, "Esbjerg", 130, False, 1.00, 0.15, 1.0, 1.0),
    MunicipalitySpec(630, "Vejle", 120, False, 1.10, 0.00, 0.9, 1.0),
)
SAMPLE_FIDELITY_CHANGE = {
    450: (0.8, 0.7),
    813: (0.6, 0.8),
    253: (0.5, 0.5),
    710: (0.7, 0.5),
    461: (0.4, 0.3),
    316: (-0.6, 0.3),  # Holbæk's management declines: not eligible for case selection
}
# earnings 2019-02-05 lags the first benefits snapshot by three weeks, 2019-04-08 leads the
# second by a week; the newest benefits snapshot comes as one file per region
SAMPLE_BENEFITS_VINTAGES = (date(2019, 1, 15), date(2019, 4, 15))
SAMPLE_EARNINGS_VINTAGES = (date(2019, 2, 5), date(2019, 4, 8))
SAMPLE_BENEFITS_SPLIT = (date(2019, 4, 15),)

# Register persons (on any benefit code at some point) per inhabitant at national scale:
# calibrated so that about 130,000 persons are in a target group and a vintage has 15-20
# million person-weeks, the size of the national STV extract.
NATIONAL_PERSONS_PER_INHABITANT = 0.032
SCALE_FRACTIONS = {"small": 1 / 50, "medium": 1 / 4, "national": 1.0}
SCALE_BENEFITS_VINTAGES = (
    date(2019, 1, 15),
    date(2019, 2, 15),
    date(2019, 3, 15),
    date(2019, 4, 15),
)
SCALE_EARNINGS_VINTAGES = (date(2019, 1, 8), date(2019, 2, 20), date(2019, 3, 8), date(2019, 4, 8))
N_PARTICIPANTS = 27
MIN_PERSONS = 2  # Læsø and Fanø still get a pool at small scale

SCALES = ("sample", *SCALE_FRACTIONS)
REGISTER_FORMATS = ("parquet", "csv")


def monthly_vintages(newest: tuple[date, ...], count: int) -> tuple[date, ...]:
    """`count` monthly snapshots ending with `newest` (the scale's own), the earlier ones on
    the day of the month of the oldest of `newest`: a longer history of the same deliveries."""
    if count <= len(newest):
        return newest[len(newest) - count :]
    first = newest[0]
    earlier = []
    for back in range(count - len(newest), 0, -1):
        months = first.year * 12 + first.month - 1 - back
        earlier.append(date(months // 12, months % 12 + 1, first.day))
    return (*earlier, *newest)


def scenario(scale: str = "sample", seed: int = 2016, vintages: int | None = None) -> Scenario:
    """The scenario of a scale; the drawn municipal parameters depend on the seed only.
    `vintages`: that many monthly snapshots of each register instead of the scale's four,
    ending with the same newest ones (a year of deliveries: `bench/`'s history mode)."""
    if vintages is not None:
        if scale == "sample" or vintages < 1:
            raise ValueError("vintages is for the small, medium and national scales, 1 or more")
        scn = scenario(scale, seed)
        benefits = monthly_vintages(scn.benefits_vintages, vintages)
        return replace(
            scn,
            benefits_vintages=benefits,
            earnings_vintages=monthly_vintages(scn.earnings_vintages, vintages),
            benefits_split_by_region=benefits,
        )
    if scale == "sample":
        return Scenario(
            "sample",
            SAMPLE_MUNICIPALITIES,
            SAMPLE_BENEFITS_VINTAGES,
            SAMPLE_EARNINGS_VINTAGES,
            SAMPLE_BENEFITS_SPLIT,
            SAMPLE_FIDELITY_CHANGE,
        )
    if scale not in SCALE_FRACTIONS:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    return _all_municipalities(scale, seed)


def populations() -> dict[int, int]:
    """Inhabitants per municipality code: approximate early-2019 figures, rounded to 100,
    typed in for sizing synthetic data (not an official extract; FOLK1A has the exact ones)."""
    with POPULATIONS_CSV.open(encoding="utf-8") as fh:
        return {int(r["municipality_code"]): int(r["population"]) for r in csv.DictReader(fh)}


def _municipality_seed() -> list[dict[str, str]]:
    from stv_pipeline.settings import DBT_PROJECT_DIR

    with (DBT_PROJECT_DIR / "seeds" / "municipalities.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _names() -> dict[int, str]:
    return {int(r["municipality_code"]): r["municipality_name"] for r in _municipality_seed()}


def region_file_labels() -> dict[int, str]:
    """Municipality code -> its region as a file-name label ('Region Sjælland' -> 'sjaelland')."""
    return {
        int(r["municipality_code"]): r["region"]
        .removeprefix("Region ")
        .lower()
        .replace("æ", "ae")
        .replace("ø", "oe")
        .replace("å", "aa")
        for r in _municipality_seed()
    }


def _all_municipalities(scale: str, seed: int) -> Scenario:
    rng = np.random.default_rng([seed, 98])
    per_inhabitant = NATIONAL_PERSONS_PER_INHABITANT * SCALE_FRACTIONS[scale]
    pops, names = populations(), _names()
    known = {m.code: m for m in SAMPLE_MUNICIPALITIES}
    others = np.array(sorted(set(pops) - set(known)))
    sample_participants = [m.code for m in SAMPLE_MUNICIPALITIES if m.participant]
    drawn = rng.choice(others, size=N_PARTICIPANTS - len(sample_participants), replace=False)
    participants = set(sample_participants) | {int(c) for c in drawn}

    specs, fidelity = [], dict(SAMPLE_FIDELITY_CHANGE)
    for code in sorted(pops):
        persons = max(int(round(pops[code] * per_inhabitant)), MIN_PERSONS)
        is_participant = code in participants
        # Draw for every municipality (used or not) so a spec does not depend on the others.
        level, lag = rng.uniform(0.85, 1.15), rng.uniform(0.8, 1.3)
        uplift = rng.uniform(0.2, 1.2) if is_participant else rng.uniform(-0.05, 0.2)
        ratio = rng.uniform(0.88, 0.99)
        change = (float(rng.uniform(-0.6, 0.9)), float(rng.uniform(0.2, 0.9)))
        if code in known:
            specs.append(replace(known[code], persons=persons))
            continue
        specs.append(
            MunicipalitySpec(code, names[code], persons, is_participant, level, uplift, lag, ratio)
        )
        if is_participant:
            fidelity[code] = change
    return Scenario(
        scale,
        tuple(specs),
        SCALE_BENEFITS_VINTAGES,
        SCALE_EARNINGS_VINTAGES,
        SCALE_BENEFITS_VINTAGES,
        fidelity,
    )

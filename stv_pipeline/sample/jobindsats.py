"""Jobindsats.dk files for the sample (DESIGN §2.7), counted from the same simulated persons as
the register sample, in each of the portal's formats.

What the portal would publish for the sample municipalities, per month: persons receiving a
benefit of the group in the municipality in the month (a week belongs to the month of its
Thursday), of them those in a company-oriented activity and those with ordinary paid hours.
Unlike the register marts (§3.1), a person on two benefits in a month counts in both groups, as
the portal's tables are separate counts; so the figures come close to success_criteria_monthly
without being equal, which is what jobindsats_vs_register shows. Each format feature the loader
handles appears: a BOM, decimal commas, long labels with a group prefix, `Area` and `Område`,
`i alt` totals, suppressed small counts (null), 'Hele landet', rows out of period order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

# Target group -> (benefit code index in generator.BENEFIT_CODES, the portal's group label)
GROUPS = {
    "kontanthjaelp_aktivitetsparat": (0, "Kontanthjælp (aktivitetsparate)"),
    "ressourceforloeb": (2, "Ressourceforløb"),
    "integrationsydelse_aktivitetsparat": (
        3,
        "Selvforsørgelses- og hjemrejseydelse (aktivitetsparate)",
    ),
}
JOBPARAT_CODES = {"kontanthjaelp_aktivitetsparat": 1, "integrationsydelse_aktivitetsparat": 4}
COMPANY_OFFERS = ("Virksomhedspraktik", "Løntilskud", "Nytteindsats")  # activation codes 1..3
GROUP_TOTAL = "Ydelsesgrupper i alt"
OFFER_TOTAL = "Virksomhedsrettede tilbud i alt"
VISITATION_TOTAL = "Visitationskategori i alt"
HOURS_LABEL = "Personer med ordinære timer: Antal personer med ordinære timer"
SUPPRESSED_BELOW = 3  # the sample's portal hides counts of 1-2 in Y11A02 (v3 JSON null)
NATIONAL = "Hele landet"


@dataclass(frozen=True)
class PortalCounts:
    """Person counts per municipality index x month index."""

    months: np.ndarray  # labels YYYY-MM
    persons: dict[str, np.ndarray]  # target group (or "<group>/jobparat") -> counts
    company: dict[str, np.ndarray]  # target group -> persons of it in any company offer
    offers: dict[tuple[str, str], np.ndarray]  # (group, offer) -> persons in that offer
    hours: dict[str, np.ndarray]  # target group -> persons of it with ordinary hours
    benefit_weeks: dict[str, np.ndarray]  # target group -> person-weeks (for full-time persons)


def _persons_per_muni_month(
    in_group: np.ndarray,
    muni: np.ndarray,
    week_month: np.ndarray,
    n_muni: int,
    n_months: int,
    also: np.ndarray | None = None,
) -> np.ndarray:
    """Distinct persons with a week in the group, per municipality and month (a person counts
    in every municipality they had such a week in); `also` (person x month) keeps only those
    persons whose month also has that flag."""
    person, week = np.nonzero(in_group)
    month = week_month[week]
    key = (person.astype(np.int64) * n_muni + muni[person, week]) * n_months + month
    key = np.unique(key)
    person_of, rest = np.divmod(key, n_muni * n_months)
    if also is not None:
        keep = also[person_of, rest % n_months]
        rest = rest[keep]
    return np.bincount(rest, minlength=n_muni * n_months).reshape(n_muni, n_months)


def portal_counts(sim, calendar, earnings, n_muni: int) -> PortalCounts:
    """The portal's figures from the simulation (generator.Simulation and EarningsRows)."""
    months, week_month = np.unique(calendar["month"].to_numpy(), return_inverse=True)
    n_months = months.size
    starts = np.flatnonzero(np.r_[True, week_month[1:] != week_month[:-1]])
    company_month = np.logical_or.reduceat(sim.company, starts, axis=1)
    offer_month = {
        offer: np.logical_or.reduceat(sim.on & (sim.act == code), starts, axis=1)
        for code, offer in enumerate(COMPANY_OFFERS, start=1)
    }
    hours_month = np.zeros((sim.on.shape[0], n_months), dtype=bool)
    earn_month = np.searchsorted(months, earnings.months[earnings.month])
    hours_month[earnings.person, earn_month] = True

    counts = PortalCounts(months, {}, {}, {}, {}, {})
    for group, (code, _) in GROUPS.items():
        in_group = sim.on & (sim.code == code)

        def per(also=None, mask=in_group):
            return _persons_per_muni_month(mask, sim.muni, week_month, n_muni, n_months, also)

        counts.persons[group] = per()
        counts.company[group] = per(company_month)
        counts.hours[group] = per(hours_month)
        for offer, flag in offer_month.items():
            counts.offers[(group, offer)] = per(flag)
        weeks = np.zeros(n_muni * n_months)
        person, week = np.nonzero(in_group)
        np.add.at(weeks, sim.muni[person, week] * n_months + week_month[week], 1)
        counts.benefit_weeks[group] = weeks.reshape(n_muni, n_months)
        if group in JOBPARAT_CODES:
            jobparat = sim.on & (sim.code == JOBPARAT_CODES[group])
            counts.persons[f"{group}/jobparat"] = per(mask=jobparat)
            counts.persons[f"{group}/i_alt"] = per(mask=in_group | jobparat)
    return counts


def _period(month: str) -> str:
    return f"{month[:4]}M{month[5:7]}"


def _decimal_comma(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _areas(names: list[str], table: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Each municipality's row of counts, then 'Hele landet' as their sum."""
    return [*zip(names, table, strict=True), (NATIONAL, table.sum(axis=0))]


def _shuffled(rows: list, rng: np.random.Generator) -> list:
    """The portal does not sort by period: neither do the sample files."""
    return [rows[i] for i in rng.permutation(len(rows))]


def _visitation_csv(counts: PortalCounts, group: str, names: list[str], rng) -> str:
    """Y36A02-like, API v2 CSV: BOM, ';', decimal comma, a total per visitation category."""
    lines = ["Area;Periode;Visitationskategori;Antal personer;Fuldtidspersoner"]
    weeks_in_month = 52 / 12
    rows = []
    categories = (
        ("Aktivitetsparat", counts.persons[group], counts.benefit_weeks[group]),
        ("Jobparat", counts.persons[f"{group}/jobparat"], None),
        (VISITATION_TOTAL, counts.persons[f"{group}/i_alt"], None),
    )
    for label, persons, weeks in categories:
        full_time = weeks / weeks_in_month if weeks is not None else None
        for area, row in _areas(names, persons):
            for m, month in enumerate(counts.months):
                fte = "" if full_time is None else _fte(full_time, names, area, m)
                rows.append(f"{area};{_period(month)};{label};{int(row[m])};{fte}")
    return "\ufeff" + "\n".join(lines + _shuffled(rows, rng)) + "\n"


def _fte(full_time: np.ndarray, names: list[str], area: str, m: int) -> str:
    value = full_time[:, m].sum() if area == NATIONAL else full_time[names.index(area), m]
    return _decimal_comma(value)


def _v2_json(counts: PortalCounts, group: str, names: list[str], rng) -> str:
    """Y35A02-like, API v2 JSON: Variables and Data, numbers as strings."""
    variables = [
        {"Name": "area", "Label": "Area"},
        {"Name": "period", "Label": "Periode"},
        {"Name": "_viskat", "Label": "Visitationskategori"},
        {"Name": "y35a02_pers", "Label": "Antal personer"},
    ]
    data = []
    for label, key in (
        ("Aktivitetsparat", group),
        ("Jobparat", f"{group}/jobparat"),
        (VISITATION_TOTAL, f"{group}/i_alt"),
    ):
        for area, row in _areas(names, counts.persons[key]):
            data += [
                [area, _period(mo), label, str(int(row[m]))] for m, mo in enumerate(counts.months)
            ]
    return json.dumps(
        [{"Variables": variables, "Data": _shuffled(data, rng)}],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _v3_population_json(counts: PortalCounts, group: str, names: list[str], rng) -> str:
    """Y11A02-like, API v3 JSON: `Område`, JSON numbers, small counts suppressed as null."""
    rows = []
    for area, row in _areas(names, counts.persons[group]):
        for m, month in enumerate(counts.months):
            value = int(row[m])
            rows.append([area, _period(month), None if 0 < value < SUPPRESSED_BELOW else value])
    return json.dumps(
        {"columns": ["Område", "Periode", "Antal personer"], "rows": _shuffled(rows, rng)},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _hours_csv(counts: PortalCounts, names: list[str], rng) -> str:
    """OTIJ01-like, API v2 CSV: persons and persons with ordinary hours per benefit group, the
    second measure with its group prefix, and the groups' total."""
    lines = [f"Area;Periode;Ydelsesgruppe;Antal personer i alt;{HOURS_LABEL}"]
    rows = []
    groups = [(label, counts.persons[g], counts.hours[g]) for g, (_, label) in GROUPS.items()]
    groups.append((GROUP_TOTAL, sum(p for _, p, _ in groups), sum(h for _, _, h in groups)))
    for label, persons, hours in groups:
        for (area, p_row), (_, h_row) in zip(
            _areas(names, persons), _areas(names, hours), strict=True
        ):
            rows += [
                f"{area};{_period(mo)};{label};{int(p_row[m])};{int(h_row[m])}"
                for m, mo in enumerate(counts.months)
            ]
    return "\n".join(lines + _shuffled(rows, rng)) + "\n"


def _activation_v3_json(counts: PortalCounts, names: list[str], rng) -> str:
    """AKTV01-like, API v3 JSON: persons per company-oriented offer and benefit group, with the
    offers' total (a person in two offers counts once in it)."""
    rows = []
    for group, (_, label) in GROUPS.items():
        offers = [(o, counts.offers[(group, o)]) for o in COMPANY_OFFERS]
        for offer, table in [*offers, (OFFER_TOTAL, counts.company[group])]:
            for area, row in _areas(names, table):
                rows += [
                    [area, _period(mo), label, offer, int(row[m])]
                    for m, mo in enumerate(counts.months)
                ]
    return json.dumps(
        {
            "columns": ["Område", "Periode", "Ydelsesgruppe", "Tilbud", "Antal personer"],
            "rows": _shuffled(rows, rng),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def write_jobindsats_sample(
    folder: Path, sim, calendar, earnings, names: list[str], download: date, seed: int
) -> list[Path]:
    """The sample's Jobindsats files, downloaded on `download`, into `folder`."""
    counts = portal_counts(sim, calendar, earnings, len(names))
    rng = np.random.default_rng([seed, 15])
    stamp = download.isoformat()
    files = {
        f"Y36A02_{stamp}.csv": _visitation_csv(counts, "kontanthjaelp_aktivitetsparat", names, rng),
        f"Y35A02_{stamp}.json": _v2_json(counts, "integrationsydelse_aktivitetsparat", names, rng),
        f"Y11A02_{stamp}.json": _v3_population_json(counts, "ressourceforloeb", names, rng),
        f"OTIJ01_{stamp}.csv": _hours_csv(counts, names, rng),
        f"AKTV01_{stamp}.json": _activation_v3_json(counts, names, rng),
    }
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written

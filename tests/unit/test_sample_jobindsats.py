"""The shipped sample's Jobindsats files: every format, and the same persons as the registers."""

import csv
from datetime import date
from pathlib import Path

import duckdb

from stv_pipeline.ingest.jobindsats import parse_jobindsats
from stv_pipeline.ingest.macros import define_macros
from stv_pipeline.settings import DBT_PROJECT_DIR, SAMPLE_DIR

JOBINDSATS = SAMPLE_DIR / "jobindsats"


def newest(folder: Path, pattern: str) -> Path:
    return max(folder.glob(pattern))


def portal_figures(path: Path, dimension: str, value: str, measure: str) -> dict:
    codes = {
        row["municipality_name"]: int(row["municipality_code"])
        for row in csv.DictReader((DBT_PROJECT_DIR / "seeds/municipalities.csv").open())
    }
    parsed = parse_jobindsats(path.read_bytes())
    return {
        (codes[r.area], r.period): int(r.value)
        for r in parsed.rows
        if r.area in codes and r.dimensions.get(dimension) == value and r.measure == measure
    }


def register_persons(benefit_code: str, before_period: str) -> dict:
    """Persons with a week of the code per municipality and month of the week's Thursday, in the
    newest benefits extract (complete for months well before it), whatever files it came in."""
    newest_date = newest(SAMPLE_DIR / "register_benefits", "benefits_*").stem[9:19]
    benefits = [
        str(p) for p in (SAMPLE_DIR / "register_benefits").glob(f"benefits_{newest_date}*.parquet")
    ]
    con = duckdb.connect()
    define_macros(con)
    rows = con.execute(
        """
        with weeks as (
            select person_id, municipality_code,
                strftime(week_month(iso_week_monday(iso_week)), '%Y') || 'M'
                    || strftime(week_month(iso_week_monday(iso_week)), '%m') as period
            from read_parquet(?)
            where benefit_code = ?
        )
        select municipality_code, period, count(distinct person_id)
        from weeks where period < ? group by all
        """,
        [benefits, benefit_code, before_period],
    ).fetchall()
    return {(code, period): n for code, period, n in rows}


def test_every_format_is_shipped_and_read_as_such():
    formats = {
        p.name.split("_")[0]: parse_jobindsats(p.read_bytes()).format for p in JOBINDSATS.iterdir()
    }
    assert formats == {
        "Y36A02": "api_v2_csv",
        "OTIJ01": "api_v2_csv",
        "Y35A02": "api_v2_json",
        "Y11A02": "api_v3_json",
        "AKTV01": "api_v3_json",
    }


def test_the_portal_counts_the_register_samples_persons():
    # Months well before the newest extract: all their weeks are registered in it.
    portal = portal_figures(
        newest(JOBINDSATS, "Y36A02_*.csv"),
        "Visitationskategori",
        "Aktivitetsparat",
        "Antal personer",
    )
    # Months ending over 12 weeks (the longest registration lag) before the newest extract.
    extract = date.fromisoformat(newest(SAMPLE_DIR / "register_benefits", "benefits_*").stem[9:19])
    complete = f"{extract.year - (extract.month <= 4)}M{(extract.month - 5) % 12 + 1:02d}"
    register = register_persons("KH-AKT", complete)
    assert len(register) > 200
    assert {key: portal[key] for key in register} == register
    # a municipality and month with nobody on the benefit is a 0 on the portal, not a gap
    assert all(portal[key] == 0 for key in portal.keys() - register.keys() if key[1] < complete)

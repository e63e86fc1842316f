"""`stv sample --scale small` on disk: snapshots nest, the registers' dates do not line up,
benefits come one file per region, all municipalities appear, CSV = Parquet."""

from pathlib import Path

import duckdb
import pytest

from stv_pipeline.sample.generator import generate_sample


@pytest.fixture(scope="module")
def small_parquet(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate_sample(out, seed=11, scale="small")
    return out


REGIONS = ("hovedstaden", "midtjylland", "nordjylland", "sjaelland", "syddanmark")
BENEFIT_DATES = ("2019-01-15", "2019-02-15", "2019-03-15", "2019-04-15")


def test_four_monthly_benefit_snapshots_one_file_per_region_each_within_the_next(small_parquet):
    folder = small_parquet / "register_benefits"
    assert sorted(f.name for f in folder.glob("*.parquet")) == [
        f"benefits_{day}_{region}.parquet" for day in BENEFIT_DATES for region in REGIONS
    ]
    con = duckdb.connect()
    for older, newer in zip(BENEFIT_DATES, BENEFIT_DATES[1:], strict=False):
        old, new = (
            f"'{folder}/benefits_{older}_*.parquet'",
            f"'{folder}/benefits_{newer}_*.parquet'",
        )
        # everything registered by the older extract is in the newer one, unchanged
        missing = con.execute(
            f"select count(*) from (select * from {old} except select * from {new})"
        ).fetchone()[0]
        grown = con.execute(
            f"select (select count(*) from {new}) - (select count(*) from {old})"
        ).fetchone()[0]
        assert missing == 0 and grown > 0
        late = con.execute(
            f"select count(*) from {old} where registered_date > date '{older}'"
        ).fetchone()[0]
        assert late == 0
    # a region's file holds exactly its municipalities: Nordjylland has 11
    nord = f"'{folder}/benefits_2019-04-15_nordjylland.parquet'"
    assert con.execute(f"select count(distinct municipality_code) from {nord}").fetchone()[0] == 11


def test_earnings_snapshots_on_their_own_dates(small_parquet):
    folder = small_parquet / "register_earnings"
    assert sorted(f.name for f in folder.glob("*.parquet")) == [
        "earnings_2019-01-08.parquet",
        "earnings_2019-02-20.parquet",
        "earnings_2019-03-08.parquet",
        "earnings_2019-04-08.parquet",
    ]
    con = duckdb.connect()
    # no snapshot holds a month that had not ended by its date
    newest_month = con.execute(
        f"select max(month) from '{folder}/earnings_2019-02-20.parquet'"
    ).fetchone()[0]
    assert newest_month == "2019-01"


def test_every_municipality_and_27_participants(small_parquet):
    con = duckdb.connect()
    newest = small_parquet / "register_benefits" / "benefits_2019-04-15_*.parquet"
    assert (
        con.execute(f"select count(distinct municipality_code) from '{newest}'").fetchone()[0] == 98
    )
    participants = small_parquet / "stv_participants" / "participants.csv"
    assert con.execute(f"select count(*) from '{participants}'").fetchone()[0] == 27


def test_the_same_seed_writes_the_same_bytes_and_csv_holds_the_same_rows(small_parquet, tmp_path):
    generate_sample(tmp_path / "again", seed=11, scale="small")
    generate_sample(tmp_path / "csv", seed=11, scale="small", register_format="csv")
    for path in (small_parquet / "register_earnings").glob("*.parquet"):
        assert (
            path.read_bytes() == (tmp_path / "again" / "register_earnings" / path.name).read_bytes()
        )
    con = duckdb.connect()
    parquet = small_parquet / "register_benefits" / "benefits_2019-02-15_sjaelland.parquet"
    csv = tmp_path / "csv" / "register_benefits" / "benefits_2019-02-15_sjaelland.csv"
    differing = con.execute(
        f"select count(*) from ((select * from '{parquet}' except select * from read_csv('{csv}')) "
        f"union all (select * from read_csv('{csv}') except select * from '{parquet}'))"
    ).fetchone()[0]
    assert differing == 0

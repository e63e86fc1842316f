"""`stv sample --scale small` on disk: vintages nest, all municipalities appear, CSV = Parquet."""

from pathlib import Path

import duckdb
import pytest

from stv_pipeline.sample.generator import generate_sample


@pytest.fixture(scope="module")
def small_parquet(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate_sample(out, seed=11, scale="small")
    return out


def test_four_monthly_vintages_each_a_snapshot_of_the_next(small_parquet):
    files = sorted((small_parquet / "register_benefits").glob("*.parquet"))
    assert [f.name for f in files] == [
        "benefits_2019-01-15.parquet",
        "benefits_2019-02-15.parquet",
        "benefits_2019-03-15.parquet",
        "benefits_2019-04-15.parquet",
    ]
    con = duckdb.connect()
    for older, newer in zip(files, files[1:], strict=False):
        # everything registered by the older extract is in the newer one, unchanged
        missing = con.execute(
            f"select count(*) from (select * from '{older}' except select * from '{newer}')"
        ).fetchone()[0]
        grown = con.execute(
            f"select (select count(*) from '{newer}') - (select count(*) from '{older}')"
        ).fetchone()[0]
        assert missing == 0 and grown > 0
        late = con.execute(
            f"select count(*) from '{older}' where registered_date > "
            f"date '{older.stem.split('_')[1]}'"
        ).fetchone()[0]
        assert late == 0


def test_every_municipality_and_27_participants(small_parquet):
    con = duckdb.connect()
    newest = small_parquet / "register_benefits" / "benefits_2019-04-15.parquet"
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
    parquet = small_parquet / "register_benefits" / "benefits_2019-02-15.parquet"
    csv = tmp_path / "csv" / "register_benefits" / "benefits_2019-02-15.csv"
    differing = con.execute(
        f"select count(*) from ((select * from '{parquet}' except select * from read_csv('{csv}')) "
        f"union all (select * from read_csv('{csv}') except select * from '{parquet}'))"
    ).fetchone()[0]
    assert differing == 0

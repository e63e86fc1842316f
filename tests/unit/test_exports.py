from datetime import date

import duckdb
import pandas as pd

from stv_pipeline.exports.cells import DisclosureRules, declarations
from stv_pipeline.exports.delivery import export_folder, read_mart
from stv_pipeline.exports.disclosure import suppress_export
from stv_pipeline.exports.writers import write_csv_for_excel, write_parquet

BOM = "\ufeff".encode()


def test_export_folder_is_date_then_short_run_id(tmp_path):
    folder = export_folder(tmp_path, "9e0ad809-e1bd-4d26-bfcc-9a68b73cf84e", date(2026, 11, 22))
    assert folder == tmp_path / "2026-11-22_9e0ad809"


def test_mart_is_exported_for_danish_excel_and_typed_parquet_with_small_cells_empty(tmp_path):
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.nowcast as select * from (values "
        "(450, date '2019-03-01', 'alle', 'population', 12::bigint, 0.75, 16.0, 14.5, 20.0),"
        "(461, date '2019-03-01', 'alle', 'population', 3::bigint, 0.75, 4.0, 3.5, 5.25)"
        ") as v(municipality_code, month, target_group, measure, observed, completion_factor, "
        "estimate, lower, upper)"
    )
    publication = suppress_export(
        {"nowcast": read_mart(con, "nowcast")},
        declarations(),
        DisclosureRules(windows={}, protection_width=2.0),
    )
    published, mask = publication.tables["nowcast"], publication.masks["nowcast"]
    write_csv_for_excel(published, tmp_path / "nowcast.csv")
    write_parquet(published, tmp_path / "nowcast.parquet")
    assert len(published) == 2 and int(mask.to_numpy().sum()) == 4
    raw = (tmp_path / "nowcast.csv").read_bytes()
    assert raw.startswith(BOM)
    assert raw[len(BOM) :].decode().splitlines() == [
        "municipality_code;month;target_group;measure;observed;completion_factor;estimate;"
        "lower;upper",
        "450;2019-03-01;alle;population;12;0,75;16,0;14,5;20,0",
        "461;2019-03-01;alle;population;;0,75;;;",
    ]
    back = pd.read_parquet(tmp_path / "nowcast.parquet")
    assert str(back["observed"].dtype) == "Int64" and back["observed"].tolist()[0] == 12
    assert pd.isna(back["observed"].iloc[1]) and pd.isna(back["estimate"].iloc[1])
    assert back["month"].iloc[0] == date(2019, 3, 1)  # a date, not a timestamp


def test_no_text_cell_of_a_csv_starts_a_formula(tmp_path):
    frame = pd.DataFrame(
        {
            "provider": ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\tx", "\rx", "jobmentor", None],
            "gap_rel": [-0.5, 0.1, -0.25, 0.0, 1.0, 2.0, 3.0, None],
        }
    )
    write_csv_for_excel(frame, tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_bytes()[len(BOM) :].decode().split("\r\n")
    assert lines[1:9] == [
        "'=1+1;-0,5",
        "'+A1;0,1",
        "'-2+3;-0,25",
        "'@SUM(A1);0,0",
        "'\tx;1,0",
        '"\'\rx";2,0',  # quoted: a carriage return in a cell
        "jobmentor;3,0",
        ";",
    ]
    assert frame["provider"].iloc[0] == "=1+1"  # the frame (and Parquet) keeps the name

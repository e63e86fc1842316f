from datetime import date

import duckdb

from stv_pipeline.defs.exports import BOM, export_folder, write_table


def test_export_folder_is_date_then_short_run_id(tmp_path):
    folder = export_folder(tmp_path, "9e0ad809-e1bd-4d26-bfcc-9a68b73cf84e", date(2026, 11, 22))
    assert folder == tmp_path / "2026-11-22_9e0ad809"


def test_csv_is_for_danish_excel_and_parquet_keeps_types(tmp_path):
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (461, date '2017-03-01', 0.75::double, 'alle'), "
        "(450, date '2017-03-01', 0.5, 'alle')) as v(municipality_code, month, share, g)"
    )
    assert write_table(con, "t", tmp_path) == {"rows": 2}
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(BOM)
    assert raw[len(BOM) :].decode().splitlines() == [
        "municipality_code;month;share;g",
        "450;2017-03-01;0,5;alle",
        "461;2017-03-01;0,75;alle",
    ]
    back = con.execute(f"select * from '{tmp_path / 't.parquet'}' order by 1").fetchall()
    assert back[0] == (450, date(2017, 3, 1), 0.5, "alle")

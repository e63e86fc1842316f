from datetime import date

import duckdb
import pandas as pd
import pytest

from stv_pipeline.exports.cells import DisclosureRules, declarations
from stv_pipeline.exports.delivery import export_folder, read_mart
from stv_pipeline.exports.disclosure import suppress_export
from stv_pipeline.exports.writers import write_csv_for_excel, write_parquet

BOM = "\ufeff".encode()


def csv_lines(path) -> list[str]:
    """A CSV for Danish Excel as its lines: its byte-order mark first, CRLF after each line."""
    data = path.read_bytes()
    assert data.startswith(BOM)
    return data[len(BOM) :].decode().split("\r\n")


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
    lines = csv_lines(tmp_path / "t.csv")
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


def test_csv_fields_are_written_as_pythons_csv_module_writes_them(tmp_path):
    """Each type as Danish Excel reads it, quoted where a field holds the separator, a quote or
    a line break, in the frame's order (DuckDB makes the fields)."""
    frame = pd.DataFrame(
        {
            "text": ["a;b", 'say "hi"', "two\nlines", None],
            "share": [1e-05, 2.5, 1e16, None],
            "count": pd.array([3, None, 10, 0], dtype="Int64"),
            "flag": pd.array([True, False, None, True], dtype="boolean"),
            "day": [date(2019, 3, 1), None, date(2020, 12, 31), date(2019, 1, 1)],
            "at": pd.to_datetime(
                ["2019-03-01 13:45", None, "2020-01-02 00:00", "2021-06-30 23:59"]
            ),
        }
    )
    write_csv_for_excel(frame, tmp_path / "t.csv")
    assert csv_lines(tmp_path / "t.csv") == [
        "text;share;count;flag;day;at",
        '"a;b";1e-05;3;True;2019-03-01;2019-03-01',
        '"say ""hi""";2,5;;False;;',
        '"two\nlines";1e+16;10;;2020-12-31;2020-01-02',
        ";;0;True;2019-01-01;2021-06-30",
        "",
    ]


def test_a_csv_row_of_one_empty_field_is_quoted_and_a_table_without_rows_has_its_header(
    tmp_path,
):
    write_csv_for_excel(pd.DataFrame({"note": [None, "x"]}), tmp_path / "one.csv")
    assert (tmp_path / "one.csv").read_bytes() == BOM + b'note\r\n""\r\nx\r\n'
    write_csv_for_excel(pd.DataFrame({"a": [], "b": []}), tmp_path / "none.csv")
    assert (tmp_path / "none.csv").read_bytes() == BOM + b"a;b\r\n"
    write_csv_for_excel(pd.DataFrame({"a": [None, None], "b": [1, 2]}), tmp_path / "nulls.csv")
    assert (tmp_path / "nulls.csv").read_bytes() == BOM + b"a;b\r\n;1\r\n;2\r\n"


def test_a_timestamp_is_written_as_its_date_whatever_its_unit(tmp_path):
    stamps = pd.to_datetime(["2019-03-01 13:45", "2020-12-31 23:59"])
    frame = pd.DataFrame({u: stamps.as_unit(u) for u in ("s", "ms", "us", "ns")})
    write_csv_for_excel(frame, tmp_path / "t.csv")
    assert csv_lines(tmp_path / "t.csv") == [
        "s;ms;us;ns",
        "2019-03-01;2019-03-01;2019-03-01;2019-03-01",
        "2020-12-31;2020-12-31;2020-12-31;2020-12-31",
        "",
    ]


def test_a_column_type_the_csv_cannot_write_is_named(tmp_path):
    frame = pd.DataFrame({"span": pd.to_timedelta([1, 2], unit="D")})
    with pytest.raises(TypeError, match="column span is of type INTERVAL"):
        write_csv_for_excel(frame, tmp_path / "t.csv")


def test_a_mart_is_read_with_the_types_the_export_writes():
    """Read through Arrow, a mart keeps the types DuckDB's own pandas conversion gives: a
    DATE a date (NaT where NULL), an integer or boolean with NULLs nullable, a DECIMAL a
    double; the texts of an empty mart objects."""
    con = duckdb.connect()
    con.execute(
        "create schema marts; create table marts.t as select * from (values "
        "(2, null::decimal(2,2), null::date, 7::bigint, null::boolean, 'b'), "
        "(1, 0.25::decimal(2,2), date '2020-01-01', null::bigint, true, 'a')) "
        "as v(code, factor, day, n, flag, name); "
        "create table marts.empty as select * from marts.t where false"
    )
    frame = read_mart(con, "t")
    assert frame["code"].tolist() == [1, 2]  # ordered by every column
    assert frame["factor"].dtype == "float64" and frame["factor"].iloc[0] == 0.25
    assert frame["day"].iloc[0] == date(2020, 1, 1) and frame["day"].iloc[1] is pd.NaT
    assert str(frame["n"].dtype) == "Int64" and frame["n"].iloc[1] == 7
    assert frame["n"].isna().tolist() == [True, False]
    assert str(frame["flag"].dtype) == "boolean" and frame["flag"].isna().tolist() == [False, True]
    empty = read_mart(con, "empty")
    assert len(empty) == 0 and empty["name"].dtype == object
    con.execute(
        "create table marts.odd as select * from (values (null::ubigint, null::date), "
        "(4::ubigint, null::date)) as v(n, day)"
    )
    odd = read_mart(con, "odd")
    assert str(odd["n"].dtype) == "UInt64" and odd["n"].tolist()[0] == 4  # NULLs sort last
    assert str(odd["day"].dtype) == "datetime64[s]" and odd["day"].isna().all()

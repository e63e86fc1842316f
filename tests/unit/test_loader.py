"""Loading single files into a temporary warehouse: accept, reject whole, skip unchanged."""

import json
from pathlib import Path

from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import load_source

BENEFITS_HEADER = "person_id;kommunekode;uge;ydelseskode;indsatskode;registreringsdato\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def load(con, tmp_path, source, **kw):
    return load_source(
        con,
        CONTRACTS[source],
        tmp_path / "inbox" / source,
        origin="inbox",
        quarantine_dir=tmp_path / "quarantine",
        pseudonym_key=kw.get("key"),
        log=lambda _: None,
    )


def test_valid_benefits_file_loads_with_vintage_from_its_name(reference_con, tmp_path):
    write(
        tmp_path / "inbox/register_benefits",
        "benefits_2017-06-30.csv",
        BENEFITS_HEADER
        + "p1;450;2017-W10;KH-AKT;;12-03-2017\np1;450;2017-W11;KH-AKT;VP;2017-03-19\n",
    )
    [outcome] = load(reference_con, tmp_path, "register_benefits")
    assert (outcome.status, outcome.rows, outcome.vintage) == ("loaded", 2, "2017-06-30")
    rows = reference_con.execute(
        "select person_id, municipality_code, iso_week, activation_code, registered_date::varchar, "
        "extract_date::varchar from raw.register_benefits order by iso_week"
    ).fetchall()
    assert rows == [
        ("p1", 450, "2017-W10", None, "2017-03-12", "2017-06-30"),
        ("p1", 450, "2017-W11", "VP", "2017-03-19", "2017-06-30"),
    ]


def test_same_content_twice_is_a_no_op(reference_con, tmp_path):
    write(tmp_path / "inbox/stv_participants", "p.csv", "kommunekode,startdato\n450,01-01-2017\n")
    assert [o.status for o in load(reference_con, tmp_path, "stv_participants")] == ["loaded"]
    assert [o.status for o in load(reference_con, tmp_path, "stv_participants")] == ["unchanged"]
    assert reference_con.execute("select count(*) from raw.stv_participants").fetchone()[0] == 1
    assert reference_con.execute("select count(*) from raw.file_log").fetchone()[0] == 1


def test_changed_file_with_same_name_replaces_its_earlier_rows(reference_con, tmp_path):
    write(tmp_path / "inbox/stv_participants", "p.csv", "kommunekode\n450\n461\n")
    load(reference_con, tmp_path, "stv_participants")
    write(tmp_path / "inbox/stv_participants", "p.csv", "kommunekode\n813\n")
    load(reference_con, tmp_path, "stv_participants")
    assert reference_con.execute(
        "select municipality_code from raw.stv_participants"
    ).fetchall() == [(813,)]
    log = reference_con.execute(
        "select rows, replaced_at is not null from raw.file_log order by loaded_at"
    ).fetchall()
    assert log == [(2, True), (1, False)]


def test_a_file_with_one_bad_row_is_rejected_whole_and_reported(reference_con, tmp_path):
    write(
        tmp_path / "inbox/register_benefits",
        "benefits_2017-06-30.csv",
        BENEFITS_HEADER
        + "p1;450;2017-W10;KH-AKT;;2017-03-12\n"
        + "p2;999;2017-W10;KH-AKT;;2017-03-12\n",
    )
    [outcome] = load(reference_con, tmp_path, "register_benefits")
    assert outcome.status == "rejected"
    assert reference_con.execute("select count(*) from raw.register_benefits").fetchone()[0] == 0
    assert not (tmp_path / "inbox/register_benefits/benefits_2017-06-30.csv").exists()
    moved = tmp_path / "quarantine/register_benefits/benefits_2017-06-30.csv"
    assert moved.exists()
    report = json.loads(Path(str(moved) + ".report.json").read_text())
    assert report["total_problems"] == 1
    assert report["problems"] == [
        {
            "rule": "must be one of the 98 municipality codes (reference.municipalities)",
            "row": 3,
            "column": "municipality_code",
            "value": "999",
        }
    ]


def test_windows_1252_semicolon_file_with_danish_headers_loads(reference_con, tmp_path):
    text = (
        "kommunekode;udtræksdato;mål;leverandør;antal\n"
        "450;01-03-2017;active_company_placements;Læsø Mentorhus;12\n"
    )
    write(tmp_path / "inbox/municipal_monitoring", "m.csv", text, encoding="cp1252")
    [outcome] = load(reference_con, tmp_path, "municipal_monitoring")
    assert outcome.status == "loaded", outcome.problems
    assert reference_con.execute(
        "select provider, extract_date::varchar, count from raw.municipal_monitoring"
    ).fetchall() == [("Læsø Mentorhus", "2017-03-01", 12)]


def test_cpr_is_pseudonymised_and_never_stored(reference_con, tmp_path):
    write(
        tmp_path / "inbox/register_earnings",
        "earnings_2017-06-30.csv",
        'cpr,maaned,loentimer\n010180-1234,2017-03,"12,5"\n0101801234,2017-04,3\n',
    )
    [outcome] = load(reference_con, tmp_path, "register_earnings", key="test-key")
    assert outcome.status == "loaded", outcome.problems
    ids = reference_con.execute("select distinct person_id from raw.register_earnings").fetchall()
    assert len(ids) == 1 and len(ids[0][0]) == 64  # dash or not, one person, a hex HMAC
    dump = str(reference_con.execute("select * from raw.register_earnings").fetchall())
    assert "0101801234" not in dump and "010180" not in dump


def test_cpr_without_a_key_is_a_clear_error_and_the_file_waits_in_the_inbox(
    reference_con, tmp_path
):
    import pytest

    from stv_pipeline.ingest.privacy import PseudonymKeyMissing

    cpr_file = write(
        tmp_path / "inbox/register_earnings",
        "earnings_2017-06-30.csv",
        "cpr,maaned,loentimer\n0101801234,2017-03,3\n",
    )
    write(
        tmp_path / "inbox/register_earnings",
        "earnings_2017-07-31.csv",
        "person_id,maaned,loentimer\np1,2017-03,3\n",
    )
    with pytest.raises(
        PseudonymKeyMissing,
        match="earnings_2017-06-30.csv has a CPR column but STV_PSEUDONYM_KEY is not set",
    ) as err:
        load(reference_con, tmp_path, "register_earnings")
    assert "0101801234" not in str(err.value)
    assert cpr_file.exists()  # not quarantined: the file is fine, the configuration is not
    assert reference_con.execute("select count(*) from raw.register_earnings").fetchone()[0] == 1


def test_same_register_rows_under_a_later_extract_date_are_a_new_vintage(reference_con, tmp_path):
    rows = "person_id;maaned;loentimer\np1;2017-03;3\n"
    write(tmp_path / "inbox/register_earnings", "earnings_2017-06-30.csv", rows)
    write(tmp_path / "inbox/register_earnings", "earnings_copy.csv", rows)
    write(tmp_path / "inbox/register_earnings", "earnings_2017-09-30.csv", rows)
    outcomes = {o.file_name: o.status for o in load(reference_con, tmp_path, "register_earnings")}
    assert outcomes == {
        "earnings_2017-06-30.csv": "loaded",
        "earnings_2017-09-30.csv": "loaded",
        "earnings_copy.csv": "unchanged",
    }


def test_a_rejected_file_of_the_shipped_sample_is_copied_to_quarantine_never_moved(
    reference_con, tmp_path
):
    bad = write(tmp_path / "sample/stv_participants", "p.csv", "kommunekode\n450\n450\n")
    [outcome] = load_source(
        reference_con,
        CONTRACTS["stv_participants"],
        bad.parent,
        origin="sample",
        quarantine_dir=tmp_path / "quarantine",
        pseudonym_key=None,
        log=lambda _: None,
    )
    assert outcome.status == "rejected"
    assert bad.read_text() == "kommunekode\n450\n450\n"
    assert (tmp_path / "quarantine/stv_participants/p.csv").read_bytes() == bad.read_bytes()


def test_a_vintage_split_over_files_loads_when_the_files_share_no_key(
    reference_con, tmp_path, monkeypatch
):
    """The second file of a vintage is inserted and its keys checked together with its
    sibling's in the same checked insert, found clean and loaded, without the row-by-row search
    for problems (which re-parses the file): both files' rows are there, each logged once."""

    def no_search(*args, **kwargs):
        raise AssertionError("a clean file of a split vintage was searched row by row")

    monkeypatch.setattr("stv_pipeline.ingest.loader.find_problems", no_search)
    folder = tmp_path / "inbox" / "register_benefits"
    write(
        folder,
        "benefits_2019-04-15_0450.csv",
        BENEFITS_HEADER + "p1;450;2017-W10;KH-AKT;;2017-03-10\n",
    )
    write(
        folder,
        "benefits_2019-04-15_0461.csv",
        BENEFITS_HEADER + "p2;461;2017-W10;KH-AKT;;2017-03-10\n",
    )
    outcomes = load(reference_con, tmp_path, "register_benefits")
    assert [(o.status, o.rows, o.vintage) for o in outcomes] == [("loaded", 1, "2019-04-15")] * 2
    assert reference_con.execute(
        "select person_id, municipality_code, _file_name from raw.register_benefits order by 1"
    ).fetchall() == [
        ("p1", 450, "benefits_2019-04-15_0450.csv"),
        ("p2", 461, "benefits_2019-04-15_0461.csv"),
    ]
    assert reference_con.execute(
        "select file_name, rows from raw.file_log order by 1"
    ).fetchall() == [("benefits_2019-04-15_0450.csv", 1), ("benefits_2019-04-15_0461.csv", 1)]


def test_a_key_repeated_across_files_of_a_vintage_rolls_the_insert_back(reference_con, tmp_path):
    """The repeat is only visible once the second file's rows are inserted: the insert is
    rolled back and the file rejected, leaving the first file's rows and log untouched."""
    folder = tmp_path / "inbox" / "register_benefits"
    write(
        folder,
        "benefits_2019-04-15_a.csv",
        BENEFITS_HEADER + "p1;450;2017-W10;KH-AKT;;2017-03-10\n",
    )
    write(
        folder,
        "benefits_2019-04-15_b.csv",
        BENEFITS_HEADER + "p2;461;2017-W10;KH-AKT;;2017-03-10\np1;461;2017-W10;RF;;2017-03-10\n",
    )
    first, second = load(reference_con, tmp_path, "register_benefits")
    assert (first.status, second.status) == ("loaded", "rejected")
    assert [(p.row, p.column) for p in second.problems] == [(3, "iso_week")]
    assert "already loaded from another file of this vintage" in second.problems[0].rule
    assert reference_con.execute(
        "select person_id, _file_name from raw.register_benefits"
    ).fetchall() == [("p1", "benefits_2019-04-15_a.csv")]
    assert reference_con.execute("select count(*) from raw.file_log").fetchone()[0] == 1


def test_a_file_spanning_two_vintages_is_checked_against_each_vintages_other_files(
    reference_con, tmp_path
):
    """A file with an extract-date column may hold rows of several vintages: a key is a repeat
    only within its own vintage. b's p1 is in another vintage than a's, and its p2 is new in
    a's: b loads. c repeats a's p1 in a's vintage, on its second row: rejected, named."""
    folder = tmp_path / "inbox" / "register_benefits"
    header = BENEFITS_HEADER.rstrip("\n") + ";udtraeksdato\n"
    write(
        folder,
        "benefits_2019-04-15_a.csv",
        BENEFITS_HEADER + "p1;450;2017-W10;KH-AKT;;2017-03-10\n",
    )
    write(
        folder,
        "benefits_2019-05-15_b.csv",
        header
        + "p1;450;2017-W10;KH-AKT;;2017-03-10;2019-05-15\n"
        + "p2;450;2017-W10;KH-AKT;;2017-03-10;2019-04-15\n",
    )
    write(
        folder,
        "benefits_2019-05-15_c.csv",
        header
        + "p3;450;2017-W10;KH-AKT;;2017-03-10;2019-05-15\n"
        + "p1;461;2017-W10;RF;;2017-03-10;2019-04-15\n",
    )
    a, b, c = load(reference_con, tmp_path, "register_benefits")
    assert (a.status, b.status, c.status) == ("loaded", "loaded", "rejected")
    assert [(p.row, p.column) for p in c.problems] == [(3, "iso_week")]
    assert "already loaded from another file of this vintage" in c.problems[0].rule
    assert reference_con.execute(
        "select person_id, extract_date::varchar, _file_name from raw.register_benefits "
        "order by all"
    ).fetchall() == [
        ("p1", "2019-04-15", "benefits_2019-04-15_a.csv"),
        ("p1", "2019-05-15", "benefits_2019-05-15_b.csv"),
        ("p2", "2019-04-15", "benefits_2019-05-15_b.csv"),
    ]


def test_a_valid_file_loads_in_one_checked_insert_and_a_broken_row_aborts_it(
    reference_con, tmp_path
):
    """The single-scan path itself: a valid file is accepted by the checked insert (not only
    after the detailed search for problems), and a file whose last row breaks a rule leaves
    the warehouse as it was."""
    from stv_pipeline.ingest.loader import _insert_checked, ensure_raw_tables
    from stv_pipeline.ingest.readers import read_to_table
    from stv_pipeline.ingest.validation import typed_scan

    contract = CONTRACTS["register_benefits"]
    ensure_raw_tables(reference_con, contract)
    good = write(
        tmp_path,
        "benefits_2019-04-15.csv",
        BENEFITS_HEADER + "p1;450;2017-W10;KH-AKT;VP;2017-03-10\n",
    )
    bad = write(
        tmp_path,
        "benefits_2019-05-15.csv",
        BENEFITS_HEADER + "p1;450;2017-W10;KH-AKT;;2017-03-10\np2;450;2017-W10;NOPE;;2017-03-10\n",
    )
    results = []
    for path in (good, bad):
        read_to_table(reference_con, path, "_incoming")
        scan = typed_scan(reference_con, contract, "_incoming", path, None)
        results.append(
            _insert_checked(reference_con, contract, path, "sha", "inbox", scan, check=True)
        )
    assert (results[0].rows, str(results[0].extract_date)) == (1, "2019-04-15")
    assert results[1] is None
    assert reference_con.execute(
        "select person_id, activation_code, extract_date::varchar from raw.register_benefits"
    ).fetchall() == [("p1", "VP", "2019-04-15")]
    assert reference_con.execute("select file_name from raw.file_log").fetchall() == [
        ("benefits_2019-04-15.csv",)
    ]

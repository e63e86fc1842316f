"""Danish labels for readers, dbt tests described in words, and the lock-wait line."""

from datetime import datetime

import pandas as pd

from stv_pipeline.exports.labels import Labels, for_readers
from stv_pipeline.operations.warehouse import lock_holder, locked_message
from stv_pipeline.quality.dbt_test_descriptions import dbt_test_description, describe_test

LABELS = Labels(
    categories={
        ("boolean", "true"): "Ja",
        ("boolean", "false"): "Nej",
        ("scope", "did"): "forskel-i-forskelle",
        ("target_group", "alle"): "alle målgrupper",
    },
    municipalities={101: "København", 492: "Ærø"},
)


def test_for_readers_labels_codes_booleans_and_names_and_keeps_suppressed_cells_empty():
    frame = pd.DataFrame(
        {
            "scope": ["did", "municipality"],
            "municipality_code": pd.array([None, 492], dtype="Int64"),
            "target_group": ["alle", "alle"],
            "provisional": pd.array([True, None], dtype="boolean"),
            "value": [1.5, None],
        }
    )
    out = for_readers(frame, LABELS)
    assert out.columns.tolist() == [
        "scope",
        "municipality_code",
        "municipality_name",
        "target_group",
        "provisional",
        "value",
    ]
    assert out["scope"].tolist() == ["forskel-i-forskelle", "municipality"]  # unlabelled: as is
    assert pd.isna(out["municipality_name"].iloc[0]) and out["municipality_name"].iloc[1] == "Ærø"
    assert out["target_group"].tolist() == ["alle målgrupper"] * 2
    assert out["provisional"].iloc[0] == "Ja" and pd.isna(out["provisional"].iloc[1])
    assert out["value"].iloc[0] == 1.5 and pd.isna(out["value"].iloc[1])
    assert frame["scope"].tolist() == ["did", "municipality"]  # the CSV's frame is untouched


def test_dbt_tests_are_described_from_their_arguments():
    assert (
        describe_test("accepted_values", {"column_name": "scope", "values": ["a", "b", "c"]}, "be")
        == "scope in be is always one of 'a', 'b' or 'c'."
    )
    assert describe_test(
        "relationships",
        {"column_name": "target_group", "to": "ref('target_groups')", "field": "target_group"},
        "benefit_codes",
    ) == (
        "Every target_group in benefit_codes exists as target_group in target_groups "
        "(no unknown codes)."
    )
    assert describe_test("between", {"column_name": "s", "min_value": 1, "max_value": 5}, "t") == (
        "s in t lies between 1 and 5 (inclusive)."
    )
    assert describe_test("between", {"column_name": "s", "min_value": 0.5}, "t") == (
        "s in t is at least 0.5."
    )
    assert describe_test("unique_combination", {"columns": ["a", "b"]}, "t") == (
        "No two rows of t share the same a + b (the table's key)."
    )
    assert describe_test("mystery", {"x": 1, "model": "m"}, "t") == "dbt test mystery on t (x = 1)."


def test_a_test_node_gets_its_own_description_or_one_with_its_severity():
    node = {
        "name": "not_null_t_c",
        "column_name": "c",
        "test_metadata": {"name": "not_null", "kwargs": {"column_name": "c", "model": "m"}},
        "config": {"severity": "warn"},
    }
    assert dbt_test_description(node, "t") == (
        "Every row of t has a value in c (none is missing). A failure only warns."
    )
    assert dbt_test_description({**node, "description": "Own words."}, "t") == "Own words."


def test_a_lock_wait_names_the_holder_since_when_and_until_when():
    message = (
        'IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held in '
        "/usr/bin/duckdb (PID 4242) by user ana. See also https://duckdb.org/docs"
    )
    assert lock_holder(message) == "PID 4242 (duckdb)"
    assert lock_holder("IO Error: Could not set lock on file") == "another process"
    since = datetime(2026, 11, 23, 14, 59, 50)
    assert locked_message("w.duckdb", message, since, 600, since) == (
        "Warehouse locked by PID 4242 (duckdb): this run waits for it since 14:59:50 and gives "
        "up at 15:09:50 (w.duckdb)"
    )
    assert locked_message("w.duckdb", message, since, 600, datetime(2026, 11, 23, 15, 1, 50)) == (
        "Warehouse still locked by PID 4242 (duckdb) (waiting 2 min): this run waits for it "
        "since 14:59:50 and gives up at 15:09:50 (w.duckdb)"
    )


def test_a_provisional_reason_reads_in_danish_quoting_only_a_published_revision():
    from datetime import date

    from stv_pipeline.exports.labels import labels_from, provisional_reason, revision_lookup
    from stv_pipeline.vocabulary import read_vocabulary

    labels = labels_from(read_vocabulary(), {}, {450: "Nyborg"})
    april, march = date(2019, 4, 15), date(2019, 3, 1)
    revisions = pd.DataFrame(
        {
            "municipality_code": [450, 450, 450],
            "month": [march] * 3,
            "target_group": ["alle", "ressourceforloeb", "kontanthjaelp_aktivitetsparat"],
            "measure": ["n_company"] * 3,
            "vintage": [april] * 3,
            # 24 -> 25 (+4.2 %); 3 -> 4, suppressed; 0 -> 2, no relative size
            "value": pd.array([25, None, 2], dtype="Int64"),
            "revision_abs": pd.array([1, None, 2], dtype="Int64"),
            "revision_rel": [1 / 24, None, None],
        }
    )
    mask = pd.DataFrame(False, index=revisions.index, columns=revisions.columns)
    mask.loc[1, ["value", "revision_abs", "revision_rel"]] = True
    lookup = revision_lookup(revisions, mask)

    def reason(group: str, codes: str = "too_recent+revised") -> str | None:
        row = {
            "municipality_code": 450,
            "month": march,
            "target_group": group,
            "provisional_reason": codes,
            "revised_measure": "n_company",
            "revised_vintage": april,
        }
        return provisional_reason(row, labels, lookup)

    assert reason("alle") == (
        "for ny; revideret med +4,2 % i udtrækket af 15.04.2019 "
        "(antal med virksomhedsrettet indsats)"
    )
    assert reason("ressourceforloeb", "revised") == (
        "revideret mere end tærsklen i udtrækket af 15.04.2019 "
        "(antal med virksomhedsrettet indsats)"
    )
    assert reason("kontanthjaelp_aktivitetsparat", "revised") == (
        "steget fra 0 i udtrækket af 15.04.2019 (antal med virksomhedsrettet indsats)"
    )
    assert reason("alle", "too_recent") == "for ny"
    assert provisional_reason({"provisional_reason": None}, labels) is None


def test_codes_of_sources_notes_and_snapshots_read_in_danish():
    from stv_pipeline.exports.labels import labels_from
    from stv_pipeline.vocabulary import read_vocabulary

    labels = labels_from(read_vocabulary(), {}, {}, {"nowcast_min_mature_months": 3})
    frame = pd.DataFrame(
        {
            "actual_source": ["jobcentre", "providers_sum"],
            "changed_snapshots": ["benefits", "both"],
            "note": ["estimated", "no_estimate"],
            "mature_months": [4, 1],
            "completion_factor": [0.932, None],
            "revised_measure": ["n_hours", None],
        }
    )
    out = for_readers(frame, labels)
    assert out["actual_source"].tolist() == ["jobcentrets egen opgørelse", "leverandørernes sum"]
    assert out["changed_snapshots"].tolist() == ["ydelsesregistret", "begge registre"]
    assert out["note"].tolist() == [
        "skønnet ud fra 4 endelige måneder med samme forsinkelse (komplethedsfaktor 93,2 %)",
        "intet skøn: kun 1 af de nødvendige 3 endelige måneder med samme forsinkelse",
    ]
    assert out["revised_measure"].tolist() == ["antal med ordinære løntimer", None]
    assert frame["note"].tolist() == ["estimated", "no_estimate"]  # the CSV keeps the codes

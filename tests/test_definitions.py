"""The code location loads and holds every asset, check and job the pipeline promises."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from stv_pipeline.definitions import build_definitions
from stv_pipeline.defs import ingest as ingest_defs
from stv_pipeline.defs.resources import WarehouseResource
from stv_pipeline.ingest import inbox
from stv_pipeline.ingest.contracts import (
    CONTRACTS,
    INTEGER,
    KNOWN_MUNICIPALITY,
    MUNICIPALITY,
    Column,
    Contract,
)
from stv_pipeline.ingest.loader import load_source
from stv_pipeline.ingest.readers import cell_readers
from stv_pipeline.sample.generator import generate_sample
from stv_pipeline.settings import PROJECT_ROOT, Settings
from stv_pipeline.vocabulary import Vocabulary, read_vocabulary

SOURCES = list(CONTRACTS)


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("defs")
    return build_definitions(Settings.from_env({"STV_WAREHOUSE": str(tmp / "w.duckdb")}))


def asset_specs(defs):
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


def test_every_layer_is_present_in_its_group(defs):
    specs = asset_specs(defs)
    expected = {
        **{dg.AssetKey(["raw", s]): "ingest" for s in SOURCES},
        dg.AssetKey(["reference", "benefit_codes"]): "reference",
        dg.AssetKey(["staging", "stg_register__benefit_weeks"]): "staging",
        dg.AssetKey(["intermediate", "int_benefit_person_months"]): "intermediate",
        dg.AssetKey(["intermediate", "int_success_window_totals"]): "intermediate",
        **{
            dg.AssetKey(["marts", m]): "marts"
            for m in (
                "success_criteria_monthly",
                "baseline_endline",
                "implementation_fidelity",
                "case_selection",
                "goal_attainment",
            )
        },
        dg.AssetKey(["quality", "input_files"]): "quality",
        dg.AssetKey(["exports", "star_export"]): "exports",
        dg.AssetKey(["exports", "published_tables"]): "exports",
    }
    for key, group in expected.items():
        assert key in specs, key
        assert specs[key].group_name == group, key


def test_lineage_runs_from_inbox_through_dbt_to_the_export(defs):
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["exports", "star_export"])).parent_keys
    assert upstream == {dg.AssetKey(["exports", "published_tables"])}
    published = graph.get(dg.AssetKey(["exports", "published_tables"])).parent_keys
    assert dg.AssetKey(["marts", "success_criteria_monthly"]) in published
    assert dg.AssetKey(["quality", "register_vintage_history"]) in published
    staging = graph.get(dg.AssetKey(["staging", "stg_register__benefit_weeks"])).parent_keys
    assert staging == {dg.AssetKey(["raw", "register_benefits"])}
    # The loaders read the seed CSVs themselves: raw depends on nothing, and the seeds sit
    # beside staging as inputs of the intermediate models.
    for source in SOURCES:
        assert graph.get(dg.AssetKey(["raw", source])).parent_keys == set(), source
    person_months = graph.get(dg.AssetKey(["intermediate", "int_benefit_person_months"]))
    assert dg.AssetKey(["reference", "benefit_codes"]) in person_months.parent_keys


def test_no_intermediate_model_reads_a_mart(defs):
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        if key.path[0] != "intermediate":
            continue
        marts = [p for p in graph.get(key).parent_keys if p.path[0] == "marts"]
        assert marts == [], key


def test_one_dbt_build_per_run_holds_the_seeds_and_the_models(defs):
    dbt_defs = [
        a for a in defs.resolve_asset_graph().assets_defs if "dbt" in a.required_resource_keys
    ]
    assert len(dbt_defs) == 1
    keys = dbt_defs[0].keys
    assert dg.AssetKey(["reference", "municipalities"]) in keys
    assert dg.AssetKey(["marts", "success_criteria_monthly"]) in keys


def test_every_asset_has_an_analyst_description(defs):
    missing = [k for k, s in asset_specs(defs).items() if not (s.description or "").strip()]
    assert missing == []


def test_every_table_column_the_ui_shows_is_described_and_the_seeds_typed(defs):
    specs = asset_specs(defs)
    undescribed = [
        (key.to_user_string(), column.name)
        for key, spec in specs.items()
        for column in getattr(spec.metadata.get("dagster/column_schema"), "columns", [])
        if not (column.description or "").strip()
    ]
    assert undescribed == []
    # the seed analysts edit, as a table of typed columns
    settings = specs[dg.AssetKey(["reference", "evaluation_settings"])]
    columns = {c.name: c.type for c in settings.metadata["dagster/column_schema"].columns}
    assert columns["revision_threshold"] == "double" and columns["maturity_months"] == "integer"
    assert len(columns) == 10


def test_the_exports_data_dictionary_is_a_table_in_the_ui():
    from stv_pipeline.defs.exports import data_dictionary
    from stv_pipeline.exports.dictionary import exported_marts

    table = data_dictionary()
    assert [c.name for c in table.schema.columns] == [
        "table",
        "column",
        "label_da",
        "unit",
        "meaning_da",
    ]
    rows = [r.data for r in table.records]
    assert {r["table"] for r in rows} == set(exported_marts())
    gap = next(r for r in rows if (r["table"], r["column"]) == ("reconciliation", "gap_rel"))
    assert gap["label_da"] == "Relativ afvigelse" and gap["unit"] == "procent"


def test_checks_include_gx_suite_and_dbt_tests(defs):
    check_keys = {k for k in defs.resolve_asset_graph().asset_check_keys}
    names = {(k.asset_key.to_user_string(), k.name) for k in check_keys}
    assert ("marts/success_criteria_monthly", "gx_success_criteria_monthly") in names
    assert ("exports/published_tables", "disclosure_audit") in names
    assert any(
        a == "marts/success_criteria_monthly" and n.startswith("unique_combination")
        for a, n in names
    )


def test_runs_are_kept_apart_by_their_warehouse_not_by_a_dagster_pool(defs):
    """Runs on one warehouse are one at a time through the warehouse resource, which each run
    holds from its start (defs/resources.py); no step is in an instance-wide pool, which would
    make runs on different warehouses wait for each other."""
    assert defs.resolve_job_def("stv_full_job") is not None
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable:
            assert assets_def.node_def.pool is None, assets_def.keys
    assert isinstance(defs.resources["warehouse"], WarehouseResource)
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    assert "concurrency" not in config
    # no step loads another's output through an IO manager (storage every run shares): the
    # exports read what their own run staged in its export folder
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable:
            for name, op_in in assets_def.op.ins.items():
                assert op_in.dagster_type.is_nothing, (assets_def.keys, name)


def test_every_job_runs_its_steps_in_the_run_process(defs):
    # Runs launched by the schedule, the sensor or the UI use the same executor as `stv run`.
    assert defs.resolve_job_def("stv_full_job").executor_def == dg.in_process_executor
    assert defs.resolve_implicit_global_asset_job_def().executor_def == dg.in_process_executor


def test_the_jobindsats_mart_runs_from_its_raw_table_to_the_export(defs):
    graph = defs.resolve_asset_graph()

    def ancestors(key: dg.AssetKey) -> set[dg.AssetKey]:
        found, todo = set(), [key]
        while todo:
            for parent in graph.get(todo.pop()).parent_keys:
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    mart = dg.AssetKey(["marts", "jobindsats_success_monthly"])
    assert {
        dg.AssetKey(["raw", "jobindsats"]),
        dg.AssetKey(["reference", "jobindsats_measures"]),
    } <= (ancestors(mart))
    published = graph.get(dg.AssetKey(["exports", "published_tables"])).parent_keys
    assert {mart, dg.AssetKey(["marts", "jobindsats_vs_register"])} <= published


# A source added as its contract alone (here without its staging model and _sources.yml entry,
# which dbt needs to read it): a toy whose sample is written by a function of this module.
TOY = Contract(
    source="toy_visits",
    description="Visits to the jobcentre per municipality: a source added as one contract.",
    columns=(MUNICIPALITY, Column("visits", "bigint", INTEGER, "a whole number", ("besøg",))),
    readers=cell_readers("csv", "xlsx"),
    sample=f"{__name__}:toy_visit_files",
    rules=(KNOWN_MUNICIPALITY,),
)


def toy_visit_files(world, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    codes = world.munis.code[:2]
    path = folder / "visits.csv"
    path.write_text("kommunekode;besøg\n" + "".join(f"{c};{i + 1}\n" for i, c in enumerate(codes)))
    return [path]


def test_a_source_is_its_contract(monkeypatch, tmp_path):
    monkeypatch.setitem(CONTRACTS, TOY.source, TOY)
    # its Danish name, which every text STAR reads takes from the vocabulary seed
    vocabulary = read_vocabulary()
    monkeypatch.setattr(
        ingest_defs,
        "read_vocabulary",
        lambda: Vocabulary({**vocabulary.texts, ("source", TOY.source): ("besøg", "visits")}),
    )
    defs = build_definitions(Settings.from_env({"STV_WAREHOUSE": str(tmp_path / "w.duckdb")}))
    key = dg.AssetKey(["raw", TOY.source])
    spec = asset_specs(defs)[key]
    assert (spec.group_name, spec.description) == ("ingest", TOY.description)
    columns = spec.metadata["dagster/column_schema"].columns
    assert [(c.name, c.type) for c in columns[:2]] == [
        ("municipality_code", "integer"),
        ("visits", "bigint"),
    ]
    graph = defs.resolve_asset_graph()
    assert key in graph.get(dg.AssetKey(["raw", "file_log"])).parent_keys
    assert dg.AssetCheckKey(key, "no_quarantined_files") in graph.asset_check_keys
    assert TOY.source in inbox.data_sources()

    written = generate_sample(tmp_path / "inbox")
    assert [p.name for p in written[TOY.source]] == ["visits.csv"]
    with duckdb.connect() as con:
        [outcome] = load_source(
            con,
            TOY,
            tmp_path / "inbox" / TOY.source,
            origin="inbox",
            quarantine_dir=tmp_path / "quarantine",
            pseudonym_key=None,
            log=lambda _: None,
        )
        assert (outcome.status, outcome.rows) == ("loaded", 2)
        assert con.execute("select sum(visits) from raw.toy_visits").fetchone() == (3,)
        (tmp_path / "json").mkdir()
        (tmp_path / "json" / "visits.json").write_text("{}")
        [rejected] = load_source(
            con,
            TOY,
            tmp_path / "json",
            origin="inbox",
            quarantine_dir=tmp_path / "quarantine",
            pseudonym_key=None,
            log=lambda _: None,
        )
    assert rejected.problems[0].rule == (
        "file type .json is not accepted for toy_visits (accepted: csv, xlsx)"
    )

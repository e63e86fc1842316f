"""dbt's manifest, read in one place (stv_pipeline/dbt_manifest.py): the models and what their
.yml files say of them."""

import json

from stv_pipeline import dbt_manifest
from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.dictionary import column_units, table_docs

MANIFEST = {
    "nodes": {
        "model.stv.toy_mart": {
            "resource_type": "model",
            "name": "toy_mart",
            "schema": "marts",
            "description": "Toy counts\n  per municipality.",
            "meta": {},
            "config": {"meta": {"disclosure": {"cell": {"area": "municipality_code"}}}},
            "columns": {
                "municipality_code": {
                    "description": "Kommunekode.",
                    "meta": {"disclosure": {"role": "key"}, "label_da": "Kommune"},
                    "data_type": "INTEGER",
                },
                "n_persons": {
                    "description": "Persons.",
                    "meta": {"disclosure": {"role": "count", "measure": "toy"}, "unit": "personer"},
                    "data_type": None,
                },
            },
        },
        "model.stv.input_files": {
            "resource_type": "model",
            "name": "input_files",
            "schema": "quality",
            "description": "",
            "meta": {"export": {"sheet": "not a mart"}},
            "columns": {"rows": {"description": "", "meta": {"unit": "rækker"}}},
        },
        "seed.stv.municipalities": {
            "resource_type": "seed",
            "name": "municipalities",
            "schema": "reference",
            "columns": {},
        },
    }
}


def test_the_models_and_their_yml_as_dbt_compiled_them(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    toy, quality = dbt_manifest.models(path)
    assert (toy.name, toy.schema, quality.schema) == ("toy_mart", "marts", "quality")
    # a model's meta is dbt's `config: meta:` when the node has none of its own
    assert toy.meta == {"disclosure": {"cell": {"area": "municipality_code"}}}
    assert toy.description == "Toy counts per municipality."
    assert [(c.name, c.data_type) for c in toy.columns] == [
        ("municipality_code", "integer"),
        ("n_persons", ""),
    ]
    assert dbt_manifest.marts(MANIFEST) == [toy]


def test_the_declarations_and_the_dictionary_read_the_same_models(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    (toy,) = declarations(path).values()
    assert toy.cell == {"area": "municipality_code"}
    assert list(toy.counts) == ["n_persons"] and toy.counts["n_persons"]["measure"] == "toy"
    description, columns = table_docs(path)["toy_mart"]
    assert description == "Toy counts per municipality."
    assert [(c.label_da, c.unit) for c in columns] == [
        ("Kommune", ""),
        ("n_persons", "personer"),
    ]
    assert column_units(path) == {
        "marts/toy_mart": {"municipality_code": "", "n_persons": "personer"},
        "quality/input_files": {"rows": "rækker"},
    }


def test_a_manifest_written_again_is_read_again(tmp_path):
    """The models are read once per version of the file: `dbt parse` writing it anew (a run
    after the project changed) is seen by the next reader."""
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    assert [m.name for m in dbt_manifest.marts(path)] == ["toy_mart"]
    renamed = json.loads(json.dumps(MANIFEST))
    renamed["nodes"]["model.stv.toy_mart"]["name"] = "toy_mart_renamed"
    path.write_text(json.dumps(renamed))
    assert [m.name for m in dbt_manifest.marts(path)] == ["toy_mart_renamed"]

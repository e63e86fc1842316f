"""A table for STAR is added without Python (README "Adding a table or an export format"): a
toy mart's .sql and .yml in a copy of the dbt project, built by dbt there, is exported by the
unchanged code - its CSV and Parquet files, its workbook sheet at its declared place, its
columns in the data dictionary, its rows, suppressions and files in manifest.json, and the
Dagster job's export waiting for it.

The other marts are in the warehouse as dbt declares them, empty: this test is about what the
toy mart's .yml alone brings about, not the figures (test_full_job.py exports real ones)."""

import json
import os
import shutil
import subprocess
import textwrap
from datetime import date

import dagster as dg
import duckdb
import openpyxl
import pandas as pd
import pytest

from stv_pipeline import dbt_manifest
from stv_pipeline.defs.exports import disclosure_deps
from stv_pipeline.defs.resources import dbt_executable
from stv_pipeline.exports.cells import DisclosureRules, declarations
from stv_pipeline.exports.delivery import read_mart, write_export
from stv_pipeline.exports.dictionary import dictionary_records, exported_marts
from stv_pipeline.exports.disclosure import suppress_export
from stv_pipeline.exports.labels import Labels
from stv_pipeline.exports.report import ReportInputs
from stv_pipeline.settings import DBT_PROJECT_DIR, ENV_WAREHOUSE

pytestmark = pytest.mark.integration

TOY_SQL = """
select * from (values
    (450, date '2019-03-01', 12),
    (450, date '2019-04-01', 3),
    (461, date '2019-03-01', 0)
) as toy (municipality_code, month, n_persons)
"""

TOY_YML = """
version: 2

models:
  - name: toy_mart
    description: >
      Forløb. Persons in a toy programme per municipality and month.
    config:
      meta:
        export:
          sheet: Forløb
          title: Borgere i forløb efter kommune og måned
          position: 65
          sources: [register_benefits]
          layout: {across: month, stub: [municipality_code], values: [n_persons]}
        disclosure:
          cell: {area: municipality_code, period: month}
    columns:
      - name: municipality_code
        description: Kommunekode.
        config:
          meta:
            label_da: Kommunekode
            unit: kode
            meaning_da: Kommunens kode.
            disclosure: {role: key}
      - name: month
        description: Måned, as the first day of the month.
        config:
          meta:
            label_da: Måned
            unit: dato (første dag i måneden)
            meaning_da: Måneden.
            disclosure: {role: key}
      - name: n_persons
        description: Persons in the programme in the month.
        config:
          meta:
            label_da: Antal i forløb
            unit: personer
            meaning_da: Antal borgere i forløb i måneden.
            disclosure: {role: count, measure: toy_persons}
"""


@pytest.fixture(scope="module")
def project_with_a_toy_mart(tmp_path_factory):
    """A copy of the dbt project with the toy mart, the toy mart built by `dbt run` into a new
    warehouse, and the other exported marts there as empty tables of their declared types."""
    tmp = tmp_path_factory.mktemp("toy")
    project = tmp / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "marts" / "toy_mart.sql").write_text(TOY_SQL)
    (project / "models" / "marts" / "toy_mart.yml").write_text(textwrap.dedent(TOY_YML))
    warehouse = tmp / "w.duckdb"
    subprocess.run(
        [dbt_executable(), "run", "--quiet", "--select", "toy_mart"]
        + ["--project-dir", str(project), "--profiles-dir", str(project)],
        check=True,
        env={**os.environ, ENV_WAREHOUSE: str(warehouse)},
    )
    manifest = project / "target" / "manifest.json"
    with duckdb.connect(str(warehouse)) as con:
        for mart in dbt_manifest.marts(manifest):
            if mart.name != "toy_mart":
                columns = ", ".join(f"{c.name} {c.data_type or 'string'}" for c in mart.columns)
                con.execute(f"create table marts.{mart.name} ({columns})")
    return manifest, warehouse


@pytest.fixture
def toy_export(project_with_a_toy_mart, tmp_path, monkeypatch):
    """The export the code makes when dbt's manifest is the copy's."""
    manifest, warehouse = project_with_a_toy_mart
    monkeypatch.setattr(dbt_manifest, "DBT_MANIFEST", manifest)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frames = {name: read_mart(con, name) for name in exported_marts()}
    publication = suppress_export(
        frames, declarations(), DisclosureRules(windows={}, protection_width=2.0)
    )
    folder, _ = write_export(
        tmp_path / "2026-12-01_toymart0",
        publication,
        about=ReportInputs(run_id="toymart0", labels=Labels()),
        checks=[],
    )
    return folder


def test_a_mart_declared_in_its_yml_is_exported_at_its_position(toy_export):
    exported = exported_marts()
    assert exported[5:8] == ("registration_revisions", "toy_mart", "registration_lag")
    assert len(exported) == 13

    csv = (toy_export / "toy_mart.csv").read_bytes().decode("utf-8-sig").splitlines()
    # 3 persons is a small count: suppressed; 0 is not
    assert csv == [
        "municipality_code;month;n_persons",
        "450;2019-03-01;12",
        "450;2019-04-01;",
        "461;2019-03-01;0",
    ]
    parquet = pd.read_parquet(toy_export / "toy_mart.parquet")
    assert parquet["month"].tolist() == [date(2019, 3, 1), date(2019, 4, 1), date(2019, 3, 1)]
    assert parquet["n_persons"].tolist()[::2] == [12, 0] and pd.isna(parquet["n_persons"][1])

    manifest = json.loads((toy_export / "manifest.json").read_text("utf-8"))
    assert list(manifest["tables"]) == list(exported)
    toy = manifest["tables"]["toy_mart"]
    assert (toy["rows"], toy["primary"], toy["secondary"]) == (3, 1, 0)
    assert toy["files"] == [
        "toy_mart.csv",
        "toy_mart.parquet",
        "stv_tabeller.xlsx (sheet toy_mart)",
    ]


def test_the_workbook_prints_its_sheet_and_its_data_dictionary(toy_export):
    workbook = openpyxl.load_workbook(toy_export / "stv_tabeller.xlsx")
    assert workbook.sheetnames[5:8] == ["Revisioner", "Forløb", "Registreringsforsinkelse"]
    assert workbook.sheetnames[-1] == "Dataordbog"
    sheet = [[c for c in row if c is not None] for row in workbook["Forløb"].values]
    assert sheet[:3] == [
        ["Borgere i forløb efter kommune og måned"],
        ["Enhed: personer."],
        ["Kilde: Ydelsesregistret."],
    ]
    # its layout: months across, a municipality a row (named by its code: the test gives no
    # names), the suppressed count '..'
    assert sheet[5:] == [
        ["Antal i forløb (personer)"],
        ["Kommune", "mar 2019", "apr 2019"],
        ["450 (450)", 12, ".."],
        ["461 (461)", 0],
    ]
    dictionary = [[c for c in row if c is not None] for row in workbook["Dataordbog"].values]
    at = dictionary.index(["Forløb: Borgere i forløb efter kommune og måned"])
    assert dictionary[at + 1 : at + 4] == [
        ["municipality_code", "Kommunekode", "kode", "Kommunens kode."],
        ["month", "Måned", "dato (første dag i måneden)", "Måneden."],
        ["n_persons", "Antal i forløb", "personer", "Antal borgere i forløb i måneden."],
    ]
    assert (toy_export / "report.html").stat().st_size > 0  # a mart without a chart


def test_the_dagster_job_and_the_ui_dictionary_take_the_mart_from_its_yml(
    project_with_a_toy_mart, monkeypatch
):
    monkeypatch.setattr(dbt_manifest, "DBT_MANIFEST", project_with_a_toy_mart[0])
    assert dg.AssetKey(["marts", "toy_mart"]) in disclosure_deps()
    records = dictionary_records(exported_marts())
    assert [r["label_da"] for r in records if r["table"] == "toy_mart"] == [
        "Kommunekode",
        "Måned",
        "Antal i forløb",
    ]

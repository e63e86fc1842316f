"""The shipped sample's export attacked as an intruder would (DESIGN §4).

The sample is run once through `stv run`. The attack then works from the delivered files only:
every count the marts hold but the export's Parquet files leave empty is a suppressed cell, and
a linear program over all exported tables and every declared relation must leave each one an
interval at least protection_width wide. The same marts protected table by table (as the export
used to be) fail that attack, and so does the audit check itself on such a weakened publication.
"""

import csv
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from stv_pipeline.defs.exports import audit_result
from stv_pipeline.exports.cells import declarations
from stv_pipeline.exports.delivery import read_disclosure_inputs
from stv_pipeline.exports.dictionary import exported_marts
from stv_pipeline.exports.disclosure import Publication, audit_publication, suppress_export
from stv_pipeline.settings import DBT_PROJECT_DIR, SAMPLE_DIR
from tests.helpers import run_stv
from tests.intruder import fidelity_means_recovered, fidelity_resting_on_few

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample_export")
    shutil.copytree(SAMPLE_DIR, tmp / "inbox")
    assert run_stv(tmp) == 0
    (folder,) = [p for p in (tmp / "exports").iterdir()]
    with duckdb.connect(str(tmp / "w.duckdb"), read_only=True) as con:
        frames, rules = read_disclosure_inputs(con)
    return tmp, folder, frames, rules


def publication_from_files(folder: Path, frames: dict[str, pd.DataFrame]) -> Publication:
    """What the delivery shows: a figure is suppressed where the mart has it and the file not."""
    tables, masks = {}, {}
    for name in exported_marts():
        shown = pd.read_parquet(folder / f"{name}.parquet")
        assert len(shown) == len(frames[name])
        tables[name] = shown
        masks[name] = shown.isna() & frames[name].notna()
    return Publication(tables, masks, {})


def test_no_suppressed_cell_of_the_sample_export_can_be_recovered(sample_run):
    _, folder, frames, rules = sample_run
    assert rules.protection_width == 2  # the seed's default
    width = rules.protection_width
    published = publication_from_files(folder, frames)
    _, result = audit_publication(frames, published, declarations(), rules)
    assert result.cells.size > 1000
    assert result.exposed.size == 0
    assert result.narrowest >= width

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["disclosure_audit"]["passed"] is True
    assert manifest["disclosure_audit"]["cells_exposed"] == 0
    assert manifest["disclosure_audit"]["cells_checked"] == result.cells.size
    for name in exported_marts():
        figures = manifest["tables"][name]
        # every table is delivered, with its suppressions counted from what the file shows
        assert figures["rows"] == len(frames[name])
        assert figures["suppressed_cells"] == int(published.masks[name].to_numpy().sum())
        assert figures["primary"] + figures["secondary"] == figures["suppressed_cells"]
    # the relations across tables cost complements: success criteria and revisions have some
    assert manifest["tables"]["success_criteria_monthly"]["secondary"] > 0
    assert manifest["tables"]["baseline_endline"]["secondary"] > 0
    # the same cell in two tables: nowcast.observed is empty exactly where the newest vintage
    # of registration_revisions is
    newest = frames["registration_revisions"]["vintage"].max()
    revisions = published.tables["registration_revisions"]
    keys = ["municipality_code", "month", "target_group", "measure"]
    joined = published.tables["nowcast"][[*keys, "observed"]].merge(
        revisions[revisions["vintage"] == newest][[*keys, "value"]], on=keys
    )
    assert len(joined) == len(frames["nowcast"])
    assert (joined["observed"].isna() == joined["value"].isna()).all()


def table_by_table(frames, rules) -> Publication:
    tables = declarations()
    parts = {n: suppress_export({n: f}, tables, rules) for n, f in frames.items()}
    return Publication(
        {n: p.tables[n] for n, p in parts.items()},
        {n: p.masks[n] for n, p in parts.items()},
        {n: p.suppressions[n] for n, p in parts.items()},
    )


def test_the_audit_check_fails_on_tables_protected_one_by_one(sample_run):
    _, _, frames, rules = sample_run
    weakened = table_by_table(frames, rules)
    result = audit_result(frames, weakened, declarations(), rules)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["cells_exposed"].value > 0
    # the log line names a cell, the tables publishing it and the relations exposing it
    assert "through" in result.description and "->" in result.description


def test_a_run_whose_audit_fails_exits_1_and_delivers_nothing(sample_run, monkeypatch, capsys):
    # the run's suppression replaced by the table-by-table one the audit catches above
    tmp, delivered, frames, rules = sample_run
    monkeypatch.setattr(
        "stv_pipeline.defs.exports.suppress_export",
        lambda frames, tables, rules, ledger=None, cells=None: table_by_table(frames, rules),
    )
    capsys.readouterr()
    assert run_stv(tmp) == 1
    out = capsys.readouterr().out
    assert "  ERROR disclosure_audit (exports/published_tables): " in out and "through" in out
    # no new folder, not even a hidden partial one; the earlier delivery is untouched
    assert [p.name for p in (tmp / "exports").iterdir()] == [delivered.name]


def seed_requirements() -> dict[str, str]:
    with (DBT_PROJECT_DIR / "seeds" / "requirements.csv").open(encoding="utf-8") as f:
        return {r["requirement"]: r["track"] for r in csv.DictReader(f)}


def test_no_published_survey_figure_rests_on_few_respondents_or_gives_a_hidden_mean_back(
    sample_run,
):
    """The survey's means and changes, and case_selection's figures from them, as delivered:
    checked by tests/intruder.py's own reading of DESIGN §3.3-3.4, not by the engine."""
    _, folder, frames, _ = sample_run
    requirements = seed_requirements()
    fidelity = pd.read_parquet(folder / "implementation_fidelity.parquet")
    cases = pd.read_parquet(folder / "case_selection.parquet")
    mart = frames["implementation_fidelity"]
    # the sample's managers are 1 to 4 in every jobcentre: their means are hidden, and with
    # them the staff's, whose counts are the complements; all respondents' stay published
    assert fidelity_resting_on_few(fidelity, mart, requirements) == []
    assert fidelity["mean_score"].notna().sum() == (mart["respondent_group"] == "all").sum()
    assert fidelity_means_recovered(fidelity, requirements, cases) == []

    # the check is no formality: the staff's track 1 published with two of its three
    # requirements gives the third back, and rests on respondent counts left empty
    key = ["municipality_code", "wave", "respondent_group", "requirement"]
    staff_track_1 = (
        (fidelity["respondent_group"] == "staff")
        & (fidelity["wave"] == "baseline")
        & fidelity["requirement"].isin(["track_1", "1A", "1B"])
    )
    weakened = fidelity.copy()
    weakened.loc[staff_track_1, "mean_score"] = mart.loc[staff_track_1, "mean_score"]
    assert (weakened[key].to_numpy() == mart[key].to_numpy()).all()
    recovered = fidelity_means_recovered(weakened, requirements, cases)
    assert sorted(recovered) == sorted(
        (code, "baseline", "staff", "1C") for code in fidelity["municipality_code"].unique()
    )
    # per jobcentre: track 1 on its own count and its three requirements', 1A and 1B on theirs
    assert len(fidelity_resting_on_few(weakened, mart, requirements)) == 6 * len(recovered)

    # case_selection: a fidelity change is implementation_fidelity's overall change, empty in
    # both or in neither
    overall = fidelity[(fidelity["requirement"] == "overall") & (fidelity["wave"] == "endline")]
    changes = overall.pivot(index="municipality_code", columns="respondent_group", values="change")
    for group in ("management", "staff", "all"):
        mine = cases.set_index("municipality_code")[f"fidelity_change_{group}"]
        assert (mine.isna() == changes[group].reindex(mine.index).isna()).all()
    # a success change is published only where each count it pools is, none of them 1 to 4
    windows = pd.read_parquet(folder / "baseline_endline.parquet")
    pooled = windows[
        (windows["scope"] == "municipality")
        & windows["target_group"].isin(["kontanthjaelp_aktivitetsparat", "ressourceforloeb"])
    ]
    counts = ["population_baseline", "n_either_baseline", "population_endline", "n_either_endline"]
    for case in cases.itertuples(index=False):
        parts = pooled.loc[pooled["municipality_code"] == case.municipality_code, counts]
        if pd.notna(case.success_change):
            assert parts.notna().all().all() and not parts.isin([1, 2, 3, 4]).any().any()
        # a reason of a jobcentre that is not eligible prints no figure that is hidden
        if not case.eligible and isinstance(case.reason, str):
            printed = ("success_change", "fidelity_change_management", "fidelity_change_staff")
            assert all(pd.notna(getattr(case, c)) for c in printed)
    # on the sample every jobcentre pools a suppressed count, and every manager's mean is hidden
    assert cases["success_change"].isna().all()
    assert cases["fidelity_change_management"].isna().all()
    assert cases["fidelity_change_all"].notna().all()

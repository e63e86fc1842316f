from pathlib import Path

from stv_pipeline.settings import PROJECT_ROOT, Settings


def test_defaults_are_under_the_project_data_folder():
    s = Settings.from_env({})
    assert s.warehouse == PROJECT_ROOT / "data/warehouse/stv.duckdb"
    assert s.inbox == PROJECT_ROOT / "data/inbox"
    assert s.exports == PROJECT_ROOT / "data/exports"
    assert s.quarantine == PROJECT_ROOT / "data/quarantine"
    assert s.pseudonym_key is None


def test_environment_overrides_and_quarantine_sits_beside_the_inbox(tmp_path):
    s = Settings.from_env(
        {
            "STV_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "STV_INBOX": str(tmp_path / "in"),
            "STV_EXPORTS": str(tmp_path / "out"),
            "STV_PSEUDONYM_KEY": "k",
        }
    )
    assert s.warehouse == tmp_path / "w.duckdb"
    assert s.quarantine == tmp_path / "quarantine"
    assert s.exports == tmp_path / "out"
    assert s.pseudonym_key == "k"


def test_relative_environment_paths_resolve_against_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"STV_INBOX": "drop"}).inbox == Path(tmp_path / "drop").resolve()

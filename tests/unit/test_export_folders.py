"""An unchanged run writes no folder; prune keeps the newest exports and nothing else."""

import json

import pandas as pd
import pytest

from stv_pipeline.exports.folders import content_fingerprint, exports, prune, unchanged_since

CHECKS = [
    {"asset": "marts/a", "check": "c1", "passed": True, "severity": "ERROR"},
    {"asset": "marts/a", "check": "c2", "passed": False, "severity": "WARN"},
]


def table() -> pd.DataFrame:
    return pd.DataFrame({"municipality_code": [101, 492], "share": [0.1, 0.2]})


def test_the_fingerprint_sees_a_changed_value_or_outcome_but_not_float_noise():
    base = content_fingerprint({"t": table()}, CHECKS)
    assert content_fingerprint({"t": table()}, CHECKS) == base
    noisy = table().assign(share=[0.1 + 1e-13, 0.2])  # the last bits of a parallel sum
    assert content_fingerprint({"t": noisy}, CHECKS) == base
    assert content_fingerprint({"t": table().assign(share=[0.1, 0.21])}, CHECKS) != base
    suppressed = table().astype({"share": "float64"}).assign(share=[None, 0.2])
    assert content_fingerprint({"t": suppressed}, CHECKS) != base
    passing = [dict(c, passed=True) for c in CHECKS]
    assert content_fingerprint({"t": table()}, passing) != base
    # a check that passed (or did not run) in one run changes nothing STAR receives
    assert content_fingerprint({"t": table()}, CHECKS[1:]) == base
    assert content_fingerprint({"u": table()}, CHECKS) != base


def export(root, name, created, fingerprint="x"):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"created_at": created, "content_fingerprint": fingerprint})
    )
    return folder


def test_unchanged_compares_with_the_newest_export_only(tmp_path):
    assert unchanged_since(tmp_path / "none", "f") is None
    # same date, run ids sorting against time: created_at decides
    old = export(tmp_path, "2026-11-23_ffff0000", "2026-11-23T09:00:00", "f")
    new = export(tmp_path, "2026-11-23_0000aaaa", "2026-11-23T10:00:00", "g")
    assert unchanged_since(tmp_path, "g") == new
    assert unchanged_since(tmp_path, "f") is None  # equal to an older one: STAR has moved on
    assert [f for _, f in exports(tmp_path)] == [old, new]


def test_prune_keeps_the_newest_and_leaves_other_folders_alone(tmp_path):
    folders = [export(tmp_path, f"2026-11-2{i}_run{i}", f"2026-11-2{i}T08:00:00") for i in range(4)]
    (tmp_path / "notes").mkdir()  # not an export: no manifest.json
    (tmp_path / ".2026-11-24_tmp").mkdir()  # a folder being written
    assert prune(tmp_path, keep=2) == folders[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".2026-11-24_tmp", "notes", folders[2].name, folders[3].name]
    )
    assert prune(tmp_path, keep=5) == []
    with pytest.raises(ValueError, match="0 or more"):
        prune(tmp_path, keep=-1)

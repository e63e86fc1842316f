"""The nightly schedule and the inbox sensor."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from stv_pipeline.defs.schedules import build_inbox_sensor, scan_inbox, stv_nightly
from stv_pipeline.settings import Settings


def test_nightly_at_two_in_copenhagen_winter_and_summer():
    assert stv_nightly.job_name == "stv_full_job"
    assert stv_nightly.cron_schedule == "0 2 * * *"  # every day at 02:00 ...
    assert stv_nightly.execution_timezone == "Europe/Copenhagen"  # ... in Copenhagen
    copenhagen = ZoneInfo(stv_nightly.execution_timezone)
    # 01:00 UTC in winter (CET), 00:00 UTC in summer (CEST)
    assert datetime(2026, 1, 15, 2, tzinfo=copenhagen).astimezone(UTC) == datetime(
        2026, 1, 15, 1, 0, tzinfo=UTC
    )
    assert datetime(2026, 7, 15, 2, tzinfo=copenhagen).astimezone(UTC) == datetime(
        2026, 7, 15, 0, 0, tzinfo=UTC
    )


def evaluate(sensor, cursor):
    context = dg.build_sensor_context(cursor=cursor)
    result = sensor(context)
    return result, context.cursor


def test_sensor_starts_one_run_per_new_content_and_none_for_the_same_file(tmp_path):
    settings = Settings.from_env({"STV_INBOX": str(tmp_path / "inbox")})
    sensor = build_inbox_sensor(settings)
    result, cursor = evaluate(sensor, None)
    assert isinstance(result, dg.SkipReason)

    folder = tmp_path / "inbox/register_benefits"
    folder.mkdir(parents=True)
    (folder / "benefits_2019-04-15.csv").write_text("person_id\np1\n")
    first, cursor = evaluate(sensor, cursor)
    assert isinstance(first, dg.RunRequest) and first.run_key.startswith("inbox-")

    again, cursor = evaluate(sensor, cursor)
    assert isinstance(again, dg.SkipReason)  # same file, no second run

    (folder / "benefits_2019-04-15.csv").write_text("person_id\np2\n")  # changed content
    changed, cursor = evaluate(sensor, cursor)
    assert isinstance(changed, dg.RunRequest) and changed.run_key != first.run_key

    # a copy of known content under another name is not new either
    (folder / "copy.csv").write_text("person_id\np2\n")
    copy, _ = evaluate(sensor, cursor)
    assert isinstance(copy, dg.SkipReason)


def test_run_key_comes_from_content_so_a_lost_cursor_cannot_start_the_same_run_twice(tmp_path):
    settings = Settings.from_env({"STV_INBOX": str(tmp_path / "inbox")})
    folder = tmp_path / "inbox/stv_participants"
    folder.mkdir(parents=True)
    (folder / "p.csv").write_text("kommunekode\n450\n")
    sensor = build_inbox_sensor(settings)
    one, _ = evaluate(sensor, None)
    two, _ = evaluate(sensor, None)
    assert one.run_key == two.run_key


def test_unchanged_files_are_not_hashed_again(tmp_path, monkeypatch):
    folder = tmp_path / "stv_participants"
    folder.mkdir()
    (folder / "p.csv").write_text("kommunekode\n450\n")
    new, state = scan_inbox(tmp_path, {})
    assert len(new) == 1
    import stv_pipeline.defs.schedules as schedules

    monkeypatch.setattr(schedules, "sha256_of", lambda path: (_ for _ in ()).throw(AssertionError))
    assert scan_inbox(tmp_path, state) == ([], state)

"""When the full job runs by itself: nightly, and when a new or changed file lands in the inbox."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from stv_pipeline.defs.jobs import stv_full_job
from stv_pipeline.ingest.contracts import CONTRACTS
from stv_pipeline.ingest.loader import discover_files, sha256_of
from stv_pipeline.settings import Settings

stv_nightly = dg.ScheduleDefinition(
    name="stv_nightly",
    job=stv_full_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Copenhagen",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The full STV job every night at 02:00 Copenhagen time.",
)


def scan_inbox(inbox: Path, known: dict[str, dict]) -> tuple[list[str], dict[str, dict]]:
    """The content hashes of files not seen before, and the new cursor state.

    `known` maps a file path to its size, modification time and SHA-256; a file whose size and
    time are unchanged is not hashed again, so a large register file costs one read, once.
    """
    state, new_hashes = {}, []
    seen_hashes = {entry["sha256"] for entry in known.values()}
    for source in CONTRACTS:
        for path in discover_files(inbox / source):
            stat = path.stat()
            previous = known.get(str(path))
            if previous and (previous["size"], previous["mtime"]) == (stat.st_size, stat.st_mtime):
                digest = previous["sha256"]
            else:
                digest = sha256_of(path)
            state[str(path)] = {"size": stat.st_size, "mtime": stat.st_mtime, "sha256": digest}
            if digest not in seen_hashes:
                new_hashes.append(digest)
                seen_hashes.add(digest)
    return sorted(new_hashes), state


def build_inbox_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name="stv_inbox_sensor",
        job=stv_full_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts the full job when a new or changed file lands in {settings.inbox}.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        known = json.loads(context.cursor) if context.cursor else {}
        new_hashes, state = scan_inbox(settings.inbox, known)
        context.update_cursor(json.dumps(state))
        if not new_hashes:
            return dg.SkipReason("no new or changed file in the inbox")
        # the same content never starts a second run, even if the cursor were lost
        run_key = "inbox-" + hashlib.sha256("".join(new_hashes).encode()).hexdigest()[:16]
        return dg.RunRequest(
            run_key=run_key, tags={"stv/trigger": "inbox", "stv/new_files": str(len(new_hashes))}
        )

    return _sensor

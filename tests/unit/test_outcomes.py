"""The assets' outcomes read back as they were written, from what Dagster stores."""

import dagster as dg

from stv_pipeline.outcomes import ExportWritten, SourceLoaded, TablesSuppressed


def test_each_outcome_reads_back_from_its_metadata_as_dagster_stores_it():
    loaded = SourceLoaded(
        origin="inbox",
        folder="/data/inbox/register_benefits",
        files={"loaded": 2, "rejected": 1, "unchanged": 4},
        rows_loaded=120,
        rows_in_table=480,
        rejected=[{"file": "b.csv", "problems": 3, "report": "/q/b.csv.report.txt"}],
    )
    suppressed = TablesSuppressed(
        suppressions={
            "baseline_endline": {"suppressed_cells": 7},
            "nowcast": {"suppressed_cells": 2},
        },
        series={"deliveries_before": 1},
        staged_in="/exports/.2026-12-07_1a2b3c4d.partial",
        seconds=1.5,
    )
    written = ExportWritten(
        folder="/exports/2026-12-07_1a2b3c4d",
        tables={"nowcast": {"rows": 10, "suppressed_cells": 2}},
        unchanged=False,
        content_fingerprint="ab12",
    )

    @dg.asset(key=["raw", "register_benefits"])
    def source():
        return dg.MaterializeResult(metadata=loaded.as_metadata())

    @dg.asset(key=["exports", "published_tables"])
    def published():
        return dg.MaterializeResult(metadata=suppressed.as_metadata())

    @dg.asset(key=["exports", "star_export"])
    def export():
        return dg.MaterializeResult(metadata=written.as_metadata())

    result = dg.materialize([source, published, export])
    stored = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert SourceLoaded.read(stored["raw/register_benefits"]) == loaded
    assert TablesSuppressed.read(stored["exports/published_tables"]) == suppressed
    assert suppressed.suppressed_cells == 9
    assert ExportWritten.read(stored["exports/star_export"]) == written
    assert written.suppressed_cells == 2
    # another asset's metadata is no outcome of these kinds
    assert SourceLoaded.read(stored["exports/star_export"]) is None
    assert ExportWritten.read(stored["raw/register_benefits"]) is None

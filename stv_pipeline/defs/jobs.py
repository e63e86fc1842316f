"""Jobs: the full STV run materialises every asset and runs every check."""

import dagster as dg

from stv_pipeline.defs.alerts import notify_on_failure

stv_full_job = dg.define_asset_job(
    name="stv_full_job",
    # every check too, also those on raw/file_log, which the loaders write (not an asset step)
    selection=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
    hooks={notify_on_failure},
    description=(
        "The whole STV pipeline: ingestion of every source, one dbt build (reference seeds, "
        "staging, intermediate and marts with their tests), Great Expectations checks, and the "
        "STAR export."
    ),
)

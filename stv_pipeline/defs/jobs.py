"""Jobs: the full STV run materialises every asset and runs every check."""

import dagster as dg

stv_full_job = dg.define_asset_job(
    name="stv_full_job",
    selection=dg.AssetSelection.all(),
    description=(
        "The whole STV pipeline: reference seeds, ingestion of every source, dbt staging and "
        "marts with their tests, Great Expectations checks, and the STAR export."
    ),
)

"""Great Expectations suites as Dagster asset checks, one check per suite file in expectations/."""

import dagster as dg

from stv_pipeline.defs.resources import WAREHOUSE_POOL, warehouse_connection
from stv_pipeline.quality.check_results import check_result
from stv_pipeline.quality.suites import SuiteFile, discover_suites, validate_in_warehouse
from stv_pipeline.settings import EXPECTATIONS_DIR


def _gx_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    schema, table = suite.asset.split("/")

    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"gx_{suite.name}",
        description=(
            f"Great Expectations suite {suite.path.name} ({suite.severity}): {suite.description}"
        ),
        # Blocking: the export waits for every suite (so manifest.json lists them all), and
        # a failing ERROR suite stops it.
        blocking=True,
        pool=WAREHOUSE_POOL,
        required_resource_keys={"warehouse"},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with warehouse_connection(context.resources.warehouse) as con:
            result, rows = validate_in_warehouse(suite, con)
        return check_result(result, suite.severity, rows)

    return _check


def gx_asset_checks() -> list[dg.AssetChecksDefinition]:
    return [_gx_check(suite) for suite in discover_suites(EXPECTATIONS_DIR)]

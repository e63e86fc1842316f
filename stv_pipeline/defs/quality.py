"""Great Expectations suites as Dagster asset checks, one check per suite file in expectations/."""

import dagster as dg

from stv_pipeline.defs.resources import warehouse_connection
from stv_pipeline.exports.dictionary import column_units
from stv_pipeline.quality.check_results import check_result
from stv_pipeline.quality.suites import (
    SuiteFile,
    danish_texts,
    discover_suites,
    municipality_names,
    seed_settings,
)
from stv_pipeline.settings import EXPECTATIONS_DIR


def blocks_export(suite: SuiteFile) -> bool:
    """ERROR as the suite's severity or as any expectation's own (meta.severity)."""
    return suite.severity == "ERROR" or any(
        (e.get("meta") or {}).get("severity") == "ERROR" for e in suite.body["expectations"]
    )


def _gx_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    schema, table = suite.asset.split("/")

    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"gx_{suite.name}",
        description=(
            f"{suite.description} (Great Expectations suite `{suite.path.name}`; "
            + (
                "a failure stops the STAR export)"
                if blocks_export(suite)
                else "WARN: a failure is reported, the export still goes out)"
            )
        ),
        # Only a suite that can fail with ERROR blocks. The export still runs after the WARN
        # suites, so manifest.json lists them all: it has the lowest priority (defs/exports.py).
        blocking=blocks_export(suite),
        metadata=danish_texts(suite, seed_settings()) if suite.description_da else None,
        required_resource_keys={"warehouse", "great_expectations"},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with warehouse_connection(context.resources.warehouse) as con:
            result, rows, settings = context.resources.great_expectations.validate(suite, con)
            names = municipality_names(con)
        return check_result(
            result,
            suite.severity,
            rows,
            units=column_units().get(suite.asset, {}),
            names=names,
            danish=danish_texts(suite, settings),
        )

    return _check


def gx_asset_checks() -> list[dg.AssetChecksDefinition]:
    return [_gx_check(suite) for suite in discover_suites(EXPECTATIONS_DIR)]

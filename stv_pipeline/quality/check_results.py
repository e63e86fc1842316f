"""Turn a Great Expectations validation result into a Dagster AssetCheckResult."""

from __future__ import annotations

from typing import Any

import dagster as dg

EXAMPLES_PER_EXPECTATION = 5
# the metadata key of a check's description as the STAR export may show it (defs/exports.py)
PUBLISHED_DESCRIPTION = "published_description"


def _describe(config: dict[str, Any]) -> str:
    kwargs = {k: v for k, v in config.get("kwargs", {}).items() if k != "batch_id"}
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{config['type']}({args})"


def _row_label(index: Any) -> str:
    """A failing row: its key columns when the suite names them, else its position."""
    if isinstance(index, dict):
        return ", ".join(f"{k}={v}" for k, v in index.items())
    return f"row {index}"


def failed_expectations(result: dict[str, Any], default_severity: str) -> list[dict[str, Any]]:
    failed = []
    for item in result["results"]:
        if item["success"]:
            continue
        config = item["expectation_config"]
        res = item.get("result", {})
        failed.append(
            {
                "expectation": _describe(config),
                "severity": (config.get("meta") or {}).get("severity", default_severity),
                "unexpected_count": res.get("unexpected_count"),
                "examples": [str(v) for v in (res.get("partial_unexpected_list") or [])][
                    :EXAMPLES_PER_EXPECTATION
                ],
                "example_rows": [_row_label(i) for i in (res.get("unexpected_index_list") or [])][
                    :EXAMPLES_PER_EXPECTATION
                ],
                "error": (item.get("exception_info") or {}).get("exception_message"),
            }
        )
    return failed


def check_result(
    result: dict[str, Any], default_severity: str, row_count: int
) -> dg.AssetCheckResult:
    """Passed when every expectation held. The severity is ERROR if any failing expectation is
    ERROR, else WARN, so one suite can mix blocking and advisory expectations."""
    failed = failed_expectations(result, default_severity)
    severity = (
        dg.AssetCheckSeverity.ERROR
        if any(f["severity"] == "ERROR" for f in failed)
        or (not failed and default_severity == "ERROR")
        else dg.AssetCheckSeverity.WARN
    )
    stats = result.get("statistics", {})
    summary = "; ".join(
        # in Danish: STAR reads it in the report's list of WARN checks, analysts in the UI
        f"{f['expectation']}: {f['unexpected_count']} afvigende rækker, "
        f"fx {'; '.join(f['example_rows'][:3]) or ', '.join(f['examples'][:3])}"
        for f in failed
    )
    # The failing rows' examples quote aggregated figures before disclosure control (a count of
    # 2, say): the UI and the run log may show them, the STAR export may not.
    published = "; ".join(
        f"{f['expectation']}: {f['unexpected_count']} afvigende rækker" for f in failed
    )
    return dg.AssetCheckResult(
        passed=not failed,
        severity=severity,
        description=summary or "every expectation held",
        metadata={
            PUBLISHED_DESCRIPTION: dg.MetadataValue.text(published or "every expectation held"),
            "evaluated_expectations": dg.MetadataValue.int(
                int(stats.get("evaluated_expectations", 0))
            ),
            "failed_expectations": dg.MetadataValue.int(len(failed)),
            "rows_validated": dg.MetadataValue.int(row_count),
            "failures": dg.MetadataValue.json(failed),
        },
    )

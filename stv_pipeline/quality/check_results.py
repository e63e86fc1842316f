"""Turn a Great Expectations validation result into a Dagster AssetCheckResult that a reader can
act on: what is wrong, in which municipalities (name and code) with how many rows each, largest
first, and examples from those municipalities with their values formatted (percent with one
decimal, dates without a time).

The description (English: the UI, the run log and the terminal, which prints its first lines)
quotes failing rows' values; the published description (Danish: the report) names the
municipalities and the number of rows only, as the rows' figures come before disclosure control.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

import dagster as dg

from stv_pipeline.vocabulary import DANISH, ENGLISH, Vocabulary

EXAMPLES_PER_EXPECTATION = 5
MUNICIPALITIES_NAMED = 3  # in a line; the UI and the log have them all
# the metadata key of a check's description as the STAR export may show it (defs/exports.py)
PUBLISHED_DESCRIPTION = "published_description"
AREA = "municipality_code"


def format_value(value: Any, unit: str = "") -> str:
    """A failing row's value as a reader reads it: a share as a percent with one decimal, a
    date without a time, a number without float noise."""
    if value is None:
        return "empty"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        return format_value(value.to_pydatetime(), unit)
    if isinstance(value, str) and len(value) >= 19 and value[10:19] == "T00:00:00":
        return value[:10]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) and unit.startswith("procent"):
        return f"{value * 100:.1f} %"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _what(config: dict[str, Any], units: dict[str, str]) -> str:
    """An expectation's failure in words: 'gap_rel outside -10.0 % to 10.0 %'."""
    kind = config["type"]
    kwargs = config.get("kwargs", {})
    column = kwargs.get("column", "")
    unit = units.get(column, "")
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if kind == "expect_column_values_to_be_between":
        if low is not None and high is not None:
            return f"{column} outside {format_value(low, unit)} to {format_value(high, unit)}"
        if low is not None:
            return f"{column} below {format_value(low, unit)}"
        return f"{column} above {format_value(high, unit)}"
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} empty"
    if kind == "expect_column_values_to_be_in_set":
        allowed = ", ".join(format_value(v, unit) for v in kwargs.get("value_set", []))
        return f"{column} not {allowed}"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"{kwargs.get('column_A')} below {kwargs.get('column_B')}"
    if kind == "expect_table_row_count_to_be_between":
        return "too few rows" if low else "too many rows"
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k != "batch_id")
    return f"{kind}({args})"


def _row(index: Any) -> dict[str, Any]:
    return index if isinstance(index, dict) else {"row": index}


def failed_expectations(
    result: dict[str, Any],
    default_severity: str,
    units: dict[str, str] | None = None,
    names: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Each failed expectation: what is wrong, its rows per municipality (largest first) and
    examples from the municipalities with most rows, values formatted."""
    units, names = units or {}, names or {}
    failed = []
    for item in result["results"]:
        if item["success"]:
            continue
        config = item["expectation_config"]
        res = item.get("result", {})
        rows = [_row(i) for i in (res.get("unexpected_index_list") or [])]
        by_area = Counter(r[AREA] for r in rows if r.get(AREA) is not None)
        ranked = sorted(by_area.items(), key=lambda kv: (-kv[1], kv[0]))
        order = {code: i for i, (code, _) in enumerate(ranked)}
        # one example from each of the municipalities with most rows, then the others' rows
        firsts = {}
        for r in rows:
            firsts.setdefault(r.get(AREA), r)
        examples = sorted(firsts.values(), key=lambda r: order.get(r.get(AREA), len(order)))
        examples += [r for r in rows if r not in examples]
        failed.append(
            {
                "expectation": _what(config, units),
                "severity": (config.get("meta") or {}).get("severity", default_severity),
                "unexpected_count": res.get("unexpected_count"),
                "municipalities": [
                    {"code": int(code), "name": names.get(int(code), str(int(code))), "rows": n}
                    for code, n in ranked
                ],
                "example_rows": [
                    _example(r, units, names) for r in examples[:EXAMPLES_PER_EXPECTATION]
                ],
                "examples": [
                    format_value(v, units.get(config.get("kwargs", {}).get("column", ""), ""))
                    for v in (res.get("partial_unexpected_list") or [])[:EXAMPLES_PER_EXPECTATION]
                ],
                "error": (item.get("exception_info") or {}).get("exception_message"),
            }
        )
    return failed


def _example(row: dict[str, Any], units: dict[str, str], names: dict[int, str]) -> str:
    """'Frederikshavn (813): gap_rel -14.3 %, extract_date 2017-06-05, municipal_count 6'."""
    values = ", ".join(
        f"{key} {format_value(value, units.get(key, ''))}"
        for key, value in row.items()
        if key != AREA
    )
    if row.get(AREA) is None:
        return values
    code = int(row[AREA])
    return f"{names.get(code, str(code))} ({code}): {values}"


def _municipalities(
    failure: dict[str, Any], vocabulary: Vocabulary, language: str, rows_named: bool
) -> str:
    """'Frederikshavn (813) 23, Holbæk (316) 4 and 4 more'."""
    named = failure["municipalities"][:MUNICIPALITIES_NAMED]
    parts = [
        vocabulary.text(
            "check",
            "in_municipality",
            language,
            name=m["name"],
            number=m["code"],
            rows=vocabulary.counted(m["rows"], "row", "rows", language)
            if rows_named
            else m["rows"],
        )
        for m in named
    ]
    more = len(failure["municipalities"]) - len(named)
    text = ", ".join(parts)
    return f"{text} {vocabulary.text('check', 'more', language, n=more)}" if more else text


def summary(failure: dict[str, Any], vocabulary: Vocabulary, language: str) -> str:
    """The rows and municipalities of a failure in a line of the language: '51 rows in 6
    municipalities: Frederikshavn (813) 23, ...' or, in Danish, with 'rækker' after each."""
    rows = vocabulary.counted(failure["unexpected_count"] or 0, "row", "rows", language)
    if not failure["municipalities"]:
        return vocabulary.text("check", "found_rows", language, rows=rows)
    return vocabulary.text(
        "check",
        "found",
        language,
        rows=rows,
        municipalities=vocabulary.counted(
            len(failure["municipalities"]), "municipality", "municipalities", language
        ),
        examples=_municipalities(failure, vocabulary, language, language == DANISH),
    )


def describe(failed: list[dict[str, Any]], vocabulary: Vocabulary) -> str:
    """For the UI, the log and the terminal (its first three lines): per failed expectation,
    what is wrong, where, and an example from the municipality with most rows, a line each."""
    lines = []
    for f in failed:
        lines += [f["expectation"], summary(f, vocabulary, ENGLISH)]
        lines += [f"e.g. {e}" for e in f["example_rows"][:1]]
    return "\n".join(lines)


def check_result(
    result: dict[str, Any],
    default_severity: str,
    row_count: int,
    *,
    units: dict[str, str] | None = None,
    names: dict[int, str] | None = None,
    vocabulary: Vocabulary | None = None,
    danish: dict[str, str] | None = None,
) -> dg.AssetCheckResult:
    """Passed when every expectation held. The severity is ERROR if any failing expectation is
    ERROR, else WARN, so one suite can mix blocking and advisory expectations. `danish`: the
    check's title_da and description_da (its settings filled in), kept with the result for the
    report."""
    from stv_pipeline.vocabulary import read_vocabulary

    vocabulary = vocabulary or read_vocabulary()
    failed = failed_expectations(result, default_severity, units, names)
    severity = (
        dg.AssetCheckSeverity.ERROR
        if any(f["severity"] == "ERROR" for f in failed)
        or (not failed and default_severity == "ERROR")
        else dg.AssetCheckSeverity.WARN
    )
    stats = result.get("statistics", {})
    # The export names municipalities and counts rows, never a row's figures (a count of 2,
    # say, before disclosure control): the UI and the run log may show those.
    published = "; ".join(summary(f, vocabulary, DANISH) for f in failed)
    return dg.AssetCheckResult(
        passed=not failed,
        severity=severity,
        description=describe(failed, vocabulary) or "every expectation held",
        metadata={
            PUBLISHED_DESCRIPTION: dg.MetadataValue.text(published or "alle forventninger holdt"),
            **{k: dg.MetadataValue.text(v) for k, v in (danish or {}).items() if v},
            "evaluated_expectations": dg.MetadataValue.int(
                int(stats.get("evaluated_expectations", 0))
            ),
            "failed_expectations": dg.MetadataValue.int(len(failed)),
            "rows_validated": dg.MetadataValue.int(row_count),
            "failures": dg.MetadataValue.json(failed),
        },
    )

"""A dbt data test in words an analyst understands, from the test's name and arguments as the
manifest holds them (test_metadata), for the check's description in the Dagster UI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def _ref(value: str) -> str:
    """ "ref('target_groups')" -> 'target_groups'."""
    found = re.search(r"ref\(\s*['\"]([^'\"]+)['\"]", value or "")
    return found[1] if found else str(value)


def _join(values: list[Any]) -> str:
    shown = [f"'{v}'" if isinstance(v, str) else str(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_test(test_name: str, kwargs: Mapping[str, Any], table: str) -> str:
    """One sentence per test; an unknown test still says what it checks and with what."""
    column = kwargs.get("column_name")
    if test_name == "not_null":
        return f"Every row of {table} has a value in {column} (none is missing)."
    if test_name == "unique":
        return f"No two rows of {table} have the same {column}."
    if test_name == "accepted_values":
        return f"{column} in {table} is always one of {_join(list(kwargs['values']))}."
    if test_name == "relationships":
        target = _ref(kwargs["to"])
        return (
            f"Every {column} in {table} exists as {kwargs['field']} in {target} (no unknown codes)."
        )
    if test_name == "unique_combination":
        columns = list(kwargs["columns"])
        return f"No two rows of {table} share the same {' + '.join(columns)} (the table's key)."
    if test_name == "between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            return f"{column} in {table} lies between {_bound(low)} and {_bound(high)} (inclusive)."
        if low is not None:
            return f"{column} in {table} is at least {_bound(low)}."
        return f"{column} in {table} is at most {_bound(high)}."
    if test_name == "not_greater_than":
        return f"{column} in {table} is never greater than {kwargs['other_column']}."
    arguments = ", ".join(f"{k} = {v}" for k, v in kwargs.items() if k != "model")
    return f"dbt test {test_name} on {table}" + (f" ({arguments})." if arguments else ".")


def dbt_test_description(test_props: Mapping[str, Any], table: str) -> str:
    """The description of a test node of dbt's manifest: its own, or one made from its kind."""
    own = (test_props.get("meta") or {}).get("description") or test_props.get("description")
    if own:
        return own
    metadata = test_props.get("test_metadata") or {}
    kwargs = dict(metadata.get("kwargs") or {})
    if "column_name" not in kwargs and test_props.get("column_name"):
        kwargs["column_name"] = test_props["column_name"]
    severity = str((test_props.get("config") or {}).get("severity") or "error").upper()
    consequence = (
        " A failure stops the STAR export." if severity == "ERROR" else " A failure only warns."
    )
    return describe_test(metadata.get("name", test_props.get("name", "")), kwargs, table) + (
        consequence
    )

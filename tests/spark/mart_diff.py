"""How two builds of one table differ: rows of each missing from the other, doubles to a tolerance.

Rows are a multiset: a row twice on one side and once on the other is a difference. Doubles
are equal when within `tolerance` (absolute) or both NULL; every other value must be equal.
"""

from __future__ import annotations

import math
from collections import Counter

import duckdb

TOLERANCE = 1e-9


def _is_double(sql_type: str) -> bool:
    return sql_type.upper() in ("DOUBLE", "FLOAT", "REAL")


def _close(a, b, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance


def table_differences(
    con: duckdb.DuckDBPyConnection, left: str, right: str, tolerance: float = TOLERANCE
) -> list[str]:
    """Differences between two relations (SQL names or table functions) readable by `con`."""
    describe = "select column_name, column_type from (describe select * from {})"
    left_types = dict(con.execute(describe.format(left)).fetchall())
    right_types = dict(con.execute(describe.format(right)).fetchall())
    if set(left_types) != set(right_types):
        return [
            f"columns differ: only left {sorted(set(left_types) - set(right_types))}, "
            f"only right {sorted(set(right_types) - set(left_types))}"
        ]
    problems = [
        f"column {c}: {left_types[c]} on the left, {right_types[c]} on the right"
        for c in left_types
        if left_types[c] != right_types[c]
    ]
    columns = sorted(left_types)
    doubles = [i for i, c in enumerate(columns) if _is_double(left_types[c])]
    select = ", ".join(f'"{c}"' for c in columns)
    left_rows = Counter(con.execute(f"select {select} from {left}").fetchall())
    right_rows = Counter(con.execute(f"select {select} from {right}").fetchall())
    # exact matches first; what is left is paired within the tolerance, or reported
    only_left, only_right = left_rows - right_rows, right_rows - left_rows
    unmatched_right = list(only_right.elements())
    for row in only_left.elements():
        partner = next(
            (
                i
                for i, other in enumerate(unmatched_right)
                if all(
                    _close(row[j], other[j], tolerance) if j in doubles else row[j] == other[j]
                    for j in range(len(columns))
                )
            ),
            None,
        )
        if partner is None:
            problems.append(f"only left: {dict(zip(columns, row, strict=True))}")
        else:
            unmatched_right.pop(partner)
    problems += [f"only right: {dict(zip(columns, row, strict=True))}" for row in unmatched_right]
    return problems

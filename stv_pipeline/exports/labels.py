"""Danish labels for what the report and the workbook show: code values from the seeds
category_labels and target_groups, municipality names from municipalities. CSV and Parquet
keep the codes (programs read them); people read the labels."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

# reference.category_labels, plus every target group's label from its own seed.
LABELS_QUERY = """
select category, value, label_da from reference.category_labels
union all
select 'target_group', target_group, label_da from reference.target_groups
"""
MUNICIPALITIES_QUERY = "select municipality_code, municipality_name from reference.municipalities"
NAME_COLUMN = "municipality_name"


@dataclass(frozen=True)
class Labels:
    categories: dict[tuple[str, str], str] = field(default_factory=dict)
    municipalities: dict[int, str] = field(default_factory=dict)

    def value(self, column: str, value: object) -> object:
        """A column's value as a reader sees it: its Danish label, Ja/Nej for a boolean,
        otherwise unchanged (None stays None)."""
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return None
        if isinstance(value, bool):
            return self.categories.get(("boolean", str(value).lower()), str(value))
        return self.categories.get((column, str(value)), value)

    def municipality(self, code: object) -> str | None:
        if code is None or pd.isna(code):
            return None
        return self.municipalities.get(int(code), str(int(code)))

    @property
    def category_columns(self) -> set[str]:
        return {category for category, _ in self.categories if category != "boolean"}


def read_labels(con: duckdb.DuckDBPyConnection) -> Labels:
    return Labels(
        categories={(c, v): label for c, v, label in con.execute(LABELS_QUERY).fetchall()},
        municipalities=dict(con.execute(MUNICIPALITIES_QUERY).fetchall()),
    )


def for_readers(frame: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """The frame as people read it: labelled category values, Ja/Nej for booleans, and the
    municipality's name right after each municipality code. Values the seeds do not label
    stay as they are; suppressed (empty) cells stay empty."""
    out = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_bool_dtype(frame[column]) or column in labels.category_columns:
            out[column] = pd.Series(
                [labels.value(column, v) for v in frame[column].astype(object)],
                index=frame.index,
                dtype=object,
            )
    if "municipality_code" in frame.columns and NAME_COLUMN not in frame.columns:
        names = [labels.municipality(c) for c in frame["municipality_code"].astype(object)]
        out.insert(out.columns.get_loc("municipality_code") + 1, NAME_COLUMN, names)
    return out

"""Danish texts for what the report and the workbook show: code values and reasons from the seed
vocabulary, target groups from target_groups, municipality names from municipalities. CSV and
Parquet keep the codes (programs read them); people read the labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from stv_pipeline.vocabulary import Vocabulary, danish_date, danish_percent

VOCABULARY_QUERY = "select category, code, text_da, text_en from reference.vocabulary"
TARGET_GROUPS_QUERY = "select target_group, label_da from reference.target_groups"
MUNICIPALITIES_QUERY = "select municipality_code, municipality_name from reference.municipalities"
# the extract dates of each source's files, for the workbook's source lines
VINTAGES_QUERY = """
select distinct source, extract_date from raw.file_log
where replaced_at is null and extract_date is not null
order by source, extract_date
"""
SETTINGS_QUERY = "select * from reference.evaluation_settings"
NAME_COLUMN = "municipality_name"
# columns whose values are those of another column, labelled as that one
LABELLED_AS = {"revised_measure": "measure", "municipal_count_source": "actual_source"}
# categories of the vocabulary that are templates, not labels of a column's values
TEMPLATES = {"provisional_reason", "note", "workbook", "check", "source"}
# a relative revision that cannot be quoted: suppressed, or there was none to look up
UNQUOTED = object()
FROM_ZERO = object()


@dataclass(frozen=True)
class Labels:
    categories: dict[tuple[str, str], str] = field(default_factory=dict)
    municipalities: dict[int, str] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # the evaluation settings (seed evaluation_settings), for texts that quote one
    settings: dict[str, Any] = field(default_factory=dict)
    # source -> the extract dates of its files
    vintages: dict[str, tuple[date, ...]] = field(default_factory=dict)

    def value(self, column: str, value: object) -> object:
        """A column's value as a reader sees it: its Danish label, Ja/Nej for a boolean,
        otherwise unchanged (None stays None)."""
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return None
        if isinstance(value, bool):
            return self.categories.get(("boolean", str(value).lower()), str(value))
        return self.categories.get((LABELLED_AS.get(column, column), str(value)), value)

    def municipality(self, code: object) -> str | None:
        if code is None or pd.isna(code):
            return None
        return self.municipalities.get(int(code), str(int(code)))

    def municipality_with_code(self, code: object) -> str | None:
        """'Frederikshavn (813)', as a table's stub and a warning name a municipality."""
        if code is None or pd.isna(code):
            return None
        return f"{self.municipality(code)} ({int(code)})"

    @property
    def category_columns(self) -> set[str]:
        return {category for category, _ in self.categories if category != "boolean"} | set(
            LABELLED_AS
        )

    def text(self, category: str, code: str, **values: Any) -> str:
        return self.vocabulary.text(category, code, **values)


def labels_from(
    vocabulary: Vocabulary,
    target_groups: dict[str, str],
    municipalities: dict[int, str],
    settings: dict[str, Any] | None = None,
    vintages: dict[str, tuple[date, ...]] | None = None,
) -> Labels:
    categories = {
        key: da for key, (da, _) in vocabulary.texts.items() if key[0] not in TEMPLATES
    } | {("target_group", group): label for group, label in target_groups.items()}
    return Labels(categories, municipalities, vocabulary, settings or {}, vintages or {})


def read_labels(con: duckdb.DuckDBPyConnection) -> Labels:
    cursor = con.execute(SETTINGS_QUERY)
    names = [d[0] for d in cursor.description]
    settings = dict(zip(names, cursor.fetchone() or (), strict=False))
    vintages: dict[str, list[date]] = {}
    for source, vintage in con.execute(VINTAGES_QUERY).fetchall():
        vintages.setdefault(source, []).append(vintage)
    return labels_from(
        Vocabulary.from_rows(con.execute(VOCABULARY_QUERY).fetchall()),
        dict(con.execute(TARGET_GROUPS_QUERY).fetchall()),
        dict(con.execute(MUNICIPALITIES_QUERY).fetchall()),
        settings,
        {source: tuple(dates) for source, dates in vintages.items()},
    )


RevisionKey = tuple[int, date, str, str, date]


def revision_lookup(revisions: pd.DataFrame, mask: pd.DataFrame) -> dict[RevisionKey, object]:
    """Each published revision of registration_revisions by its cell: the relative revision,
    FROM_ZERO for a value that appeared from 0, UNQUOTED where disclosure control emptied it.
    A reason quotes only what this table publishes, so it discloses nothing more."""
    if revisions.empty:
        return {}
    hidden = mask["revision_rel"].to_numpy() | mask["revision_abs"].to_numpy()
    rel = revisions["revision_rel"].to_numpy(dtype=object)
    previous = (
        pd.to_numeric(revisions["value"], errors="coerce").astype(float)
        - pd.to_numeric(revisions["revision_abs"], errors="coerce").astype(float)
    ).to_numpy()
    out: dict[RevisionKey, object] = {}
    keys = revisions[["municipality_code", "month", "target_group", "measure", "vintage"]]
    for i, key in enumerate(keys.itertuples(index=False, name=None)):
        if hidden[i]:
            out[_key(key)] = UNQUOTED
        elif rel[i] is not None and not pd.isna(rel[i]):
            out[_key(key)] = float(rel[i])
        elif previous[i] == 0:
            out[_key(key)] = FROM_ZERO
    return out


def _key(key: tuple) -> RevisionKey:
    code, month, group, measure, vintage = key
    return (
        int(code),
        pd.Timestamp(month).date(),
        str(group),
        str(measure),
        pd.Timestamp(vintage).date(),
    )


def provisional_reason(
    row: dict[str, Any], labels: Labels, revisions: dict[RevisionKey, object] | None = None
) -> str | None:
    """The Danish reason of a row's provisional_reason codes ('too_recent+revised'): 'for ny;
    revideret med +4,2 % i udtrækket af 15.04.2019 (antal med virksomhedsrettet indsats)'."""
    codes = row.get("provisional_reason")
    if not isinstance(codes, str) or not codes:
        return None
    parts = []
    for code in codes.split("+"):
        if code != "revised":
            parts.append(labels.text("provisional_reason", code))
            continue
        measure, vintage = row.get("revised_measure"), row.get("revised_vintage")
        if measure is None or vintage is None or pd.isna(vintage):
            parts.append(code)  # the mart's contract gives both with 'revised'
            continue
        vintage = pd.Timestamp(vintage).date()
        key = (
            int(row["municipality_code"]),
            pd.Timestamp(row["month"]).date(),
            str(row["target_group"]),
            str(measure),
            vintage,
        )
        revision = (revisions or {}).get(key, UNQUOTED)
        values = {"vintage": danish_date(vintage), "measure": labels.value("measure", measure)}
        if revision is FROM_ZERO:
            parts.append(labels.text("provisional_reason", "revised_from_zero", **values))
        elif revision is UNQUOTED:
            parts.append(labels.text("provisional_reason", "revised_unquoted", **values))
        else:
            parts.append(
                labels.text(
                    "provisional_reason",
                    "revised",
                    revision=danish_percent(revision, 1, signed=True),
                    **values,
                )
            )
    return "; ".join(parts)


def nowcast_note(
    row: dict[str, Any], labels: Labels, revisions: dict[RevisionKey, object] | None = None
) -> str | None:
    """The Danish note of a nowcast row: how its estimate was made, or why there is none."""
    code = row.get("note")
    if not isinstance(code, str):
        return None
    completion = row.get("completion_factor")
    return labels.text(
        "note",
        code,
        mature_months=int(row.get("mature_months") or 0),
        completion=""
        if completion is None or pd.isna(completion)
        else danish_percent(float(completion), 1),
        needed=labels.settings.get("nowcast_min_mature_months", ""),
    )


ROW_TEXTS = {"provisional_reason": provisional_reason, "note": nowcast_note}


def for_readers(
    frame: pd.DataFrame,
    labels: Labels,
    revisions: dict[RevisionKey, object] | None = None,
) -> pd.DataFrame:
    """The frame as people read it: labelled category values, Ja/Nej for booleans, Danish
    reasons and notes, and the municipality's name right after each municipality code. Values
    the vocabulary does not label stay as they are; suppressed (empty) cells stay empty."""
    out = frame.copy()
    records = None
    for column in frame.columns:
        if column in ROW_TEXTS and labels.vocabulary.texts:
            records = records if records is not None else frame.to_dict("records")
            render = ROW_TEXTS[column]
            texts = [render(r, labels, revisions) for r in records]
            out[column] = pd.Series(texts, index=frame.index, dtype=object)
        elif pd.api.types.is_bool_dtype(frame[column]) or column in labels.category_columns:
            out[column] = pd.Series(
                [labels.value(column, v) for v in frame[column].astype(object)],
                index=frame.index,
                dtype=object,
            )
    if "municipality_code" in frame.columns and NAME_COLUMN not in frame.columns:
        names = [labels.municipality(c) for c in frame["municipality_code"].astype(object)]
        out.insert(out.columns.get_loc("municipality_code") + 1, NAME_COLUMN, names)
    return out

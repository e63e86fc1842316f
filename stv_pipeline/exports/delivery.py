"""The export folder: what STAR receives from one run, made the way `ingest/` loads (DESIGN §4).

A run's delivery is made in a hidden folder beside its place, `.<YYYY-MM-DD>_<run id>.partial/`,
and renamed into place when whole (manifest.json last), so a folder with a normal name is always
a complete delivery. The run's disclosure-controlled publication is staged in that hidden folder
(`staging/`) by the step that makes it and read back, from the same run's folder, by the audit
and the export: no run can read another's tables, and a delivery holds exactly the tables of the
run that wrote it.

The hidden folder is owned by the process of its run through a lock file beside it
(`.<name>.partial.lock`, an flock the kernel releases when the process dies): a run's clean-up
removes the hidden folders whose owner is gone (killed, crashed), never one a live run is
making.

What is delivered is declared by the marts' .yml: a mart with `meta.export` is exported, in
the order of its `position`, its sheet as `meta.export` says (exports/dictionary.py). The files
are written by the formats registered below (`register_format`), each returning what it wrote;
the manifest's per-table `files` lists are made from that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from stv_pipeline.exports import ledger, side_process
from stv_pipeline.exports.audit import Witnesses
from stv_pipeline.exports.cells import DisclosureRules, read_disclosure_rules
from stv_pipeline.exports.dictionary import (
    SUPPRESSION_NOTE,
    ColumnDoc,
    SheetSpec,
    exported_marts,
    sheet_specs,
    table_docs,
)
from stv_pipeline.exports.disclosure import Decisions, Publication
from stv_pipeline.exports.folders import EarlierDelivery, earlier_delivery, table_fingerprint
from stv_pipeline.exports.manifest import write_manifest
from stv_pipeline.exports.report import ReportInputs, build_report
from stv_pipeline.exports.writers import (
    CSV_FIELDS_SQL,
    write_csv_for_excel,
    write_parquet,
    write_workbook,
)
from stv_pipeline.operations import locks

WORKBOOK = "stv_tabeller.xlsx"
STAGING = "staging"


class NothingToDeliver(Exception):
    pass


# --- What goes in: the exported marts (meta.export in their .yml) as the warehouse holds them ---


def read_mart(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """The mart as pandas holds it for the export, as DuckDB's own conversion gives it: a DATE
    as a date (so Parquet keeps date32; NaT where NULL), an integer or boolean column with
    NULLs as pandas' nullable type (Int64, boolean), a DECIMAL as a double, the texts of an
    empty mart as objects.
    Read through Arrow, which makes the dates and texts of a million rows in C++, not per
    value in Python."""
    table = con.sql(f"select * from marts.{name} order by all").to_arrow_table()
    frame = table.to_pandas()  # DATE -> datetime.date (pyarrow's date_as_object)
    for field, column in zip(table.schema, table.columns, strict=True):
        if table.num_rows == 0 and pa.types.is_string(field.type):
            frame[field.name] = frame[field.name].astype(object)
        if pa.types.is_decimal(field.type):  # a double, as DuckDB gives it to pandas
            frame[field.name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        if column.null_count == 0:
            continue
        missing = column.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_integer(field.type):  # Int64, UInt8, ... as the column's own width
            frame[field.name] = pd.arrays.IntegerArray(column.fill_null(0).to_numpy(), missing)
        elif pa.types.is_boolean(field.type):
            values = column.fill_null(False).to_numpy(zero_copy_only=False)
            frame[field.name] = pd.arrays.BooleanArray(values, missing)
        elif pa.types.is_date(field.type) and column.null_count == len(column):
            # what DuckDB's conversion gave a DATE column without a value (not a date type:
            # see the note on issue 24), kept so that its files keep their bytes
            frame[field.name] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
        elif pa.types.is_date(field.type):
            values = frame[field.name].to_numpy(dtype=object, copy=True)
            values[missing] = pd.NaT
            frame[field.name] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def read_disclosure_inputs(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, pd.DataFrame], DisclosureRules]:
    """The exported marts, in the delivery's order, and the rules of disclosure control (seeds)."""
    frames = {name: read_mart(con, name) for name in exported_marts()}
    return frames, read_disclosure_rules(con)


def nothing_to_deliver(data_rows: dict[str, int], rejected: list[str]) -> str | None:
    """Why a run has nothing to deliver, or None: the warehouse holds no rows of any source
    that becomes published figures (`data_rows`, per source), for instance because every file
    delivered was rejected (`rejected`, as '<source>/<file>')."""
    if any(data_rows.values()):
        return None
    why = (
        f"every file was rejected ({', '.join(rejected)}; see the quarantine reports)"
        if rejected
        else "no such file was delivered"
    )
    return (
        f"Nothing to deliver: the warehouse holds no rows of {', '.join(sorted(data_rows))} "
        f"after ingestion - {why}. No export folder is written."
    )


# --- The folder, hidden until whole, and its owner ---


def short_run_id(run_id: str) -> str:
    """The run id's first 8 characters: enough to tell a day's runs apart."""
    return run_id[:8]


def run_name(run_id: str, today: date | None = None) -> str:
    """What a run names its export folder and its log (run.py): `<YYYY-MM-DD>_<short run id>`,
    the date first so that they sort by time."""
    return f"{(today or date.today()).isoformat()}_{short_run_id(run_id)}"


def export_folder(exports_root: Path, run_id: str, today: date | None = None) -> Path:
    """One folder per run."""
    return exports_root / run_name(run_id, today)


def partial_folder(folder: Path) -> Path:
    """Where an export is written before it is complete: hidden, beside its final place."""
    return folder.parent / f".{folder.name}.partial"


def owner_lock(partial: Path) -> Path:
    return partial.with_name(partial.name + ".lock")


def begin(folder: Path) -> Path:
    """The hidden folder of the export to `folder`, made and owned by this process (as it is
    when this process began it before)."""
    partial = partial_folder(folder)
    lock = owner_lock(partial)
    if locks.is_held_here(lock) and partial.is_dir():
        return partial
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not locks.try_acquire(lock):
        raise RuntimeError(f"{partial} is being written by another live process")
    shutil.rmtree(partial, ignore_errors=True)  # left by a dead process of the same name
    partial.mkdir()
    return partial


def run_folder(exports_root: Path, run_id: str) -> Path | None:
    """The final place of the export this run has begun (found by the run id, whatever the
    date it was begun on), or None."""
    for partial in sorted(exports_root.glob(f".*_{short_run_id(run_id)}.partial")):
        return partial.with_name(partial.name[1 : -len(".partial")])
    return None


def _let_go(partial: Path) -> None:
    lock = owner_lock(partial)
    lock.unlink(missing_ok=True)
    locks.release(lock)


def discard(folder: Path) -> bool:
    """Remove the hidden folder of an export this process began and did not finish; whether
    there was one."""
    partial = partial_folder(folder)
    if not locks.is_held_here(owner_lock(partial)):
        return False
    shutil.rmtree(partial, ignore_errors=True)
    _let_go(partial)
    return True


def remove_partial_folders(exports_root: Path) -> list[Path]:
    """Hidden folders of exports whose process died before they were complete (killed,
    crashed); folders that live processes are writing stay."""
    removed = []
    if not exports_root.is_dir():
        return removed
    for partial in sorted(exports_root.glob(".*.partial")):
        lock = owner_lock(partial)
        if locks.is_held_here(lock) or not locks.try_acquire(lock):
            continue
        shutil.rmtree(partial, ignore_errors=True)
        removed.append(partial)
        _let_go(partial)
    # a lock left by a process that died between renaming its folder and removing the lock
    for lock in sorted(exports_root.glob(".*.partial.lock")):
        partial = lock.with_name(lock.name[: -len(".lock")])
        if not partial.exists() and not locks.is_held_here(lock) and locks.try_acquire(lock):
            _let_go(partial)
    return removed


# --- The publication, staged in the run's own hidden folder ---


def stage_publication(partial: Path, publication: Publication) -> None:
    """Write every field of the publication into partial/staging/: tables of frames as
    Parquet, the audit's witness points as .npz, the rest as JSON."""
    staging = partial / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    fields: dict[str, dict[str, Any]] = {}
    for field in dataclasses.fields(publication):
        value = getattr(publication, field.name)
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(v, pd.DataFrame) for v in value.values())
        ):
            (staging / field.name).mkdir()
            for name, frame in value.items():
                frame.to_parquet(staging / field.name / f"{name}.parquet")
            fields[field.name] = {"frames": list(value)}
        elif isinstance(value, Witnesses):
            from scipy import sparse

            sparse.save_npz(staging / f"{field.name}.npz", value.deviations, compressed=False)
            fields[field.name] = {"witnesses": f"{field.name}.npz"}
        elif isinstance(value, Decisions):
            (staging / field.name).mkdir()
            for part in ("cells", "relations", "terms"):
                getattr(value, part).to_parquet(staging / field.name / f"{part}.parquet")
            fields[field.name] = {"decisions": value.rules}
        else:
            try:
                fields[field.name] = {"json": json.loads(json.dumps(value))}
            except TypeError:
                raise TypeError(
                    f"Publication.{field.name} ({type(value).__name__}) cannot be staged: "
                    "teach exports/delivery.py stage_publication and load_publication its type"
                ) from None
    (staging / "publication.json").write_text(json.dumps(fields), "utf-8")


def load_publication(partial: Path) -> Publication:
    staging = partial / STAGING
    fields = json.loads((staging / "publication.json").read_text("utf-8"))
    values: dict[str, Any] = {}
    for name, stored in fields.items():
        if "frames" in stored:
            values[name] = {
                table: pd.read_parquet(staging / name / f"{table}.parquet")
                for table in stored["frames"]
            }
        elif "witnesses" in stored:
            from scipy import sparse

            values[name] = Witnesses(sparse.load_npz(staging / stored["witnesses"]).tocsr())
        elif "decisions" in stored:
            values[name] = Decisions(
                *(
                    pd.read_parquet(staging / name / f"{part}.parquet")
                    for part in ("cells", "relations", "terms")
                ),
                rules=stored["decisions"],
            )
        else:
            values[name] = stored["json"]
    return Publication(**values)


def staged_publication(exports_root: Path, run_id: str) -> Publication:
    """The publication this run staged, from its own hidden folder."""
    folder = run_folder(exports_root, run_id)
    if folder is None or not (partial_folder(folder) / STAGING).is_dir():
        raise FileNotFoundError(
            f"run {short_run_id(run_id)} staged no publication in {exports_root}: "
            "exports/published_tables must be materialised in the same run"
        )
    return load_publication(partial_folder(folder))


# --- The files, by format ---


@dataclass(frozen=True)
class Delivered:
    """A file a format wrote, and the table it holds (None: the delivery as a whole)."""

    file: str
    table: str | None = None
    part: str | None = None  # which part of the file holds the table, e.g. its sheet
    reused: bool = False  # the earlier delivery's file, its table unchanged (TableFormat)

    @property
    def label(self) -> str:
        return f"{self.file} ({self.part})" if self.part else self.file


@dataclass(frozen=True)
class ExportContent:
    """What the formats write: each exported table with the mask of its suppressed cells, in
    the delivery's order; what the report says about the run; and each table's sheet and
    documentation, as the marts' .yml declare them (read from dbt's manifest once, here)."""

    published: dict[str, tuple[pd.DataFrame, pd.DataFrame]]
    about: ReportInputs
    sheets: dict[str, SheetSpec]
    docs: dict[str, tuple[str, list[ColumnDoc]]]
    # each table's content_fingerprint (folders.table_fingerprint), and the newest earlier
    # delivery whose files of an unchanged table are this delivery's too
    fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)
    earlier: EarlierDelivery | None = None


def _whole(content: ExportContent) -> ExportContent:
    return content


@dataclass(frozen=True)
class Format:
    name: str
    write: Callable[[Path, ExportContent], list[Delivered]]
    # written in a process of its own beside the others (a module-level function; the call
    # is pickled), with what `view` keeps of the content
    side_process: bool = False
    view: Callable[[ExportContent], ExportContent] = _whole


FORMATS: dict[str, Format] = {}


def register_format(
    name: str,
    *,
    side_process: bool = False,
    view: Callable[[ExportContent], ExportContent] | None = None,
) -> Callable:
    """Register a writer of one format: write(folder, content) -> what it wrote."""

    def register(write: Callable[[Path, ExportContent], list[Delivered]]):
        FORMATS[name] = Format(name, write, side_process, view or _whole)
        return write

    return register


def reuse_earlier_file(
    earlier: EarlierDelivery | None, table: str, fingerprint: str, file: Path
) -> bool:
    """Make `file` the earlier delivery's file of the same name when that delivery published
    `table` with the same content (fingerprint): a hard link, a copy where the file system
    cannot link. Whether it did; False when the earlier file is gone (pruned meanwhile).
    `file` must not exist: the delivery's files are all new (write_export empties its hidden
    folder first), so no writer ever opens a linked file, which is an earlier delivery's too."""
    if earlier is None or earlier.fingerprints.get(table) != fingerprint:
        return False
    source = earlier.folder / file.name
    try:
        os.link(source, file)
    except FileNotFoundError:
        return False
    except OSError:  # another file system, or one without hard links
        try:
            shutil.copyfile(source, file)
        except FileNotFoundError:
            return False
    return True


@dataclass(frozen=True)
class TableFormat:
    """A format that writes each table into a file of its own (`<table>.<suffix>`) from that
    table's published frame alone, so a table whose content the newest earlier delivery
    published is given that delivery's file instead of being written again."""

    suffix: str
    write_table: Callable[[pd.DataFrame, Path], None]

    def __call__(self, folder: Path, content: ExportContent) -> list[Delivered]:
        written = []
        for name, (frame, _) in content.published.items():
            file = folder / f"{name}.{self.suffix}"
            fingerprint = content.fingerprints.get(name, "")
            reused = reuse_earlier_file(content.earlier, name, fingerprint, file)
            if not reused:
                self.write_table(frame, file)
            written.append(Delivered(file.name, name, reused=reused))
        return written


def register_table_format(
    name: str, suffix: str, write_table: Callable[[pd.DataFrame, Path], None]
) -> None:
    """Register a format writing each table to `<table>.<suffix>` by write_table(frame, path);
    its module's source is part of every table's content_fingerprint (renderer_version)."""
    FORMATS[name] = Format(name, TableFormat(suffix, write_table))


# Each table as CSV for Danish Excel (UTF-8 with BOM, semicolons, decimal commas) and typed
# Parquet.
register_table_format("csv", "csv", write_csv_for_excel)
register_table_format("parquet", "parquet", write_parquet)
# What else renders a table format's files: a change in any of them is a new rendering
RENDERING_FILES = (CSV_FIELDS_SQL,)
RENDERING_LIBRARIES = ("pandas", "pyarrow", "duckdb")


def renderer_version() -> str:
    """sha256 over what renders the table formats' files: the source of their writers'
    modules, RENDERING_FILES and the versions of RENDERING_LIBRARIES. Part of each table's
    content_fingerprint, so a file is never taken from a delivery that other code rendered."""
    digest = hashlib.sha256()
    modules = {
        inspect.getfile(f.write.write_table)
        for f in FORMATS.values()
        if isinstance(f.write, TableFormat)
    }
    for path in sorted(modules) + [str(p) for p in RENDERING_FILES]:
        digest.update(Path(path).read_bytes())
    for library in RENDERING_LIBRARIES:
        digest.update(f"{library} {metadata.version(library)}\0".encode())
    return digest.hexdigest()


def workbook_sheets(
    published: dict[str, tuple[pd.DataFrame, pd.DataFrame]], sheets: dict[str, SheetSpec]
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Each table's rows its sheet shows (meta.export.workbook_rows)."""
    shown = dict(published)
    for name, (frame, mask) in published.items():
        keep = sheets[name].rows.shown
        if keep is not None and len(frame):
            rows = keep(frame)
            shown[name] = (frame[rows].reset_index(drop=True), mask[rows].reset_index(drop=True))
    return shown


def _workbook_view(content: ExportContent) -> ExportContent:
    return dataclasses.replace(
        content, published=workbook_sheets(content.published, content.sheets)
    )


@register_format("workbook", side_process=True, view=_workbook_view)
def write_workbook_file(folder: Path, content: ExportContent) -> list[Delivered]:
    """The workbook for people (XlsxWriter, bound to one core: in a side process). Its
    sheets are workbook_sheets (taking them again changes nothing)."""
    write_workbook(
        folder / WORKBOOK,
        workbook_sheets(content.published, content.sheets),
        content.docs,
        SUPPRESSION_NOTE,
        content.about.labels,
        specs=content.sheets,
    )
    return [
        Delivered(WORKBOOK, name, f"sheet {name}{content.sheets[name].rows.part}")
        for name in content.published
    ]


@register_format("report")
def write_report_file(folder: Path, content: ExportContent) -> list[Delivered]:
    tables = {name: frame for name, (frame, _) in content.published.items()}
    (folder / "report.html").write_text(build_report(tables, content.about, content.docs), "utf-8")
    return [Delivered("report.html")]


def write_formats(folder: Path, content: ExportContent) -> list[Delivered]:
    """Every registered format into folder, the side-process ones meanwhile; what was written,
    in the order the formats were registered. A format's error is raised here."""
    with ExitStack() as stack:
        beside = {
            f.name: stack.enter_context(side_process.start(f.write, folder, f.view(content)))
            for f in FORMATS.values()
            if f.side_process
        }
        written = {f.name: f.write(folder, content) for f in FORMATS.values() if not f.side_process}
        written |= {name: running.result() for name, running in beside.items()}
    return [file for name in FORMATS for file in written[name]]


def audit_figures(checks: list[dict[str, object]]) -> dict[str, object]:
    """The disclosure audit's figures, as its check reported them in this run."""
    for outcome in checks:
        if outcome["check"] == "disclosure_audit":
            return {"passed": outcome["passed"], **outcome["metadata"]}
    return {}


def write_export(
    folder: Path,
    publication: Publication,
    *,
    about: ReportInputs,
    checks: list[dict[str, object]],
    content_fingerprint: str | None = None,
    ledger_con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Path, dict[str, dict[str, object]]]:
    """Write the export folder whole or not at all: every file goes into its hidden folder
    (begun here unless this process began it), manifest.json last, and the folder is renamed
    into place when complete. An export whose tables are all empty is never written. With
    `ledger_con`, the delivery's cells go into the publication ledger, pending before the
    rename and delivered after it (a crash in between is reconciled by the next run)."""
    sheets = sheet_specs()
    published = {n: (publication.tables[n], publication.masks[n]) for n in sheets}
    if not any(len(frame) for frame, _ in published.values()):
        raise NothingToDeliver(
            f"every exported table is empty ({', '.join(sheets)}): no export folder is written"
        )
    docs = table_docs()
    partial = begin(folder)
    # Every file of the delivery is new, the staged publication (read already) gone with what
    # an earlier attempt of this process left: a file taken over from an earlier delivery is
    # a hard link to that delivery's file, so no writer may ever open one that is there.
    for left in partial.iterdir():
        if left.is_dir():
            shutil.rmtree(left)
        else:
            left.unlink()
    renderer = renderer_version()
    fingerprints = {
        name: table_fingerprint(frame, mask, renderer) for name, (frame, mask) in published.items()
    }
    earlier = earlier_delivery(folder.parent)
    content = ExportContent(
        published, about, sheets, {n: docs[n] for n in sheets}, fingerprints, earlier
    )
    written = write_formats(partial, content)
    tables = {
        name: {
            "rows": len(frame),
            **publication.suppressions[name],
            "files": [file.label for file in written if file.table == name],
            "content_fingerprint": fingerprints[name],
            # files that are the earlier delivery's (earlier_delivery), the table unchanged
            "reused": [file.label for file in written if file.table == name and file.reused],
        }
        for name, (frame, _) in published.items()
    }
    created_at = datetime.now().replace(microsecond=0)
    write_manifest(
        partial,
        created_at=created_at,
        run_id=about.run_id,
        inputs=about.inputs,
        tables=tables,
        checks=checks,
        content_fingerprint=content_fingerprint,
        earlier_delivery=earlier.folder.name if earlier is not None else None,
        disclosure_audit={
            **audit_figures(checks),
            "suppression_seconds": round(publication.seconds, 3),
        },
        disclosure_series=publication.series,
    )
    pending = None
    if ledger_con is not None and publication.decisions is not None:
        pending = ledger.record_delivery(
            ledger_con,
            run_id=about.run_id,
            folder=folder.name,
            created_at=created_at,
            cells=publication.decisions.cells,
            relations=publication.decisions.relations,
            terms=publication.decisions.terms,
            rules=publication.decisions.rules,
        )
    os.rename(partial, folder)
    _let_go(partial)
    if pending is not None:
        ledger.mark_delivered(ledger_con, pending)
    return folder, tables

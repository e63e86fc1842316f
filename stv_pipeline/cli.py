"""`stv`: run the whole pipeline without the UI, write the sample data, tidy the exports.

stv run [--inbox DIR] [--warehouse FILE] [--exports DIR] [--verbose] [--force-export]
stv sample --out DIR [--seed N] [--scale sample|small|medium|national] [--format parquet|csv]
           [--vintages N]
stv fetch-jobindsats TABLE --period P [--period P ...] [--area A ...] [--format csv|json]
stv exports prune --keep N [--exports DIR]
stv --version
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import uuid
from pathlib import Path

from stv_pipeline.ingest.jobindsats_api import DEFAULT_API_URL, ENV_API_URL, ENV_TOKEN
from stv_pipeline.sample.scenarios import REGISTER_FORMATS, SCALES
from stv_pipeline.settings import (
    DEFAULT_EXPORTS,
    DEFAULT_INBOX,
    DEFAULT_SPARK_DIR,
    DEFAULT_WAREHOUSE,
    ENGINES,
    ENV_ALERT_WEBHOOK,
    ENV_ENGINE,
    ENV_EXPORTS,
    ENV_INBOX,
    ENV_PSEUDONYM_KEY,
    ENV_SPARK_DIR,
    ENV_WAREHOUSE,
    Settings,
)


def settings_of(args: argparse.Namespace) -> Settings:
    """The environment's settings (STV_*), with the paths the command line gives instead."""
    given = {
        field: Path(value).expanduser().resolve()
        for field in ("inbox", "warehouse", "exports")
        if (value := getattr(args, field, None))
    }
    return dataclasses.replace(Settings.from_env(), **given)


def run(args: argparse.Namespace) -> int:
    from stv_pipeline.operations.stopping import StopOnSignals, StopRequested

    settings = settings_of(args)
    run_id = str(uuid.uuid4())

    def waiting(signum: int) -> str:
        return (
            f"stv run: stopped by {signal.Signals(signum).name} before it ran (waiting for the "
            f"warehouse {settings.warehouse}): nothing was loaded or exported."
        )

    def running(signum: int) -> str:
        return (
            f"stv run: run {run_id[:8]} stopped by {signal.Signals(signum).name}: nothing half "
            "written is left as a delivery, the warehouse keeps what was committed before, and "
            "the next run goes on from there."
        )

    with StopOnSignals(waiting) as stop:
        try:
            code = _run(args, settings, run_id, on_running=lambda: stop.set_line(running))
        except StopRequested:
            code = 1
        if stop.stopped:
            stop.end()
        return code


def _nothing_to_do(settings: Settings) -> int:
    print(
        f"Nothing to do: the inbox {settings.inbox} holds no files and the warehouse "
        f"{settings.warehouse} holds none either. Nothing was loaded or exported. "
        "Deliver files into the inbox's source folders, or try the shipped sample with "
        "`make run` (stv run --inbox data/sample)."
    )
    return 0


def _run(args: argparse.Namespace, settings: Settings, run_id: str, on_running) -> int:
    from stv_pipeline.ingest.inbox import (
        InboxMissing,
        MixedOrigins,
        Plan,
        delivered_files,
        plan_run,
        warehouse_origins,
    )
    from stv_pipeline.operations.warehouse import hold_warehouse

    try:
        if not delivered_files(settings.inbox) and not settings.warehouse.exists():
            return _nothing_to_do(settings)
    except InboxMissing as exc:
        print(f"stv run: {exc}", file=sys.stderr)
        return 2
    waited: list[str] = []

    def say(line: str) -> None:
        waited.append(line)
        print(line, flush=True)

    # The plan is made once the warehouse is this run's: another run may be changing it.
    with hold_warehouse(settings.warehouse, run_id=run_id, say=say):
        try:
            plan = plan_run(settings.inbox, settings.warehouse)
        except (InboxMissing, MixedOrigins) as exc:
            print(f"stv run: {exc}", file=sys.stderr)
            return 2
        if plan is Plan.NOTHING_TO_DO:
            return _nothing_to_do(settings)
        if plan is Plan.REBUILD:
            print(
                f"The inbox {settings.inbox} holds no files: rebuilding from the "
                f"{sum(warehouse_origins(settings.warehouse).values())} files the warehouse holds."
            )

        from stv_pipeline.defs.resources import ensure_dbt_manifest
        from stv_pipeline.run import InstanceBroken, run_full_job

        settings = dataclasses.replace(settings, force_export=args.force_export)
        ensure_dbt_manifest()
        on_running()
        try:
            return run_full_job(
                settings,
                run_id=run_id,
                log_lines=waited,
                verbose=args.verbose,
                ephemeral=args.no_record,
            )
        except InstanceBroken as exc:
            print(f"stv run: {exc}", file=sys.stderr)
            return 2


def prune_exports(args: argparse.Namespace) -> int:
    from stv_pipeline.exports.folders import prune

    settings = settings_of(args)
    removed = prune(settings.exports, keep=args.keep)
    for folder in removed:
        print(f"removed {folder}")
    print(
        f"{len(removed)} export folder(s) removed, the newest {args.keep} kept "
        f"in {settings.exports}"
    )
    return 0


def rebuild_ledger(args: argparse.Namespace) -> int:
    """The publication ledger read back from this warehouse's export folders."""
    import duckdb

    from stv_pipeline.defs.resources import ensure_dbt_manifest
    from stv_pipeline.exports import ledger, rebuild
    from stv_pipeline.exports.cells import declarations
    from stv_pipeline.exports.delivery import read_disclosure_inputs

    settings = settings_of(args)
    if not args.rebuild:
        print("stv exports ledger: say --rebuild to read the ledger back from the folders")
        return 2
    if not settings.warehouse.exists():
        print(f"stv exports ledger: no warehouse at {settings.warehouse}", file=sys.stderr)
        return 2
    ensure_dbt_manifest()
    with duckdb.connect(str(settings.warehouse)) as con:
        ledger.clear(con)
        folders = rebuild.delivered_folders(con, settings.exports)
        frames, rules = read_disclosure_inputs(con)
        done = rebuild.rebuild(con, folders, frames, declarations(), rules)
    for delivery in done:
        print(
            f"{delivery.folder}: {delivery.cells} cells, {delivery.suppressed} suppressed"
            + (
                f", {delivery.values_not_found} empty counts found nowhere (left out)"
                if delivery.values_not_found
                else ""
            )
        )
    print(
        f"Publication ledger of {settings.warehouse} rebuilt from {len(done)} export "
        f"folder(s) in {settings.exports}"
    )
    return 0


def version() -> str:
    from importlib.metadata import version as installed

    from stv_pipeline.exports.manifest import code_version

    return f"stv {installed('stv_pipeline')} (code {code_version()})"


def sample(args: argparse.Namespace) -> int:
    import time

    from stv_pipeline.sample.generator import generate_sample

    started = time.perf_counter()
    written = generate_sample(
        Path(args.out),
        seed=args.seed,
        scale=args.scale,
        register_format=args.format,
        vintages=args.vintages,
    )
    for source, files in written.items():
        for path in files:
            print(f"{source}: {path}")
    print(f"{args.scale} data set written in {time.perf_counter() - started:.1f} s")
    return 0


def fetch_jobindsats(args: argparse.Namespace) -> int:
    from stv_pipeline.ingest.jobindsats_api import (
        FetchFailed,
        TableQuery,
        api_url,
        fetch_to_inbox,
        split_values,
        token_from_env,
    )

    settings = settings_of(args)
    query = TableQuery(
        table=args.table.upper(),
        periods=split_values(args.period),
        areas=split_values(args.area),
        format=args.format,
    )
    try:
        path, new = fetch_to_inbox(query, settings.inbox, token_from_env(), api_url())
    except FetchFailed as exc:
        print(f"fetch-jobindsats: {exc}; nothing was written to the inbox", file=sys.stderr)
        return 1
    print(f"{'written' if new else 'already in the inbox, unchanged'}: {path}")
    return 0


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


class _Version(argparse.Action):
    """--version, asking git for the commit only when it is given."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version())
        parser.exit()


# every variable the pipeline reads (settings.py, ingest/jobindsats_api.py; .env.example)
ENVIRONMENT = f"""environment variables:
  {ENV_INBOX:<20} inbox folder (default {DEFAULT_INBOX}, relative to the project)
  {ENV_WAREHOUSE:<20} warehouse file (default {DEFAULT_WAREHOUSE})
  {ENV_EXPORTS:<20} exports folder (default {DEFAULT_EXPORTS})
  {ENV_PSEUDONYM_KEY:<20} key for pseudonymising CPR numbers (required when files hold CPR)
  {ENV_ALERT_WEBHOOK:<20} URL notified when a run or an ERROR check fails (optional)
  {ENV_ENGINE:<20} where the dbt models run: {" or ".join(ENGINES)} (default duckdb)
  {ENV_SPARK_DIR:<20} Spark's run folder (default {DEFAULT_SPARK_DIR})
  {ENV_TOKEN:<20} Jobindsats.dk API token for `stv fetch-jobindsats`
  {ENV_API_URL:<20} Jobindsats.dk API address (default {DEFAULT_API_URL})
  {"DAGSTER_HOME":<20} Dagster instance recording the runs (default .dagster_home)
  {"GX_ANALYTICS_ENABLED":<20} False: Great Expectations sends nothing home (set by make)"""


def _location_options(p: argparse.ArgumentParser, *, exports_only: bool = False) -> None:
    if not exports_only:
        p.add_argument(
            "--inbox", help=f"folder of delivered files (env {ENV_INBOX}; default {DEFAULT_INBOX})"
        )
        p.add_argument(
            "--warehouse",
            help=f"DuckDB warehouse file (env {ENV_WAREHOUSE}; default {DEFAULT_WAREHOUSE})",
        )
    p.add_argument(
        "--exports",
        help=f"folder for the STAR exports (env {ENV_EXPORTS}; default {DEFAULT_EXPORTS})",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stv",
        description="The STV evaluation pipeline.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action=_Version, help="print the version and the code's commit")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run",
        help="materialise every asset, run every check, export for STAR",
        description="Materialise every asset, run every check and export for STAR. Prints one "
        "line per phase; the full log of dbt and Dagster goes to <warehouse folder>/runs/.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _location_options(r)
    r.add_argument(
        "--verbose", action="store_true", help="show dbt's and Dagster's full log on the terminal"
    )
    r.add_argument(
        "--force-export",
        action="store_true",
        help="write an export folder even when tables and check outcomes equal the newest one's",
    )
    r.add_argument(
        "--no-record",
        action="store_true",
        help="do not record the run in the Dagster instance (DAGSTER_HOME, default "
        ".dagster_home in the project, where `dagster dev` shows it)",
    )
    r.set_defaults(func=run)
    e = sub.add_parser("exports", help="manage the export folders")
    esub = e.add_subparsers(dest="exports_command", title="commands", metavar="{prune}")
    # `stv exports` alone: its usage and commands, not argparse's complaint about a name
    e.set_defaults(func=lambda _args: _usage(e))
    prune = esub.add_parser("prune", help="delete all but the newest N export folders")
    prune.add_argument("--keep", type=int, required=True, help="how many of the newest to keep")
    _location_options(prune, exports_only=True)
    prune.set_defaults(func=prune_exports)
    book = esub.add_parser(
        "ledger",
        help="the publication ledger: --rebuild reads it back from the export folders",
        description="Rebuild the publication ledger (every cell STAR has received, kept in "
        "the warehouse for disclosure control over the series of deliveries) from this "
        "warehouse's export folders: their manifests and Parquet files.",
    )
    book.add_argument(
        "--rebuild", action="store_true", help="replace the ledger by what the folders hold"
    )
    book.add_argument(
        "--warehouse",
        help=f"DuckDB warehouse file (env {ENV_WAREHOUSE}; default {DEFAULT_WAREHOUSE})",
    )
    _location_options(book, exports_only=True)
    book.set_defaults(func=rebuild_ledger)
    s = sub.add_parser("sample", help="write the deterministic sample of every source")
    s.add_argument("--out", required=True, help="folder to write <source>/ folders into")
    s.add_argument("--seed", type=int, default=2016, help="random seed (default 2016)")
    s.add_argument(
        "--scale",
        choices=SCALES,
        default="sample",
        help="sample: the shipped 10 municipalities; small/medium/national: all 98, "
        "national being STAR's size (about 17M person-weeks per vintage)",
    )
    s.add_argument(
        "--format",
        choices=REGISTER_FORMATS,
        default="parquet",
        help="file format of the register extracts (default parquet)",
    )
    s.add_argument(
        "--vintages",
        type=int,
        default=None,
        metavar="N",
        help="small/medium/national: N monthly snapshots of each register, ending with the "
        "scale's four (default: those four); a year of deliveries is --vintages 13",
    )
    s.set_defaults(func=sample)
    f = sub.add_parser(
        "fetch-jobindsats",
        help="download a Jobindsats.dk table (API v2, token in JOBINDSATS_TOKEN) into the inbox",
    )
    f.add_argument("table", help="Jobindsats table id, e.g. Y36A02")
    f.add_argument(
        "--period",
        action="append",
        required=True,
        help="period code(s), e.g. 2017M03 or 2017M01,2017M02 (repeatable)",
    )
    f.add_argument(
        "--area", action="append", help="area name(s), e.g. Nyborg (repeatable; default all)"
    )
    f.add_argument("--format", choices=("csv", "json"), default="csv", help="reply format")
    f.add_argument("--inbox", help=f"folder of delivered files (env {ENV_INBOX})")
    f.set_defaults(func=fetch_jobindsats, warehouse=None, exports=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


def console() -> None:
    """The `stv` command: main, then an exit without Python's shutdown. The shutdown collects
    garbage over every object still alive (a run leaves millions: Dagster's, dbt's, pandas'),
    which took longer than the run's last step; the command has closed its files and
    connections by now and has nothing left to clean up."""
    try:
        code = main()
    except SystemExit as exc:  # argparse's errors and --help, as Python would exit
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    console()

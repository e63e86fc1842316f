"""Fetch a Jobindsats table from the portal's API v2 into the inbox (`stv fetch-jobindsats`).

The reply is written byte for byte as `<TABLE>_<YYYY-MM-DD>.<ext>` (the download date is the
vintage the loader reads from the name), so what is loaded is exactly what the portal sent. A
reply that is not data (an HTTP error, the wrong-key text, an HTML page, `{"code": 4xx}`) is
reported and nothing is written: the inbox only ever receives tables.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .jobindsats import parse_jobindsats
from .readers import UnreadableFile

ENV_TOKEN = "JOBINDSATS_TOKEN"
ENV_API_URL = "JOBINDSATS_API_URL"
DEFAULT_API_URL = "https://api.jobindsats.dk"
FORMATS = ("csv", "json")
TIMEOUT_SECONDS = 120


class FetchFailed(Exception):
    """The API did not deliver the table; the message says what it answered."""


@dataclass(frozen=True)
class TableQuery:
    table: str
    periods: tuple[str, ...]
    areas: tuple[str, ...] = ()  # empty: every area
    format: str = "csv"

    def body(self) -> bytes:
        """The v2 data request: the areas ("*" for all) and the periods wanted."""
        area: str | list[str] = list(self.areas) if self.areas else "*"
        return json.dumps({"area": area, "period": list(self.periods)}).encode("utf-8")


def split_values(values: list[str] | None) -> tuple[str, ...]:
    """`--period 2017M01,2017M02 --period 2017M03` -> the three periods, in the order given."""
    return tuple(v.strip() for value in values or () for v in value.split(",") if v.strip())


def api_url(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return (env.get(ENV_API_URL) or DEFAULT_API_URL).rstrip("/")


def token_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    token = (env.get(ENV_TOKEN) or "").strip()
    if not token:
        raise FetchFailed(
            f"{ENV_TOKEN} is not set: get a token from Jobindsats.dk (Min side -> API) and set "
            "it in the environment or .env (see .env.example)"
        )
    return token


def _error_text(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return " ".join(text.split())[:300] or "(empty reply)"


def request_table(query: TableQuery, token: str, base_url: str) -> bytes:
    """The API's reply to the query, or FetchFailed when it is not a Jobindsats table."""
    if query.format not in FORMATS:
        raise FetchFailed(f"format must be one of {', '.join(FORMATS)}")
    if not query.periods:
        raise FetchFailed("give at least one period, e.g. --period 2017M03")
    url = f"{base_url}/v2/data/{query.table}/{query.format}"
    request = urllib.request.Request(
        url,
        data=query.body(),
        method="POST",
        # The portal takes the raw token, without a "Bearer" scheme.
        headers={"Authorization": token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        raise FetchFailed(
            f"Jobindsats answered {exc.code} {exc.reason} for {query.table}: "
            f"{_error_text(exc.read())}"
        ) from None
    except urllib.error.URLError as exc:
        raise FetchFailed(f"could not reach {url}: {exc.reason}") from None
    try:
        parse_jobindsats(body)
    except UnreadableFile as exc:
        raise FetchFailed(f"Jobindsats did not send the table {query.table}: {exc}") from None
    return body


def inbox_file(folder: Path, table: str, fmt: str, body: bytes, today: date) -> tuple[Path, bool]:
    """The dated name for the reply, and False when that file already holds this very reply.
    A different reply of the same table and day (another query) gets a numbered name."""
    stem = f"{table.upper()}_{today.isoformat()}"
    names = [f"{stem}.{fmt}", *(f"{stem}_{n}.{fmt}" for n in range(2, 1000))]
    for path in (folder / name for name in names):
        if not path.exists():
            return path, True
        if path.read_bytes() == body:
            return path, False
    raise FetchFailed(f"too many downloads of {table} on {today} in {folder}")


def fetch_to_inbox(
    query: TableQuery, inbox: Path, token: str, base_url: str, today: date | None = None
) -> tuple[Path, bool]:
    """Write the reply into inbox/jobindsats/; returns the file and whether it is new."""
    body = request_table(query, token, base_url)
    folder = inbox / "jobindsats"
    folder.mkdir(parents=True, exist_ok=True)
    target, new = inbox_file(folder, query.table, query.format, body, today or date.today())
    if not new:
        return target, False
    # Written beside under a hidden name, then renamed: the loader never sees half a reply.
    partial = folder / f".{target.name}.partial"
    partial.write_bytes(body)
    partial.replace(target)
    return target, True

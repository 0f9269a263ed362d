"""The Internet Archive's Wayback Machine as a source of history: CDX listing, then raw captures.

    CDX API ──▶ CdxRow (timestamp, original URL, digest) ──id_ replay──▶ Capture

Politely: one request at a time, at least ``min_interval_s`` apart, retried after
connection errors, 429 and 5xx with exponential backoff (and Retry-After, when the
archive sends one). The httpx client is passed in, so tests hand in a mocked transport.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.errors import ConfigError, FetchError
from watcher.importer.core import ImportItem, ImportReport, import_captures
from watcher.importer.warc import MAX_BODY_BYTES, Capture
from watcher.pipeline import CheckOutcome, PipelineOptions
from watcher.sources import Source
from watcher.store.imports import snapshot_exists

log = logging.getLogger(__name__)

CDX_URL = "https://web.archive.org/cdx/search/cdx"
REPLAY_URL = "https://web.archive.org/web/{timestamp}id_/{url}"
_TIMESTAMP = re.compile(r"^\d{4}(\d{2}){0,5}$")
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class WaybackPolicy:
    """How politely to ask: spacing between requests, tries and how long to wait at most."""

    min_interval_s: float = 1.5
    max_tries: int = 4
    backoff_s: float = 2.0
    max_wait_s: float = 120.0
    limit: int = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class CdxRow:
    """One capture the CDX index lists."""

    timestamp: str
    original: str
    status: str
    mimetype: str
    digest: str

    @property
    def captured_at(self) -> datetime:
        """The 14-digit Wayback timestamp (UTC) as an aware datetime."""
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    @property
    def replay_url(self) -> str:
        """The raw capture (id_: the archived bytes, without the Wayback toolbar or rewriting)."""
        return REPLAY_URL.format(timestamp=self.timestamp, url=self.original)


def check_timestamp(value: str, option: str) -> str:
    """A CDX date bound (yyyy, yyyyMM, … up to 14 digits) or ConfigError naming the option.

    >>> check_timestamp("2022", "--from")
    '2022'
    """
    cleaned = value.strip().replace("-", "")
    if not _TIMESTAMP.match(cleaned):
        raise ConfigError(f"{option}: '{value}' is not a year or date like 2022 or 2022-06-20")
    return cleaned


def cdx_params(url: str, *, since: str, until: str, limit: int) -> dict[str, str]:
    """The CDX query: 200 responses of exactly this URL, adjacent identical captures collapsed."""
    return {
        "url": url, "from": since, "to": until, "output": "json",
        "fl": "timestamp,original,statuscode,mimetype,digest",
        "filter": "statuscode:200", "collapse": "digest", "limit": str(limit),
    }


def parse_cdx(payload: Any) -> list[CdxRow]:
    """The CDX JSON answer (a header row, then one row per capture) as CdxRows, oldest first."""
    if payload in (None, "", []):
        return []
    if not isinstance(payload, list) or not all(isinstance(r, list) for r in payload):
        raise FetchError("Wayback CDX: unexpected answer (not a JSON table)")
    header, *rows = payload
    try:
        columns = [header.index(n) for n in ("timestamp", "original", "statuscode", "mimetype",
                                             "digest")]
    except ValueError:
        raise FetchError(f"Wayback CDX: unexpected columns {header}") from None
    found = []
    for row in rows:
        ts, original, status, mimetype, digest = (str(row[i]) for i in columns)
        if _TIMESTAMP.match(ts) and len(ts) == 14:
            found.append(CdxRow(timestamp=ts, original=original, status=status,
                                mimetype=mimetype, digest=digest))
    found.sort(key=lambda r: r.timestamp)
    return found


class WaybackClient:
    """Lists and downloads captures, one polite request at a time."""

    def __init__(self, client: httpx.AsyncClient, *, policy: WaybackPolicy = WaybackPolicy(),
                 sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self._last_start: float | None = None

    async def list_captures(self, url: str, *, since: str, until: str) -> list[CdxRow]:
        """The 200 captures of ``url`` between the two bounds, oldest first."""
        response = await self._get(CDX_URL, params=cdx_params(url, since=since, until=until,
                                                              limit=self.policy.limit))
        try:
            payload = response.json() if response.content.strip() else []
        except ValueError:
            raise FetchError("Wayback CDX: the answer is not JSON") from None
        return parse_cdx(payload)

    async def fetch(self, row: CdxRow) -> Capture:
        """One capture's archived response as a Capture dated at its timestamp."""
        response = await self._get(row.replay_url)
        body = response.content
        if len(body) > MAX_BODY_BYTES:
            raise FetchError(f"Wayback {row.timestamp}: body over {MAX_BODY_BYTES} bytes")
        headers = response.headers
        return Capture(
            url=row.original, captured_at=row.captured_at, body=body,
            content_type=headers.get("content-type"),
            # id_ replays send the archived validators under x-archive-orig-*.
            etag=headers.get("x-archive-orig-etag"),
            last_modified=headers.get("x-archive-orig-last-modified"),
            origin=row.replay_url,
        )

    async def _get(self, url: str, *, params: dict[str, str] | None = None) -> httpx.Response:
        policy = self.policy
        problem = ""
        for attempt in range(1, policy.max_tries + 1):
            await self._space()
            try:
                response = await self.client.get(url, params=params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                wait = policy.backoff_s * 2 ** (attempt - 1)
            else:
                if response.status_code == 200:
                    return response
                problem = f"HTTP {response.status_code}"
                if response.status_code not in _RETRY_STATUSES:
                    break
                wait = _retry_after(response) or policy.backoff_s * 2 ** (attempt - 1)
            if attempt < policy.max_tries:
                wait = min(wait, policy.max_wait_s)
                log.info("Wayback: %s for %s; retrying in %.0f s", problem, url, wait)
                await self._sleep(wait)
        raise FetchError(f"Wayback: {problem} for {url}")

    async def _space(self) -> None:
        """Wait until min_interval_s has passed since the previous request started."""
        now = self._clock()
        if self._last_start is not None:
            wait = self._last_start + self.policy.min_interval_s - now
            if wait > 0:
                await self._sleep(wait)
                now += wait
        self._last_start = now


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


async def import_from_wayback(
    wayback: WaybackClient, url: str, *, source: Source, engine: Engine,
    options: PipelineOptions, since: str, until: str,
    on_done: Callable[[ImportItem, CheckOutcome | None, str], None] | None = None,
) -> ImportReport:
    """List ``url``'s captures and import them oldest first, one download and transaction each.

    Captures whose time the source already has a snapshot for are not downloaded again,
    so an interrupted import resumes without repeating requests.
    """
    rows = await wayback.list_captures(url, since=since, until=until)
    log.info("%s: the Wayback Machine lists %d distinct capture(s) of %s", source.id, len(rows), url)
    outcomes: list[CheckOutcome] = []
    already = older = 0
    for row in rows:
        with Session(engine) as session:
            present = snapshot_exists(session=session, source_id=source.id,
                                      fetched_at=row.captured_at)
        if present:
            already += 1
            continue
        capture = await wayback.fetch(row)
        report = import_captures([ImportItem(source=source, capture=capture)], engine=engine,
                                 options=options, on_done=on_done)
        outcomes.extend(report.outcomes)
        already += report.already
        older += report.older
    return ImportReport(outcomes=tuple(outcomes), already=already, older=older)

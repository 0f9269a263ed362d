"""WARC files in and out: response records become Capture values, captures become records.

Reading keeps only what an import can use: `response` records of HTTP 200 with their
payload decoded (chunked transfer and Content-Encoding undone, as the fetch stage does).
Request, metadata, warcinfo and revisit records are counted, not read.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from watcher.errors import ConfigError
from watcher.fetch import FetchResult
from watcher.fetch.charset import decode_body

log = logging.getLogger(__name__)

# The fetch stage's default cap on one body: a record larger than this is not a page.
MAX_BODY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    """One archived HTTP 200 response: what a fetch of ``url`` returned at ``captured_at``."""

    url: str
    captured_at: datetime
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    http_status: int = 200
    # Where it came from, for messages: "FILE#offset" or a Wayback address.
    origin: str = ""

    @property
    def content_hash(self) -> str:
        """sha256 of the decoded body, the hash the fetch stage gives the same bytes."""
        return hashlib.sha256(self.body).hexdigest()

    def to_fetch_result(self) -> FetchResult:
        """The FetchResult a live fetch of this response would have produced."""
        text, encoding = decode_body(self.body, self.content_type)
        return FetchResult(
            status="ok", url=self.url, http_status=self.http_status, body=self.body, text=text,
            encoding=encoding, content_type=self.content_type, etag=self.etag,
            last_modified=self.last_modified, content_hash=self.content_hash,
        )


@dataclass(slots=True)
class ReadStats:
    """What reading WARC files skipped, by reason (response records of other URLs included)."""

    records: int = 0
    responses: int = 0
    not_ok: int = 0
    too_large: int = 0
    unwanted: int = 0
    # The first few addresses nobody wanted, to show the user what the file holds.
    unwanted_urls: list[str] = field(default_factory=list)
    other_records: dict[str, int] = field(default_factory=dict)


def parse_warc_date(value: str) -> datetime:
    """A WARC-Date (ISO 8601, UTC, seconds or fractions) as an aware UTC datetime.

    >>> parse_warc_date("2022-06-20T00:00:00Z")
    datetime.datetime(2022, 6, 20, 0, 0, tzinfo=datetime.timezone.utc)
    """
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # WARC dates are UTC by definition
    return moment.astimezone(UTC)


def read_warc(
    path: Path, *, want: Callable[[str], bool] = lambda _url: True,
    stats: ReadStats | None = None,
) -> list[Capture]:
    """The HTTP 200 responses in one WARC file (gzip or not) whose URL ``want`` accepts, in file order."""
    stats = stats if stats is not None else ReadStats()
    try:
        with path.open("rb") as stream:
            return list(_read(stream, str(path), want, stats))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a WARC file") from None
    except (ArchiveLoadFailed, ValueError, EOFError, OSError) as exc:
        raise ConfigError(f"{path}: not a readable WARC file ({_first_line(exc)})") from None


def _read(stream: BinaryIO, name: str, want: Callable[[str], bool],
          stats: ReadStats) -> Iterator[Capture]:
    records = ArchiveIterator(stream)
    for record in records:
        stats.records += 1
        kind = record.rec_type
        if kind != "response":
            stats.other_records[kind] = stats.other_records.get(kind, 0) + 1
            continue
        stats.responses += 1
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        # wget writes the URI in angle brackets (<http://…>), as WARC 1.0's grammar showed it.
        url = url.strip().removeprefix("<").removesuffix(">")
        http = record.http_headers
        if http is None or http.get_statuscode() != "200":
            stats.not_ok += 1
            continue
        if not want(url):
            stats.unwanted += 1
            if len(stats.unwanted_urls) < 10 and url not in stats.unwanted_urls:
                stats.unwanted_urls.append(url)
            continue
        body = record.content_stream().read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            stats.too_large += 1
            log.warning("%s: skipped %s: body over %d bytes", name, url, MAX_BODY_BYTES)
            continue
        date = record.rec_headers.get_header("WARC-Date")
        if not date:
            raise ValueError(f"response record for {url} has no WARC-Date")
        yield Capture(
            url=url, captured_at=parse_warc_date(date), body=body,
            content_type=http.get_header("Content-Type"), etag=http.get_header("ETag"),
            last_modified=http.get_header("Last-Modified"),
            origin=f"{name}#{records.get_record_offset()}",
        )


def write_warc(path: Path, captures: Iterable[Capture], *, software: str = "subsidy-watcher") -> int:
    """Write captures as a gzipped WARC 1.1 (one warcinfo record, then responses); returns the count."""
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {
            "software": software, "format": "WARC File Format 1.1",
        }))
        for capture in captures:
            headers = [("Content-Type", capture.content_type or "application/octet-stream"),
                       ("Content-Length", str(len(capture.body))),
                       ("Last-Modified", capture.last_modified
                        or format_datetime(capture.captured_at, usegmt=True))]
            if capture.etag:
                headers.append(("ETag", capture.etag))
            http = StatusAndHeaders(f"{capture.http_status} OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": _warc_date(capture.captured_at)},
            )
            writer.write_record(record)
            count += 1
    return count


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

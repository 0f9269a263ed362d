"""Captures → snapshots and changes, exactly as `check` would have recorded them at the time.

Captures are matched to sources by URL (or all given to one named source), sorted by
capture time, and each goes through pipeline.process_result() with its capture time as
the check time, in its own transaction, marked imported (so no alert is queued for it).

A capture already in the store (same source, time and body hash) is skipped, so a
re-import writes nothing and an interrupted import resumes where it stopped. A capture
older than the newest snapshot of its source is skipped too: changes are computed
forwards from the last good snapshot, and history cannot be inserted behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.errors import ConfigError
from watcher.importer.warc import Capture, ReadStats, read_warc
from watcher.pipeline import CheckOutcome, PipelineOptions, process_result
from watcher.sources import Config, Source
from watcher.store import sync_sources
from watcher.store.imports import history_end, snapshot_exists

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str) -> str:
    """The part of a URL that names a page for matching: host, port and path, not the scheme.

    Archives keep http:// captures of pages now served over https, and Wayback adds :80.

    >>> url_key("http://WWW.meti.go.jp:80/press/index.html#top")
    'www.meti.go.jp/press/index.html'
    >>> url_key("https://www.ipa.go.jp") == url_key("http://www.ipa.go.jp/")
    True
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = parts.path or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportItem:
    """One capture and the source it belongs to."""

    source: Source
    capture: Capture


@dataclass(frozen=True, slots=True, kw_only=True)
class Matched:
    """Captures paired with sources, and the addresses no source watches."""

    items: tuple[ImportItem, ...]
    unmatched_urls: tuple[str, ...]
    unmatched: int


def match_captures(
    captures: Sequence[Capture], sources: Sequence[Source], *, source: Source | None = None,
    url: str | None = None,
) -> Matched:
    """Pair captures with sources by URL, or give one address's captures to ``source`` (pure).

    With ``source``, the captures of ``url`` are used, else those of the source's own URL;
    failing that (a crawl of a copy on another host), those of the only address the
    captures hold, or of the only one that is a page of the source's kind (HTML or PDF).
    """
    if source is None:
        by_key: dict[str, list[Source]] = {}
        for candidate in sources:
            by_key.setdefault(url_key(candidate.url), []).append(candidate)
        items = [ImportItem(source=s, capture=c)
                 for c in captures for s in by_key.get(url_key(c.url), ())]
        missing = [c for c in captures if url_key(c.url) not in by_key]
        return Matched(items=tuple(items), unmatched_urls=_distinct(c.url for c in missing),
                       unmatched=len(missing))
    keys = _distinct(url_key(c.url) for c in captures)
    # A crawl with page requisites also holds stylesheets, scripts and images.
    pages = _distinct(url_key(c.url) for c in captures if _fits(c, source.extract))
    if url is not None:
        chosen = url_key(url)
    elif url_key(source.url) in keys or not keys:
        chosen = url_key(source.url)
    elif len(keys) == 1:
        chosen = keys[0]
    elif len(pages) == 1:
        chosen = pages[0]
    else:
        shown = ", ".join(_distinct(c.url for c in captures)[:5])
        raise ConfigError(f"the captures hold {len(keys)} addresses and none is the URL of "
                          f"source '{source.id}': choose one with --url ({shown})")
    picked = [c for c in captures if url_key(c.url) == chosen]
    others = [c for c in captures if url_key(c.url) != chosen]
    return Matched(items=tuple(ImportItem(source=source, capture=c) for c in picked),
                   unmatched_urls=_distinct(c.url for c in others), unmatched=len(others))


def _fits(capture: Capture, extract: str) -> bool:
    """Whether a capture could be the page a source of this extract kind reads."""
    kind = (capture.content_type or "").split(";", 1)[0].strip().lower()
    if extract == "pdf":
        return kind in ("application/pdf", "application/x-pdf") or capture.body.startswith(b"%PDF-")
    return kind in ("text/html", "application/xhtml+xml")


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def in_capture_order(items: Iterable[ImportItem]) -> list[ImportItem]:
    """Oldest first; captures of one source at the same second keep their file order."""
    return sorted(items, key=lambda item: (item.capture.captured_at, item.source.id))


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    """What an import did, capture by capture and in total."""

    outcomes: tuple[CheckOutcome, ...] = ()
    already: int = 0
    older: int = 0
    unmatched: int = 0
    unmatched_urls: tuple[str, ...] = ()
    not_ok: int = 0

    @property
    def imported(self) -> int:
        return len(self.outcomes)

    @property
    def changes(self) -> int:
        return sum(o.changes for o in self.outcomes)

    def summary(self) -> str:
        """'imported 21 capture(s): 33 historical change(s); 0 already present …'."""
        parts = [f"imported {self.imported} capture(s): {self.changes} historical change(s)"]
        statuses: dict[str, int] = {}
        for outcome in self.outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        if statuses:
            parts.append(", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
        parts.append(f"{self.already} already imported")
        if self.older:
            parts.append(f"{self.older} older than the history already stored (skipped)")
        if self.unmatched:
            parts.append(f"{self.unmatched} response(s) of no watched source")
        if self.not_ok:
            parts.append(f"{self.not_ok} non-200 response(s) skipped")
        return "; ".join(parts)


def import_captures(
    items: Iterable[ImportItem], *, engine: Engine, options: PipelineOptions,
    on_done: Callable[[ImportItem, CheckOutcome | None, str], None] | None = None,
) -> ImportReport:
    """Record each capture in capture order, one transaction each, skipping what is already stored.

    ``on_done(item, outcome, what)`` is told each capture's fate: what is "imported",
    "already" or "older".
    """
    outcomes: list[CheckOutcome] = []
    already = older = 0
    for item in in_capture_order(items):
        source, capture = item.source, item.capture
        with Session(engine) as session:
            present = snapshot_exists(session=session, source_id=source.id,
                                      fetched_at=capture.captured_at,
                                      content_hash=capture.content_hash)
            end = None if present else history_end(session=session, source_id=source.id)
        if present:
            already += 1
            _tell(on_done, item, None, "already")
            continue
        if end is not None and capture.captured_at < end.fetched_at:
            older += 1
            log.warning("%s: capture of %s at %s is older than the newest snapshot (%s): skipped",
                        source.id, capture.url, capture.captured_at.isoformat(),
                        end.fetched_at.isoformat())
            _tell(on_done, item, None, "older")
            continue
        outcome = process_result(source, capture.to_fetch_result(), engine=engine,
                                 options=options, fetched_at=capture.captured_at, imported=True)
        outcomes.append(outcome)
        _tell(on_done, item, outcome, "imported")
    return ImportReport(outcomes=tuple(outcomes), already=already, older=older)


def _tell(on_done: Callable[[ImportItem, CheckOutcome | None, str], None] | None,
          item: ImportItem, outcome: CheckOutcome | None, what: str) -> None:
    if on_done is not None:
        on_done(item, outcome, what)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadArchives:
    """WARC files read and matched to sources, before anything is written."""

    matched: Matched
    stats: ReadStats


def read_archives(
    paths: Sequence[Path], *, config: Config, source_id: str | None = None,
    url: str | None = None,
) -> ReadArchives:
    """Read WARC files and pair their HTTP 200 responses with ``config``'s sources (no store)."""
    source = config.source(source_id) if source_id else None
    stats = ReadStats()
    keys = {url_key(s.url) for s in config.sources}

    def want(address: str) -> bool:
        # Bodies of pages nobody watches are not even read (a crawl may hold thousands).
        return source is not None or url_key(address) in keys

    captures = [c for path in paths for c in read_warc(path, want=want, stats=stats)]
    return ReadArchives(matched=match_captures(captures, config.sources, source=source, url=url),
                        stats=stats)


def import_archives(
    archives: ReadArchives, *, config: Config, engine: Engine, options: PipelineOptions,
    now: datetime, on_done: Callable[[ImportItem, CheckOutcome | None, str], None] | None = None,
) -> ImportReport:
    """Sync the sources into the store, then import what read_archives() matched."""
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=now)
    report = import_captures(archives.matched.items, engine=engine, options=options,
                             on_done=on_done)
    matched, stats = archives.matched, archives.stats
    return ImportReport(outcomes=report.outcomes, already=report.already, older=report.older,
                        unmatched=matched.unmatched + stats.unwanted,
                        unmatched_urls=_distinct([*matched.unmatched_urls, *stats.unwanted_urls]),
                        not_ok=stats.not_ok)


def import_warc_files(
    paths: Sequence[Path], *, config: Config, engine: Engine, options: PipelineOptions,
    now: datetime, source_id: str | None = None, url: str | None = None,
    on_done: Callable[[ImportItem, CheckOutcome | None, str], None] | None = None,
) -> ImportReport:
    """Read WARC files, match their responses to ``config``'s sources and import them."""
    archives = read_archives(paths, config=config, source_id=source_id, url=url)
    return import_archives(archives, config=config, engine=engine, options=options, now=now,
                           on_done=on_done)

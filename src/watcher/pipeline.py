"""check_source(): the one place that knows the stage order.

    Source → fetch → (unchanged? stop) → extract → suspect? → diff → store (+ queue notifications)

Extraction goes through ``options.extraction``: in the watcher, a watcher.isolation
pool of worker processes with time and memory limits, so a hostile page is a suspect
snapshot and never holds up the other checks of a pass. It happens before the check's
transaction opens, so no database lock is held while a page is read.

Every check is one transaction: its snapshot, changes, queued deliveries and the
source's new state commit together or not at all. (A pass writes the checks that
found nothing new a group at a time, each group one transaction: see QuietChecks.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.changes import Change
from watcher.diff import compare, suspect_reason
from watcher.diff.suspect import entries
from watcher.extract import Document, Page
from watcher.fetch import Fetcher, FetchRequest, FetchResult
from watcher.isolation import Extraction, InlineExtraction
from watcher.sources import Config, Source
from watcher.store import CheckRecord, SourceState, load_document, load_source_states, record_check
from watcher.store.checks import HealthTransition, record_quiet_checks

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Checks of a pass in flight at once. Extraction is slower than fetching, so without a
# bound every fetched page would wait in memory for a worker (500 bench pages: +55 MB);
# above the fetcher's connections plus a few queued per extraction worker.
MAX_IN_FLIGHT = 32


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineOptions:
    """Policy knobs of a check (from settings), and where its pages are extracted."""

    alert_channels: tuple[str, ...] = ()
    unhealthy_after: int = 3
    accept_suspect_after: int = 3
    compression_level: int = 9
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Tokyo"))
    # The watcher's commands pass their ExtractionPool; in-process is for trusted fixtures.
    extraction: Extraction = field(default_factory=InlineExtraction)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOutcome:
    """What one check did, for progress output and the per-check log line."""

    source_id: str
    status: str
    changes: int
    error: str | None
    duration_s: float
    bytes: int
    snapshot_id: int | None
    change_ids: tuple[int, ...] = ()


def fetch_request(source: Source, state: SourceState | None) -> FetchRequest:
    return FetchRequest(
        source_id=source.id, url=source.url, headers=source.headers, timeout_s=source.timeout_s,
        allow_private=source.allow_private,
        etag=state.etag if state else None, last_modified=state.last_modified if state else None,
        known_hash=state.last_good_hash if state else None,
    )


class QuietChecks:
    """Checks that found nothing new, written a group at a time instead of one by one.

    A not-modified or unchanged check with no health event only adds a snapshot
    row and moves the source's state on; one transaction per check would cost
    more than its fetch. Each group still commits every check whole, and a group
    that cannot be written is retried check by check, so one bad row cannot lose
    the others. Sources whose check could not be written are in ``failed``.
    """

    def __init__(self, engine: Engine, *, group: int = 200) -> None:
        self._engine = engine
        self._group = group
        self._pending: list[CheckRecord] = []
        self.failed: dict[str, str] = {}

    def add(self, check: CheckRecord) -> None:
        """Queue ``check``; a full group is written at once."""
        self._pending.append(check)
        if len(self._pending) >= self._group:
            self.flush()

    def flush(self) -> None:
        """Write every queued check."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            with Session(self._engine) as session, session.begin():
                record_quiet_checks(session=session, checks=pending)
            return
        except Exception as exc:
            log.warning("writing %d unchanged checks at once failed (%s); writing them one by one",
                        len(pending), exc)
        for check in pending:
            try:
                with Session(self._engine) as session, session.begin():
                    record_check(session=session, check=check)
            except Exception as exc:  # reported like any other store failure
                log.error("recording the check of %s failed: %s", check.source_id, exc,
                          exc_info=True)
                self.failed[check.source_id] = failure_text(exc)


async def check_source(
    source: Source, *, fetcher: Fetcher, engine: Engine, options: PipelineOptions,
    clock: Clock = utc_now, state: SourceState | None = None, quiet: QuietChecks | None = None,
) -> CheckOutcome:
    """Fetch one source, compare it with its last good snapshot and record the result.

    ``state`` is the source's state when the caller has already read it (a pass
    reads every source's in one query); otherwise it is read here. With ``quiet``,
    a check that found nothing new is queued there instead of written at once.
    """
    started = time.perf_counter()
    if state is None:
        state = _load_state(engine, source.id)
    result = await fetcher.fetch(fetch_request(source, state))
    fetched_at = clock()
    document = None
    if _has_new_body(result, state):
        document = await options.extraction.extract(source.extract, page_of(result),
                                                    source.ignore, source_id=source.id)
    return process_result(source, result, engine=engine, options=options, fetched_at=fetched_at,
                          started=started, state=state, quiet=quiet, document=document)


def page_of(result: FetchResult) -> Page:
    """What the extractor reads of a fetch."""
    return Page(url=result.url, text=result.text, body=result.body, content_type=result.content_type)


def process_result(
    source: Source, result: FetchResult, *, engine: Engine, options: PipelineOptions,
    fetched_at: datetime, started: float | None = None, state: SourceState | None = None,
    imported: bool = False, quiet: QuietChecks | None = None, document: Document | None = None,
) -> CheckOutcome:
    """Everything after the fetch: extract (unless ``document`` is the page's, already
    extracted), assess, diff and store (also used by imports)."""
    started = time.perf_counter() if started is None else started
    if quiet is not None and state is not None and not _has_new_body(result, state):
        # Nothing to parse or compare: the request and its hash were the whole check.
        check = evaluate(source, state, result, previous=None, document=None,
                         fetched_at=fetched_at, options=options,
                         duration_ms=int((time.perf_counter() - started) * 1000),
                         imported=imported)
        if check.health is None and check.status in ("unchanged", "not_modified"):
            quiet.add(check)
            return _outcome(source, check, result, started, snapshot_id=None, change_ids=())
    if state is None:
        state = _load_state(engine, source.id)
    new_body = _has_new_body(result, state)
    if not new_body:
        document = None
    elif document is None:
        document = options.extraction.extract_sync(source.extract, page_of(result), source.ignore,
                                                   source_id=source.id)
    with Session(engine) as session, session.begin():
        previous: Document | None = None
        if new_body and state is not None and state.last_good_snapshot_id is not None:
            previous = load_document(session=session, snapshot_id=state.last_good_snapshot_id)
        duration_ms = int((time.perf_counter() - started) * 1000)
        check = evaluate(source, state, result, previous=previous, document=document,
                         fetched_at=fetched_at, options=options, duration_ms=duration_ms,
                         imported=imported)
        recorded = record_check(session=session, check=check,
                                alert_channels=options.alert_channels,
                                compression_level=options.compression_level)
    return _outcome(source, check, result, started, snapshot_id=recorded.snapshot_id,
                    change_ids=recorded.change_ids)


def _outcome(
    source: Source, check: CheckRecord, result: FetchResult, started: float, *,
    snapshot_id: int | None, change_ids: tuple[int, ...],
) -> CheckOutcome:
    outcome = CheckOutcome(
        source_id=source.id, status=check.status, changes=len(check.changes), error=check.error,
        duration_s=time.perf_counter() - started, bytes=len(result.body),
        snapshot_id=snapshot_id, change_ids=change_ids,
    )
    log.info("checked %s", source.id, extra={"check": {
        "source": source.id, "status": outcome.status, "duration_ms": int(outcome.duration_s * 1000),
        "bytes": outcome.bytes, "changes": outcome.changes, "error": outcome.error}})
    return outcome


def _load_state(engine: Engine, source_id: str) -> SourceState | None:
    with Session(engine) as session:
        return load_source_states(session=session, source_ids=[source_id]).get(source_id)


def _has_new_body(result: FetchResult, state: SourceState | None) -> bool:
    if result.status != "ok":
        return False
    return state is None or state.last_good_hash is None or result.content_hash != state.last_good_hash


def evaluate(
    source: Source, state: SourceState | None, result: FetchResult, *, previous: Document | None,
    document: Document | None, fetched_at: datetime, options: PipelineOptions,
    duration_ms: int = 0, imported: bool = False,
) -> CheckRecord:
    """Decide what a check means (pure): its status, changes and the source's next state."""
    status: str
    error: str | None = result.error
    changes: tuple[Change, ...] = ()
    body: bytes | None = None
    becomes_last_good = False
    suspect_hash: str | None = None
    suspect_count = 0
    if result.status == "failed":
        status = "failed"
    elif result.status == "not_modified":
        status = "not_modified"
    elif document is None:
        status = "unchanged"  # same bytes as the last good snapshot: no parsing, no diff
    else:
        body = result.body
        reason = suspect_reason(previous, document)
        accepted = False
        if reason and not document.suspect_reason and previous is not None \
                and (document.kind == "text" or entries(document) > 0):
            # A shrunken page that stays exactly the same for N checks is the new truth
            # (never one whose every entry vanished: that waits for `watcher accept`).
            same = state is not None and state.suspect_hash == result.content_hash
            suspect_count = (state.suspect_count if same and state else 0) + 1
            suspect_hash = result.content_hash
            accepted = suspect_count >= options.accept_suspect_after
        if reason and not accepted:
            status, error = "suspect", reason
            if not document.suspect_reason and previous is None:
                suspect_hash, suspect_count = None, 0
        else:
            status, becomes_last_good = "ok", True
            suspect_hash, suspect_count = None, 0
            if previous is not None and previous.kind == document.kind:
                changes = tuple(compare(previous, document))
            if accepted:
                error = f"accepted after {options.accept_suspect_after} identical checks: {reason}"
    bad = status in ("failed", "suspect")
    prior_failures = state.consecutive_failures if state else 0
    notified = state.unhealthy_notified if state else False
    failing_since = None
    if bad:
        failing_since = (state.failing_since if state else None) or fetched_at
    health = None
    if bad:
        failures = prior_failures + 1
        if failures >= options.unhealthy_after and not notified:
            health = HealthTransition(kind="unhealthy", reason=error, since=failing_since)
            notified = True
    else:
        failures = 0
        if notified:
            health = HealthTransition(kind="recovered", reason=None,
                                      since=state.failing_since if state else None)
            notified = False
    next_due = source.schedule.jittered_next_after(fetched_at, options.timezone, source.id)
    if result.retry_after_s:
        next_due = max(next_due, fetched_at + timedelta(seconds=result.retry_after_s))
    return CheckRecord(
        source_id=source.id, fetched_at=fetched_at, status=status, http_status=result.http_status,
        etag=result.etag, last_modified=result.last_modified, content_hash=result.content_hash,
        encoding=result.encoding, size_bytes=len(result.body) if result.body else None,
        final_url=result.url if result.url != source.url else None, error=error,
        duration_ms=duration_ms, body=body, document=document if body is not None else None,
        changes=changes,
        previous_snapshot_id=state.last_good_snapshot_id if state and changes else None,
        becomes_last_good=becomes_last_good, consecutive_failures=failures,
        failing_since=failing_since, unhealthy_notified=notified, suspect_hash=suspect_hash,
        suspect_count=suspect_count, health=health, next_due_at=next_due, imported=imported,
    )


def failure_text(exc: BaseException) -> str:
    """One line for a check that failed in the store: SQLAlchemy appends the SQL and its
    parameters on further lines, which belong in the log, not in `watcher check` output."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


async def run_pass(
    config: Config, *, engine: Engine, fetcher: Fetcher, options: PipelineOptions,
    source_ids: Sequence[str] = (), clock: Clock = utc_now,
    on_done: Callable[[CheckOutcome], None] | None = None,
) -> list[CheckOutcome]:
    """Check the chosen (or all enabled) sources concurrently; one failure never stops the others."""
    chosen = [config.source(sid) for sid in source_ids] if source_ids else [
        s for s in config.sources if s.enabled
    ]
    # One query for every source's state instead of one per check.
    with Session(engine) as session:
        states = load_source_states(session=session, source_ids=[s.id for s in chosen])
    quiet = QuietChecks(engine)
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(source: Source) -> CheckOutcome:
        try:
            async with in_flight:
                outcome = await check_source(source, fetcher=fetcher, engine=engine,
                                             options=options, clock=clock,
                                             state=states.get(source.id), quiet=quiet)
        except Exception as exc:  # a store failure for one source is reported, not fatal
            log.error("check of %s failed: %s", source.id, exc, exc_info=True)
            outcome = CheckOutcome(source_id=source.id, status="error", changes=0,
                                   error=failure_text(exc), duration_s=0.0,
                                   bytes=0, snapshot_id=None)
        if on_done is not None:
            on_done(outcome)
        return outcome

    try:
        outcomes = list(await asyncio.gather(*(one(s) for s in chosen)))
    finally:
        quiet.flush()
    return [
        replace(o, status="error", error=quiet.failed[o.source_id], snapshot_id=None)
        if o.source_id in quiet.failed else o
        for o in outcomes
    ]


def accept_suspect(source: Source, *, engine: Engine, options: PipelineOptions, now: datetime) -> CheckOutcome:
    """`watcher accept`: take the newest suspect snapshot as the new truth and record its changes.

    For a page that really did lose most of its rows (a list reset at the start of a
    fiscal year), which the suspect rule would otherwise hold back until it has been
    seen unchanged ``accept_suspect_after`` times.
    """
    from watcher.errors import WatcherError
    from watcher.store.checks import latest_suspect

    with Session(engine) as session, session.begin():
        state = load_source_states(session=session, source_ids=[source.id]).get(source.id)
        last_good = state.last_good_snapshot_id if state else None
        suspect = latest_suspect(session=session, source_id=source.id, after_snapshot_id=last_good)
        if suspect is None or suspect.document is None:
            raise WatcherError(f"source '{source.id}' has no suspect snapshot newer than its last good one")
        if suspect.document.suspect_reason:
            raise WatcherError(f"source '{source.id}': the suspect page is not the real page "
                               f"({suspect.document.suspect_reason}); it cannot be accepted")
        previous = load_document(session=session, snapshot_id=last_good) if last_good else None
        changes = tuple(compare(previous, suspect.document)) if previous else ()
        check = CheckRecord(
            source_id=source.id, fetched_at=now, status="ok", content_hash=suspect.content_hash,
            size_bytes=len(suspect.body) if suspect.body else None, body=suspect.body,
            document=suspect.document, changes=changes,
            previous_snapshot_id=last_good if changes else None, becomes_last_good=True,
            error=f"accepted by command: {suspect.reason}",
            next_due_at=source.schedule.jittered_next_after(now, options.timezone, source.id),
        )
        recorded = record_check(session=session, check=check, alert_channels=options.alert_channels,
                                compression_level=options.compression_level)
    return CheckOutcome(source_id=source.id, status="ok", changes=len(changes), error=check.error,
                        duration_s=0.0, bytes=check.size_bytes or 0, snapshot_id=recorded.snapshot_id,
                        change_ids=recorded.change_ids)

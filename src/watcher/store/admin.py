"""Reads and writes of the admin page and its API: every one an indexed query, keyword-only.

The change list is filtered and paginated in SQL (the ``changes`` indexes on
``detected_at``, ``(source_id, detected_at)``, ``(kind, detected_at)`` and
``acknowledged_at``), never by loading rows into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from watcher.extract.document import Document, Record
from watcher.store.blobs import decompress, unpack_document
from watcher.store.models import (
    Blob,
    ChangeRow,
    Delivery,
    HealthEvent,
    Snapshot,
    SourceRow,
    UTCDateTime,
)
from watcher.store.repo import SourceStatus, StoredChange, to_stored_change

GOOD_STATUSES = ("ok", "unchanged", "not_modified")
OPEN_DELIVERY_STATUSES = ("pending", "sending", "failed", "dead")
FAILING_DELIVERY_STATUSES = ("failed", "dead")
# Kinds whose amount_yen belongs to a table row, so they draw an entity's amount history.
_AMOUNT_KINDS = ("entry_added", "entry_removed", "amount_changed", "entry_changed")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeFilter:
    """What the change list is narrowed to; None means "any"."""

    agency: str | None = None
    source: str | None = None
    kind: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    acknowledged: bool | None = None
    text: str | None = None  # substring of entity or summary, case-insensitive


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePage:
    """One page of the change list, newest first."""

    items: tuple[StoredChange, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterOptions:
    """The values the list's filter menus offer."""

    agencies: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (id, name)
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOverview(SourceStatus):
    """A source's configuration and health (SourceStatus) plus its counts, for /sources."""

    last_good_snapshot_id: int | None
    change_count: int
    unacknowledged_count: int
    failing_deliveries: int

    def to_json(self) -> dict[str, Any]:
        return {
            **SourceStatus.to_json(self),
            "last_good_snapshot_id": self.last_good_snapshot_id,
            "change_count": self.change_count, "unacknowledged_count": self.unacknowledged_count,
            "failing_deliveries": self.failing_deliveries,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotSummary:
    """One line of a source's snapshot history."""

    id: int
    source_id: str
    fetched_at: datetime
    status: str
    http_status: int | None
    size_bytes: int | None
    content_hash: str | None
    error: str | None
    duration_ms: int | None
    has_document: bool
    has_body: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountPoint:
    """An entity's amount from ``at`` on (None: the row was removed)."""

    at: datetime
    amount_yen: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountSeries:
    """How one table row's amount moved, from its changes."""

    table: str | None
    entity_key: str
    entity: str
    points: tuple[AmountPoint, ...]

    @property
    def current_yen(self) -> int | None:
        return self.points[-1].amount_yen if self.points else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordHistory:
    """A current table row and how its amount got there."""

    record: Record
    history: AmountSeries | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDetail:
    """Everything /sources/{id} shows."""

    source: SourceOverview
    snapshots: tuple[SnapshotSummary, ...]
    document: Document | None  # the last good snapshot's extraction
    baseline_at: datetime | None  # the first good snapshot
    records: tuple[RecordHistory, ...]  # the current rows (table and pdf sources)
    gone: tuple[AmountSeries, ...]  # rows that were on the page and are no longer


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotDetail:
    """Everything /snapshots/{id} shows."""

    summary: SnapshotSummary
    source_name: str
    source_url: str
    extract: str
    encoding: str | None
    final_url: str | None
    etag: str | None
    last_modified: str | None
    imported: bool
    document: Document | None
    changes: tuple[StoredChange, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RawBody:
    """A snapshot's stored response body, exactly as fetched."""

    snapshot_id: int
    source_id: str
    extract: str
    encoding: str | None
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryView:
    """One outbox row with what it is about."""

    id: int
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    change_id: int | None
    digest_id: int | None
    health_event_id: int | None
    source_id: str | None
    about: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsData:
    """Counts for /metrics."""

    checks: tuple[tuple[str, str, int], ...]  # (source, status, count)
    changes: tuple[tuple[str, str, int], ...]  # (source, kind, count)
    deliveries: tuple[tuple[str, str, int], ...]  # (channel, status, count)
    last_success: tuple[tuple[str, datetime], ...]  # (source, time)
    consecutive_failures: tuple[tuple[str, int], ...]


def _as_utc(expr: Any) -> Any:
    """An aggregate of a time column read back through UTCDateTime (SQLite returns text)."""
    return sa.type_coerce(expr, UTCDateTime())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_clauses(filters: ChangeFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of ``filters`` on the changes table (all but the text search use an index)."""
    clauses: list[sa.ColumnElement[bool]] = []
    if filters.agency:
        agency_sources = select(SourceRow.id).where(col(SourceRow.agency) == filters.agency)
        clauses.append(col(ChangeRow.source_id).in_(agency_sources))
    if filters.source:
        clauses.append(col(ChangeRow.source_id) == filters.source)
    if filters.kind:
        clauses.append(col(ChangeRow.kind) == filters.kind)
    if filters.since is not None:
        clauses.append(col(ChangeRow.detected_at) >= filters.since)
    if filters.until is not None:
        clauses.append(col(ChangeRow.detected_at) < filters.until)
    if filters.acknowledged is True:
        clauses.append(col(ChangeRow.acknowledged_at).is_not(None))
    elif filters.acknowledged is False:
        clauses.append(col(ChangeRow.acknowledged_at).is_(None))
    if filters.text and filters.text.strip():
        pattern = _like(filters.text.strip())
        clauses.append(sa.or_(col(ChangeRow.entity).ilike(pattern, escape="\\"),
                              col(ChangeRow.summary).ilike(pattern, escape="\\")))
    return clauses


def list_change_page(
    *, session: Session, filters: ChangeFilter, page: int = 1, per_page: int = 50,
) -> ChangePage:
    """One page of changes matching ``filters``, newest first, with the total count."""
    page, per_page = max(1, page), max(1, per_page)
    clauses = filter_clauses(filters)
    total = session.exec(select(func.count()).select_from(ChangeRow).where(*clauses)).one()
    query = (
        select(ChangeRow, SourceRow)
        .join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
        .where(*clauses)
        .order_by(col(ChangeRow.detected_at).desc(), col(ChangeRow.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = tuple(to_stored_change(c, s) for c, s in session.exec(query).all())
    return ChangePage(items=items, total=int(total), page=page, per_page=per_page)


def filter_options(*, session: Session) -> FilterOptions:
    """Agencies, sources and change kinds to offer in the list's filters."""
    from watcher.changes import ChangeKind

    sources = session.exec(select(SourceRow.id, SourceRow.name, SourceRow.agency)
                           .order_by(col(SourceRow.agency), col(SourceRow.id))).all()
    return FilterOptions(agencies=tuple(sorted({agency for _, _, agency in sources})),
                         sources=tuple((sid, name) for sid, name, _ in sources),
                         kinds=tuple(str(kind) for kind in ChangeKind))


def get_change(*, session: Session, change_id: int) -> StoredChange | None:
    """One change with its source, or None."""
    row = session.exec(select(ChangeRow, SourceRow)
                       .join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
                       .where(col(ChangeRow.id) == change_id)).first()
    return to_stored_change(row[0], row[1]) if row else None


def set_acknowledged(*, session: Session, change_id: int, acknowledged: bool, now: datetime) -> bool:
    """Acknowledge (or un-acknowledge) a change; False when there is no such change."""
    found = session.exec(select(ChangeRow.id, ChangeRow.acknowledged_at)
                         .where(col(ChangeRow.id) == change_id)).first()
    if found is None:
        return False
    if acknowledged and found[1] is not None:
        return True  # keep the first acknowledgement time
    session.execute(sa.update(ChangeRow).where(col(ChangeRow.id) == change_id)
                    .values(acknowledged_at=now if acknowledged else None))
    return True


def _overviews(session: Session, source_id: str | None) -> list[SourceOverview]:
    query = select(SourceRow).order_by(col(SourceRow.agency), col(SourceRow.id))
    if source_id is not None:
        query = query.where(col(SourceRow.id) == source_id)
    rows = session.exec(query).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    counts = dict(session.exec(select(ChangeRow.source_id, func.count())
                               .where(col(ChangeRow.source_id).in_(ids))
                               .group_by(col(ChangeRow.source_id))).all())
    unacked = dict(session.exec(select(ChangeRow.source_id, func.count())
                                .where(col(ChangeRow.source_id).in_(ids))
                                .where(col(ChangeRow.acknowledged_at).is_(None))
                                .group_by(col(ChangeRow.source_id))).all())
    failing = _failing_deliveries_by_source(session)
    return [
        SourceOverview(
            id=row.id, name=row.name, agency=row.agency, url=row.url, extract=row.extract,
            schedule=row.schedule, enabled=row.enabled, removed=row.removed_at is not None,
            last_check_at=row.last_check_at, last_status=row.last_status,
            last_error=row.last_error, last_good_snapshot_id=row.last_good_snapshot_id,
            last_good_at=row.last_good_at, next_due_at=row.next_due_at,
            failing_since=row.failing_since, consecutive_failures=row.consecutive_failures,
            change_count=int(counts.get(row.id, 0)), unacknowledged_count=int(unacked.get(row.id, 0)),
            failing_deliveries=failing.get(row.id, 0),
        )
        for row in rows
    ]


def _failing_deliveries_by_source(session: Session) -> dict[str, int]:
    source = func.coalesce(col(ChangeRow.source_id), col(HealthEvent.source_id))
    query = (
        select(source, func.count())
        .select_from(Delivery)
        .outerjoin(ChangeRow, col(ChangeRow.id) == Delivery.change_id)
        .outerjoin(HealthEvent, col(HealthEvent.id) == Delivery.health_event_id)
        .where(col(Delivery.status).in_(FAILING_DELIVERY_STATUSES))
        .group_by(source)
    )
    return {sid: int(n) for sid, n in session.exec(query).all() if sid is not None}


def list_source_overviews(*, session: Session) -> list[SourceOverview]:
    """Every source (removed ones last in their agency) with health and counts."""
    return sorted(_overviews(session, None), key=lambda s: (s.removed, s.agency, s.id))


def _summary(row: Snapshot) -> SnapshotSummary:
    assert row.id is not None
    return SnapshotSummary(
        id=row.id, source_id=row.source_id, fetched_at=row.fetched_at, status=row.status,
        http_status=row.http_status, size_bytes=row.size_bytes, content_hash=row.content_hash,
        error=row.error, duration_ms=row.duration_ms, has_document=row.document is not None,
        has_body=row.blob_hash is not None,
    )


def list_snapshots(*, session: Session, source_id: str, limit: int = 100) -> tuple[SnapshotSummary, ...]:
    """A source's latest snapshots, newest first (documents are not loaded)."""
    columns = [c for c in Snapshot.__table__.columns if c.name != "document"]  # type: ignore[attr-defined]
    has_doc = col(Snapshot.document).is_not(None).label("has_document")
    query = (sa.select(*columns, has_doc).where(col(Snapshot.source_id) == source_id)
             .order_by(col(Snapshot.fetched_at).desc(), col(Snapshot.id).desc()).limit(limit))
    result = []
    for row in session.execute(query).mappings():
        result.append(SnapshotSummary(
            id=row["id"], source_id=row["source_id"], fetched_at=row["fetched_at"],
            status=row["status"], http_status=row["http_status"], size_bytes=row["size_bytes"],
            content_hash=row["content_hash"], error=row["error"], duration_ms=row["duration_ms"],
            has_document=bool(row["has_document"]), has_body=row["blob_hash"] is not None))
    return tuple(result)


def _identities(record: Record) -> tuple[str, str]:
    # Changes name a row by table and key joined by U+001F (watcher.diff.records.entity_key).
    return (f"{record.table}\x1f{record.key}", record.key)


def amount_histories(
    *, session: Session, source_id: str, baseline_at: datetime | None, document: Document | None,
) -> tuple[tuple[RecordHistory, ...], tuple[AmountSeries, ...]]:
    """Each current row with its amount over time, and the rows that have left the page.

    A row's history is the baseline (the first good snapshot), then every change that
    set its amount; a row no change ever touched has held its amount since the baseline.
    """
    rows = session.exec(
        select(ChangeRow).where(col(ChangeRow.source_id) == source_id)
        .where(col(ChangeRow.kind).in_(_AMOUNT_KINDS))
        .where(col(ChangeRow.entity_key).is_not(None))
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    ).all()
    points: dict[str, list[AmountPoint]] = {}
    tables: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for row in rows:
        key = row.entity_key or ""
        series = points.setdefault(key, [])
        tables[key], names[key] = row.table_name, row.entity or key
        if row.kind == "entry_removed":
            series.append(AmountPoint(at=row.detected_at, amount_yen=None))
            continue
        if not series and row.kind != "entry_added" and row.previous_amount_yen is not None \
                and baseline_at is not None:
            series.append(AmountPoint(at=baseline_at, amount_yen=row.previous_amount_yen))
        if row.amount_yen is not None and (not series or series[-1].amount_yen != row.amount_yen):
            series.append(AmountPoint(at=row.detected_at, amount_yen=row.amount_yen))
    current: list[RecordHistory] = []
    matched: set[str] = set()
    for record in document.records if document else ():
        found = next((k for k in _identities(record) if k in points), None)
        history: AmountSeries | None = None
        if found is not None and points[found]:
            matched.add(found)
            history = AmountSeries(table=record.table, entity_key=found, entity=record.entity,
                                   points=tuple(points[found]))
        elif record.amount_yen is not None and baseline_at is not None:
            history = AmountSeries(table=record.table, entity_key=_identities(record)[0],
                                   entity=record.entity,
                                   points=(AmountPoint(at=baseline_at, amount_yen=record.amount_yen),))
        current.append(RecordHistory(record=record, history=history))
    gone = tuple(AmountSeries(table=tables[k], entity_key=k, entity=names[k], points=tuple(v))
                 for k, v in points.items() if v and k not in matched)
    return tuple(current), gone


def source_detail(*, session: Session, source_id: str, snapshot_limit: int = 100) -> SourceDetail | None:
    """A source with its snapshot history, current records and amount histories."""
    found = _overviews(session, source_id)
    if not found:
        return None
    source = found[0]
    document = None
    if source.last_good_snapshot_id is not None:
        data = session.exec(select(Snapshot.document)
                            .where(col(Snapshot.id) == source.last_good_snapshot_id)).first()
        document = unpack_document(data) if data else None
    baseline_at = session.exec(select(_as_utc(func.min(Snapshot.fetched_at)))
                               .where(col(Snapshot.source_id) == source_id)
                               .where(col(Snapshot.status) == "ok")).one()
    records, gone = amount_histories(session=session, source_id=source_id, baseline_at=baseline_at,
                                     document=document) if source.extract in ("table", "pdf") else ((), ())
    return SourceDetail(source=source, snapshots=list_snapshots(session=session, source_id=source_id,
                                                                limit=snapshot_limit),
                        document=document, baseline_at=baseline_at, records=records, gone=gone)


def snapshot_detail(*, session: Session, snapshot_id: int) -> SnapshotDetail | None:
    """A snapshot with its extracted document and the changes it produced."""
    found = session.exec(select(Snapshot, SourceRow)
                         .join(SourceRow, col(SourceRow.id) == Snapshot.source_id)
                         .where(col(Snapshot.id) == snapshot_id)).first()
    if found is None:
        return None
    snap, source = found
    changes = session.exec(select(ChangeRow).where(col(ChangeRow.snapshot_id) == snapshot_id)
                           .order_by(col(ChangeRow.id))).all()
    return SnapshotDetail(
        summary=_summary(snap), source_name=source.name, source_url=source.url,
        extract=source.extract, encoding=snap.encoding, final_url=snap.final_url, etag=snap.etag,
        last_modified=snap.last_modified, imported=snap.imported,
        document=unpack_document(snap.document) if snap.document else None,
        changes=tuple(to_stored_change(c, source) for c in changes),
    )


def snapshot_body(*, session: Session, snapshot_id: int) -> RawBody | None:
    """The raw body a snapshot stored, or None when it stored none."""
    found = session.exec(select(Snapshot, Blob, SourceRow.extract)
                         .join(Blob, col(Blob.hash) == Snapshot.blob_hash)
                         .join(SourceRow, col(SourceRow.id) == Snapshot.source_id)
                         .where(col(Snapshot.id) == snapshot_id)).first()
    if found is None:
        return None
    snap, blob, extract = found
    return RawBody(snapshot_id=snapshot_id, source_id=snap.source_id, extract=extract,
                   encoding=snap.encoding, data=decompress(blob.data))


def list_deliveries(
    *, session: Session, statuses: Sequence[str] = OPEN_DELIVERY_STATUSES, limit: int = 200,
) -> tuple[DeliveryView, ...]:
    """Deliveries in ``statuses``, newest first, with what each one is about."""
    query = (
        sa.select(Delivery, col(ChangeRow.summary), col(ChangeRow.source_id),
                  col(HealthEvent.source_id), col(HealthEvent.kind))
        .outerjoin(ChangeRow, col(ChangeRow.id) == Delivery.change_id)
        .outerjoin(HealthEvent, col(HealthEvent.id) == Delivery.health_event_id)
        .where(col(Delivery.status).in_(statuses))
        .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc())
        .limit(limit)
    )
    views = []
    for delivery, summary, change_source, health_source, health_kind in session.execute(query).all():
        assert delivery.id is not None
        if delivery.change_id is not None:
            about = summary or f"change {delivery.change_id}"
        elif delivery.health_event_id is not None:
            about = f"source {health_source}: {health_kind}"
        else:
            about = f"digest {delivery.digest_id}"
        views.append(DeliveryView(
            id=delivery.id, channel=delivery.channel, status=delivery.status,
            attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error, created_at=delivery.created_at,
            change_id=delivery.change_id, digest_id=delivery.digest_id,
            health_event_id=delivery.health_event_id, source_id=change_source or health_source,
            about=about))
    return tuple(views)


def delivery_counts(*, session: Session) -> dict[str, int]:
    """How many deliveries are in each status."""
    rows = session.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status))).all()
    return {status: int(n) for status, n in rows}


def retry_delivery(*, session: Session, delivery_id: int, now: datetime) -> bool:
    """Queue a failed or dead delivery to be sent again now; False if it is not retryable."""
    from watcher.store.outbox import retry_deliveries

    return bool(retry_deliveries(session=session, now=now, delivery_ids=[delivery_id]))


def collect_metrics(*, session: Session) -> MetricsData:
    """Counts of checks, changes and deliveries, and each source's last success."""
    checks = session.exec(select(Snapshot.source_id, Snapshot.status, func.count())
                          .group_by(col(Snapshot.source_id), col(Snapshot.status))).all()
    changes = session.exec(select(ChangeRow.source_id, ChangeRow.kind, func.count())
                           .group_by(col(ChangeRow.source_id), col(ChangeRow.kind))).all()
    deliveries = session.exec(select(Delivery.channel, Delivery.status, func.count())
                              .group_by(col(Delivery.channel), col(Delivery.status))).all()
    last_ok = sa.select(col(Snapshot.source_id), sa.func.max(Snapshot.fetched_at).label("at")) \
        .where(col(Snapshot.status).in_(GOOD_STATUSES)).group_by(col(Snapshot.source_id)).subquery()
    last = session.exec(select(SourceRow.id, _as_utc(last_ok.c.at))
                        .join(last_ok, last_ok.c.source_id == SourceRow.id)).all()
    failures = session.exec(select(SourceRow.id, SourceRow.consecutive_failures)
                            .where(col(SourceRow.removed_at).is_(None))).all()
    return MetricsData(
        checks=tuple((s, st, int(n)) for s, st, n in checks),
        changes=tuple((s, k, int(n)) for s, k, n in changes),
        deliveries=tuple((c, st, int(n)) for c, st, n in deliveries),
        last_success=tuple((s, at) for s, at in last if at is not None),
        consecutive_failures=tuple((s, int(n)) for s, n in failures),
    )


def database_ok(*, session: Session) -> bool:
    """Whether the database answers a trivial query."""
    return session.exec(select(sa.literal(1))).one() == 1

"""The admin page's sources: each source's health and counts, its snapshots, one snapshot.

Documents are loaded only for the page that shows them (a source's last good snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from watcher.extract.document import Document
from watcher.store.admin.deliveries import failing_deliveries_by_source
from watcher.store.admin.histories import AmountSeries, RecordHistory, amount_histories
from watcher.store.blobs import decompress, unpack_document
from watcher.store.changes import StoredChange, to_stored_change
from watcher.store.models import Blob, ChangeRow, Snapshot, SourceRow, as_utc
from watcher.store.sources import SourceStatus


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
    failing = failing_deliveries_by_source(session)
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
    baseline_at = session.exec(select(as_utc(func.min(Snapshot.fetched_at)))
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
                           .where(col(ChangeRow.group_id).is_(None))  # members: on their change
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

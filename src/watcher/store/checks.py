"""Writing checks: blob, snapshot, changes, queued deliveries and the source's new state in the
caller's transaction; and reading a snapshot's document or the newest suspect one back."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from watcher.changes import Change
from watcher.extract.document import Document
from watcher.store.blobs import compress, decompress, pack_document, unpack_document
from watcher.store.models import Blob, ChangeRow, Delivery, HealthEvent, Snapshot, SourceRow


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthTransition:
    """A health event to record with a check: the source turned unhealthy or recovered."""

    kind: str  # unhealthy | recovered
    reason: str | None
    since: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckRecord:
    """Everything one check writes, in one transaction."""

    source_id: str
    fetched_at: datetime
    status: str  # ok | unchanged | not_modified | failed | suspect
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    encoding: str | None = None
    size_bytes: int | None = None
    final_url: str | None = None
    error: str | None = None
    duration_ms: int | None = None
    body: bytes | None = None
    document: Document | None = None
    changes: tuple[Change, ...] = ()
    previous_snapshot_id: int | None = None
    # Source state after this check.
    becomes_last_good: bool = False
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    unhealthy_notified: bool = False
    suspect_hash: str | None = None
    suspect_count: int = 0
    health: HealthTransition | None = None
    next_due_at: datetime | None = None
    imported: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedCheck:
    snapshot_id: int
    change_ids: tuple[int, ...]


def load_document(*, session: Session, snapshot_id: int) -> Document | None:
    data = session.exec(select(Snapshot.document).where(Snapshot.id == snapshot_id)).first()
    return unpack_document(data) if data else None


def record_check(
    *,
    session: Session,
    check: CheckRecord,
    alert_channels: Sequence[str] = (),
    compression_level: int = 6,
) -> RecordedCheck:
    """Write a check: blob, snapshot, changes, queued deliveries and source state, in the caller's transaction."""
    blob_hash = None
    if check.body is not None and check.content_hash:
        blob_hash = check.content_hash
        # Core statements, as for the snapshot below: most checks find nothing new,
        # and the ORM unit of work would cost them more than the whole fetch.
        if session.execute(_BLOB_EXISTS, {"hash": blob_hash}).first() is None:
            session.execute(_INSERT_BLOB[session.get_bind().dialect.name], {
                "hash": blob_hash, "size": len(check.body),
                "data": compress(check.body, compression_level), "created_at": check.fetched_at,
            })
    document = pack_document(check.document, compression_level) if check.document else None
    inserted: sa.CursorResult[Any] = session.execute(  # type: ignore[assignment]
        _INSERT_SNAPSHOT, _snapshot_row(check, blob_hash=blob_hash, document=document))
    key = inserted.inserted_primary_key
    assert key is not None
    snapshot_id = int(key[0])
    change_rows = _change_rows(session, check, snapshot_id)
    if not check.imported:
        for row in change_rows:
            if row.group_id is not None:
                continue  # a member: its group's change is the alert
            for channel in alert_channels:
                session.add(Delivery(channel=channel, change_id=row.id, snapshot_id=snapshot_id,
                                     next_attempt_at=check.fetched_at, created_at=check.fetched_at))
    if check.health is not None:
        event = HealthEvent(source_id=check.source_id, kind=check.health.kind,
                            reason=check.health.reason, since=check.health.since,
                            created_at=check.fetched_at)
        session.add(event)
        session.flush()
        if not check.imported:
            for channel in alert_channels:
                session.add(Delivery(channel=channel, health_event_id=event.id,
                                     next_attempt_at=check.fetched_at, created_at=check.fetched_at))
    _update_source(session, check, snapshot_id)
    return RecordedCheck(snapshot_id=snapshot_id,
                         change_ids=tuple(r.id for r in change_rows if r.id is not None))


def _change_rows(session: Session, check: CheckRecord, snapshot_id: int) -> list[ChangeRow]:
    """Insert the check's changes, in order; a group's first change is the one its members
    point to (inserted first, so it has an id before they do)."""
    rows = [
        ChangeRow(
            source_id=check.source_id, snapshot_id=snapshot_id,
            previous_snapshot_id=check.previous_snapshot_id, detected_at=check.fetched_at,
            kind=str(change.kind), entity=change.entity, entity_key=change.entity_key,
            table_name=change.table, amount_yen=change.amount_yen,
            previous_amount_yen=change.previous_amount_yen, url=change.url,
            summary=change.summary,
            details=json.dumps(change.details_json(), ensure_ascii=False),
            imported=check.imported,
        )
        for change in check.changes
    ]
    heads: dict[str, ChangeRow] = {}
    members: list[tuple[ChangeRow, str]] = []
    for change, row in zip(check.changes, rows, strict=True):
        if change.group is None:
            continue
        if change.group in heads:
            members.append((row, change.group))
        else:
            heads[change.group] = row
    member_rows = {id(row) for row, _ in members}
    session.add_all([row for row in rows if id(row) not in member_rows])
    session.flush()
    for row, group in members:
        row.group_id = heads[group].id
    session.add_all([row for row, _ in members])
    session.flush()
    return rows


def record_quiet_checks(*, session: Session, checks: Sequence[CheckRecord]) -> None:
    """Write checks that found nothing new (no body, no change, no health event) in bulk.

    One INSERT and one UPDATE per group of checks instead of per check: a pass
    over hundreds of unchanged pages is otherwise mostly SQLAlchemy overhead.
    """
    if not checks:
        return
    if any(c.body is not None or c.changes or c.health is not None for c in checks):
        raise ValueError("record_quiet_checks() takes only checks without body, changes or health")
    session.execute(_INSERT_SNAPSHOT, [_snapshot_row(c, blob_hash=None, document=None) for c in checks])
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for check in checks:
        values = _source_values(check, snapshot_id=None)
        updates.setdefault(tuple(values), []).append(_source_params(check, values))
    for keys, rows in updates.items():
        session.execute(_source_update(keys), rows)


def _snapshot_row(check: CheckRecord, *, blob_hash: str | None, document: bytes | None) -> dict[str, Any]:
    return {
        "source_id": check.source_id, "fetched_at": check.fetched_at, "status": check.status,
        "http_status": check.http_status, "etag": check.etag,
        "last_modified": check.last_modified, "content_hash": check.content_hash,
        "encoding": check.encoding, "blob_hash": blob_hash, "size_bytes": check.size_bytes,
        "document": document, "error": check.error, "duration_ms": check.duration_ms,
        "final_url": check.final_url, "imported": check.imported,
    }


def _update_source(session: Session, check: CheckRecord, snapshot_id: int) -> None:
    values = _source_values(check, snapshot_id=snapshot_id)
    session.execute(_source_update(tuple(values)), _source_params(check, values))


def _source_values(check: CheckRecord, *, snapshot_id: int | None) -> dict[str, Any]:
    """The source's columns after ``check`` (snapshot_id is needed when it becomes last good)."""
    values: dict[str, Any] = {
        "last_check_at": check.fetched_at,
        "last_status": check.status,
        "last_error": check.error,
        "consecutive_failures": check.consecutive_failures,
        "failing_since": check.failing_since,
        "unhealthy_notified": check.unhealthy_notified,
        "suspect_hash": check.suspect_hash,
        "suspect_count": check.suspect_count,
        # The check is over: its scheduling claim (if any) ends with it.
        "claimed_by": None,
        "lease_until": None,
    }
    if check.becomes_last_good:
        values.update(last_good_snapshot_id=snapshot_id, last_good_at=check.fetched_at,
                      last_good_hash=check.content_hash)
    if check.status in ("ok", "unchanged", "not_modified") and (check.etag or check.last_modified):
        values.update(etag=check.etag, last_modified=check.last_modified)
    elif check.becomes_last_good:
        values.update(etag=None, last_modified=None)
    if check.next_due_at is not None:
        values["next_due_at"] = check.next_due_at
    return values


def _source_params(check: CheckRecord, values: dict[str, Any]) -> dict[str, Any]:
    params = {f"v_{key}": value for key, value in values.items()}
    params["v_source_id"] = check.source_id
    return params


_INSERT_SNAPSHOT = sa.insert(Snapshot.__table__)  # type: ignore[attr-defined]
# ON CONFLICT DO NOTHING: two workers may store the same body (a shared maintenance page) at once.
_INSERT_BLOB = {
    "postgresql": postgresql.insert(Blob.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["hash"]),
    "sqlite": sqlite.insert(Blob.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["hash"]),
}
_BLOB_EXISTS = sa.select(Blob.__table__.c.hash).where(  # type: ignore[attr-defined]
    Blob.__table__.c.hash == sa.bindparam("hash"))  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=16)
def _source_update(keys: tuple[str, ...]) -> sa.Update:
    """UPDATE sources SET <keys> WHERE id = :v_source_id, built once per set of keys.

    A statement built per check (with its values inlined) costs SQLAlchemy a fresh
    cache key and coercion of every value; bound parameters reuse the compiled form.
    """
    table: sa.Table = SourceRow.__table__  # type: ignore[attr-defined]
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("v_source_id", type_=table.c.id.type))
        .values({key: sa.bindparam(f"v_{key}", type_=table.c[key].type) for key in keys})
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SuspectSnapshot:
    """The newest suspect snapshot of a source, for an explicit `watcher accept`."""

    snapshot_id: int
    fetched_at: datetime
    reason: str | None
    content_hash: str | None
    body: bytes | None
    document: Document | None


def latest_suspect(*, session: Session, source_id: str, after_snapshot_id: int | None) -> SuspectSnapshot | None:
    """The newest suspect snapshot newer than the last good one, with its body and document."""
    query = select(Snapshot).where(Snapshot.source_id == source_id, Snapshot.status == "suspect")
    if after_snapshot_id is not None:
        query = query.where(col(Snapshot.id) > after_snapshot_id)
    row = session.exec(query.order_by(col(Snapshot.id).desc())).first()
    if row is None or row.id is None:
        return None
    body = None
    if row.blob_hash:
        blob = session.get(Blob, row.blob_hash)
        body = decompress(blob.data) if blob else None
    return SuspectSnapshot(snapshot_id=row.id, fetched_at=row.fetched_at, reason=row.error,
                           content_hash=row.content_hash, body=body,
                           document=unpack_document(row.document) if row.document else None)

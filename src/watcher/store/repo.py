"""Repository functions: every read and write the other stages need, keyword-only."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from watcher.changes import Change
from watcher.extract.document import Document
from watcher.sources import Config
from watcher.store.blobs import compress, pack_document, unpack_document
from watcher.store.models import (
    Blob,
    ChangeRow,
    Delivery,
    HealthEvent,
    Snapshot,
    SourceRow,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    """What the pipeline needs to know about a source before checking it."""

    source_id: str
    last_good_snapshot_id: int | None
    last_good_hash: str | None
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    failing_since: datetime | None
    unhealthy_notified: bool
    suspect_hash: str | None
    suspect_count: int
    last_error: str | None = None


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


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredChange:
    """A change as read back: the JSON contract of `watcher changes --json` and the API."""

    id: int
    source: str
    agency: str
    source_name: str
    kind: str
    entity: str | None
    amount_yen: int | None
    previous_amount_yen: int | None
    url: str | None
    detected_at: datetime
    summary: str
    table: str | None
    snapshot_id: int
    previous_snapshot_id: int | None
    acknowledged_at: datetime | None
    imported: bool
    source_url: str
    details: dict[str, Any]

    @property
    def amount_text(self) -> str | None:
        """The amount after the change as the page wrote it (kept in the details)."""
        value = self.details.get("amount_text")
        return value if isinstance(value, str) else None

    @property
    def previous_amount_text(self) -> str | None:
        value = self.details.get("previous_amount_text")
        return value if isinstance(value, str) else None

    def to_json(self) -> dict[str, Any]:
        delta = (
            self.amount_yen - self.previous_amount_yen
            if self.amount_yen is not None and self.previous_amount_yen is not None
            else None
        )
        return {
            "id": self.id,
            "source": self.source,
            "agency": self.agency,
            "source_name": self.source_name,
            "kind": self.kind,
            "entity": self.entity,
            "amount_yen": self.amount_yen,
            "previous_amount_yen": self.previous_amount_yen,
            "delta_yen": delta,
            "url": self.url,
            "source_url": self.source_url,
            "table": self.table,
            "detected_at": self.detected_at.isoformat(),
            "summary": self.summary,
            "snapshot_id": self.snapshot_id,
            "previous_snapshot_id": self.previous_snapshot_id,
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "imported": self.imported,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceStatus:
    """A source's schedule and health, for `watcher sources` and the admin page."""

    id: str
    name: str
    agency: str
    url: str
    extract: str
    schedule: str
    enabled: bool
    removed: bool
    last_check_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_good_at: datetime | None
    next_due_at: datetime | None
    failing_since: datetime | None
    consecutive_failures: int

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "name": self.name, "agency": self.agency, "url": self.url,
            "extract": self.extract, "schedule": self.schedule, "enabled": self.enabled,
            "removed": self.removed, "last_check_at": iso(self.last_check_at),
            "last_status": self.last_status, "last_error": self.last_error,
            "last_good_at": iso(self.last_good_at), "next_due_at": iso(self.next_due_at),
            "failing_since": iso(self.failing_since),
            "consecutive_failures": self.consecutive_failures,
        }


def sync_sources(*, session: Session, config: Config, now: datetime) -> None:
    """Upsert sources.toml into the sources table; sources no longer listed are marked removed."""
    rows = {row.id: row for row in session.exec(select(SourceRow)).all()}
    for source in config.sources:
        row = rows.pop(source.id, None)
        config_json = json.dumps(source.config_json(), ensure_ascii=False, sort_keys=True)
        if row is None:
            row = SourceRow(id=source.id, name=source.name, agency=source.agency, url=source.url,
                            extract=source.extract, schedule=source.schedule.text,
                            enabled=source.enabled, config_json=config_json, created_at=now,
                            next_due_at=now)
            session.add(row)
            continue
        wanted = (source.name, source.agency, source.url, source.extract, source.schedule.text,
                  source.enabled, config_json, None)
        if wanted == (row.name, row.agency, row.url, row.extract, row.schedule, row.enabled,
                      row.config_json, row.removed_at):
            continue  # untouched, so the flush has nothing to compare (every pass syncs)
        if row.schedule != source.schedule.text or row.removed_at is not None:
            row.next_due_at = now
        row.name, row.agency, row.url = source.name, source.agency, source.url
        row.extract, row.schedule, row.enabled = source.extract, source.schedule.text, source.enabled
        row.config_json, row.removed_at = config_json, None
        session.add(row)
    for row in rows.values():
        if row.removed_at is None:
            row.removed_at = now
            session.add(row)


def load_source_states(*, session: Session, source_ids: Iterable[str]) -> dict[str, SourceState]:
    ids = list(source_ids)
    rows = session.exec(select(SourceRow).where(col(SourceRow.id).in_(ids))).all()
    return {row.id: _state(row) for row in rows}


def _state(row: SourceRow) -> SourceState:
    return SourceState(
        source_id=row.id, last_good_snapshot_id=row.last_good_snapshot_id,
        last_good_hash=row.last_good_hash, etag=row.etag, last_modified=row.last_modified,
        consecutive_failures=row.consecutive_failures, failing_since=row.failing_since,
        unhealthy_notified=row.unhealthy_notified, suspect_hash=row.suspect_hash,
        suspect_count=row.suspect_count, last_error=row.last_error,
    )


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
    change_rows = [
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
    session.add_all(change_rows)
    session.flush()
    if not check.imported:
        for row in change_rows:
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


def list_changes(
    *,
    session: Session,
    source_ids: Sequence[str] = (),
    since: datetime | None = None,
    kinds: Sequence[str] = (),
    limit: int | None = None,
    newest_first: bool = False,
) -> list[StoredChange]:
    query = select(ChangeRow, SourceRow).join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
    if source_ids:
        query = query.where(col(ChangeRow.source_id).in_(source_ids))
    if since is not None:
        query = query.where(col(ChangeRow.detected_at) >= since)
    if kinds:
        query = query.where(col(ChangeRow.kind).in_(kinds))
    order = [col(ChangeRow.detected_at), col(ChangeRow.id)]
    query = query.order_by(*(o.desc() for o in order) if newest_first else order)
    if limit is not None:
        query = query.limit(limit)
    return [to_stored_change(change, source) for change, source in session.exec(query).all()]


def to_stored_change(row: ChangeRow, source: SourceRow) -> StoredChange:
    assert row.id is not None
    return StoredChange(
        id=row.id, source=row.source_id, agency=source.agency, source_name=source.name,
        kind=row.kind, entity=row.entity, amount_yen=row.amount_yen,
        previous_amount_yen=row.previous_amount_yen, url=row.url, detected_at=row.detected_at,
        summary=row.summary, table=row.table_name, snapshot_id=row.snapshot_id,
        previous_snapshot_id=row.previous_snapshot_id, acknowledged_at=row.acknowledged_at,
        imported=row.imported, source_url=source.url, details=json.loads(row.details or "{}"),
    )


def list_source_statuses(*, session: Session, include_removed: bool = False) -> list[SourceStatus]:
    query = select(SourceRow).order_by(col(SourceRow.id))
    if not include_removed:
        query = query.where(col(SourceRow.removed_at).is_(None))
    return [
        SourceStatus(
            id=row.id, name=row.name, agency=row.agency, url=row.url, extract=row.extract,
            schedule=row.schedule, enabled=row.enabled, removed=row.removed_at is not None,
            last_check_at=row.last_check_at, last_status=row.last_status,
            last_error=row.last_error, last_good_at=row.last_good_at,
            next_due_at=row.next_due_at, failing_since=row.failing_since,
            consecutive_failures=row.consecutive_failures,
        )
        for row in session.exec(query).all()
    ]


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
        from watcher.store.blobs import decompress

        blob = session.get(Blob, row.blob_hash)
        body = decompress(blob.data) if blob else None
    return SuspectSnapshot(snapshot_id=row.id, fetched_at=row.fetched_at, reason=row.error,
                           content_hash=row.content_hash, body=body,
                           document=unpack_document(row.document) if row.document else None)

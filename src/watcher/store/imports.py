"""What the history importer asks the store: is this capture in already, and where does history end?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from watcher.store.models import Blob, ChangeRow, Delivery, HealthEvent, Snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEnd:
    """A source's newest snapshot, the point an import must not go behind."""

    fetched_at: datetime
    snapshot_id: int


def snapshot_exists(
    *, session: Session, source_id: str, fetched_at: datetime, content_hash: str | None = None,
) -> bool:
    """True when the source has a snapshot at exactly ``fetched_at`` (with that body, if given).

    A capture's identity is (source, date, body hash): importing the same WARC again
    finds every capture here and writes nothing.
    """
    query = select(Snapshot.id).where(
        Snapshot.source_id == source_id, Snapshot.fetched_at == fetched_at,
    )
    if content_hash is not None:
        query = query.where(Snapshot.content_hash == content_hash)
    return session.exec(query.limit(1)).first() is not None


def history_end(*, session: Session, source_id: str) -> HistoryEnd | None:
    """The source's newest snapshot (imported or checked), or None for a source never seen."""
    row = session.exec(
        select(Snapshot.fetched_at, Snapshot.id)
        .where(Snapshot.source_id == source_id)
        .order_by(col(Snapshot.fetched_at).desc(), col(Snapshot.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    fetched_at, snapshot_id = row
    assert snapshot_id is not None
    return HistoryEnd(fetched_at=fetched_at, snapshot_id=snapshot_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotLine:
    """One snapshot as the demo timeline lists it (no body, no document)."""

    id: int
    source_id: str
    fetched_at: datetime
    status: str
    error: str | None
    imported: bool


def snapshot_lines(*, session: Session) -> list[SnapshotLine]:
    """Every snapshot in capture order, without bodies (for timelines and import reports)."""
    table: sa.Table = Snapshot.__table__  # type: ignore[attr-defined]
    c = table.c
    rows = session.execute(
        sa.select(c.id, c.source_id, c.fetched_at, c.status, c.error, c.imported)
        .order_by(c.fetched_at, c.id)
    ).all()
    return [SnapshotLine(id=int(i), source_id=s, fetched_at=f, status=st, error=e,
                         imported=bool(imp))
            for i, s, f, st, e, imp in rows]


def count_rows(*, session: Session) -> dict[str, int]:
    """Row counts of the tables an import writes (to show that a re-import wrote nothing)."""
    counts: dict[str, int] = {}
    for name, model in (("snapshots", Snapshot), ("changes", ChangeRow), ("blobs", Blob),
                        ("health_events", HealthEvent), ("deliveries", Delivery)):
        table: sa.Table = model.__table__  # type: ignore[union-attr]
        counts[name] = int(session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    return counts

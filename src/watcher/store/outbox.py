"""The outbox's SQL: claim due deliveries, mark them sent or failed, list and retry them, digests.

A channel's deliveries go out in id order, one message at a time: the oldest unsent
delivery of a channel (its *head*) decides whether the channel is due. While the head
waits for its next attempt, or is being sent by another worker, nothing behind it is
claimed, so an outage ends with every alert arriving in the order it was queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from watcher.store.changes import StoredChange, to_stored_change
from watcher.store.models import ChangeRow, Delivery, Digest, HealthEvent, Snapshot, SourceRow

UNSENT = ("pending", "failed", "sending")
STATUSES = ("pending", "sending", "sent", "failed", "dead")
_GOOD = ("ok", "unchanged", "not_modified")
_ERROR_LIMIT = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """Deliveries claimed together by one worker: they go out as one message."""

    channel: str
    delivery_ids: tuple[int, ...]
    change_ids: tuple[int, ...] = ()
    health_event_id: int | None = None
    digest_id: int | None = None
    snapshot_id: int | None = None
    attempts: int  # counting this one
    queued_at: datetime  # the oldest delivery's created_at: the give-up limit counts from here
    reclaimed: bool = False  # a sender's lease had expired: it may have sent this already


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryInfo:
    """One delivery as `watcher deliveries` and the admin page show it."""

    id: int
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    subject: str  # what the delivery carries: "change #12 (entry_added)", "digest 2025-11-21"
    source_id: str | None
    change_id: int | None
    health_event_id: int | None
    digest_id: int | None

    def to_json(self) -> dict[str, object]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "channel": self.channel, "status": self.status,
            "attempts": self.attempts, "next_attempt_at": iso(self.next_attempt_at),
            "last_error": self.last_error, "sent_at": iso(self.sent_at),
            "created_at": iso(self.created_at), "subject": self.subject,
            "source": self.source_id, "change_id": self.change_id,
            "health_event_id": self.health_event_id, "digest_id": self.digest_id,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthAlert:
    """A health event with what its alert shows: the source, since when, the last good check."""

    event_id: int
    kind: str  # unhealthy | recovered
    source_id: str
    source_name: str
    agency: str
    source_url: str
    reason: str | None
    since: datetime | None
    at: datetime
    bad_checks: int  # failed or suspect checks from `since` up to the event
    last_good_at: datetime | None
    last_good_snapshot_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestInfo:
    """A recorded daily digest."""

    id: int
    digest_date: str
    since: datetime | None
    until: datetime | None
    change_count: int
    subject: str
    created_at: datetime


# --- claiming and marking ---------------------------------------------------------------


def unsent_channels(*, session: Session) -> list[str]:
    """Channels that have deliveries waiting (pending, failed or being sent)."""
    query = select(Delivery.channel).where(col(Delivery.status).in_(UNSENT)).distinct()
    return sorted(session.exec(query).all())


def claim_next(
    *, session: Session, channel: str, now: datetime, worker: str, lease: timedelta,
    max_batch: int = 100,
) -> Claim | None:
    """Claim the channel's next message, or None when its head is not due or is taken.

    The head is read without a lock, then locked with SKIP LOCKED: if another worker is
    claiming it at this moment the head is skipped, which this function sees and answers
    None rather than sending what comes after it (PostgreSQL; SQLite has one writer).
    """
    unsent = (col(Delivery.channel) == channel) & col(Delivery.status).in_(UNSENT)
    head = session.execute(
        sa.select(col(Delivery.id), col(Delivery.status), col(Delivery.next_attempt_at),
                  col(Delivery.lease_until), col(Delivery.change_id), col(Delivery.snapshot_id))
        .where(unsent).order_by(col(Delivery.id)).limit(1)
    ).first()
    if head is None:
        return None
    head_id, status, next_attempt_at, lease_until, change_id, snapshot_id = head
    if not _claimable(status, next_attempt_at, lease_until, now, due_only=True):
        return None
    group = col(Delivery.id) == head_id
    if change_id is not None and snapshot_id is not None:
        # Changes from one check of one source are one message.
        group = group | ((col(Delivery.snapshot_id) == snapshot_id)
                         & col(Delivery.change_id).is_not(None))
    rows = session.exec(
        select(Delivery).where(unsent & group).order_by(col(Delivery.id)).limit(max_batch)
        .with_for_update(skip_locked=True)
    ).all()
    taken = [r for r in rows
             if _claimable(r.status, r.next_attempt_at, r.lease_until, now, due_only=False)]
    if not taken or taken[0].id != head_id:
        return None
    first = taken[0]
    claim = Claim(
        channel=channel, delivery_ids=tuple(r.id for r in taken if r.id is not None),
        change_ids=tuple(r.change_id for r in taken if r.change_id is not None),
        health_event_id=first.health_event_id, digest_id=first.digest_id,
        snapshot_id=first.snapshot_id if first.change_id is not None else None,
        attempts=max(r.attempts for r in taken) + 1,
        queued_at=min(r.created_at for r in taken),
        reclaimed=any(r.status == "sending" for r in taken),
    )
    session.execute(
        sa.update(Delivery).where(col(Delivery.id).in_(claim.delivery_ids)).values(
            status="sending", claimed_by=worker, lease_until=now + lease,
            attempts=Delivery.attempts + 1,
        )
    )
    return claim


def _claimable(status: str, next_attempt_at: datetime, lease_until: datetime | None,
               now: datetime, *, due_only: bool) -> bool:
    if status == "sending":
        return lease_until is None or lease_until <= now
    # Behind a due head, later deliveries go too (in order) even if their own retry is later.
    return next_attempt_at <= now or not due_only


def mark_sent(*, session: Session, delivery_ids: Sequence[int], worker: str, now: datetime) -> int:
    """Record that the remote accepted the message; returns how many deliveries were ours to mark."""
    result = session.execute(
        sa.update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids), col(Delivery.status) == "sending",
               col(Delivery.claimed_by) == worker)
        .values(status="sent", sent_at=now, lease_until=None, last_error=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(
    *, session: Session, delivery_ids: Sequence[int], worker: str, error: str,
    next_attempt_at: datetime, dead: bool,
) -> int:
    """Record a failed attempt: retry at ``next_attempt_at``, or dead (kept, retried by command)."""
    result = session.execute(
        sa.update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids), col(Delivery.status) == "sending",
               col(Delivery.claimed_by) == worker)
        .values(status="dead" if dead else "failed", next_attempt_at=next_attempt_at,
                lease_until=None, last_error=error[:_ERROR_LIMIT])
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- what the messages carry -------------------------------------------------------------


def load_changes(*, session: Session, change_ids: Sequence[int]) -> list[StoredChange]:
    """The given changes with their sources, in id order."""
    query = (
        select(ChangeRow, SourceRow).join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
        .where(col(ChangeRow.id).in_(change_ids)).order_by(col(ChangeRow.id))
    )
    return [to_stored_change(change, source) for change, source in session.exec(query).all()]


def load_health_alert(*, session: Session, event_id: int) -> HealthAlert | None:
    """A health event with its source and the last good check before it."""
    found = session.exec(
        select(HealthEvent, SourceRow).join(SourceRow, col(SourceRow.id) == HealthEvent.source_id)
        .where(col(HealthEvent.id) == event_id)
    ).first()
    if found is None:
        return None
    event, source = found
    last_good = session.exec(
        select(Snapshot.id, Snapshot.fetched_at)
        .where(col(Snapshot.source_id) == event.source_id, col(Snapshot.status).in_(_GOOD),
               col(Snapshot.fetched_at) < (event.since or event.created_at))
        .order_by(col(Snapshot.fetched_at).desc(), col(Snapshot.id).desc()).limit(1)
    ).first()
    bad = select(sa.func.count()).select_from(Snapshot).where(
        col(Snapshot.source_id) == event.source_id, col(Snapshot.status).in_(("failed", "suspect")),
        col(Snapshot.fetched_at) <= event.created_at,
    )
    if event.since is not None:
        bad = bad.where(col(Snapshot.fetched_at) >= event.since)
    assert event.id is not None
    return HealthAlert(
        event_id=event.id, kind=event.kind, source_id=source.id, source_name=source.name,
        agency=source.agency, source_url=source.url, reason=event.reason, since=event.since,
        at=event.created_at, bad_checks=int(session.exec(bad).one()),
        last_good_at=last_good[1] if last_good else None,
        last_good_snapshot_id=last_good[0] if last_good else None,
    )


# --- listing and retrying ----------------------------------------------------------------


def list_deliveries(
    *, session: Session, statuses: Sequence[str] = (), limit: int | None = 100,
    digest_id: int | None = None,
) -> list[DeliveryInfo]:
    """Deliveries, newest first, with what each carries."""
    query = (
        sa.select(Delivery, col(ChangeRow.source_id), col(ChangeRow.kind),
                  col(HealthEvent.source_id), col(HealthEvent.kind), col(Digest.digest_date))
        .outerjoin(ChangeRow, col(ChangeRow.id) == Delivery.change_id)
        .outerjoin(HealthEvent, col(HealthEvent.id) == Delivery.health_event_id)
        .outerjoin(Digest, col(Digest.id) == Delivery.digest_id)
        .order_by(col(Delivery.id).desc())
    )
    if statuses:
        query = query.where(col(Delivery.status).in_(statuses))
    if digest_id is not None:
        query = query.where(col(Delivery.digest_id) == digest_id)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for row, change_source, change_kind, health_source, health_kind, digest_date in session.execute(query).all():
        if row.change_id is not None:
            subject, source = f"change #{row.change_id} ({change_kind})", change_source
        elif row.health_event_id is not None:
            subject, source = f"source {health_kind} (event #{row.health_event_id})", health_source
        else:
            subject, source = f"digest {digest_date}", None
        assert row.id is not None
        out.append(DeliveryInfo(
            id=row.id, channel=row.channel, status=row.status, attempts=row.attempts,
            next_attempt_at=row.next_attempt_at, last_error=row.last_error, sent_at=row.sent_at,
            created_at=row.created_at, subject=subject, source_id=source,
            change_id=row.change_id, health_event_id=row.health_event_id, digest_id=row.digest_id,
        ))
    return out


def retry_deliveries(
    *, session: Session, now: datetime, delivery_ids: Sequence[int] = (), dead: bool = False,
) -> list[int]:
    """Queue dead (or failed) deliveries again, as if new: a fresh give-up limit, due now."""
    query = select(Delivery.id)
    if delivery_ids:
        query = query.where(col(Delivery.id).in_(delivery_ids),
                            col(Delivery.status).in_(("dead", "failed")))
    elif dead:
        query = query.where(col(Delivery.status) == "dead")
    else:
        return []
    ids = [i for i in session.exec(query.order_by(col(Delivery.id))).all() if i is not None]
    if ids:
        session.execute(
            sa.update(Delivery).where(col(Delivery.id).in_(ids)).values(
                status="pending", attempts=0, next_attempt_at=now, created_at=now,
                claimed_by=None, lease_until=None,
            )
        )
    return ids


# --- digests -----------------------------------------------------------------------------


def find_digest(*, session: Session, digest_date: str) -> DigestInfo | None:
    row = session.exec(select(Digest).where(col(Digest.digest_date) == digest_date)).first()
    return _digest_info(row) if row else None


def get_digest(*, session: Session, digest_id: int) -> DigestInfo | None:
    row = session.get(Digest, digest_id)
    return _digest_info(row) if row else None


def previous_digest(*, session: Session, before_date: str) -> DigestInfo | None:
    """The latest digest for a date before ``before_date`` (YYYY-MM-DD sorts as text)."""
    row = session.exec(
        select(Digest).where(col(Digest.digest_date) < before_date)
        .order_by(col(Digest.digest_date).desc()).limit(1)
    ).first()
    return _digest_info(row) if row else None


def create_digest(
    *, session: Session, digest_date: str, since: datetime | None, until: datetime,
    change_count: int, subject: str, channel: str | None, now: datetime,
) -> DigestInfo | None:
    """Record the day's digest and queue its delivery; None if that date already has one.

    A savepoint keeps the caller's transaction usable when another worker won the race
    for the unique date.
    """
    try:
        with session.begin_nested():
            digest = Digest(digest_date=digest_date, since=since, until=until,
                            change_count=change_count, subject=subject, created_at=now)
            session.add(digest)
            session.flush()
            if channel is not None:
                session.add(Delivery(channel=channel, digest_id=digest.id, next_attempt_at=now,
                                     created_at=now))
                session.flush()
    except IntegrityError:
        return None
    return _digest_info(digest)


def digest_delivery(*, session: Session, digest_id: int) -> DeliveryInfo | None:
    """The delivery of a digest, if one was queued."""
    found = list_deliveries(session=session, digest_id=digest_id, limit=1)
    return found[0] if found else None


def changes_between(
    *, session: Session, since: datetime | None, until: datetime,
) -> list[StoredChange]:
    """Changes detected after ``since`` up to and including ``until`` (imports excluded, and
    members of a group, which their group's change stands for)."""
    query = (
        select(ChangeRow, SourceRow).join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
        .where(col(ChangeRow.detected_at) <= until, col(ChangeRow.imported).is_(False),
               col(ChangeRow.group_id).is_(None))
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    )
    if since is not None:
        query = query.where(col(ChangeRow.detected_at) > since)
    return [to_stored_change(change, source) for change, source in session.exec(query).all()]


def _digest_info(row: Digest) -> DigestInfo:
    assert row.id is not None
    return DigestInfo(id=row.id, digest_date=row.digest_date, since=row.since, until=row.until,
                      change_count=row.change_count, subject=row.subject,
                      created_at=row.created_at)

"""The admin page's outbox view: deliveries with what each is about, counts, retry.

Reads the outbox tables; the outbox's own state machine lives in watcher.store.outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from watcher.store.models import ChangeRow, Delivery, HealthEvent

OPEN_DELIVERY_STATUSES = ("pending", "sending", "failed", "dead")
FAILING_DELIVERY_STATUSES = ("failed", "dead")


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


def failing_deliveries_by_source(session: Session) -> dict[str, int]:
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

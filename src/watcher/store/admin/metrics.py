"""Counts for /metrics and the health probe: checks, changes, deliveries, last successes.

Aggregates in SQL, one query per family.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from watcher.store.models import ChangeRow, Delivery, Snapshot, SourceRow, as_utc

GOOD_STATUSES = ("ok", "unchanged", "not_modified")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsData:
    """Counts for /metrics."""

    checks: tuple[tuple[str, str, int], ...]  # (source, status, count)
    changes: tuple[tuple[str, str, int], ...]  # (source, kind, count)
    deliveries: tuple[tuple[str, str, int], ...]  # (channel, status, count)
    last_success: tuple[tuple[str, datetime], ...]  # (source, time)
    consecutive_failures: tuple[tuple[str, int], ...]


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
    last = session.exec(select(SourceRow.id, as_utc(last_ok.c.at))
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

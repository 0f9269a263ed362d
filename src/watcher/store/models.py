"""SQLModel tables: the only place the schema is written down (Alembic migrates to it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone: restore it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc(expr: Any) -> Any:
    """An aggregate of a time column read back through UTCDateTime (SQLite returns text)."""
    return sa.type_coerce(expr, UTCDateTime())


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> object:
    return Field(default=None, sa_column_kwargs={}, sa_type=UTCDateTime, nullable=nullable, index=index)


class SourceRow(SQLModel, table=True):
    """A source as last read from sources.toml, plus its scheduling and health state."""

    __tablename__ = "sources"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    agency: str = Field(max_length=64, index=True)
    url: str
    extract: str = Field(max_length=16)
    schedule: str = Field(max_length=64)
    enabled: bool = True
    config_json: str = "{}"
    removed_at: datetime | None = _ts()  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Scheduling (issue 5): claimed with SELECT … FOR UPDATE SKIP LOCKED plus a lease.
    next_due_at: datetime | None = _ts(index=True)  # type: ignore[assignment]
    claimed_by: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = _ts()  # type: ignore[assignment]
    # Health, updated in the same transaction as each check.
    last_check_at: datetime | None = _ts()  # type: ignore[assignment]
    last_status: str | None = Field(default=None, max_length=16)
    last_error: str | None = None
    last_good_snapshot_id: int | None = None
    last_good_at: datetime | None = _ts()  # type: ignore[assignment]
    last_good_hash: str | None = Field(default=None, max_length=64)
    etag: str | None = None
    last_modified: str | None = Field(default=None, max_length=64)
    consecutive_failures: int = 0
    failing_since: datetime | None = _ts()  # type: ignore[assignment]
    unhealthy_notified: bool = False
    suspect_hash: str | None = Field(default=None, max_length=64)
    suspect_count: int = 0


class Blob(SQLModel, table=True):
    """A raw response body, stored once per content hash, zstd-compressed (zlib before issue 13)."""

    __tablename__ = "blobs"

    hash: str = Field(primary_key=True, max_length=64)
    size: int
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Snapshot(SQLModel, table=True):
    """One check of one source: what came back and what it meant."""

    __tablename__ = "snapshots"
    __table_args__ = (sa.Index("ix_snapshots_source_fetched", "source_id", "fetched_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id", max_length=64)
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    # ok | unchanged | not_modified | failed | suspect
    status: str = Field(max_length=16)
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = Field(default=None, max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)
    encoding: str | None = Field(default=None, max_length=32)
    blob_hash: str | None = Field(default=None, foreign_key="blobs.hash", max_length=64)
    size_bytes: int | None = None
    # The extracted Document as zstd-compressed JSON (zlib before); only for snapshots with a new body.
    document: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    error: str | None = None
    duration_ms: int | None = None
    final_url: str | None = None
    imported: bool = False


class ChangeRow(SQLModel, table=True):
    """A detected change, as the JSON contract and the admin page show it."""

    __tablename__ = "changes"
    __table_args__ = (
        sa.Index("ix_changes_source_detected", "source_id", "detected_at"),
        sa.Index("ix_changes_kind_detected", "kind", "detected_at"),
        # The admin list's "unacknowledged, newest first" without sorting every open change.
        sa.Index("ix_changes_ack_detected", "acknowledged_at", "detected_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id", max_length=64)
    snapshot_id: int = Field(foreign_key="snapshots.id", index=True)
    previous_snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    detected_at: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=24)
    entity: str | None = None
    entity_key: str | None = None
    table_name: str | None = None
    amount_yen: int | None = Field(default=None, sa_type=sa.BigInteger)
    previous_amount_yen: int | None = Field(default=None, sa_type=sa.BigInteger)
    url: str | None = None
    summary: str
    details: str = "{}"
    acknowledged_at: datetime | None = _ts()  # type: ignore[assignment]
    imported: bool = False
    # The change this one is a member of (a replaced list's rows, a repeated line): members
    # are stored and listed under it, and only the change they belong to is alerted.
    group_id: int | None = Field(default=None, foreign_key="changes.id", index=True)


class HealthEvent(SQLModel, table=True):
    """A source turning unhealthy (N failed or suspect checks in a row) or recovering."""

    __tablename__ = "health_events"

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id", max_length=64, index=True)
    kind: str = Field(max_length=16)  # unhealthy | recovered
    reason: str | None = None
    since: datetime | None = _ts()  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Digest(SQLModel, table=True):
    """One daily digest; the unique date keeps it to one per day across workers."""

    __tablename__ = "digests"

    id: int | None = Field(default=None, primary_key=True)
    digest_date: str = Field(max_length=10, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    since: datetime | None = _ts()  # type: ignore[assignment]
    until: datetime | None = _ts()  # type: ignore[assignment]
    change_count: int = 0
    subject: str = ""


class Delivery(SQLModel, table=True):
    """One message to one channel: the outbox (pending → sent | failed → dead)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("change_id", "channel", name="uq_deliveries_change_channel"),
        sa.UniqueConstraint("digest_id", "channel", name="uq_deliveries_digest_channel"),
        sa.UniqueConstraint("health_event_id", "channel", name="uq_deliveries_health_channel"),
        sa.Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # slack | email
    change_id: int | None = Field(default=None, foreign_key="changes.id")
    digest_id: int | None = Field(default=None, foreign_key="digests.id")
    health_event_id: int | None = Field(default=None, foreign_key="health_events.id")
    # Changes from one check share a snapshot and go out as one Slack message.
    snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed | dead
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = None
    sent_at: datetime | None = _ts()  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = _ts()  # type: ignore[assignment]


class WorkerBeat(SQLModel, table=True):
    """Liveness of `watcher run` processes (for `watcher health` and the SQLite single-worker rule)."""

    __tablename__ = "workers"

    id: str = Field(primary_key=True, max_length=128)
    started_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)
    last_check_at: datetime | None = _ts()  # type: ignore[assignment]


class LoginThrottle(SQLModel, table=True):
    """Failed admin logins from one client address or against one user name, and its lock.

    Kept in the database so that a lock holds across a restart and across several
    admin processes sharing one store.
    """

    __tablename__ = "login_throttle"

    # "address:203.0.113.5", or "user:" + a hash of the name (a password typed into the
    # name field must not be stored as written).
    key: str = Field(primary_key=True, max_length=80)
    scope: str = Field(max_length=8)  # address | user
    failures: int = 0
    last_failure_at: datetime = Field(sa_type=UTCDateTime, index=True)
    locked_until: datetime | None = _ts()  # type: ignore[assignment]


class AdminSession(SQLModel, table=True):
    """A logged-in browser: the hash of its random cookie, whose it is, when made and last used."""

    __tablename__ = "admin_sessions"

    # sha256 of the cookie value: a copy of the database holds no usable cookie.
    id: str = Field(primary_key=True, max_length=64)
    user: str = Field(max_length=128, index=True)
    # Which password the session was opened under: a changed password ends it.
    password_tag: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, index=True)

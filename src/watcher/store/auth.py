"""Admin logins in the store: failed-attempt counts and locks, and server-side sessions.

Both live in the database, not in the process, so a lock survives a restart and
holds across several admin processes sharing one store, and a session ended by
logout, a password change or "sign out everywhere" is ended for every process
at once. Every function takes ``now``: the caller's clock (tests pass a fake one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select, update

from watcher.store.models import AdminSession, LoginThrottle

# Delays stop doubling here (2^20 s is twelve days; the lock comes long before).
_MAX_DOUBLINGS = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleRule:
    """After ``delay_after`` failures each attempt waits base·2^(n − delay_after) seconds;
    after ``lock_after`` failures the key is locked for ``lock_s``; failures older than
    ``forget_s`` (counted from the last one) are forgotten."""

    delay_after: int = 5
    lock_after: int = 10
    lock_s: float = 900.0
    forget_s: float = 3600.0
    base_delay_s: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginWait:
    """How long before the next attempt may be checked (0: now), whether a lock says so, and
    whether any failure is on record (a success then clears it)."""

    seconds: float
    locked: bool
    counted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginMetrics:
    """For /metrics: keys locked now, delayed now, and failures still counted, by scope."""

    locked: tuple[tuple[str, int], ...]
    delayed: tuple[tuple[str, int], ...]
    failures: tuple[tuple[str, int], ...]


def _wait_of(row: LoginThrottle, rule: ThrottleRule, now: datetime) -> LoginWait:
    if row.locked_until is not None and row.locked_until > now:
        return LoginWait(seconds=(row.locked_until - now).total_seconds(), locked=True)
    if row.last_failure_at < now - timedelta(seconds=rule.forget_s):
        return LoginWait(seconds=0.0, locked=False)
    if row.failures >= rule.delay_after:
        doublings = min(row.failures - rule.delay_after, _MAX_DOUBLINGS)
        ready = row.last_failure_at + timedelta(seconds=rule.base_delay_s * 2**doublings)
        return LoginWait(seconds=max(0.0, (ready - now).total_seconds()), locked=False)
    return LoginWait(seconds=0.0, locked=False)


def login_wait(*, session: Session, keys: Sequence[str], rule: ThrottleRule,
               now: datetime) -> LoginWait:
    """The longest wait any of ``keys`` (an address, a user name) imposes on a login attempt now."""
    rows = session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(list(keys)))).all()
    waits = [_wait_of(row, rule, now) for row in rows]
    if not waits:
        return LoginWait(seconds=0.0, locked=False)
    longest = max(waits, key=lambda w: w.seconds)
    return LoginWait(seconds=longest.seconds, locked=any(w.locked for w in waits), counted=True)


def record_login_failure(*, session: Session, keys: Sequence[tuple[str, str]], rule: ThrottleRule,
                         now: datetime) -> tuple[LoginWait, tuple[str, ...]]:
    """Count one failed attempt against each (key, scope); returns the wait it leaves and the keys
    it locked.

    The count is one atomic UPDATE per key, so concurrent guesses are all counted.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    forget_before = now - timedelta(seconds=rule.forget_s)
    newly_locked: list[str] = []
    rows: list[LoginThrottle] = []
    for key, scope in keys:
        session.execute(insert(LoginThrottle).values(
            key=key, scope=scope, failures=0, last_failure_at=now,
        ).on_conflict_do_nothing(index_elements=["key"]))
        session.execute(update(LoginThrottle).where(col(LoginThrottle.key) == key).values(
            failures=sa.case((col(LoginThrottle.last_failure_at) < forget_before, 1),
                             else_=col(LoginThrottle.failures) + 1),
            last_failure_at=now,
        ))
        row = session.exec(select(LoginThrottle).where(col(LoginThrottle.key) == key)
                           .execution_options(populate_existing=True)).one()
        if row.failures >= rule.lock_after and (row.locked_until is None or row.locked_until <= now):
            row.locked_until = now + timedelta(seconds=rule.lock_s)
            session.add(row)
            newly_locked.append(key)
        rows.append(row)
    session.flush()
    # Forgotten failures are deleted as new ones come (name sprayers leave no trail).
    session.execute(delete(LoginThrottle).where(
        col(LoginThrottle.last_failure_at) < forget_before,
        sa.or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < now)))
    waits = [_wait_of(row, rule, now) for row in rows]
    longest = max(waits, key=lambda w: w.seconds, default=LoginWait(seconds=0.0, locked=False))
    return longest, tuple(newly_locked)


def clear_login_failures(*, session: Session, keys: Sequence[str]) -> None:
    """Forget the failures of ``keys`` (after a successful login)."""
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key).in_(list(keys))))


def login_metrics(*, session: Session, rule: ThrottleRule, now: datetime) -> LoginMetrics:
    """Locked and delayed keys, and failures not yet forgotten, per scope."""
    locked: dict[str, int] = {"address": 0, "user": 0}
    delayed: dict[str, int] = {"address": 0, "user": 0}
    failures: dict[str, int] = {"address": 0, "user": 0}
    forget_before = now - timedelta(seconds=rule.forget_s)
    for row in session.exec(select(LoginThrottle)).all():
        wait = _wait_of(row, rule, now)
        if wait.locked:
            locked[row.scope] = locked.get(row.scope, 0) + 1
        elif wait.seconds > 0:
            delayed[row.scope] = delayed.get(row.scope, 0) + 1
        if row.last_failure_at >= forget_before:
            failures[row.scope] = failures.get(row.scope, 0) + row.failures
    return LoginMetrics(locked=tuple(sorted(locked.items())), delayed=tuple(sorted(delayed.items())),
                        failures=tuple(sorted(failures.items())))


# --- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRecord:
    """One stored admin session (identified by the hash of its cookie)."""

    id: str
    user: str
    password_tag: str
    created_at: datetime
    last_seen_at: datetime


def create_session(*, session: Session, session_id: str, user: str, password_tag: str,
                   now: datetime) -> None:
    """Store a new session."""
    session.add(AdminSession(id=session_id, user=user, password_tag=password_tag, created_at=now,
                             last_seen_at=now))


def find_session(*, session: Session, session_id: str) -> SessionRecord | None:
    """The stored session with this id, or None."""
    row = session.get(AdminSession, session_id)
    if row is None:
        return None
    return SessionRecord(id=row.id, user=row.user, password_tag=row.password_tag,
                         created_at=row.created_at, last_seen_at=row.last_seen_at)


def touch_session(*, session: Session, session_id: str, now: datetime) -> None:
    """Record that the session was used now (for the idle lifetime)."""
    session.execute(update(AdminSession).where(col(AdminSession.id) == session_id)
                    .values(last_seen_at=now))


def end_session(*, session: Session, session_id: str) -> bool:
    """Delete one session; whether it existed."""
    result = session.execute(delete(AdminSession).where(col(AdminSession.id) == session_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_user_sessions(*, session: Session, user: str) -> int:
    """Delete every session of ``user`` ("sign out everywhere"); how many there were."""
    result = session.execute(delete(AdminSession).where(col(AdminSession.user) == user))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_stale_sessions(*, session: Session, idle_before: datetime, created_before: datetime) -> int:
    """Delete sessions idle since ``idle_before`` or opened before ``created_before``."""
    result = session.execute(delete(AdminSession).where(sa.or_(
        col(AdminSession.last_seen_at) < idle_before, col(AdminSession.created_at) < created_before)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

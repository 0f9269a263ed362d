"""The store's side of admin logins, on SQLite and PostgreSQL: counts, locks, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.store.auth import (
    ThrottleRule,
    clear_login_failures,
    create_session,
    end_stale_sessions,
    end_user_sessions,
    find_session,
    login_metrics,
    login_wait,
    record_login_failure,
)

RULE = ThrottleRule(delay_after=2, lock_after=4, lock_s=600, forget_s=3600)
T0 = datetime(2025, 11, 21, 1, 0, tzinfo=UTC)
KEYS = [("address:203.0.113.66", "address"), ("user:0f3a", "user")]


def fail(engine: Engine, at: datetime) -> tuple[float, tuple[str, ...]]:
    with Session(engine) as session, session.begin():
        wait, locked = record_login_failure(session=session, keys=KEYS, rule=RULE, now=at)
    return wait.seconds, locked


def wait_at(engine: Engine, at: datetime) -> tuple[float, bool]:
    with Session(engine) as session:
        wait = login_wait(session=session, keys=[k for k, _ in KEYS], rule=RULE, now=at)
    return wait.seconds, wait.locked


def test_failures_delay_then_lock_then_are_forgotten(engine: Engine) -> None:
    assert fail(engine, T0) == (0.0, ())
    assert fail(engine, T0 + timedelta(seconds=1)) == (1.0, ())  # second failure: wait 1 s
    assert wait_at(engine, T0 + timedelta(seconds=1.5)) == (0.5, False)
    assert fail(engine, T0 + timedelta(seconds=3)) == (2.0, ())
    seconds, locked = fail(engine, T0 + timedelta(seconds=10))
    assert (seconds, sorted(locked)) == (600.0, sorted(k for k, _ in KEYS))
    assert wait_at(engine, T0 + timedelta(seconds=310)) == (300.0, True)
    with Session(engine) as session:
        metrics = login_metrics(session=session, rule=RULE, now=T0 + timedelta(seconds=310))
    assert metrics.locked == (("address", 1), ("user", 1))
    assert metrics.failures == (("address", 4), ("user", 4))
    # An hour after the last failure, the count starts again from one.
    assert fail(engine, T0 + timedelta(seconds=10 + 3601)) == (0.0, ())


def test_a_success_clears_the_counts(engine: Engine) -> None:
    fail(engine, T0)
    fail(engine, T0)
    with Session(engine) as session, session.begin():
        clear_login_failures(session=session, keys=[k for k, _ in KEYS])
    assert wait_at(engine, T0) == (0.0, False)


def test_sessions_are_found_and_ended(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        create_session(session=session, session_id="a" * 64, user="analyst", password_tag="t",
                       now=T0)
        create_session(session=session, session_id="b" * 64, user="analyst", password_tag="t",
                       now=T0 + timedelta(hours=5))
    with Session(engine) as session:
        found = find_session(session=session, session_id="a" * 64)
    assert found is not None
    assert (found.user, found.created_at) == ("analyst", T0)
    with Session(engine) as session, session.begin():
        assert end_stale_sessions(session=session, idle_before=T0 + timedelta(hours=1),
                                  created_before=T0 - timedelta(hours=12)) == 1
        assert end_user_sessions(session=session, user="analyst") == 1
    with Session(engine) as session:
        assert find_session(session=session, session_id="b" * 64) is None

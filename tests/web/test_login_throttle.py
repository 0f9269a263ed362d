"""Guessing the admin password is slow: a delay after 5 failures, a lock after 10.

Counted per client address and per user name, for the login form and HTTP Basic
alike, kept in the database (so it survives a restart), logged, and shown on
/metrics. The clock is a fake one handed to create_app: nothing here sleeps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from watcher.web import create_app
from web.admin_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    BASE_URL,
    TestClient,
    admin_settings,
    basic,
    csrf_token,
)

WRONG = basic(ADMIN_USER, "Tr0ub4dor&3")
RIGHT = basic()
ATTACKER = ("203.0.113.66", 40000)


@dataclass
class FakeClock:
    """The app's clock; moves only when a test moves it."""

    now: datetime = field(default_factory=lambda: datetime(2025, 11, 21, 1, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(admin_engine: Engine, tmp_path: Path, clock: FakeClock) -> FastAPI:
    return create_app(admin_settings(admin_engine, tmp_path), admin_engine, clock=clock)


def client_at(app: FastAPI, address: tuple[str, int] = ATTACKER, **kwargs: object) -> TestClient:
    return TestClient(app, base_url=BASE_URL, client=address, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def attacker(app: FastAPI) -> Iterator[TestClient]:
    with client_at(app) as client:
        yield client


def test_three_hundred_fast_guesses_get_five_answers_and_the_right_password_is_refused(
    attacker: TestClient,
) -> None:
    codes = [attacker.get("/api/changes", headers=WRONG).status_code for _ in range(300)]

    assert codes[:5] == [401] * 5
    assert set(codes[5:]) == {429}  # asked too soon: not even checked
    right = attacker.get("/api/changes", headers=RIGHT)
    assert right.status_code == 429
    assert 1 <= int(right.headers["retry-after"]) <= 1


def test_a_patient_guesser_gets_ten_guesses_in_the_first_minute_then_a_lock(
    attacker: TestClient, clock: FakeClock,
) -> None:
    """Trying every 0.5 s for a minute: the delays are 1, 2, 4, 8, 16 s, then the lock."""
    answered = 0
    for _ in range(120):
        code = attacker.get("/api/changes", headers=WRONG).status_code
        answered += code == 401
        clock.advance(0.5)

    assert answered == 10
    locked = attacker.get("/api/changes", headers=RIGHT)
    assert locked.status_code == 429
    assert locked.json() == {"detail": f"locked after too many failed logins; try again in "
                                       f"{locked.headers['retry-after']} s"}
    assert 800 < int(locked.headers["retry-after"]) <= 900


def test_after_the_lock_one_guess_per_lock_then_success_clears_the_count(
    attacker: TestClient, clock: FakeClock,
) -> None:
    for _ in range(10):
        attacker.get("/api/changes", headers=WRONG)
        clock.advance(20)  # longer than any delay
    assert attacker.get("/api/changes", headers=RIGHT).status_code == 429

    clock.advance(901)
    assert attacker.get("/api/changes", headers=WRONG).status_code == 401  # one guess …
    assert attacker.get("/api/changes", headers=RIGHT).status_code == 429  # … locks again
    clock.advance(901)
    assert attacker.get("/api/changes", headers=RIGHT).status_code == 200
    assert attacker.get("/api/changes", headers=WRONG).status_code == 401  # count cleared
    assert attacker.get("/api/changes", headers=WRONG).status_code == 401


def test_the_login_form_and_basic_auth_share_the_count(attacker: TestClient) -> None:
    for _ in range(5):
        token = csrf_token(attacker, "/login")
        response = attacker.post("/login", data={"username": ADMIN_USER, "password": "nope",
                                                 "csrf_token": token})
        assert response.status_code == 401

    assert attacker.get("/api/changes", headers=RIGHT).status_code == 429
    token = csrf_token(attacker, "/login")
    form = attacker.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                         "csrf_token": token})
    assert form.status_code == 429
    assert "Too many failed logins. Try again in 1 seconds." in form.text
    assert "watcher_session" not in form.headers.get("set-cookie", "")


def test_a_name_guessed_from_many_addresses_is_locked_for_all(app: FastAPI, clock: FakeClock) -> None:
    for n in range(10):
        with client_at(app, (f"198.51.100.{n + 1}", 40000)) as botnet:
            assert botnet.get("/api/changes", headers=WRONG).status_code == 401
        clock.advance(20)

    with client_at(app, ("192.0.2.200", 40000)) as analyst:
        assert analyst.get("/api/changes", headers=RIGHT).status_code == 429
        # Another name from a fresh address is not held back by analyst's lock.
        assert analyst.get("/api/changes", headers=basic("other", "x")).status_code == 401


def test_an_address_spraying_names_is_locked_and_others_are_not(app: FastAPI, clock: FakeClock) -> None:
    with client_at(app) as sprayer:
        for n in range(10):
            assert sprayer.get("/api/changes", headers=basic(f"user{n}", "x")).status_code == 401
            clock.advance(20)
        assert sprayer.get("/api/changes", headers=RIGHT).status_code == 429
    with client_at(app, ("192.0.2.200", 40000)) as analyst:
        assert analyst.get("/api/changes", headers=RIGHT).status_code == 200


def test_the_lock_survives_a_restart_and_is_logged(
    app: FastAPI, admin_engine: Engine, tmp_path: Path, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="watcher.web"), client_at(app) as attacker:
        for _ in range(10):
            attacker.get("/api/changes", headers=WRONG)
            clock.advance(20)

    restarted = create_app(admin_settings(admin_engine, tmp_path), admin_engine, clock=clock)
    with client_at(restarted) as again:
        assert again.get("/api/changes", headers=RIGHT).status_code == 429
    assert "admin login locked for client address 203.0.113.66 until 2025-11-21T01:" in caplog.text
    assert f"admin login locked for user '{ADMIN_USER}'" in caplog.text
    assert "Tr0ub4dor" not in caplog.text


def test_metrics_show_the_locks(app: FastAPI, clock: FakeClock) -> None:
    with client_at(app, ("192.0.2.200", 40000)) as analyst:
        token = csrf_token(analyst, "/login")
        analyst.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                     "csrf_token": token})  # a session: not affected by locks
        with client_at(app) as attacker:
            for _ in range(10):
                attacker.get("/api/changes", headers=WRONG)
                clock.advance(20)
        metrics = analyst.get("/metrics").text

    assert 'watcher_login_locked{scope="address"} 1' in metrics
    assert 'watcher_login_locked{scope="user"} 1' in metrics
    assert 'watcher_login_failures{scope="address"} 10' in metrics


def test_the_throttle_follows_its_settings(admin_engine: Engine, tmp_path: Path,
                                           clock: FakeClock) -> None:
    settings = admin_settings(admin_engine, tmp_path, login_delay_after=2, login_lock_after=3,
                              login_lock_s=60)
    with client_at(create_app(settings, admin_engine, clock=clock)) as attacker:
        codes = []
        for _ in range(4):
            codes.append(attacker.get("/api/changes", headers=WRONG).status_code)
            clock.advance(5)
        locked = attacker.get("/api/changes", headers=RIGHT)

    assert codes == [401, 401, 401, 429]
    assert int(locked.headers["retry-after"]) == 50  # locked at the third failure, 10 s in

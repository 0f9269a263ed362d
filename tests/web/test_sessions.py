"""Sessions live in the store and end when they should; CSRF tokens belong to who is asking.

A session cookie is a random value whose hash is stored: logging out, changing
the password and "sign out everywhere" end it at once, even for a copy of the
cookie kept elsewhere; it also ends after the idle and the absolute lifetime.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from watcher.web import create_app
from web.admin_seed import Seeded
from web.admin_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    BASE_URL,
    TestClient,
    admin_settings,
    basic,
    csrf_token,
)

IDLE_S, MAX_AGE_S = 1800, 8 * 3600


@dataclass
class FakeClock:
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
    settings = admin_settings(admin_engine, tmp_path, session_idle_s=IDLE_S,
                              session_max_age_s=MAX_AGE_S)
    return create_app(settings, admin_engine, clock=clock)


def logged_in(app: FastAPI) -> TestClient:
    client = TestClient(app, base_url=BASE_URL)
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    return client


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    with logged_in(app) as client:
        yield client


def with_cookie(app: FastAPI, cookie: str) -> TestClient:
    """Another browser (or a thief) holding a copy of the session cookie."""
    return TestClient(app, base_url=BASE_URL, cookies={"watcher_session": cookie})


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app: FastAPI, browser: TestClient) -> None:
    cookie = browser.cookies["watcher_session"]
    with with_cookie(app, cookie) as copy:
        assert copy.get("/api/changes").status_code == 200

        response = browser.post("/logout", data={"csrf_token": csrf_token(browser, "/changes")},
                                follow_redirects=False)

        assert response.status_code == 303
        assert copy.get("/api/changes").status_code == 401


def test_two_logins_in_the_same_second_get_different_cookies(app: FastAPI) -> None:
    with logged_in(app) as first, logged_in(app) as second:
        assert first.cookies["watcher_session"] != second.cookies["watcher_session"]
        first.post("/logout", data={"csrf_token": csrf_token(first, "/changes")})
        assert second.get("/api/changes").status_code == 200  # one logout ends one session


def test_sign_out_everywhere_ends_every_session_of_the_user(app: FastAPI, browser: TestClient) -> None:
    own = browser.cookies["watcher_session"]
    with logged_in(app) as laptop:
        token = csrf_token(browser, "/changes")
        assert 'action="/sessions/end-all"' in browser.get(
            "/changes", headers={"accept": "text/html"}).text

        response = browser.post("/sessions/end-all", data={"csrf_token": token},
                                follow_redirects=False)

        assert (response.status_code, response.headers["location"]) == (303, "/login")
        assert laptop.get("/api/changes").status_code == 401
    with with_cookie(app, own) as copy:
        assert copy.get("/api/changes").status_code == 401


def test_sign_out_everywhere_needs_a_user_and_the_csrf_token(app: FastAPI, browser: TestClient) -> None:
    with TestClient(app, base_url=BASE_URL) as anonymous:
        assert anonymous.post("/sessions/end-all", follow_redirects=False).status_code == 401
    assert browser.post("/sessions/end-all", follow_redirects=False).status_code == 403
    assert browser.get("/api/changes").status_code == 200


def test_a_changed_password_ends_the_session(app: FastAPI, browser: TestClient,
                                             admin_engine: Engine, tmp_path: Path) -> None:
    cookie = browser.cookies["watcher_session"]
    changed = create_app(admin_settings(admin_engine, tmp_path, admin_password="a new passphrase"),
                         admin_engine)
    with TestClient(changed, base_url=BASE_URL, cookies={"watcher_session": cookie}) as after:
        assert after.get("/api/changes").status_code == 401
    assert browser.get("/api/changes").status_code == 401  # gone from the store, for good


def test_an_idle_session_ends_after_the_idle_lifetime(browser: TestClient, clock: FakeClock) -> None:
    clock.advance(IDLE_S - 60)
    assert browser.get("/api/changes").status_code == 200  # used: the idle time starts again
    clock.advance(IDLE_S - 60)
    assert browser.get("/api/changes").status_code == 200
    clock.advance(IDLE_S + 1)
    assert browser.get("/api/changes").status_code == 401


def test_a_busy_session_ends_at_the_absolute_lifetime(browser: TestClient, clock: FakeClock) -> None:
    for _ in range(MAX_AGE_S // 1200 - 1):
        clock.advance(1200)
        assert browser.get("/api/changes").status_code == 200
    clock.advance(1201)
    assert browser.get("/api/changes").status_code == 401


def test_the_store_keeps_only_a_hash_of_the_cookie(browser: TestClient, admin_engine: Engine) -> None:
    cookie = browser.cookies["watcher_session"]
    database = admin_engine.url.database
    assert database
    dump = "\n".join(sqlite3.connect(database).iterdump())
    assert "admin_sessions" in dump
    assert cookie not in dump


def test_a_planted_anonymous_csrf_pair_is_refused_for_a_logged_in_user(
    app: FastAPI, browser: TestClient, seeded: Seeded,
) -> None:
    """An attacker gets a cookie and token of their own, plants the cookie, posts the token."""
    with TestClient(app, base_url=BASE_URL) as attacker:
        token = csrf_token(attacker, "/login")
        nonce = attacker.cookies["watcher_csrf"]
    browser.cookies.delete("watcher_csrf")
    browser.cookies.set("watcher_csrf", nonce)

    response = browser.post(f"/changes/{seeded.amount_change_id}/acknowledge",
                            data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 403
    own = browser.post(f"/changes/{seeded.amount_change_id}/acknowledge",
                       data={"csrf_token": csrf_token(browser, "/changes")}, follow_redirects=False)
    assert own.status_code == 303


def test_a_planted_anonymous_csrf_pair_is_refused_for_a_basic_auth_user(
    app: FastAPI, seeded: Seeded,
) -> None:
    with TestClient(app, base_url=BASE_URL) as attacker:
        token = csrf_token(attacker, "/login")
        nonce = attacker.cookies["watcher_csrf"]
    with TestClient(app, base_url=BASE_URL, headers=basic(),
                    cookies={"watcher_csrf": nonce}) as victim:
        response = victim.post(f"/changes/{seeded.amount_change_id}/acknowledge",
                               data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403

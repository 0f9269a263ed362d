"""Who gets in: 401 without credentials, Basic or session login, CSRF on every POST, safe headers."""

from __future__ import annotations

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

PAGES = ["/", "/changes", "/changes/1", "/sources", "/sources/meti-semiconductor-plans",
         "/snapshots/1", "/snapshots/1/raw", "/deliveries", "/api/changes", "/api/changes/1",
         "/api/sources", "/feed.atom", "/metrics"]
POSTS = ["/changes/1/acknowledge", "/changes/1/unacknowledge", "/sources/meti-semiconductor-plans/check",
         "/deliveries/1/retry", "/logout"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_but_healthz_answers_401_without_credentials(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert "マイクロン" not in response.text  # nothing of the data leaks


@pytest.mark.parametrize("path", [p for p in POSTS if p != "/logout"])
def test_posts_without_credentials_answer_401_before_anything_else(anonymous: TestClient, path: str) -> None:
    token = csrf_token_of_login_page(anonymous)
    response = anonymous.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401


def test_logging_out_without_a_session_just_goes_to_the_login_page(anonymous: TestClient) -> None:
    token = csrf_token_of_login_page(anonymous)
    response = anonymous.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")


def csrf_token_of_login_page(client: TestClient) -> str:
    return csrf_token(client, "/login")


def test_healthz_needs_no_credentials(anonymous: TestClient) -> None:
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_browser_without_credentials_gets_a_login_form_not_a_basic_popup(anonymous: TestClient) -> None:
    response = anonymous.get("/changes/3?x=1", headers={"accept": "text/html"})
    assert response.status_code == 401
    assert not response.headers["www-authenticate"].startswith("Basic")
    assert 'action="/login"' in response.text
    assert 'name="next" value="/changes/3?x=1"' in response.text


@pytest.mark.parametrize(("user", "password"), [(ADMIN_USER, "wrong"), ("admin", ADMIN_PASSWORD), ("", "")])
def test_wrong_basic_credentials_are_refused(anonymous: TestClient, user: str, password: str) -> None:
    assert anonymous.get("/api/changes", headers=basic(user, password)).status_code == 401


def test_a_malformed_authorization_header_is_refused(anonymous: TestClient) -> None:
    for header in ("Basic !!!notbase64", "Basic " + "YWJj", "Bearer abc", "Basic"):
        assert anonymous.get("/api/changes", headers={"Authorization": header}).status_code == 401


def test_basic_credentials_open_every_page(client: TestClient) -> None:
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_login_sets_a_signed_httponly_samesite_session_cookie(anonymous: TestClient) -> None:
    token = csrf_token(anonymous, "/login")
    response = anonymous.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                              "next": "/sources", "csrf_token": token},
                              follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sources"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("watcher_session="))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    assert "Secure" in session
    assert ADMIN_PASSWORD not in session
    assert anonymous.get("/sources").status_code == 200  # the cookie alone is enough now


def test_login_with_a_wrong_password_is_401_and_sets_no_session(anonymous: TestClient) -> None:
    token = csrf_token(anonymous, "/login")
    response = anonymous.post("/login", data={"username": ADMIN_USER, "password": "nope",
                                              "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert "watcher_session" not in response.headers.get("set-cookie", "")


def test_login_never_redirects_off_site(anonymous: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        token = csrf_token(anonymous, "/login")
        response = anonymous.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                                  "next": target, "csrf_token": token},
                                  follow_redirects=False)
        assert response.headers["location"] == "/changes"


def test_a_forged_session_cookie_is_refused(anonymous: TestClient) -> None:
    anonymous.cookies.set("watcher_session", "eyJ1IjoiYW5hbHlzdCJ9.ZZZZZZ.forged")
    assert anonymous.get("/api/changes").status_code == 401


def test_a_session_ends_when_the_password_changes(app: FastAPI, admin_engine: Engine, tmp_path: Path) -> None:
    with TestClient(app, base_url=BASE_URL) as before:
        token = csrf_token(before, "/login")
        before.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "csrf_token": token})
        cookie = before.cookies.get("watcher_session")
    assert cookie
    changed = create_app(admin_settings(admin_engine, tmp_path, admin_password="a new password"), admin_engine)
    with TestClient(changed, base_url=BASE_URL, cookies={"watcher_session": cookie}) as after:
        assert after.get("/api/changes").status_code == 401


def test_logout_ends_the_session(anonymous: TestClient, app: FastAPI) -> None:
    token = csrf_token(anonymous, "/login")
    anonymous.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "csrf_token": token})
    cookie = anonymous.cookies["watcher_session"]
    token = csrf_token(anonymous, "/changes")
    response = anonymous.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    cleared = next(c for c in response.headers.get_list("set-cookie") if c.startswith("watcher_session="))
    assert "Max-Age=0" in cleared  # the browser drops it …
    assert anonymous.get("/changes").status_code == 401
    with TestClient(app, base_url=BASE_URL, cookies={"watcher_session": cookie}) as kept:
        assert kept.get("/changes").status_code == 401  # … and a copy kept elsewhere is dead too


@pytest.mark.parametrize("path", POSTS[:-1])
def test_a_post_without_a_csrf_token_is_403(client: TestClient, path: str) -> None:
    response = client.post(path, follow_redirects=False)
    assert response.status_code == 403


@pytest.mark.parametrize("path", POSTS[:-1])
def test_a_post_with_another_browsers_token_is_403(client: TestClient, app: FastAPI, path: str) -> None:
    with TestClient(app, base_url=BASE_URL, headers=basic()) as other:
        foreign = csrf_token(other)
    csrf_token(client)  # this client has its own CSRF cookie
    response = client.post(path, data={"csrf_token": foreign}, follow_redirects=False)
    assert response.status_code == 403


def test_login_itself_needs_the_csrf_token(anonymous: TestClient) -> None:
    response = anonymous.post("/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert response.status_code == 403
    assert "watcher_session" not in response.headers.get("set-cookie", "")


def test_the_csrf_token_may_come_in_a_header(client: TestClient, seeded: Seeded) -> None:
    token = csrf_token(client)
    response = client.post(f"/changes/{seeded.amount_change_id}/acknowledge",
                           headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_the_csrf_cookie_is_httponly_and_samesite(anonymous: TestClient) -> None:
    response = anonymous.get("/login")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("watcher_csrf="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


@pytest.mark.parametrize("path", ["/changes", "/login", "/api/changes", "/healthz", "/static/style.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_the_feed_accepts_its_token_header_and_nothing_weaker(app: FastAPI, anonymous: TestClient) -> None:
    token = app.state.watcher.auth.feed_token
    assert token
    assert len(token) >= 32
    assert anonymous.get("/feed.atom", headers={"X-Watcher-Token": token}).status_code == 200
    assert anonymous.get("/feed.atom", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert anonymous.get("/feed.atom", headers={"X-Watcher-Token": token[:-1] + "0"}).status_code == 401
    # The feed token opens the feed only.
    assert anonymous.get("/api/changes", headers={"X-Watcher-Token": token}).status_code == 401
    assert anonymous.get("/changes", headers={"X-Watcher-Token": token}).status_code == 401


def test_openapi_docs_are_off_unless_enabled(client: TestClient, admin_engine: Engine, tmp_path: Path) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404
    app = create_app(admin_settings(admin_engine, tmp_path, enable_docs=True), admin_engine)
    with TestClient(app, base_url=BASE_URL) as anonymous:
        assert anonymous.get("/docs").status_code == 401
    with TestClient(app, base_url=BASE_URL, headers=basic()) as authed:
        docs = authed.get("/docs")
        assert docs.status_code == 200
        assert "unsafe-inline" not in docs.headers["content-security-policy"]
        assert "'sha256-" in docs.headers["content-security-policy"]
        paths = authed.get("/openapi.json").json()["paths"]
        assert "/api/changes" in paths
        assert "/changes/{change_id}" not in paths


def test_without_a_password_the_page_is_open_to_loopback_names_only(admin_engine: Engine, tmp_path: Path) -> None:
    settings = admin_settings(admin_engine, tmp_path, admin_password=None,
                              public_url="http://127.0.0.1:8000")
    app = create_app(settings, admin_engine)
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        page = local.get("/changes", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "no password" in page.text
        token = csrf_token(local)
        assert local.post("/changes/1/acknowledge", follow_redirects=False).status_code == 403
        assert local.post("/changes/1/acknowledge", data={"csrf_token": token},
                          follow_redirects=False).status_code == 303
    # A DNS-rebinding page reaches 127.0.0.1 under its own name: refused.
    with TestClient(app, base_url="http://attacker.example") as rebound:
        assert rebound.get("/api/changes").status_code == 403

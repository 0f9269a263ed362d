"""Helpers for the admin page tests: credentials, settings, the test client, CSRF tokens."""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

from sqlalchemy.engine import Engine

from watcher.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its TestClient; the project uses httpx (same API).
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", Warning)
    from fastapi.testclient import TestClient

__all__ = ["ADMIN_PASSWORD", "ADMIN_USER", "BASE_URL", "TestClient", "admin_settings", "basic", "csrf_token"]

ADMIN_USER = "analyst"
ADMIN_PASSWORD = "correct horse battery staple"
SESSION_SECRET = "test-session-secret-0123456789abcdef"
# public_url is https, so cookies are Secure: the test client must speak https to get them back.
BASE_URL = "https://testserver"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def basic(user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """An HTTP Basic Authorization header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def admin_settings(engine: Engine, tmp_path: Path, **overrides: object) -> Settings:
    """Settings with a password, a fixed session secret and a sources.toml path under tmp_path."""
    values: dict[str, object] = {
        "database_url": str(engine.url), "admin_user": ADMIN_USER, "admin_password": ADMIN_PASSWORD,
        "session_secret": SESSION_SECRET, "config": tmp_path / "sources.toml",
        "public_url": "https://watcher.example.org", "min_host_delay_s": 0.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def csrf_token(client: TestClient, page: str = "/sources") -> str:
    """The CSRF token of the forms on ``page``, as a browser would read it."""
    response = client.get(page, headers={"accept": "text/html"})
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)

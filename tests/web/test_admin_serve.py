"""`watcher serve`: loopback only without a password, and it says so."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from watcher.errors import ConfigError
from watcher.web.commands import bind_address

from support.browser import free_port


def env_without_password(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    return {**env, "WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'watcher.db'}"}


@pytest.mark.parametrize(("host", "has_password", "expected"), [
    (None, False, "127.0.0.1"), (None, True, "127.0.0.1"), ("127.0.0.1", False, "127.0.0.1"),
    ("::1", False, "::1"), ("0.0.0.0", True, "0.0.0.0"), ("192.0.2.10", True, "192.0.2.10"),
])
def test_where_serve_listens(host: str | None, has_password: bool, expected: str) -> None:
    assert bind_address(host, has_password=has_password) == expected


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "watcher.example.org"])
def test_another_address_without_a_password_is_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="without WATCHER_ADMIN_PASSWORD"):
        bind_address(host, has_password=False)


def test_serve_refuses_a_public_address_without_a_password(tmp_path: Path) -> None:
    from watcher.cli import app

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("WATCHER_")}
    env["WATCHER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'watcher.db'}"
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"], env=env)
    assert isinstance(result.exception, ConfigError)  # main() prints it as one line, exit 2
    assert str(result.exception) == ("refusing to serve on 0.0.0.0 without WATCHER_ADMIN_PASSWORD: "
                                     "set a password, or serve on 127.0.0.1")
    assert not (tmp_path / "watcher.db").exists()  # refused before touching anything


def test_serve_without_a_password_binds_loopback_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "watcher.cli", "serve", "--port", str(port)],
                               env=env_without_password(tmp_path), cwd=tmp_path,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "watcher serve did not start"
                time.sleep(0.1)
        assert response.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/changes").status_code == 200  # open on loopback
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "WATCHER_ADMIN_PASSWORD is not set: serving on 127.0.0.1 only, without login" in stderr

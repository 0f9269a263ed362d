"""`watcher serve`: the admin page under uvicorn."""

from __future__ import annotations

import ipaddress
import logging
from typing import Annotated

import typer

from watcher.errors import ConfigError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_address(host: str | None, *, has_password: bool) -> str:
    """Where to listen: 127.0.0.1 by default; any other address only with a password (else ConfigError)."""
    if host is None:
        return LOOPBACK
    if not has_password and not _is_loopback(host):
        raise ConfigError(f"refusing to serve on {host} without WATCHER_ADMIN_PASSWORD: "
                          "set a password, or serve on 127.0.0.1")
    return host


def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1; another address needs WATCHER_ADMIN_PASSWORD).")] = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Serve the admin page, the JSON API, the Atom feed and /metrics."""
    import uvicorn
    from rich.console import Console

    from watcher.settings import get_settings
    from watcher.store import ensure_schema, make_engine
    from watcher.web.app import create_app

    try:
        settings = get_settings()
    except Exception as exc:  # pydantic's ValidationError: one line, like every other command
        raise ConfigError(f"environment settings: {str(exc).splitlines()[0]}") from None
    has_password = settings.admin_password is not None
    address = bind_address(host, has_password=has_password)
    console = Console(stderr=True)
    if not has_password:
        console.print(f"WATCHER_ADMIN_PASSWORD is not set: serving on {address} only, without login",
                      highlight=False)
    engine = make_engine(settings.database_url)
    ensure_schema(engine, auto_upgrade=False)
    app = create_app(settings, engine)
    console.print(f"admin page on http://{address}:{port}/", highlight=False)
    uvicorn.run(app, host=address, port=port, log_config=None, access_log=False,
                proxy_headers=False, server_header=False)


def register(app: typer.Typer) -> None:
    """Add `watcher serve` to the CLI."""
    app.command("serve")(serve)

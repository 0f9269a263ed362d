"""The admin page: FastAPI + Jinja2 pages, a JSON API, an Atom feed and metrics (create_app)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so `watcher check` (which imports watcher.web.commands) does not load FastAPI.
    if name == "create_app":
        from watcher.web.app import create_app

        return create_app
    raise AttributeError(name)

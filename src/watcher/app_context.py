"""What every `watcher` command shares: the global options, settings, sources.toml and the engine.

It sits below all command modules (watcher.cli and the stages' commands.py), so they import it
and never each other; the Typer callback in watcher.cli fills ``options``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from watcher.errors import ConfigError

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.text import Text
    from sqlalchemy.engine import Engine

    from watcher.settings import Settings
    from watcher.sources import Config

__all__ = ["GlobalOptions", "load_sources", "open_engine", "options", "parse_since", "plain_text",
           "read_settings", "safe_text", "timezone"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(slots=True)
class GlobalOptions:
    """The options given before the command: ``watcher --config FILE --log-level L <command>``."""

    config_path: Path | None = None
    log_level: str = "INFO"


options = GlobalOptions()


def read_settings() -> Settings:
    """The environment settings; a bad value is one ConfigError line naming the variable."""
    from watcher.settings import get_settings

    try:
        return get_settings()
    except Exception as exc:  # pydantic's ValidationError: report it in one line
        raise ConfigError(f"environment settings: {str(exc).splitlines()[0]} "
                          f"({_first_field_error(exc)})") from None


def _first_field_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"WATCHER_{str(first['loc'][0]).upper()}: {first['msg']}"
    return str(exc)


def config_path(settings: Settings) -> Path:
    """--config when given, else $WATCHER_CONFIG / ./sources.toml."""
    return options.config_path or settings.config


def load_sources(settings: Settings) -> Config:
    """sources.toml, validated (a ConfigError names the file, source and field)."""
    from watcher.sources import load_config

    return load_config(config_path(settings))


def timezone(settings: Settings) -> ZoneInfo:
    """The configured time zone; Asia/Tokyo when there is no sources.toml (digest, notify)."""
    from zoneinfo import ZoneInfo

    if config_path(settings).exists():
        return load_sources(settings).timezone
    return ZoneInfo("Asia/Tokyo")


def open_engine(settings: Settings) -> Engine:
    """The database engine, its schema checked (SQLite is upgraded by the check itself)."""
    from watcher.store.db import ensure_schema, make_engine

    engine = make_engine(settings.database_url)
    ensure_schema(engine, auto_upgrade=False)
    return engine


def plain_text(value: str | None) -> str:
    """Text from a page or a remote server without its control characters (for a terminal)."""
    return _CONTROL.sub("", value or "")


def safe_text(value: str | None) -> Text:
    """Text from a page or a remote server, printed as written: never read as rich markup
    (a "[/b]" in a cell would crash the command) and without control characters."""
    from rich.text import Text

    return Text(plain_text(value))


def parse_since(value: str | None) -> datetime | None:
    """An ISO 8601 date or time for --since; a naive one is read in Asia/Tokyo."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since: '{value}' is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    return moment

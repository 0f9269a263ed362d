"""Logging set-up: readable lines on a terminal, one JSON object per line otherwise."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    """One JSON object per record; a record's `check` extra is merged in as fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        check = getattr(record, "check", None)
        if isinstance(check, dict):
            payload.update(check)
        if record.exc_info and record.levelno >= logging.ERROR:
            payload["exc"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(payload, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """`HH:MM:SS level message key=value …` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")  # noqa: DTZ006 - local time for people
        line = f"{ts} {record.levelname.lower():7} {record.getMessage()}"
        check = getattr(record, "check", None)
        if isinstance(check, dict):
            line += " " + " ".join(f"{k}={v}" for k, v in check.items() if v is not None and k != "source")
        return line


def setup_logging(level: str = "INFO", *, json_lines: bool | None = None) -> None:
    """Configure the root logger once for a command-line run."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries' request-by-request chatter is noise at INFO. slack_sdk also logs every
    # request's URL at DEBUG, and a webhook URL is a secret: it never goes below WARNING.
    for noisy in ("httpx", "httpcore", "alembic", "apscheduler", "aiosmtpd", "mail.log",
                  "slack_sdk"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

"""Email senders: SMTP from WATCHER_SMTP_URL, or .eml files in a directory when no server is set."""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from watcher.errors import ConfigError
from watcher.notify.base import SendError

if TYPE_CHECKING:  # smtplib loads when a message is sent (not when `watcher check` starts)
    from email.message import EmailMessage

log = logging.getLogger(__name__)

_TRUE = ("1", "true", "yes", "on")


class EmailSender(Protocol):
    """Hands one message on (to an SMTP server or a file) or raises SendError."""

    def send(self, message: EmailMessage, *, name: str) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    """Where and how to submit mail; the password never appears in repr or logs."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    security: str = "plain"  # plain | starttls | ssl
    timeout_s: float = 30.0

    def __repr__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"SmtpConfig({self.security} {user}{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpConfig:
    """smtp://user:pass@host:587?starttls=true or smtps://user:pass@host:465 → SmtpConfig.

    >>> parse_smtp_url("smtp://mailer:s%40cret@mail.example.jp:587?starttls=true")
    SmtpConfig(starttls mailer@mail.example.jp:587)
    >>> parse_smtp_url("smtps://mail.example.jp").port
    465
    """
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("WATCHER_SMTP_URL: expected smtp://[user:pass@]host[:port][?starttls=true] "
                          "or smtps://[user:pass@]host[:port]")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise ConfigError(f"WATCHER_SMTP_URL: unknown option(s) {', '.join(sorted(unknown))}")
    if parts.scheme == "smtps":
        security = "ssl"
    else:
        security = "starttls" if query.get("starttls", "").lower() in _TRUE else "plain"
    try:
        port = parts.port or (465 if security == "ssl" else 25)
        timeout = float(query.get("timeout", "30"))
    except ValueError as exc:
        raise ConfigError(f"WATCHER_SMTP_URL: {exc}") from None
    return SmtpConfig(
        host=parts.hostname, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        security=security, timeout_s=timeout,
    )


class SmtpSender:
    """Submits mail over SMTP (optionally STARTTLS or implicit TLS, optionally with AUTH)."""

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.ssl_context = ssl_context

    def send(self, message: EmailMessage, *, name: str) -> None:
        import smtplib

        cfg = self.config
        try:
            client: smtplib.SMTP
            if cfg.security == "ssl":
                client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_s,
                                          context=self.ssl_context or ssl.create_default_context())
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
            with client:
                if cfg.security == "starttls":
                    client.starttls(context=self.ssl_context or ssl.create_default_context())
                if cfg.username:
                    client.login(cfg.username, cfg.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(f"SMTP {cfg.host}: every recipient refused {sorted(exc.recipients)}",
                            permanent=all(code >= 500 for code in codes)) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP {cfg.host}: authentication failed ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise SendError(f"SMTP {cfg.host}: {exc.smtp_code} {text}",
                            permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {cfg.host}:{cfg.port} unreachable: {exc or type(exc).__name__}") from None
        if refused:
            log.warning("SMTP %s refused some recipients of %s: %s", cfg.host, name, sorted(refused))


class EmlWriter:
    """Writes each message to DIR/<name>.eml (the default when no SMTP server is configured)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, *, name: str) -> None:
        target = self.directory / f"{name}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a crash never leaves half a message under the real name.
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            raise SendError(f"cannot write {target}: {exc.strerror or exc}") from None
        log.info("wrote %s", target)

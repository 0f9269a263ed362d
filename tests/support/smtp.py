"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives.

The port is chosen before the server starts, so a test can point the watcher at a
server that is down and start it later on the same port.
"""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    def message(self) -> EmailMessage:
        """The message as the standard library parses it."""
        parsed = email.message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Collector:
    def __init__(self, box: list[ReceivedMail]) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.append(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos),
                                     bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpStandIn:
    """aiosmtpd on a fixed loopback port; optional AUTH with one user."""

    def __init__(self, *, port: int | None = None, user: str | None = None,
                 password: str | None = None) -> None:
        self.port = port or free_port()
        self.received: list[ReceivedMail] = []
        self.user, self.password = user, password
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        return f"smtp://{auth}127.0.0.1:{self.port}"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)  # unhandled failure: aiosmtpd answers 535

    def start(self) -> SmtpStandIn:
        kwargs: dict[str, Any] = {}
        if self.user:
            # Loopback in a test: allow AUTH without TLS.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self.controller = Controller(_Collector(self.received), hostname="127.0.0.1",
                                     port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

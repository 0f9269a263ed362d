"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts and fails on command.

The port is chosen before the server starts, so a test can point the watcher at a server
that is down (connection refused) and start it later on the same port. DATA is answered
from a script of actions before falling back to accepting the message.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import deque
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, owner: SmtpStandIn) -> None:
        self.owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        owner = self.owner
        with owner.lock:
            action = owner.script.popleft() if owner.script else "accept"
        if action == "drop":
            # The connection dies after DATA, before any reply: per RFC 5321 the
            # message was not accepted, and this server keeps nothing.
            server.transport.abort()
            return "421 dropped"
        if action.startswith("slow:"):
            await asyncio.sleep(float(action.removeprefix("slow:")))
            action = "accept"
        if action != "accept":
            return action  # an SMTP reply such as "451 4.3.0 try later" or "554 5.0.0 no"
        with owner.lock:
            owner.received.append(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos),
                                               bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"


class SmtpStandIn:
    """aiosmtpd on a fixed loopback port; optional AUTH with one user.

    Script actions for DATA (``stand_in.script.extend(...)``): "accept", "drop" (close
    after DATA, keep nothing), "slow:<seconds>", or an SMTP reply line ("451 …", "554 …").
    ``timeout_s`` is the client timeout `url` asks the watcher for.
    """

    def __init__(self, *, port: int | None = None, user: str | None = None,
                 password: str | None = None, timeout_s: float | None = None) -> None:
        self.port = port or free_port()
        self.user, self.password = user, password
        self.timeout_s = timeout_s
        self.received: list[ReceivedMail] = []
        self.script: deque[str] = deque()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        query = f"?timeout={self.timeout_s:g}" if self.timeout_s is not None else ""
        return f"smtp://{auth}127.0.0.1:{self.port}{query}"

    @property
    def running(self) -> bool:
        return self._controller is not None

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
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Close the port: 'connection refused' until start() opens it again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

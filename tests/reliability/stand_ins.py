"""Slack and SMTP servers on 127.0.0.1 that fail on command: slow, refusing, 5xx, 429,
dropping the connection after DATA. They record what they accepted, so a test can
count how many times each alert arrived.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from support.smtp import ReceivedMail, free_port

WEBHOOK_PATH = "/services/T0RELIAB/B0RELIAB/9fKq2LrTs8VnK1mWcPdQe3yZ"
CHANGE_LINK = re.compile(r"/changes/(\d+)\|")


@dataclass(frozen=True)
class SlackReply:
    status: int
    body: str = ""
    retry_after: str | None = None
    delay_s: float = 0.0


class FlakySlack:
    """An incoming webhook that answers from a script (then 200 "ok"), optionally slowly."""

    def __init__(self, *, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.bodies: list[dict[str, Any]] = []  # accepted messages, in arrival order
        self.attempts = 0
        self.in_flight = 0
        self._script: deque[SlackReply] = deque()
        self._lock = threading.Lock()
        self._port = 0
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{WEBHOOK_PATH}"

    def script(self, *replies: SlackReply) -> None:
        with self._lock:
            self._script.extend(replies)

    def change_ids(self) -> Counter[int]:
        """How many accepted messages named each change (a duplicate counts twice)."""
        deadline = time.monotonic() + 30
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)  # requests still being answered count too
        with self._lock:
            bodies = list(self.bodies)
        return Counter(int(m) for body in bodies
                       for m in set(CHANGE_LINK.findall(json.dumps(body, ensure_ascii=False))))

    def start(self) -> FlakySlack:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stand_in._lock:
                    stand_in.attempts += 1
                    stand_in.in_flight += 1
                    reply = stand_in._script.popleft() if stand_in._script else SlackReply(200, "ok")
                time.sleep(reply.delay_s or stand_in.delay_s)
                with stand_in._lock:
                    stand_in.in_flight -= 1
                    if reply.status == 200:
                        # Accepted once the answer is decided, as Slack would have it,
                        # even if the client has stopped waiting for that answer.
                        stand_in.bodies.append(json.loads(raw.decode("utf-8")))
                data = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    if reply.retry_after is not None:
                        self.send_header("Retry-After", reply.retry_after)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.httpd.daemon_threads = True
        self._port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port: 'connection refused' until start() opens it again."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> FlakySlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _FlakyHandler:
    def __init__(self, owner: FlakySmtp) -> None:
        self.owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        owner = self.owner
        with owner.lock:
            owner.attempts += 1
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


class FlakySmtp:
    """aiosmtpd on a fixed loopback port; DATA answered from a script of actions.

    Actions: "accept", "drop" (close after DATA, keep nothing), "slow:<seconds>",
    or an SMTP reply line ("451 …", "554 …").
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[ReceivedMail] = []
        self.attempts = 0
        self.script: deque[str] = deque()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def start(self) -> FlakySmtp:
        self.controller = Controller(_FlakyHandler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> FlakySmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

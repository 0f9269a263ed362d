"""A local Slack on 127.0.0.1 that fails on command: the incoming webhook and the Web API's
chat.postMessage, as the slack-sdk clients talk to them.

It records every request (path, headers, JSON body, what it answered) and answers from a
script of replies (5xx, 429 with Retry-After, an API error, a slow answer) before falling
back to success. `stop()` closes the port (connection refused, as when Slack is
unreachable) and `start()` opens the same port again.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T0WATCHER/B0WATCHER/x3yq9Zb2LrTs8VnK1mWcPdQe"
API_PREFIX = "/api/"
BOT_TOKEN = "xoxb-0000-watcher-test"
CHANGE_LINK = re.compile(r"/changes/(\d+)\|")


@dataclass(frozen=True)
class SlackReply:
    """One scripted answer: an HTTP status and body, optionally a Retry-After, optionally late."""

    status: int
    body: str = ""
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass(frozen=True)
class SlackRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the stand-in answered
    accepted: bool  # a 200 that is not an API error: Slack would show the message


class SlackStandIn:
    """Serve the webhook (`url`) and the Web API (`api_base_url`) on a loopback port.

    ``delay_s`` slows every answer down; a scripted reply's own delay takes precedence.
    """

    def __init__(self, *, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests: list[SlackRequest] = []  # in the order their answers were decided
        self._script: deque[SlackReply] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._port = 0
        self._httpd: ThreadingHTTPServer | None = None

    # -- the script and what arrived ----------------------------------------------------
    def script(self, *replies: SlackReply) -> None:
        """Answer the next requests with these, in order, instead of success."""
        with self._lock:
            self._script.extend(replies)

    @property
    def accepted(self) -> list[SlackRequest]:
        """Requests answered with success: the messages Slack would show."""
        with self._lock:
            return [r for r in self.requests if r.accepted]

    def change_ids(self) -> Counter[int]:
        """How many accepted messages named each change (a duplicate counts twice)."""
        deadline = time.monotonic() + 30
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)  # requests still being answered count too
        return Counter(int(m) for request in self.accepted
                       for m in set(CHANGE_LINK.findall(json.dumps(request.body, ensure_ascii=False))))

    def clear(self) -> None:
        """Forget every request so far."""
        with self._lock:
            self.requests.clear()

    @property
    def url(self) -> str:
        """The incoming webhook's URL."""
        return f"http://127.0.0.1:{self._port}{WEBHOOK_PATH}"

    @property
    def api_base_url(self) -> str:
        """The Web API's base URL, for a bot token client."""
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    # -- the server ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> SlackStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = stand_in._begin(self.path)
                time.sleep(reply.delay_s or stand_in.delay_s)
                # Recorded once the answer is decided, as Slack would have it, even if
                # the client has stopped waiting for that answer.
                stand_in._record(self.path, dict(self.headers.items()), _json(raw), reply)
                data = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    ctype = "application/json" if reply.body.startswith("{") else "text/html"
                    self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                    if reply.retry_after is not None:
                        self.send_header("Retry-After", reply.retry_after)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._port = int(self._httpd.server_address[1])
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port: 'connection refused' until start() opens it again."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request --------------------------------------------------------------------
    def _begin(self, path: str) -> SlackReply:
        with self._lock:
            self._in_flight += 1
            return self._script.popleft() if self._script else self._success(path)

    def _record(self, path: str, headers: dict[str, str], body: dict[str, Any],
                reply: SlackReply) -> None:
        with self._lock:
            self._in_flight -= 1
            self.requests.append(SlackRequest(path, headers, body, reply.status,
                                              accepted=reply.status == 200 and not _api_error(reply.body)))

    def _success(self, path: str) -> SlackReply:
        if path.startswith(API_PREFIX):
            return SlackReply(200, json.dumps({"ok": True, "channel": "C0WATCHER",
                                               "ts": f"1763683200.{len(self.requests):06d}"}))
        return SlackReply(200, "ok")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError:
        return {"_raw": raw.decode("utf-8", "replace")}
    return body if isinstance(body, dict) else {"_raw": body}


def _api_error(body: str) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ok") is False

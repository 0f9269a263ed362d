"""A local Slack: an incoming webhook and the Web API's chat.postMessage on 127.0.0.1.

It records every request (path, headers, JSON body) and answers from a script of
responses (429 with Retry-After, 500, an API error) before falling back to success.
`stop()` closes the port (connection refused, as when Slack is unreachable) and
`start()` opens the same port again.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T0WATCHER/B0WATCHER/x3yq9Zb2LrTs8VnK1mWcPdQe"
API_PREFIX = "/api/"
BOT_TOKEN = "xoxb-0000-watcher-test"


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the stand-in answered
    accepted: bool  # a 200 that is not an API error: Slack would show the message


class SlackStandIn:
    """Serve the webhook and /api/ on a loopback port in a background thread."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._port = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- the script -------------------------------------------------------------------
    def reply_next(self, status: int, body: str = "", headers: dict[str, str] | None = None,
                   *, times: int = 1) -> None:
        """Answer the next ``times`` requests with this instead of success."""
        with self._lock:
            for _ in range(times):
                self._script.append(Reply(status, body, dict(headers or {})))

    @property
    def accepted(self) -> list[Received]:
        """Requests answered with success: the messages Slack would show."""
        with self._lock:
            return [r for r in self.requests if r.accepted]

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{WEBHOOK_PATH}"

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    # -- the server -------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8")) if raw else {}
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with stand_in._lock:
                    reply = stand_in._script.popleft() if stand_in._script else None
                    if reply is None:
                        reply = stand_in._success(self.path)
                    stand_in.requests.append(
                        Received(self.path, dict(self.headers.items()), body, reply.status,
                                 accepted=reply.status == 200 and not _api_error(reply.body)))
                data = reply.body.encode("utf-8")
                self.send_response(reply.status)
                ctype = "application/json; charset=utf-8" if reply.body.startswith("{") else "text/html"
                self.send_header("Content-Type", ctype)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.httpd.daemon_threads = True
        self._port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Close the port: clients now get 'connection refused'."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def _success(self, path: str) -> Reply:
        if path.startswith(API_PREFIX):
            return Reply(200, json.dumps({"ok": True, "channel": "C0WATCHER",
                                          "ts": f"1763683200.{len(self.requests):06d}"}))
        return Reply(200, "ok")

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()



def _api_error(body: str) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ok") is False

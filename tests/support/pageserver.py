"""A real HTTP server on 127.0.0.1 that serves pages the test sets, with validators.

Tests change what a path serves between checks and count the requests it got.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    validators: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before answering (a slow government server)
    last_modified: str = field(default_factory=lambda: formatdate(usegmt=True))

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class PageServer:
    """Serve ``routes`` on a free loopback port in a background thread."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.request_times: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append((self.path, dict(self.headers.items())))
                    server.request_times.append((self.path, time.monotonic()))
                    route = server.routes.get(self.path)
                if route is not None and route.delay_s:
                    time.sleep(route.delay_s)
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                headers = dict(route.headers)
                if route.validators and route.status == 200:
                    headers["ETag"] = route.etag
                    headers["Last-Modified"] = route.last_modified
                    if self.headers.get("If-None-Match") == route.etag:
                        self._send(304, b"", None, headers)
                        return
                self._send(route.status, route.body, route.content_type, headers)

            def _send(self, status: int, body: bytes, ctype: str | None, headers: dict[str, str]) -> None:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, path: str, body: bytes | str, **kwargs: object) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.routes[path] = Route(body=data, **kwargs)  # type: ignore[arg-type]

    def hit_times(self, path: str) -> list[float]:
        with self._lock:
            return [t for p, t in self.request_times if p == path]

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

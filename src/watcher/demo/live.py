"""The demo's live cycle: serve the newest captures on loopback and run a real check against them.

The sources keep their ids (so the check compares with the imported history) and point
at http://127.0.0.1:<port>/<host>/<path>; everything after that is `watcher check`'s
own pass: fetch → extract → suspect rules → diff → store (and queue alerts).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from watcher.fetch import Fetcher, FetchPolicy
from watcher.importer.warc import Capture
from watcher.pipeline import CheckOutcome, Clock, PipelineOptions, run_pass, utc_now
from watcher.sources import Config


def loopback_path(url: str) -> str:
    """Where the loopback server serves a page: /<host><path>, so two hosts never collide.

    >>> loopback_path("https://www.ipa.go.jp/news/index.html")
    '/www.ipa.go.jp/news/index.html'
    """
    parts = urlsplit(url)
    return f"/{parts.hostname}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


class PageServer:
    """Serves captures' bodies (with their type and validators) on 127.0.0.1 in a thread."""

    def __init__(self, captures: Sequence[Capture]) -> None:
        routes = {loopback_path(c.url): c for c in captures}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                capture = routes.get(self.path)
                if capture is None:
                    self._answer(404, b"not found", "text/plain", {})
                    return
                etag = '"' + hashlib.sha256(capture.body).hexdigest()[:16] + '"'
                headers = {"ETag": etag}
                if capture.last_modified:
                    headers["Last-Modified"] = capture.last_modified
                if self.headers.get("If-None-Match") == etag:
                    self._answer(304, b"", None, headers)
                    return
                self._answer(200, capture.body, capture.content_type, headers)

            def _answer(self, status: int, body: bytes, content_type: str | None,
                        headers: dict[str, str]) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the demo prints its own story

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="demo-pages",
                                        daemon=True)

    def url(self, original: str) -> str:
        """The loopback address that serves the capture of ``original``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{loopback_path(original)}"

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


async def live_check(
    captures: Sequence[tuple[str, Capture]], config: Config, *, engine: Engine,
    options: PipelineOptions, clock: Clock = utc_now,
) -> list[CheckOutcome]:
    """Serve each (source id, capture) on loopback and check those sources once, for real."""
    with PageServer([c for _, c in captures]) as server:
        moved = {sid: server.url(capture.url) for sid, capture in captures}
        live = replace(config, sources=tuple(
            replace(s, url=moved[s.id]) if s.id in moved else s for s in config.sources))
        policy = FetchPolicy(user_agent=config.user_agent, max_tries=2, total_timeout_s=20.0)
        async with Fetcher(policy) as fetcher:
            return await run_pass(live, engine=engine, fetcher=fetcher, options=options,
                                  source_ids=tuple(moved), clock=clock)

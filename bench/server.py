"""The benchmark's page server: N pre-generated pages from uvicorn, in a process of its own.

Run by bench/run.py as ``python bench/server.py --n 500``; it prints one JSON line
(port and page statistics) once it listens, then serves until terminated. Its CPU
is not the watcher's, which is why it is a separate process.

    GET <page path>                     the page, with ETag and Last-Modified unless disabled
    GET /_bench/mode?version=2&validators=0   switch the site version and validators
    GET /_bench/counters                status counts since the last call (then reset)

If-None-Match (or, without it, an exactly equal If-Modified-Since) gives a 304.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import Site, build_sites

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_HTML = (b"content-type", b"text/html; charset=utf-8")


class PageApp:
    """A bare ASGI app (no framework, so the server stays cheap) over the two site versions."""

    def __init__(self, sites: dict[int, Site]) -> None:
        self.sites = sites
        self.version = 1
        self.validators = True
        self.counters: Counter[str] = Counter()
        # Header values as bytes, prepared once.
        self._prepared = {
            v: {path: (body, site.etags[path].encode(), site.last_modified[path].encode())
                for path, body in site.pages.items()}
            for v, site in sites.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/_bench/"):
            await self._control(path, scope, send)
            return
        page = self._prepared[self.version].get(path)
        if page is None:
            self.counters["404"] += 1
            await _respond(send, 404, [(b"content-type", b"text/plain")], b"not found")
            return
        body, etag, modified = page
        headers = [_HTML]
        if self.validators:
            headers += [(b"etag", etag), (b"last-modified", modified)]
            request = dict(scope["headers"])
            match = request.get(b"if-none-match")
            since = request.get(b"if-modified-since")
            if (match == etag) if match is not None else (since == modified):
                self.counters["304"] += 1
                await _respond(send, 304, headers, b"")
                return
        self.counters["200"] += 1
        self.counters["bytes"] += len(body)
        await _respond(send, 200, headers, body)

    async def _control(self, path: str, scope: Scope, send: Send) -> None:
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if path == "/_bench/mode":
            self.version = int(query.get("version", self.version))
            self.validators = query.get("validators", "1" if self.validators else "0") == "1"
            reply: dict[str, Any] = {"version": self.version, "validators": self.validators}
        elif path == "/_bench/counters":
            reply = dict(self.counters)
            self.counters.clear()
        else:
            await _respond(send, 404, [], b"")
            return
        await _respond(send, 200, [(b"content-type", b"application/json")], json.dumps(reply).encode())


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    import uvicorn

    first, second, edits = build_sites(args.n, seed=args.seed)
    app = PageApp({1: first, 2: second})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    stats = {
        "port": sock.getsockname()[1],
        "pages": args.n,
        "bytes_v1": first.total_bytes,
        "bytes_v2": second.total_bytes,
        "amount_changed": len(edits.amount_changed),
        "row_added": len(edits.row_added),
        "expected_changes": edits.expected_changes,
        "paths": sorted(first.pages),
    }
    print(json.dumps(stats), flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            loop="asyncio", http="h11", server_header=False, date_header=False,
                            timeout_keep_alive=60)
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    main()

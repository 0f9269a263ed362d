"""A body shorter or longer than its Content-Length is a failed fetch, never a stored page.

A server that computes Content-Length from the number of characters instead of
bytes (a common CMS bug with Japanese text) announces a third of the real size.
httpcore stops reading at the announced length, so without a check the watcher
would store a page cut after its first rows — rows that then "vanish" — and the
next request on the same connection would read the rest as its status line.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from fetch.factories import fetch_one
from watcher.fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult

from support import faultserver as fs
from support.faultserver import Behaviour, FaultServer

ROWS = "".join(f"<tr><td>株式会社半導体{i}</td><td>{i},000億円</td></tr>" for i in range(40))
PAGE = (f'<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>認定一覧</title></head>'
        f"<body><table><tr><th>認定事業者</th><th>最大助成額</th></tr>{ROWS}</table></body></html>"
        ).encode()
QUICK = FetchPolicy(max_tries=1, connect_timeout_s=2.0, read_timeout_s=2.0, total_timeout_s=5.0)
TRANSPORTS = ["aiohttp", "httpx"]


def transport_named(name: str) -> httpx.AsyncBaseTransport | None:
    if name == "aiohttp":
        from watcher.fetch.aiohttp_transport import AiohttpTransport

        return AiohttpTransport()
    return None


def fetch_all(urls: list[str], transport: str) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(QUICK, transport=transport_named(transport)) as fetcher:
            return [await fetcher.fetch(FetchRequest(source_id="meti-plans", url=url))
                    for url in urls]

    return asyncio.run(go())


def declaring(length: int, body: bytes = PAGE) -> Behaviour:
    """A 200 whose Content-Length says ``length`` and whose body is ``body``."""

    def write(sock: socket.socket, server: FaultServer) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()
        sock.sendall(head + body)

    return Behaviour(f"Content-Length {length} for {len(body)} bytes", write)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_body_longer_than_its_content_length_is_a_failed_fetch(
    server: FaultServer, transport: str,
) -> None:
    server.set("/plans.html", declaring(len(PAGE) // 3))  # characters, not bytes

    (result,) = fetch_all([server.url("/plans.html")], transport)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("body longer than its Content-Length")
    assert result.body == b""


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_body_shorter_than_its_content_length_is_a_failed_fetch(
    server: FaultServer, transport: str,
) -> None:
    server.set("/plans.html", declaring(len(PAGE) + 500))

    (result,) = fetch_all([server.url("/plans.html")], transport)

    assert result.status == "failed"
    assert result.body == b""


@pytest.mark.parametrize(("declared", "error"), [
    (99_999, f"body shorter than its Content-Length ({len(PAGE):,} bytes, 99,999 declared)"),
    (100, f"body longer than its Content-Length ({len(PAGE):,} bytes, 100 declared)"),
])
def test_any_transport_that_hands_over_a_body_of_another_length_is_caught(
    declared: int, error: str,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PAGE, headers={
            "Content-Type": "text/html; charset=utf-8", "Content-Length": str(declared)})

    result = fetch_one(handler)

    assert (result.status, result.error) == ("failed", error)


class KeepAliveServer:
    """HTTP/1.1 with keep-alive: /long declares a third of its body, any other path is right."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                declared = len(PAGE) // 3 if b" /long " in head else len(PAGE)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                             b"Content-Length: %d\r\n\r\n" % declared + PAGE)

    def close(self) -> None:
        self._listener.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_leftover_of_a_long_body_never_reaches_the_next_request(transport: str) -> None:
    keep_alive = KeepAliveServer()
    try:
        base = f"http://127.0.0.1:{keep_alive.port}"
        long, after = fetch_all([f"{base}/long", f"{base}/plans.html"], transport)
    finally:
        keep_alive.close()

    assert long.status == "failed"
    assert (after.status, after.error, after.body) == ("ok", None, PAGE)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_nul_byte_in_an_html_page_is_dropped_and_noted_not_taken_for_binary(
    server: FaultServer, transport: str, caplog: pytest.LogCaptureFixture,
) -> None:
    body = PAGE.replace(b"<td>", b"<td>\x00", 1)
    server.set("/plans.html", fs.ok(body))

    with caplog.at_level(logging.WARNING, logger="watcher.fetch"):
        (result,) = fetch_all([server.url("/plans.html")], transport)

    assert (result.status, result.encoding) == ("ok", "utf-8")
    assert result.text == PAGE.decode("utf-8")
    assert result.body == body  # the bytes are kept as fetched
    assert "meti-plans: dropped 1 NUL character(s)" in caplog.text


def test_an_untyped_page_with_a_nul_is_still_a_page() -> None:
    body = b"<html><body><p>\xe8\xaa\x8d\xe5\xae\x9a\x00</p></body></html>"

    result = fetch_one(lambda request: httpx.Response(200, content=body))

    assert result.text == "<html><body><p>認定</p></body></html>"

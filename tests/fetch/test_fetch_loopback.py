"""The real httpx transport against a small HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from fetch.factories import JASM_LINE, SHIFT_JIS_META, meti_page
from watcher.fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult, fetch

Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]

SJIS_PAGE = meti_page(meta=SHIFT_JIS_META).encode("cp932")
ONE_TRY = FetchPolicy(max_tries=1)


def head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def page(writer: asyncio.StreamWriter) -> None:
    body = gzip.compress(SJIS_PAGE)
    writer.write(
        head(
            "200 OK",
            {
                "Content-Type": "text/html",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(body)),
                "ETag": '"r4-0617"',
            },
        )
        + body
    )


async def stall_mid_body(writer: asyncio.StreamWriter) -> None:
    writer.write(head("200 OK", {"Content-Length": "5000"}) + b"<html><body>" + b"x" * 500)
    await writer.drain()
    await asyncio.sleep(10)


async def close_mid_body(writer: asyncio.StreamWriter) -> None:
    writer.write(head("200 OK", {"Content-Length": "5000"}) + b"<html>" + b"x" * 994)


@contextlib.asynccontextmanager
async def serve(routes: dict[str, Handler]) -> AsyncIterator[str]:
    """An HTTP/1.1 server on 127.0.0.1 answering each path with its handler."""
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            request_line = await reader.readline()
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            path = request_line.split()[1].decode()
            await routes[path](writer)
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


def fetch_from(
    routes: dict[str, Handler],
    path: str,
    policy: FetchPolicy = ONE_TRY,
    **request: object,
) -> FetchResult:
    async def go() -> FetchResult:
        async with serve(routes) as base:
            # An explicit transport, so proxy settings in the environment cannot interfere.
            async with Fetcher(policy, transport=httpx.AsyncHTTPTransport()) as fetcher:
                return await fetcher.fetch(
                    FetchRequest(source_id="loopback", url=base + path, **request)  # type: ignore[arg-type]
                )

    return asyncio.run(go())


def test_a_real_response_is_decompressed_decoded_and_hashed() -> None:
    result = fetch_from({"/page": page}, "/page")

    assert result.status == "ok"
    assert result.body == SJIS_PAGE
    assert result.encoding == "cp932"
    assert JASM_LINE in result.text
    assert result.etag == '"r4-0617"'


def test_a_server_that_stalls_mid_body_times_out() -> None:
    result = fetch_from(
        {"/stall": stall_mid_body}, "/stall", FetchPolicy(read_timeout_s=0.5, max_tries=1)
    )

    assert result.status == "failed"
    assert result.error == "timed out after 0.5 s without data"


def test_a_server_that_closes_mid_body_fails() -> None:
    result = fetch_from({"/cut": close_mid_body}, "/cut")

    assert result.status == "failed"
    assert result.error == "connection reset mid-body after 1,000 bytes"


def test_a_closed_port_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def go() -> FetchResult:
        async with Fetcher(FetchPolicy(max_tries=1), transport=httpx.AsyncHTTPTransport()) as f:
            return await f.fetch(
                FetchRequest(source_id="loopback", url=f"http://127.0.0.1:{port}/")
            )

    result = asyncio.run(go())

    assert (result.status, result.error) == ("failed", "connection refused")


def test_a_redirect_to_localhost_is_refused_after_real_resolution() -> None:
    async def moved(writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        writer.write(head("302 Found", {"Location": f"http://localhost:{port}/page"}))

    routes = {"/moved": moved, "/page": page}

    refused = fetch_from(routes, "/moved")
    allowed = fetch_from(routes, "/moved", allow_private=True)

    assert refused.status == "failed"
    assert refused.error is not None
    assert refused.error.startswith("redirect to localhost (loopback address ")
    assert (allowed.status, allowed.encoding) == ("ok", "cp932")
    assert allowed.url.startswith("http://localhost:")


def test_the_default_transport_works(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)

    async def go() -> FetchResult:
        async with serve({"/page": page}) as base:
            return await fetch(FetchRequest(source_id="loopback", url=base + "/page"))

    result = asyncio.run(go())

    assert (result.status, result.body) == ("ok", SJIS_PAGE)

"""The aiohttp transport behaves as httpx's own does, against real servers on 127.0.0.1.

Every case runs the Fetcher over AiohttpTransport; the cases shared with
test_fetch_loopback.py run over both transports, so that a difference between
them shows up as a failing pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import httpx
import pytest

from fetch.factories import JASM_LINE, SHIFT_JIS_META, meti_page
from fetch.test_fetch_loopback import close_mid_body, page, serve, stall_mid_body
from watcher.fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult
from watcher.fetch.aiohttp_transport import AiohttpTransport
from watcher.runner import http_transport
from watcher.settings import Settings

ONE_TRY = FetchPolicy(max_tries=1)
SJIS_PAGE = meti_page(meta=SHIFT_JIS_META).encode("cp932")
UTF8_PAGE = meti_page(meta='<meta charset="utf-8">').encode("utf-8")

TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "httpx": httpx.AsyncHTTPTransport,
    "aiohttp": lambda: AiohttpTransport(trust_env=False),
}


@dataclass
class Received:
    """One request as the server read it."""

    line: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


Reply = Callable[[Received], Awaitable[bytes | None]]


@dataclass
class KeepAliveServer:
    """HTTP/1.1 on 127.0.0.1 with keep-alive: ``reply`` answers each request on a connection.

    A reply of None closes the connection without answering.
    """

    reply: Reply
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    base: str = ""

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[KeepAliveServer]:
        tasks: set[asyncio.Task[None]] = set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            self.connections += 1
            try:
                while line := await reader.readline():
                    headers = []
                    while (raw := await reader.readline()) not in (b"\r\n", b""):
                        name, _, value = raw.decode("latin-1").partition(":")
                        headers.append((name.strip(), value.strip()))
                    received = Received(line=line.decode("latin-1").strip(), headers=headers)
                    self.requests.append(received)
                    answer = await self.reply(received)
                    if answer is None:
                        break
                    writer.write(answer)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await writer.wait_closed()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            yield self
        finally:
            server.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()


def response(status: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer(data: bytes) -> Reply:
    async def reply(_: Received) -> bytes:
        return data

    return reply


def fetch_all(
    reply: Reply,
    paths: list[str],
    *,
    policy: FetchPolicy = ONE_TRY,
    transport: str = "aiohttp",
    **request: object,
) -> tuple[list[FetchResult], KeepAliveServer]:
    """Fetch ``paths`` one after another through one Fetcher; the results and the server."""

    async def go() -> tuple[list[FetchResult], KeepAliveServer]:
        async with KeepAliveServer(reply).running() as server:
            async with Fetcher(policy, transport=TRANSPORTS[transport]()) as fetcher:
                results = [
                    await fetcher.fetch(
                        FetchRequest(source_id="loopback", url=server.base + path, **request)  # type: ignore[arg-type]
                    )
                    for path in paths
                ]
            return results, server

    return asyncio.run(go())


def fetch_loopback(routes: dict[str, Callable[[asyncio.StreamWriter], Awaitable[None]]],
                   path: str, transport: str, policy: FetchPolicy = ONE_TRY) -> FetchResult:
    """Fetch from test_fetch_loopback.py's one-response-per-connection server."""

    async def go() -> FetchResult:
        async with serve(routes) as base:
            async with Fetcher(policy, transport=TRANSPORTS[transport]()) as fetcher:
                return await fetcher.fetch(FetchRequest(source_id="loopback", url=base + path))

    return asyncio.run(go())


# -- the loopback cases, over both transports ----------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_real_response_is_decompressed_decoded_and_hashed(transport: str) -> None:
    result = fetch_loopback({"/page": page}, "/page", transport)

    assert (result.status, result.body, result.encoding) == ("ok", SJIS_PAGE, "cp932")
    assert JASM_LINE in result.text
    assert result.etag == '"r4-0617"'


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_server_that_stalls_mid_body_times_out(transport: str) -> None:
    policy = FetchPolicy(read_timeout_s=0.3, max_tries=1)

    result = fetch_loopback({"/stall": stall_mid_body}, "/stall", transport, policy)

    assert (result.status, result.error) == ("failed", "timed out after 0.3 s without data")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_server_that_closes_mid_body_fails(transport: str) -> None:
    result = fetch_loopback({"/cut": close_mid_body}, "/cut", transport)

    assert (result.status, result.error) == ("failed", "connection reset mid-body after 1,000 bytes")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_closed_port_is_connection_refused(transport: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def go() -> FetchResult:
        async with Fetcher(ONE_TRY, transport=TRANSPORTS[transport]()) as fetcher:
            return await fetcher.fetch(FetchRequest(source_id="loopback", url=f"http://127.0.0.1:{port}/"))

    result = asyncio.run(go())

    assert (result.status, result.error) == ("failed", "connection refused")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_server_that_never_answers_times_out_waiting_for_the_response(transport: str) -> None:
    async def silent(_: Received) -> bytes:
        await asyncio.sleep(5)
        return b""

    (result,), _ = fetch_all(silent, ["/"], transport=transport,
                             policy=FetchPolicy(read_timeout_s=0.2, max_tries=1))

    assert (result.status, result.error) == ("failed", "timed out after 0.2 s without data")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_connection_closed_before_any_response_is_retried_then_reported(transport: str) -> None:
    async def hang_up(_: Received) -> None:
        return None

    (result,), server = fetch_all(hang_up, ["/"], transport=transport,
                                  policy=FetchPolicy(max_tries=2, backoff_base_s=0.01))

    assert result.status == "failed"
    assert result.error is not None
    assert "127.0.0.1" in result.error
    assert result.attempts == 2
    assert len(server.requests) == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_garbled_status_line_is_a_bad_response(transport: str) -> None:
    (result,), _ = fetch_all(answer(b"HTTP/1.1 two hundred\r\n\r\n"), ["/"], transport=transport)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("bad response from 127.0.0.1: ")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_trickling_response_is_cut_at_the_total_timeout_and_the_fetcher_still_works(
    transport: str,
) -> None:
    async def trickle(received: Received) -> bytes:
        if received.line.startswith("GET /slow "):
            await asyncio.sleep(1)
        return response("200 OK", UTF8_PAGE, Content_Type="text/html; charset=utf-8")

    results, _ = fetch_all(trickle, ["/slow", "/fast"], transport=transport, timeout_s=0.3)

    assert (results[0].status, results[0].error) == ("failed", "response exceeded 0.3 s")
    assert (results[1].status, results[1].body) == ("ok", UTF8_PAGE)


# -- what the transport must get right itself -----------------------------------------------


def test_a_page_comes_back_with_status_validators_text_and_hash() -> None:
    reply = answer(response("200 OK", UTF8_PAGE, Content_Type="text/html; charset=utf-8",
                            ETag='"5f3a-63e1b2"', Last_Modified="Fri, 17 Jun 2022 08:00:00 GMT"))

    (result,), _ = fetch_all(reply, ["/semiconductor.html"])

    assert (result.status, result.http_status, result.body) == ("ok", 200, UTF8_PAGE)
    assert result.text == UTF8_PAGE.decode("utf-8")
    assert (result.etag, result.last_modified) == ('"5f3a-63e1b2"', "Fri, 17 Jun 2022 08:00:00 GMT")


def test_validators_are_sent_and_a_304_is_not_modified() -> None:
    async def conditional(received: Received) -> bytes:
        if received.header("If-None-Match") == ['"r7-1121"']:
            return response("304 Not Modified", ETag='"r7-1121"')
        return response("200 OK", UTF8_PAGE, ETag='"r7-1121"')

    (result,), server = fetch_all(conditional, ["/"], etag='"r7-1121"',
                                  last_modified="Fri, 21 Nov 2025 00:00:00 GMT")

    assert (result.status, result.http_status, result.body) == ("not_modified", 304, b"")
    assert server.requests[0].header("If-Modified-Since") == ["Fri, 21 Nov 2025 00:00:00 GMT"]


def test_only_the_fetchers_headers_are_sent_each_once() -> None:
    policy = FetchPolicy(max_tries=1, user_agent="subsidy-watcher/0.1 (+mailto:watch@example.org)")

    _, server = fetch_all(answer(response("200 OK", b"ok")), ["/"], policy=policy,
                          headers=(("Accept-Language", "ja"),))

    (sent,) = server.requests
    assert sent.line == "GET / HTTP/1.1"
    assert sent.header("User-Agent") == ["subsidy-watcher/0.1 (+mailto:watch@example.org)"]
    assert sent.header("Accept-Language") == ["ja"]
    assert len(sent.header("Accept-Encoding")) == 1
    assert "gzip" in sent.header("Accept-Encoding")[0]
    assert len(sent.header("Host")) == 1
    assert sent.header("Cookie") == []


def test_connections_are_kept_alive_between_requests() -> None:
    results, server = fetch_all(answer(response("200 OK", UTF8_PAGE)), ["/a", "/b", "/c", "/d"])

    assert [r.status for r in results] == ["ok"] * 4
    assert server.connections == 1


def test_a_body_abandoned_over_the_cap_does_not_poison_the_next_request() -> None:
    async def sized(received: Received) -> bytes:
        body = b"x" * 4_000_000 if received.line.startswith("GET /big ") else UTF8_PAGE
        return response("200 OK", body)

    policy = FetchPolicy(max_tries=1, max_body_bytes=1 << 20)
    results, server = fetch_all(sized, ["/big", "/small"], policy=policy)

    assert (results[0].status, results[0].error) == ("failed", "body larger than 1 MB cap")
    assert (results[1].status, results[1].body) == ("ok", UTF8_PAGE)
    assert server.connections == 2  # the half-read connection was closed, not reused


def test_gzip_and_deflate_arrive_raw_and_are_inflated_by_the_fetcher() -> None:
    async def encoded(received: Received) -> bytes:
        if received.line.startswith("GET /gz "):
            return response("200 OK", gzip.compress(UTF8_PAGE), Content_Encoding="gzip")
        return response("200 OK", zlib.compress(UTF8_PAGE), Content_Encoding="deflate")

    results, _ = fetch_all(encoded, ["/gz", "/deflate"])

    assert [(r.status, r.body) for r in results] == [("ok", UTF8_PAGE), ("ok", UTF8_PAGE)]


def test_a_decompression_bomb_is_stopped_by_the_cap_on_decoded_bytes() -> None:
    bomb = gzip.compress(b"\0" * 10_000_000)
    reply = answer(response("200 OK", bomb, Content_Encoding="gzip"))

    (result,), _ = fetch_all(reply, ["/"], policy=FetchPolicy(max_tries=1, max_body_bytes=1 << 20))

    assert (result.status, result.error) == ("failed", "body larger than 1 MB cap")


def test_a_corrupt_gzip_body_fails_with_a_clear_reason() -> None:
    reply = answer(response("200 OK", b"\x1f\x8b\x08\x00not really gzip", Content_Encoding="gzip"))

    (result,), _ = fetch_all(reply, ["/"])

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("could not decompress the body: ")


def test_redirects_are_left_to_the_fetcher() -> None:
    async def moved(received: Received) -> bytes:
        if received.line.startswith("GET /old "):
            return response("301 Moved Permanently", Location="/new")
        return response("200 OK", UTF8_PAGE)

    (result,), server = fetch_all(moved, ["/old"], allow_private=True)

    assert (result.status, result.body) == ("ok", UTF8_PAGE)
    assert result.url.endswith("/new")
    assert [r.line for r in server.requests] == ["GET /old HTTP/1.1", "GET /new HTTP/1.1"]


def test_repeated_headers_and_a_long_header_line_reach_httpx_intact() -> None:
    policy_header = "default-src 'self'; " + "script-src https://www.meti.go.jp; " * 500
    reply = answer(response("200 OK", b"ok", Set_Cookie="a=1", Content_Security_Policy=policy_header)
                   .replace(b"Set-Cookie: a=1", b"Set-Cookie: a=1\r\nSet-Cookie: b=2"))

    async def go() -> httpx.Response:
        async with KeepAliveServer(reply).running() as server:
            async with httpx.AsyncClient(transport=AiohttpTransport(trust_env=False)) as client:
                return await client.get(server.base + "/")

    got = asyncio.run(go())

    assert got.status_code == 200
    assert got.reason_phrase == "OK"
    assert got.http_version == "HTTP/1.1"
    assert got.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert got.headers["content-security-policy"] == policy_header.rstrip()


def test_an_environment_proxy_is_used_when_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def go(trust: bool) -> Received:
        async with KeepAliveServer(answer(response("200 OK", b"via proxy"))).running() as proxy, \
                KeepAliveServer(answer(response("200 OK", b"direct"))).running() as origin:
            monkeypatch.setenv("HTTP_PROXY", proxy.base)
            monkeypatch.setenv("http_proxy", proxy.base)
            async with httpx.AsyncClient(transport=AiohttpTransport(trust_env=trust)) as client:
                await client.get(origin.base + "/page")
            return (proxy.requests + origin.requests)[0]

    assert asyncio.run(go(True)).line.startswith("GET http://127.0.0.1:")  # absolute form: a proxy
    assert asyncio.run(go(False)).line == "GET /page HTTP/1.1"


def test_a_dns_failure_keeps_the_os_error_for_the_fetchers_wording() -> None:
    from watcher.fetch.aiohttp_transport import _request_error
    from watcher.fetch.reasons import describe_error

    key = aiohttp.client_reqrep.ConnectionKey("www.meti.go.jp", 443, True, True, None, None, None)
    lookup = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    try:
        try:
            raise aiohttp.ClientConnectorDNSError(key, lookup) from lookup
        except aiohttp.ClientError as exc:
            raise _request_error(exc, httpx.Request("GET", "https://www.meti.go.jp/")) from exc
    except httpx.ConnectError as mapped:
        reason = describe_error(mapped, host="www.meti.go.jp", read_timeout_s=20,
                                body_started=False, received=0)

    assert reason.text == "DNS lookup failed for host www.meti.go.jp"
    assert reason.retryable


def test_the_settings_choose_the_transport() -> None:
    assert isinstance(http_transport(Settings()), AiohttpTransport)
    assert http_transport(Settings(transport="httpx")) is None  # the Fetcher's httpx default

"""Timeouts, the body cap, decompression, connection errors and the per-host limits."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections import Counter

import httpx
import pytest

from fetch.factories import (
    METI,
    PAGE_URL,
    ChunkStream,
    FakeTime,
    fetch_one,
    fetcher,
    new_router,
    run,
)
from watcher.fetch import FetchPolicy, FetchRequest, FetchResult

ONE_TRY = FetchPolicy(max_tries=1)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ReadTimeout("timed out"), "timed out after 20 s without data"),
        (httpx.ConnectTimeout("timed out"), "timed out connecting to www.meti.go.jp"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "DNS lookup failed for host www.meti.go.jp",
        ),
        (httpx.ConnectError("network unreachable"), "could not connect to www.meti.go.jp: "),
        (httpx.WriteTimeout("timed out"), "timed out sending the request"),
        (httpx.PoolTimeout("timed out"), "timed out waiting for a free connection"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "bad response from www.meti.go.jp: Server disconnected",
        ),
        (httpx.ProxyError("407 Proxy Authentication Required"), "proxy error: 407"),
    ],
)
def test_network_errors_become_one_clear_line(error: Exception, reason: str) -> None:
    router = new_router()
    router.get(PAGE_URL).mock(side_effect=error)

    result = fetch_one(router, policy=ONE_TRY)

    assert result.status == "failed"
    assert result.http_status is None
    assert result.error is not None
    assert result.error.startswith(reason)


def test_a_connect_timeout_is_retried_then_reported() -> None:
    router = new_router()
    route = router.get(PAGE_URL).mock(side_effect=httpx.ConnectTimeout("timed out"))

    result = fetch_one(router)

    assert result.error == "timed out connecting to www.meti.go.jp (gave up after 3 tries)"
    assert route.call_count == 3


def test_the_read_timeout_is_reported_in_the_policys_seconds() -> None:
    router = new_router()
    router.get(PAGE_URL).mock(side_effect=httpx.ReadTimeout("timed out"))

    result = fetch_one(router, policy=FetchPolicy(read_timeout_s=7.5))

    assert result.error == "timed out after 7.5 s without data"


def test_a_response_that_trickles_past_the_total_timeout_fails() -> None:
    router = new_router()
    slow = ChunkStream([b"<html>", b"<body>", b"</body>", b"</html>"], delay_s=0.1)
    router.get(PAGE_URL).respond(200, stream=slow)
    request = FetchRequest(source_id="meti-semiconductor", url=PAGE_URL, timeout_s=0.15)

    result = fetch_one(router, request)

    assert result.status == "failed"
    assert result.error == "response exceeded 0.15 s"
    assert result.http_status == 200


def test_a_connection_reset_mid_body_is_not_a_short_page() -> None:
    router = new_router()
    broken = ChunkStream(
        [b"<html><body>" + b"x" * 1000], error=httpx.ReadError("Connection reset by peer")
    )
    router.get(PAGE_URL).respond(200, stream=broken)

    result = fetch_one(router)

    assert result.status == "failed"
    assert result.error == "connection reset mid-body after 1,012 bytes"
    assert result.body == b""
    assert result.attempts == 1


def test_a_declared_length_over_the_cap_fails_before_reading() -> None:
    router = new_router()
    # The announced 50 MB would never be read: the stream here holds only a few bytes.
    router.get(PAGE_URL).respond(
        200,
        stream=ChunkStream([b"<html></html>"]),
        headers={"Content-Length": str(50 * 1024 * 1024)},
    )

    result = fetch_one(router)

    assert result.status == "failed"
    assert result.error == "body larger than 20 MB cap"
    assert result.http_status == 200
    assert result.body == b""


def test_a_streamed_body_over_the_cap_is_a_failure_not_a_truncation() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(200, stream=ChunkStream([b"a" * 600, b"b" * 600, b"c" * 600]))

    result = fetch_one(router, policy=FetchPolicy(max_body_bytes=1000))

    assert (result.status, result.error, result.body) == (
        "failed",
        "body larger than 1,000 bytes cap",
        b"",
    )


def test_a_body_exactly_at_the_cap_is_accepted() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(200, stream=ChunkStream([b"a" * 600, b"b" * 400]))

    result = fetch_one(router, policy=FetchPolicy(max_body_bytes=1000))

    assert (result.status, len(result.body)) == ("ok", 1000)


def test_a_decompression_bomb_is_stopped_by_the_cap_on_decoded_bytes() -> None:
    bomb = gzip.compress(b"\0" * 10_000_000)
    assert len(bomb) < 20_000
    router = new_router()
    router.get(PAGE_URL).respond(
        200,
        stream=ChunkStream([bomb]),
        headers={"Content-Encoding": "gzip", "Content-Length": str(len(bomb))},
    )

    result = fetch_one(router, policy=FetchPolicy(max_body_bytes=1024 * 1024))

    assert result.status == "failed"
    assert result.error == "body larger than 1 MB cap"


def test_a_gzipped_page_is_decompressed() -> None:
    html = "<p>最大助成額 4,760億円</p>".encode()
    router = new_router()
    router.get(PAGE_URL).respond(
        200,
        stream=ChunkStream([gzip.compress(html)]),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"},
    )

    result = fetch_one(router)

    assert (result.status, result.body, result.text) == ("ok", html, html.decode())


def test_the_accept_encoding_offers_gzip() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(200, text="ok")

    fetch_one(router)

    assert "gzip" in route.calls.last.request.headers["Accept-Encoding"]


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("gzip", b"\x1f\x8b\x08\x00not really gzip"),
        ("gzip", gzip.compress(b"<html>" * 100)[:-20] + b"\xff" * 20),
        ("deflate", b"this is not zlib data"),
    ],
)
def test_a_corrupt_compressed_body_fails_with_a_clear_reason(encoding: str, payload: bytes) -> None:
    router = new_router()
    router.get(PAGE_URL).respond(
        200, stream=ChunkStream([payload]), headers={"Content-Encoding": encoding}
    )

    result = fetch_one(router)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("could not decompress the body: ")


def test_zlib_deflate_is_decompressed() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(
        200,
        stream=ChunkStream([zlib.compress(b"<p>ok</p>")]),
        headers={"Content-Encoding": "deflate"},
    )

    assert fetch_one(router).text == "<p>ok</p>"


def _concurrency_probe() -> tuple[Counter[str], Counter[str], object]:
    """A handler that takes a while and records the peak of requests in flight."""
    active: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        active[host] += 1
        active["*"] += 1
        peak[host] = max(peak[host], active[host])
        peak["*"] = max(peak["*"], active["*"])
        await asyncio.sleep(0.02)
        active[host] -= 1
        active["*"] -= 1
        return httpx.Response(200, text="ok")

    return active, peak, handler


def _fetch_all(handler: object, urls: list[str], policy: FetchPolicy) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with fetcher(handler, policy=policy) as f:  # type: ignore[arg-type]
            requests = [FetchRequest(source_id=f"s{i}", url=u) for i, u in enumerate(urls)]
            return list(await asyncio.gather(*(f.fetch(r) for r in requests)))

    return run(go())


def test_no_more_than_per_host_requests_run_at_once_against_one_host() -> None:
    _, peak, handler = _concurrency_probe()
    urls = [f"{METI}/press/2024/0{i}/page.html" for i in range(1, 8)]

    results = _fetch_all(handler, urls, FetchPolicy(per_host=2))

    assert all(r.status == "ok" for r in results)
    assert peak["www.meti.go.jp"] == 2


def test_the_global_limit_caps_requests_across_hosts() -> None:
    _, peak, handler = _concurrency_probe()
    hosts = ["www.meti.go.jp", "www.ipa.go.jp", "www.nedo.go.jp"]
    urls = [f"https://{host}/news/{i}.html" for host in hosts for i in range(4)]

    _fetch_all(handler, urls, FetchPolicy(per_host=2, max_connections=3))

    assert peak["*"] == 3
    assert all(peak[host] <= 2 for host in hosts)


def test_request_starts_to_one_host_are_spaced_politely() -> None:
    router = new_router()
    router.get(url__startswith=METI).respond(200, text="ok")
    router.get(url__startswith="https://www.ipa.go.jp").respond(200, text="ok")
    time = FakeTime()
    policy = FetchPolicy(min_host_delay_s=1.0)
    urls = [f"{METI}/a.html", f"{METI}/b.html", "https://www.ipa.go.jp/c.html", f"{METI}/d.html"]

    async def go() -> None:
        async with fetcher(router, policy=policy, time=time) as f:
            for i, url in enumerate(urls):
                await f.fetch(FetchRequest(source_id=f"s{i}", url=url))

    run(go())

    # METI waits a second between its starts; the IPA request goes straight away.
    assert time.sleeps == [1.0, 1.0]

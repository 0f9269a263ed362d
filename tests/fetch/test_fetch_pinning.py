"""A redirect's name is looked up once, by the Fetcher, and the connection goes to that answer.

This is what closes DNS rebinding: if the transport looked the name up again, a
name could answer a public address to the check and 169.254.169.254 to the
connection. Here the system resolver (``FakeDns``) refuses every lookup of the
redirect's name, so a fetch only succeeds if the transport connects to the
address the Fetcher was given, through both transports.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from fetch.factories import METI, FakeResolver, fetch_one, new_router
from watcher.fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult

from support import faultserver as fs
from support.faultserver import FakeDns, FaultServer

PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>認定一覧</title></head>
<body><div id="__main_contents"><h1>特定半導体生産施設整備等計画の認定</h1>
<table><tr><th>認定事業者</th><th>最大助成額</th></tr>
<tr><td>Rapidus株式会社</td><td>1,000億円</td></tr></table></div></body></html>"""
NAME = "mirror.example.jp"
QUICK = FetchPolicy(max_tries=1, connect_timeout_s=2.0, read_timeout_s=2.0, total_timeout_s=5.0)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server


def transport_named(name: str) -> httpx.AsyncBaseTransport | None:
    if name == "aiohttp":
        from watcher.fetch.aiohttp_transport import AiohttpTransport

        return AiohttpTransport()
    return None  # the Fetcher's own httpx transport


def fetch_through(server: FaultServer, transport: str, resolver: FakeResolver) -> FetchResult:
    request = FetchRequest(source_id="meti-semiconductor-plans", url=server.url("/start.html"),
                           allow_private=True)

    async def go() -> FetchResult:
        async with Fetcher(QUICK, transport=transport_named(transport), resolve=resolver) as f:
            return await f.fetch(request)

    with FakeDns({NAME: None}):  # any lookup of NAME but the Fetcher's own fails
        return asyncio.run(go())


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_the_connection_goes_to_the_address_the_fetcher_looked_up(
    server: FaultServer, transport: str,
) -> None:
    server.set("/start.html", fs.redirect(f"http://{NAME}:{server.port}/plans.html"))
    server.set("/plans.html", fs.ok(PAGE))
    resolver = FakeResolver({NAME: ["127.0.0.1"]})

    result = fetch_through(server, transport, resolver)

    assert (result.status, result.error) == ("ok", None)
    assert "Rapidus株式会社" in result.text
    assert resolver.asked == [NAME]  # one lookup, the Fetcher's
    (hit,) = [h for h in server.hits if h.path == "/plans.html"]
    assert hit.headers["host"] == f"{NAME}:{server.port}"  # the name still goes in Host


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_every_checked_address_is_tried_in_order_and_no_other(
    server: FaultServer, transport: str,
) -> None:
    """127.0.0.2 refuses (the server listens on 127.0.0.1 only); the next checked address answers."""
    server.set("/start.html", fs.redirect(f"http://{NAME}:{server.port}/plans.html"))
    server.set("/plans.html", fs.ok(PAGE))

    both = fetch_through(server, transport, FakeResolver({NAME: ["127.0.0.2", "127.0.0.1"]}))
    refused_only = fetch_through(server, transport, FakeResolver({NAME: ["127.0.0.2"]}))

    assert both.status == "ok"
    assert (refused_only.status, refused_only.error) == ("failed", "connection refused")


class Rebinding:
    """A name that answers a public address first and the metadata service afterwards."""

    def __init__(self) -> None:
        self.answers = [["202.214.194.150"], ["169.254.169.254"]]
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


def test_the_fetcher_pins_exactly_the_addresses_it_checked() -> None:
    from watcher.fetch.pinning import pinned_addresses

    seen: dict[str, tuple[str, ...] | None] = {}
    router = new_router()

    def record(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = pinned_addresses(request.url.host)
        if request.url.host == "www.meti.go.jp":
            return httpx.Response(302, headers={"Location": "https://cdn.example.jp/plans.html"})
        return httpx.Response(200, text=PAGE)

    router.route().mock(side_effect=record)
    rebinding = Rebinding()

    result = fetch_one(router, f"{METI}/policy/plans.html", resolver=rebinding)

    assert result.status == "ok"
    assert rebinding.asked == ["cdn.example.jp"]  # never asked again, so never rebound
    assert seen == {"www.meti.go.jp": None,  # the source's own URL: the transport resolves it
                    "cdn.example.jp": ("202.214.194.150",)}

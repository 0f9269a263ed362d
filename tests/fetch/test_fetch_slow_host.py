"""A slow page holds its host's politeness slot for at most its own timeout, in all.

Every redirect hop and every retry of one fetch draws on the page's one timeout,
so a page that is slow on every hop or every try cannot keep the other sources of
its host waiting longer than that. Waiting for the slot does not count against a
page: a page let in late still has its whole timeout. per_host is 1 here, the
politest setting, where one slow page matters most.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from watcher.fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult

from support import faultserver as fs
from support.faultserver import Behaviour, FaultServer

PAGE = "<html><body><table><tr><td>Rapidus株式会社</td><td>1,000億円</td></tr></table></body></html>"
HOP_S = 0.6
TIMEOUT_S = 1.0
POLITE = FetchPolicy(per_host=1, max_tries=3, backoff_base_s=0.01, max_retry_wait_s=5.0,
                     connect_timeout_s=2.0, read_timeout_s=2.0)


def slowly(behaviour: Behaviour, delay_s: float) -> Behaviour:
    def write(sock: socket.socket, server: FaultServer) -> None:
        time.sleep(delay_s)
        behaviour.write(sock, server)

    return Behaviour(f"{behaviour.name} after {delay_s} s", write)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        for hop in range(1, 5):
            fault_server.set(f"/moved/{hop}", slowly(fs.redirect(f"/moved/{hop + 1}"), HOP_S))
        fault_server.set("/moved/5", fs.ok(PAGE))
        fault_server.set("/busy.html", slowly(fs.status(503, retry_after="0"), HOP_S))
        fault_server.set("/plans.html", fs.ok(PAGE))
        yield fault_server


def transport_named(name: str) -> httpx.AsyncBaseTransport | None:
    if name == "aiohttp":
        from watcher.fetch.aiohttp_transport import AiohttpTransport

        return AiohttpTransport()
    return None


async def timed(fetcher: Fetcher, request: FetchRequest, started: float) -> tuple[FetchResult, float]:
    result = await fetcher.fetch(request)
    return result, time.monotonic() - started


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize("slow_path", ["/moved/1", "/busy.html"], ids=["slow-redirects", "slow-retries"])
def test_a_slow_page_gives_up_at_its_own_timeout_and_its_host_moves_on(
    server: FaultServer, transport: str, slow_path: str,
) -> None:
    slow = FetchRequest(source_id="meti-slow", url=server.url(slow_path), timeout_s=TIMEOUT_S,
                        allow_private=True)  # its redirects stay on the loopback server
    others = [FetchRequest(source_id=f"meti-{n}", url=server.url("/plans.html"), timeout_s=TIMEOUT_S)
              for n in range(3)]

    async def go() -> list[tuple[FetchResult, float]]:
        async with Fetcher(POLITE, transport=transport_named(transport)) as fetcher:
            started = time.monotonic()
            return list(await asyncio.gather(*(timed(fetcher, r, started) for r in [slow, *others])))

    (slow_result, slow_s), *rest = asyncio.run(go())

    assert slow_result.status == "failed"
    assert slow_result.error is not None
    assert slow_result.error.startswith(f"response exceeded {TIMEOUT_S:g} s"), slow_result.error
    assert slow_s < TIMEOUT_S + 0.4  # not one timeout per hop or per try
    for result, elapsed in rest:
        assert (result.status, result.error) == ("ok", None)
        assert elapsed < TIMEOUT_S + 0.4

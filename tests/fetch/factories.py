"""Shared helpers for the fetch tests: a fake clock, a fake resolver, pages and streams."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import respx

from watcher.fetch import Fetcher, FetchPolicy, FetchRequest, FetchResult

T = TypeVar("T")

METI = "https://www.meti.go.jp"
PAGE_URL = f"{METI}/policy/mono_info_service/joho/laws/semiconductor.html"

# The sentence every charset test must get back exactly; ① and ㈱ exist only in
# cp932 (Microsoft's Shift_JIS), as on real older METI pages.
JASM_LINE = "特定半導体生産施設整備等計画の認定 ジャパン・アドバンスト・セミコンダクター・マニュファクチャリング㈱ 最大助成額 4,760億円"
NOTE_LINE = "※① 助成額は上限額であり、実際の交付額は事業の進捗に応じて決定されます。"


def meti_page(*, meta: str = "") -> str:
    """A METI-style approval page; ``meta`` is put in <head> (a charset declaration or nothing)."""
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
{meta}
<title>半導体・デジタル産業戦略｜経済産業省</title>
</head>
<body>
<div id="__main_contents">
<h1>特定半導体生産施設整備等計画の認定について</h1>
<p>経済産業省は、特定高度情報通信技術活用システムの開発供給及び導入の促進に関する法律（5G促進法）に基づき、
以下の計画を認定しました。</p>
<p>（単位：億円）</p>
<table>
<tr><th scope="col">認定日</th><th scope="col">認定事業者</th><th scope="col">計画の概要</th><th scope="col">最大助成額</th></tr>
<tr><td>令和4年6月17日</td><td>JASM株式会社</td><td>熊本県菊池郡菊陽町 22/28nm・12/16nm ロジック半導体 月産5.5万枚</td><td>4,760</td></tr>
<tr><td>令和4年7月26日</td><td>キオクシア株式会社、ウエスタンデジタル合同会社</td><td>三重県四日市市 3次元フラッシュメモリ</td><td>929.3</td></tr>
<tr><td>令和4年9月30日</td><td>マイクロンメモリジャパン株式会社</td><td>広島県東広島市 DRAM</td><td>464.7</td></tr>
</table>
<p>{JASM_LINE}</p>
<p>{NOTE_LINE}</p>
</div>
<div id="__rdo_update"><p>最終更新日：2022年6月17日</p></div>
</body>
</html>
"""


SHIFT_JIS_META = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'


@dataclass
class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep requested."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class FakeResolver:
    """Resolves the names it was given; any other name fails like a DNS miss."""

    addresses: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.addresses[host]


PUBLIC_DNS = {
    "www.meti.go.jp": ["202.214.194.145"],
    "www.ipa.go.jp": ["202.229.3.13"],
    "www.nedo.go.jp": ["210.152.139.40"],
}


def run(awaitable: Awaitable[T]) -> T:
    """Run a coroutine to completion in a fresh event loop."""

    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def new_router() -> respx.MockRouter:
    """A respx router that fails loudly on any request it has no route for."""
    return respx.MockRouter(assert_all_called=False, assert_all_mocked=True)


def fetcher(
    handler: respx.MockRouter | Callable[[httpx.Request], Any],
    *,
    policy: FetchPolicy | None = None,
    time: FakeTime | None = None,
    resolver: FakeResolver | None = None,
) -> Fetcher:
    """A Fetcher over a mock transport, a fake clock and a fake resolver (no network, no waits)."""
    function = handler.async_handler if isinstance(handler, respx.MockRouter) else handler
    time = time or FakeTime()
    return Fetcher(
        policy or FetchPolicy(),
        transport=httpx.MockTransport(function),
        sleep=time.sleep,
        clock=time.clock,
        resolve=resolver or FakeResolver(dict(PUBLIC_DNS)),
        rng=random.Random(7),
    )


def fetch_one(
    handler: respx.MockRouter | Callable[[httpx.Request], Any],
    request: FetchRequest | str = PAGE_URL,
    **kwargs: Any,
) -> FetchResult:
    """Fetch one request (or URL, as source "meti-semiconductor") through ``fetcher``."""
    if isinstance(request, str):
        request = FetchRequest(source_id="meti-semiconductor", url=request)

    async def go() -> FetchResult:
        async with fetcher(handler, **kwargs) as f:
            return await f.fetch(request)

    return run(go())


class ChunkStream(httpx.AsyncByteStream):
    """A response body delivered chunk by chunk, optionally slowly or ending in an error."""

    def __init__(
        self, chunks: Iterable[bytes], *, delay_s: float = 0.0, error: Exception | None = None
    ) -> None:
        self._chunks = list(chunks)
        self._delay_s = delay_s
        self._error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            if self._delay_s:
                await asyncio.sleep(self._delay_s)
            yield chunk
        if self._error is not None:
            raise self._error

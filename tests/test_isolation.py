"""The extraction pool: the same Documents as in-process extraction, limits that hold, workers
that die or are recycled, and a shutdown that leaves no process behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability import html_bombs, pdf_bombs
from watcher.extract import Page, extract
from watcher.isolation import ExtractionPool, PoolClosedError, PoolLimits

DEMO = Path(__file__).resolve().parent.parent / "src" / "watcher" / "demo_data" / "pages"
KINDS = {
    "meti-semiconductor-plans/2025-09-19.html": "table",
    "ipa-news/2025-12-26.html": "links",
    "meti-news/2025-11-21.html": "text",
    "meti-budget-fy2026-pdf/2025-12-26.pdf": "pdf",
}


def page_of(name: str) -> Page:
    body = (DEMO / name).read_bytes()
    pdf = name.endswith(".pdf")
    return Page(url=f"https://www.meti.go.jp/{name}", text="" if pdf else body.decode("utf-8"),
                body=body, content_type="application/pdf" if pdf else "text/html")


def html_page(text: str) -> Page:
    return Page(url="https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor.html",
                text=text, body=text.encode("utf-8"))


def content_bomb() -> Page:
    # 20 KB on the wire, 8 MB of drawing operators inflated: ~20 s of pdfminer in-process.
    return Page(url="https://www.meti.go.jp/main/yosangaisan/fy2026/pdf/bomb.pdf", text="",
                body=pdf_bombs.content_bomb(8_000_000), content_type="application/pdf")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited but is not reaped yet: not running.
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def pool() -> Iterator[ExtractionPool]:
    with ExtractionPool(PoolLimits(workers=2, timeout_s=2.0, memory_mb=512, max_tasks=50)) as p:
        yield p


def test_every_kind_gives_the_same_document_in_the_pool_as_in_process(pool: ExtractionPool) -> None:
    for name, kind in KINDS.items():
        page = page_of(name)
        pooled = pool.extract_sync(kind, page, source_id=name)
        assert pooled == extract(kind, page), name
        assert pooled.suspect_reason is None, name
    assert pool.stats.documents == len(KINDS)


def test_no_worker_starts_before_the_first_document() -> None:
    with ExtractionPool(PoolLimits(workers=2)) as idle:
        assert idle.worker_pids() == []
        assert idle.stats.workers_started == 0


def test_a_document_over_the_time_limit_is_suspect_and_the_pool_carries_on(pool: ExtractionPool) -> None:
    started = time.monotonic()
    document = pool.extract_sync("pdf", content_bomb(), source_id="meti-budget-fy2026-pdf")
    assert document.suspect_reason == "extraction exceeded 2 s"
    assert document.records == ()
    assert time.monotonic() - started < 6
    page = page_of("meti-semiconductor-plans/2025-09-19.html")
    assert pool.extract_sync("table", page) == extract("table", page)
    assert pool.stats.timeouts == 1


def test_a_document_over_the_memory_limit_is_suspect_and_its_worker_replaced() -> None:
    # A 10,000-row table needs about 75 MB in a worker; the limit here is 80 MB of
    # address space, of which the worker itself takes most.
    with ExtractionPool(PoolLimits(workers=1, timeout_s=30.0, memory_mb=80)) as small:
        document = small.extract_sync("table", html_page(html_bombs.big_table(10_000)))
        assert document.suspect_reason == "extraction exceeded 80 MB"
        assert small.stats.over_memory == 1
        normal = small.extract_sync("text", page_of("meti-news/2025-11-21.html"))
        assert normal.suspect_reason is None
        assert small.stats.workers_started == 2


def test_a_worker_killed_once_is_replaced_and_the_document_extracted_on_the_retry() -> None:
    with ExtractionPool(PoolLimits(workers=1, timeout_s=30.0)) as one:
        one.extract_sync("text", page_of("meti-news/2025-11-21.html"))  # the worker is up
        future = one.submit("table", html_page(html_bombs.big_table(10_000)))
        (pid,) = one.worker_pids()
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        document = future.result(timeout=60)
        assert len(document.records) == 10_000
        assert document.suspect_reason is None
        assert (one.stats.deaths, one.stats.retries) == (1, 1)
        assert pid not in one.worker_pids()


def test_a_document_whose_worker_is_killed_twice_is_suspect() -> None:
    with ExtractionPool(PoolLimits(workers=1, timeout_s=30.0)) as one:
        future = one.submit("pdf", content_bomb(), source_id="meti-budget-fy2026-pdf")
        for _ in range(2):
            wait_until(lambda: len(one.worker_pids()) == 1)
            (pid,) = one.worker_pids()
            time.sleep(0.3)
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda p=pid: p not in one.worker_pids())
        document = future.result(timeout=10)
        assert document.suspect_reason == "extraction worker died (killed by SIGKILL), twice"
        assert one.stats.retries == 1
        page = page_of("ipa-news/2025-12-26.html")
        assert one.extract_sync("links", page) == extract("links", page)


def test_workers_are_recycled_after_max_tasks() -> None:
    page = page_of("meti-news/2025-11-21.html")
    with ExtractionPool(PoolLimits(workers=1, max_tasks=3)) as one:
        pids = set()
        for _ in range(7):
            one.extract_sync("text", page)
            pids.update(one.worker_pids())
        assert one.stats.workers_started == 3  # 3 + 3 + 1 documents
        assert len(pids) >= 2


def test_close_stops_every_worker_and_refuses_new_documents() -> None:
    pool = ExtractionPool(PoolLimits(workers=2, timeout_s=30.0))
    pool.extract_sync("text", page_of("meti-news/2025-11-21.html"))
    pending = pool.submit("pdf", content_bomb())  # still being read when the pool closes
    time.sleep(0.3)
    pids = pool.worker_pids()
    assert pids
    started = time.monotonic()
    pool.close(timeout_s=0.5)
    assert time.monotonic() - started < 5
    with pytest.raises(PoolClosedError):
        pending.result(timeout=1)
    assert not [pid for pid in pids if alive(pid)]
    with pytest.raises(PoolClosedError, match="shut down"):
        pool.submit("text", page_of("meti-news/2025-11-21.html"))

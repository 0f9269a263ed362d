"""Hostile and oversized pages through the extraction pool, the way `watcher check` reads them.

Each hostile page becomes a suspect snapshot with its reason within seconds, because the
limits hold (the tests lower the time limit to 2 s); none records a change, and the good page
that comes back afterwards records none either. An honest 10,000-row table is read whole.
A pass of 20 sources with one hostile page finishes the 19 others in their normal time, and a
`watcher run` with a page mid-extraction stops cleanly on SIGTERM, also after kill -9 of its
extraction worker, leaving no process behind.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from reliability import html_bombs, pdf_bombs
from reliability.conftest import Figures
from reliability.harness import FAST, check_one, config_of, count, table_source
from watcher.fetch import Fetcher
from watcher.isolation import ExtractionPool, PoolLimits
from watcher.pipeline import CheckOutcome, PipelineOptions, run_pass
from watcher.store import make_engine, sync_sources, upgrade
from watcher.store.models import ChangeRow, Snapshot, SourceRow, utcnow

from support.pageserver import PageServer

BIG = replace(FAST, max_body_bytes=20 * 2**20, total_timeout_s=20.0, read_timeout_s=10.0)
PDF = "application/pdf"


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractionPool]:
    with ExtractionPool(PoolLimits(workers=2, timeout_s=2.0, memory_mb=512)) as p:
        yield p


HOSTILE: list[tuple[str, str, Callable[[], bytes], str | None, str]] = [
    ("rowspan bomb: 140,000 rows of rowspan=999999 (13.7 MB)", "table",
     lambda: html_bombs.rowspan_bomb(140_000).encode(), None,
     # Refused by the grid's cell budget after parsing 13.7 MB (1.7 s alone), or by the limit.
     r"a table of 140,001 rows expands past 500,000 cells|extraction exceeded 2 s"),
    ("rowspan bomb under the cell budget: 7,000 rows (5 s to read)", "table",
     lambda: html_bombs.rowspan_bomb(7_000).encode(), None, r"extraction exceeded 2 s"),
    ("50,000 nested div/table levels", "table",
     lambda: html_bombs.deep_nesting(50_000).encode(), None, r"empty page|too deeply nested"),
    ("PDF content bomb: 20 KB inflating to 8 MB of drawing operators", "pdf",
     lambda: pdf_bombs.content_bomb(8_000_000), PDF, r"extraction exceeded 2 s"),
]


@pytest.mark.parametrize(("kind", "build", "ctype", "reason"), [h[1:] for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_page_is_suspect_within_seconds_and_never_a_change(
    kind: str, build: Callable[[], bytes], ctype: str | None, reason: str, pool: ExtractionPool,
    sqlite_engine: Engine, page_server: PageServer, figures: Figures,
) -> None:
    good = (pdf_bombs.simple() if kind == "pdf" else html_bombs.approval_page(1).encode())
    headers = {"content_type": ctype} if ctype else {}
    page_server.serve("/plans.html", good, **headers)
    config = config_of({**table_source("meti-plans", page_server.url("/plans.html")), "extract": kind})
    options = PipelineOptions(extraction=pool)
    first = check_one(config, sqlite_engine, policy=BIG, options=options)
    assert first.status == "ok", first.error

    page_server.serve("/plans.html", build(), **headers)
    started = time.monotonic()
    hostile = check_one(config, sqlite_engine, policy=BIG, options=options)
    elapsed = time.monotonic() - started
    figures.note("hostile_pages", {"page": reason, "seconds": round(elapsed, 2)})
    assert hostile.status == "suspect"
    assert re.search(reason, hostile.error or ""), hostile.error
    assert elapsed < 10
    assert hostile.changes == 0

    page_server.serve("/plans.html", good, **headers)
    back = check_one(config, sqlite_engine, policy=BIG, options=options)
    assert back.status in ("ok", "unchanged", "not_modified")
    assert back.changes == 0
    assert count(sqlite_engine, ChangeRow) == 0


def test_an_honest_10000_row_table_is_read_whole_and_a_revised_amount_is_one_change(
    sqlite_engine: Engine, page_server: PageServer,
) -> None:
    page = html_bombs.big_table(10_000)
    page_server.serve("/plans.html", page)
    config = config_of(table_source("meti-plans", page_server.url("/plans.html")))
    with ExtractionPool(PoolLimits(workers=1, timeout_s=20.0)) as big_pool:
        options = PipelineOptions(extraction=big_pool)
        started = time.monotonic()
        first = check_one(config, sqlite_engine, policy=BIG, options=options)
        assert first.status == "ok", first.error
        assert time.monotonic() - started < 20
        # ㈱テスト半導体00042's maximum grant: 43.2 億円 → 4,300.2 億円.
        page_server.serve("/plans.html", page.replace("<td>43.2</td>", "<td>4,300.2</td>", 1))
        second = check_one(config, sqlite_engine, policy=BIG, options=options)
    assert second.status == "ok", second.error
    assert second.changes == 1
    with Session(sqlite_engine) as session:
        (change,) = session.exec(select(ChangeRow)).all()
    assert change.kind == "amount_changed"
    assert (change.previous_amount_yen, change.amount_yen) == (4_320_000_000, 430_020_000_000)


def test_a_10000_row_table_over_a_lowered_time_limit_is_suspect(
    sqlite_engine: Engine, page_server: PageServer,
) -> None:
    page_server.serve("/plans.html", html_bombs.big_table(10_000))
    config = config_of(table_source("meti-plans", page_server.url("/plans.html")))
    with ExtractionPool(PoolLimits(workers=1, timeout_s=0.5)) as tight:
        outcome = check_one(config, sqlite_engine, policy=BIG,
                            options=PipelineOptions(extraction=tight))
    assert (outcome.status, outcome.error) == ("suspect", "extraction exceeded 0.5 s")


def timed_pass(config_sources: list[dict[str, object]], db: Path, pool: ExtractionPool,
               ) -> tuple[float, dict[str, tuple[float, CheckOutcome]]]:
    """One pass on a fresh database: its wall time, and when each source finished."""
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    config = config_of(*config_sources)
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())
    done: dict[str, tuple[float, CheckOutcome]] = {}

    async def go() -> float:
        async with Fetcher(BIG) as fetcher:
            started = time.perf_counter()
            await run_pass(config, engine=engine, fetcher=fetcher,
                           options=PipelineOptions(extraction=pool),
                           on_done=lambda o: done.__setitem__(
                               o.source_id, (time.perf_counter() - started, o)))
            return time.perf_counter() - started

    wall = asyncio.run(go())
    assert count(engine, ChangeRow) == 0
    engine.dispose()
    return wall, done


def test_one_hostile_page_does_not_hold_up_the_19_other_sources_of_a_pass(
    tmp_path: Path, page_server: PageServer, figures: Figures,
) -> None:
    normal = []
    for i in range(19):
        page_server.serve(f"/plans-{i:02d}.html", html_bombs.approval_page(i))
        normal.append(table_source(f"meti-plans-{i:02d}", page_server.url(f"/plans-{i:02d}.html")))
    page_server.serve("/budget.pdf", pdf_bombs.content_bomb(8_000_000),
                      content_type=PDF)
    hostile = {**table_source("meti-budget-pdf", page_server.url("/budget.pdf")), "extract": "pdf"}
    with ExtractionPool(PoolLimits(workers=2, timeout_s=5.0)) as pool:
        timed_pass(normal[:2], tmp_path / "warm.db", pool)  # workers up, as in `watcher run`
        alone, _ = timed_pass(normal, tmp_path / "alone.db", pool)
        wall, done = timed_pass([*normal, hostile], tmp_path / "with.db", pool)
    others = max(at for sid, (at, _) in done.items() if sid != "meti-budget-pdf")
    figures.note("pass_with_one_hostile_page", {"19 alone s": round(alone, 2),
                                                "19 beside the hostile page s": round(others, 2),
                                                "pass s": round(wall, 2)})
    assert all(o.status == "ok" for sid, (_, o) in done.items() if sid != "meti-budget-pdf")
    assert others <= 2 * alone + 1.0
    assert others < 5.0  # well before the hostile page's limit
    at, outcome = done["meti-budget-pdf"]
    assert (outcome.status, outcome.error) == ("suspect", "extraction exceeded 5 s")
    assert at >= 5.0


# --- `watcher run` with a page mid-extraction --------------------------------------------------


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def extraction_workers(pid: int) -> list[int]:
    """The pool's workers: the forkserver's children (the forkserver is the main's child)."""
    return [w for server in children(pid) for w in children(server)]


def wait_for(condition: Callable[[], object], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def start_run(tmp_path: Path, url: str, timeout_s: float) -> tuple[subprocess.Popen[str], str]:
    config = tmp_path / "sources.toml"
    config.write_text(f'[[sources]]\nid = "meti-budget-pdf"\nname = "METI 概算要求"\nagency = "METI"\n'
                      f'url = "{url}"\nextract = "pdf"\nschedule = "every 1h"\n', encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    env = {**os.environ, "WATCHER_DATABASE_URL": db_url, "WATCHER_MIN_HOST_DELAY_S": "0",
           "WATCHER_EXTRACT_TIMEOUT_S": str(timeout_s), "WATCHER_EXTRACT_WORKERS": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "watcher.cli", "--config", str(config), "run",
                               "--tick", "0.2", "--grace", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return worker, db_url


def stop_cleanly(worker: subprocess.Popen[str]) -> str:
    tree = descendants(worker.pid)
    assert tree, "the pool's processes were not running"
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    assert time.monotonic() - started < 6
    _, stderr = worker.communicate(timeout=5)
    wait_for(lambda: not [p for p in tree if running(p)], timeout_s=5)
    assert "Traceback" not in stderr
    return stderr


def test_sigterm_stops_a_run_with_a_page_mid_extraction_and_leaves_no_process(
    tmp_path: Path, page_server: PageServer,
) -> None:
    page_server.serve("/budget.pdf", pdf_bombs.content_bomb(8_000_000),
                      content_type=PDF)
    worker, db_url = start_run(tmp_path, page_server.url("/budget.pdf"), timeout_s=60)
    try:
        wait_for(lambda: page_server.hits("/budget.pdf") >= 1 and extraction_workers(worker.pid))
        time.sleep(0.5)
        stderr = stop_cleanly(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert "extraction pool stopped" in stderr
    engine = sa.create_engine(db_url)
    with Session(engine) as session:
        assert session.exec(select(Snapshot)).all() == []  # the abandoned check wrote nothing
        row = session.get(SourceRow, "meti-budget-pdf")
        assert row is not None
        assert row.claimed_by is None


def test_a_page_whose_worker_is_killed_twice_is_suspect_and_the_run_still_stops_cleanly(
    tmp_path: Path, page_server: PageServer,
) -> None:
    page_server.serve("/budget.pdf", pdf_bombs.content_bomb(8_000_000),
                      content_type=PDF)
    worker, db_url = start_run(tmp_path, page_server.url("/budget.pdf"), timeout_s=60)
    engine = sa.create_engine(db_url)
    try:
        for _ in range(2):
            wait_for(lambda: extraction_workers(worker.pid))
            (victim,) = extraction_workers(worker.pid)
            time.sleep(0.3)
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda v=victim: v not in extraction_workers(worker.pid))

        def snapshot() -> Snapshot | None:
            with Session(engine) as session:
                return session.exec(select(Snapshot)).first()

        wait_for(snapshot)
        stderr = stop_cleanly(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    recorded = snapshot()
    assert recorded is not None
    assert (recorded.status, recorded.error) == (
        "suspect", "extraction worker died (killed by SIGKILL), twice")
    assert "extracting it once more" in stderr

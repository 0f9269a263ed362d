"""Three `watcher run` processes share one PostgreSQL database: each due source is fetched
once per period, every change is delivered once, and a worker killed mid-check loses nothing."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from watcher.store.models import ChangeRow, Delivery, Snapshot, SourceRow

from support.db import postgres_base_url, postgres_schema_url
from support.pageserver import PageServer
from support.slack import SlackStandIn

pytestmark = pytest.mark.postgres

PERIOD_S = 2.0
PAGE = ("<html><head><title>{title}</title></head><body><div id='__main_contents'><h1>{title}</h1>"
        "<p>特定半導体生産施設整備等計画の認定について（{title}）。</p></div></body></html>")


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = postgres_base_url()
    if base is None:
        pytest.skip("WATCHER_TEST_POSTGRES_URL is not set")
    with postgres_schema_url(base) as url:
        yield url


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_three_workers_fetch_each_source_once_per_period_and_survive_a_kill(
    tmp_path: Path, page_server: PageServer, pg_url: str,
) -> None:
    blocks = []
    for i in range(30):
        page_server.serve(f"/p{i}.html", PAGE.format(title=f"計画{i}"))
        blocks.append(f'[[sources]]\nid = "plan-{i}"\nname = "METI plan {i}"\nagency = "METI"\n'
                      f'url = "{page_server.url(f"/p{i}.html")}"\nextract = "text"\nschedule = "every 2s"\n')
    config = tmp_path / "sources.toml"
    config.write_text("\n".join(blocks), encoding="utf-8")
    slack = SlackStandIn().start()
    env = {**os.environ, "WATCHER_DATABASE_URL": pg_url, "WATCHER_MIN_HOST_DELAY_S": "0",
           "WATCHER_PER_HOST": "10", "WATCHER_SLACK_WEBHOOK_URL": slack.url,
           # the killed worker may hold claimed deliveries: let their lease expire quickly
           "WATCHER_DELIVERY_LEASE_S": "3"}
    subprocess.run([sys.executable, "-m", "watcher.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=60)
    logs = [(tmp_path / f"worker{n}.log").open("w") for n in range(3)]
    workers = [
        subprocess.Popen([sys.executable, "-m", "watcher.cli", "--config", str(config), "run",
                          "--tick", "0.2", "--lease", "3", "--grace", "5", "--dispatch-every", "0.5"],
                         env=env, stdout=subprocess.DEVNULL, stderr=log)
        for log in logs
    ]
    engine = sa.create_engine(pg_url)
    try:
        wait_for(lambda: all(page_server.hits(f"/p{i}.html") >= 1 for i in range(30)))
        window_start = time.monotonic()
        time.sleep(3 * PERIOD_S)
        window_end = time.monotonic()

        for i in range(30):
            times = [t for t in page_server.hit_times(f"/p{i}.html") if window_start <= t <= window_end]
            # three periods: three fetches (four when a period boundary falls just inside the window)
            assert 2 <= len(times) <= 4, (i, times)
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert all(gap > PERIOD_S * 0.7 for gap in gaps), (i, gaps)  # never twice in one period

        # Five pages are revised: each change is recorded once and reaches Slack once.
        for i in range(1, 6):
            page_server.serve(f"/p{i}.html", PAGE.format(title=f"計画{i}（第2版）"))

        # Kill a worker in the middle of a check: its lease expires and another worker finishes.
        page_server.serve("/p0.html", PAGE.format(title="計画0（改訂）"), delay_s=30)

        def holder() -> str | None:
            with Session(engine) as session:
                return session.exec(select(SourceRow.claimed_by).where(col(SourceRow.id) == "plan-0")).one()

        wait_for(lambda: holder() is not None and page_server.hits("/p0.html") > 0)
        victim_pid = int(str(holder()).split(":")[1])
        victim = next(w for w in workers if w.pid == victim_pid)
        killed_at_hits = page_server.hits("/p0.html")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        page_server.serve("/p0.html", PAGE.format(title="計画0（改訂）"))

        def finished_by_another() -> bool:
            with Session(engine) as session:
                rows = session.exec(select(Snapshot).where(col(Snapshot.source_id) == "plan-0")
                                    .order_by(col(Snapshot.id).desc())).all()
            return page_server.hits("/p0.html") > killed_at_hits and any(r.status == "ok" for r in rows[:1])

        wait_for(finished_by_another, timeout=20)

        # Six changes (five revisions and plan-0's), each recorded once and delivered once.
        def all_delivered() -> bool:
            with Session(engine) as session:
                statuses = session.exec(select(Delivery.status)).all()
            return len(statuses) == 6 and set(statuses) == {"sent"}

        try:
            wait_for(all_delivered, timeout=30)
        except AssertionError:
            with Session(engine) as session:
                rows = session.exec(select(Delivery.status, Delivery.last_error, Delivery.change_id,
                                           Delivery.health_event_id)).all()
                changes = session.exec(select(ChangeRow.source_id, ChangeRow.summary)).all()
            raise AssertionError(f"deliveries {rows}; changes {changes}") from None
        with Session(engine) as session:
            changed = sorted(session.exec(select(ChangeRow.source_id)).all())
        assert changed == ["plan-0", "plan-1", "plan-2", "plan-3", "plan-4", "plan-5"]
        messages = [json.dumps(r.body, ensure_ascii=False) for r in slack.accepted]
        for i in range(6):
            assert sum(1 for m in messages if re.search(rf"METI plan {i}\b", m)) == 1, i
        assert len(messages) == 6
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                code = worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                code = None
            assert code in (0, -signal.SIGKILL)
        for log in logs:
            log.close()
        engine.dispose()
        slack.stop()
    assert not any("Traceback" in (tmp_path / f"worker{n}.log").read_text() for n in range(3))

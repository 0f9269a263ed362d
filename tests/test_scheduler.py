"""`watcher run`: jobs on time, SIGHUP reloads, SIGTERM stops cleanly, due times survive restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from watcher.pipeline import utc_now
from watcher.scheduler import SingleWorkerError, Worker, WorkerOptions
from watcher.settings import Settings
from watcher.sources import load_config
from watcher.store.models import Snapshot, SourceRow
from watcher.store.schedule import claim_due_sources, heartbeat

from support.pageserver import PageServer

PAGE = ("<html><head><title>{title}</title></head><body><div id='__main_contents'><h1>{title}</h1>"
        "<p>経済産業省は、{title}に関する情報を掲載しています。令和7年11月21日更新。</p></div></body></html>")


def source_block(sid: str, url: str, schedule: str, enabled: bool = True) -> str:
    return (f'[[sources]]\nid = "{sid}"\nname = "METI — {sid}"\nagency = "METI"\nurl = "{url}"\n'
            f'extract = "text"\nschedule = "{schedule}"\nenabled = {"true" if enabled else "false"}\n\n')


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def start_worker(config: Path, db_url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "WATCHER_DATABASE_URL": db_url, "WATCHER_MIN_HOST_DELAY_S": "0"}
    return subprocess.Popen([sys.executable, "-m", "watcher.cli", "--config", str(config), "run",
                             "--tick", "0.2", "--grace", "5", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_run_follows_schedules_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path, page_server: PageServer) -> None:
    for name in ("a", "b", "c"):
        page_server.serve(f"/{name}.html", PAGE.format(title=f"ページ{name}"))
    config = tmp_path / "sources.toml"
    config.write_text(source_block("meti-a", page_server.url("/a.html"), "every 1s")
                      + source_block("meti-b", page_server.url("/b.html"), "every 1s"), encoding="utf-8")
    worker = start_worker(config, f"sqlite:///{tmp_path / 'w.db'}")
    try:
        wait_for(lambda: page_server.hits("/a.html") >= 1 and page_server.hits("/b.html") >= 1)
        a_start = page_server.hits("/a.html")
        time.sleep(3.0)
        a_before, b_before = page_server.hits("/a.html"), page_server.hits("/b.html")
        # every 1 s for 3 s: each due run happens, and none more often than due
        assert 2 <= a_before - a_start <= 4

        # SIGHUP with b disabled and c added: takes effect without a restart.
        config.write_text(source_block("meti-a", page_server.url("/a.html"), "every 1s")
                          + source_block("meti-b", page_server.url("/b.html"), "every 1s", enabled=False)
                          + source_block("meti-c", page_server.url("/c.html"), "every 1s"), encoding="utf-8")
        worker.send_signal(signal.SIGHUP)
        time.sleep(2.5)
        assert page_server.hits("/c.html") >= 1
        assert page_server.hits("/b.html") <= b_before + 1  # at most one check already in flight

        # A broken file on SIGHUP is reported; the previous configuration stays in force.
        config.write_text("[[sources]\n", encoding="utf-8")
        worker.send_signal(signal.SIGHUP)
        c_hits = page_server.hits("/c.html")
        time.sleep(2.0)
        assert page_server.hits("/c.html") > c_hits

        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
        assert time.monotonic() - started < 6
    finally:
        if worker.poll() is None:
            worker.kill()
        _, stderr = worker.communicate(timeout=10)
    assert "reload refused, keeping the previous configuration" in stderr
    assert "Traceback" not in stderr
    # one structured line per check, JSON when not on a terminal
    assert '"source": "meti-a", "status": "ok"' in stderr


def test_sigterm_abandons_a_slow_check_cleanly_within_the_grace_period(tmp_path: Path, page_server: PageServer) -> None:
    page_server.serve("/slow.html", PAGE.format(title="遅いページ"), delay_s=8)
    config = tmp_path / "sources.toml"
    config.write_text(source_block("meti-slow", page_server.url("/slow.html"), "every 1h"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    env_grace = ("--grace", "1")
    worker = start_worker(config, db_url, *env_grace)
    try:
        wait_for(lambda: page_server.hits("/slow.html") >= 1)
        assert page_server.hits("/slow.html") == 1
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=10)
    engine = sa.create_engine(db_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Snapshot)).one() == 0  # nothing half-written
        row = session.get(SourceRow, "meti-slow")
        assert row is not None
        assert row.claimed_by is None  # the claim was given back for the next worker


def make_worker(tmp_path: Path, engine: Engine, page_server: PageServer, schedule: str) -> Worker:
    page_server.serve("/a.html", PAGE.format(title="ページa"))
    path = tmp_path / "sources.toml"
    path.write_text(source_block("meti-a", page_server.url("/a.html"), schedule), encoding="utf-8")
    settings = Settings(database_url=str(engine.url), min_host_delay_s=0.0)
    return Worker(config_path=path, config=load_config(path), settings=settings, engine=engine,
                  options=WorkerOptions(tick_s=0.1))


def test_a_run_missed_while_down_is_done_once_not_replayed(tmp_path: Path, sqlite_engine: Engine, page_server: PageServer) -> None:
    worker = make_worker(tmp_path, sqlite_engine, page_server, "every 10m")
    assert asyncio.run(worker.run_once()) == ["meti-a"]
    # The worker was down for 5 hours: 30 runs were missed.
    with Session(sqlite_engine) as session, session.begin():
        session.execute(sa.update(SourceRow).values(next_due_at=utc_now() - timedelta(hours=5)))

    assert asyncio.run(worker.run_once()) == ["meti-a"]
    assert asyncio.run(worker.run_once()) == []  # not due again until 10 minutes from now
    assert page_server.hits("/a.html") == 2
    with Session(sqlite_engine) as session:
        row = session.get(SourceRow, "meti-a")
        assert row is not None
        assert row.next_due_at is not None
        assert timedelta(minutes=9) < row.next_due_at - utc_now() < timedelta(minutes=11)


def test_a_second_worker_on_sqlite_is_refused(tmp_path: Path, sqlite_engine: Engine, page_server: PageServer) -> None:
    worker = make_worker(tmp_path, sqlite_engine, page_server, "every 1h")
    with Session(sqlite_engine) as session, session.begin():
        heartbeat(session=session, worker_id="other-host:123:abc", now=utc_now())
    with pytest.raises(SingleWorkerError, match="SQLite supports one `watcher run` at a time"):
        worker.refuse_second_sqlite_worker()


def test_claims_are_exclusive_and_leased(engine: Engine, tmp_path: Path, page_server: PageServer) -> None:
    worker = make_worker(tmp_path, engine, page_server, "every 1h")
    worker.sync()
    now = utc_now()
    with Session(engine) as session, session.begin():
        first = claim_due_sources(session=session, worker_id="w1", now=now, lease_s=60, limit=10,
                                  source_ids=["meti-a"])
    with Session(engine) as session, session.begin():
        second = claim_due_sources(session=session, worker_id="w2", now=now, lease_s=60, limit=10,
                                   source_ids=["meti-a"])
    with Session(engine) as session, session.begin():
        after_lease = claim_due_sources(session=session, worker_id="w2", now=now + timedelta(seconds=61),
                                        lease_s=60, limit=10, source_ids=["meti-a"])
    assert (first, second, after_lease) == (["meti-a"], [], ["meti-a"])
    with Session(engine) as session:
        claimed_by = session.exec(select(SourceRow.claimed_by).where(col(SourceRow.id) == "meti-a")).one()
    assert claimed_by == "w2"


def test_health_reports_a_stale_worker(tmp_path: Path, page_server: PageServer) -> None:
    page_server.serve("/a.html", PAGE.format(title="ページa"))
    config = tmp_path / "sources.toml"
    config.write_text(source_block("meti-a", page_server.url("/a.html"), "every 1h"), encoding="utf-8")
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}

    def watcher(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "watcher.cli", "--config", str(config), *args],
                              env=env, capture_output=True, text=True, timeout=60, check=False)

    assert watcher("health").returncode == 1
    assert watcher("run", "--once").returncode == 0
    ok = watcher("health")
    assert ok.returncode == 0, ok.stdout
    stale = watcher("health", "--max-age", "0")
    assert stale.returncode == 1
    assert "unhealthy: last check" in stale.stdout


def test_a_worker_claims_among_the_stored_sources_and_gives_back_one_it_does_not_know(
    tmp_path: Path, engine: Engine, page_server: PageServer,
) -> None:
    worker = make_worker(tmp_path, engine, page_server, "every 1h")
    # Another worker's newer sources.toml added meti-x; this worker has not reloaded yet.
    newer = tmp_path / "newer.toml"
    newer.write_text(source_block("meti-a", page_server.url("/a.html"), "every 1h")
                     + source_block("meti-x", page_server.url("/x.html"), "every 1h"), encoding="utf-8")
    other = Worker(config_path=newer, config=load_config(newer), settings=worker.settings,
                   engine=engine, worker_id="other")
    other.sync()

    async def claim_twice() -> tuple[list[str], list[str]]:
        first = await worker.check_due()
        await asyncio.gather(*worker.in_flight.values(), return_exceptions=True)
        return first, await worker.check_due()

    worker.fetcher = None  # claimed checks end at once: only the claims are looked at here
    first, second = asyncio.run(claim_twice())
    assert first == ["meti-a"]
    assert second == []  # meti-a is leased to this worker's check; meti-x is not this worker's
    with Session(engine) as session:
        x = session.get(SourceRow, "meti-x")
    assert x is not None
    assert x.claimed_by is None  # given back at once, for the worker that knows it

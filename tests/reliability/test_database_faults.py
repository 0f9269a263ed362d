"""The database goes away, is locked, or runs out of space: the check waits or fails cleanly,
nothing is half-written, and the change is recorded exactly once when the database is back.

PostgreSQL "stops" through a loopback TCP proxy that is cut and restored (the real
server is never touched); SQLite is locked by another connection; a full disk is a
small tmpfs (when this process may mount one), SQLite's own size limit (which fails
with the same SQLITE_FULL error) and an injected OSError(ENOSPC).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from reliability.conftest import Figures
from reliability.harness import (
    PLANS_V0,
    PLANS_V1,
    change_facts,
    check_pass,
    config_of,
    count,
    problems,
    source_row,
    table_source,
)
from watcher.scheduler import Worker
from watcher.settings import Settings
from watcher.sources import Config, load_config
from watcher.store import make_engine, upgrade
from watcher.store.models import ChangeRow, Snapshot

from support.db import postgres_base_url, postgres_schema_url
from support.pageserver import PageServer
from support.tcpproxy import TcpProxy

REVISION = (167_000_000_000, 192_000_000_000)


def plans_sites(server: PageServer, n: int, *, body: str = PLANS_V0, delay_s: float = 0.0) -> Config:
    for i in range(n):
        server.serve(f"/plans-{i}.html", body, validators=False, delay_s=delay_s)
    return config_of(*(table_source(f"plans-{i}", server.url(f"/plans-{i}.html")) for i in range(n)))


def revise(server: PageServer, n: int, *, body: str = PLANS_V1, delay_s: float = 0.0) -> None:
    for i in range(n):
        server.serve(f"/plans-{i}.html", body, validators=False, delay_s=delay_s)


def revisions(engine: Engine) -> int:
    return sum(n for fact, n in change_facts(engine).items()
               if (fact.previous_amount_yen, fact.amount_yen) == REVISION)


def bulky(body: str, size: int, seed: int = 8) -> str:
    """The page with an incompressible comment of ``size`` bytes (so its blob is that big)."""
    noise = base64.b64encode(random.Random(seed).randbytes(size * 3 // 4)).decode()
    return body.replace("</body>", f"<!-- {noise} -->\n</body>")


# --- SQLite locked -----------------------------------------------------------------------


def test_a_locked_sqlite_database_makes_the_check_wait_then_finish(
    sqlite_engine: Engine, page_server: PageServer, figures: Figures,
) -> None:
    config = plans_sites(page_server, 3)
    check_pass(config, sqlite_engine)
    revise(page_server, 3)
    path = sqlite_engine.url.database
    assert path is not None
    locked = threading.Event()

    def hold_write_lock() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # another process writing: no one else may
        locked.set()
        time.sleep(1.5)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    locked.wait(5)
    started = time.monotonic()
    outcomes = check_pass(config, sqlite_engine)
    waited = time.monotonic() - started
    holder.join()

    figures.add("db_faults_injected")
    assert waited >= 1.0  # it waited for the lock instead of failing
    assert [(o.status, o.changes) for o in outcomes] == [("ok", 1)] * 3
    assert revisions(sqlite_engine) == 3
    assert problems(sqlite_engine) == []


# --- a full disk -------------------------------------------------------------------------


def _limit_pages(engine: Engine, pages: int) -> None:
    @event.listens_for(engine, "connect")
    def limit(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]


def test_a_full_sqlite_database_fails_the_check_cleanly_and_recovers(
    tmp_path: Path, page_server: PageServer, figures: Figures,
) -> None:
    url = f"sqlite:///{tmp_path / 'full.db'}"
    roomy = make_engine(url)
    upgrade(roomy)
    config = plans_sites(page_server, 1)
    check_pass(config, roomy)
    with roomy.connect() as conn:
        used = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    roomy.dispose()
    revise(page_server, 1, body=bulky(PLANS_V1, 256 * 1024))
    # SQLite refuses to grow past max_page_count with SQLITE_FULL, as on a full disk.
    full = make_engine(url)
    _limit_pages(full, used + 4)
    snapshots_before = count(full, Snapshot)

    (outcome,) = check_pass(config, full)

    figures.add("db_faults_injected")
    assert outcome.status == "error"
    assert "database or disk is full" in (outcome.error or "")
    assert "\n" not in (outcome.error or "")
    assert (count(full, Snapshot), count(full, ChangeRow)) == (snapshots_before, 0)
    full.dispose()
    freed = make_engine(url)
    (again,) = check_pass(config, freed)
    assert (again.status, again.changes) == ("ok", 1)
    assert revisions(freed) == 1
    assert problems(freed) == []
    freed.dispose()


def test_an_oserror_while_writing_the_blob_fails_the_check_cleanly(
    sqlite_engine: Engine, page_server: PageServer, monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
) -> None:
    import watcher.store.checks as repo

    config = plans_sites(page_server, 2)
    check_pass(config, sqlite_engine)
    revise(page_server, 2)
    good = source_row(sqlite_engine, "plans-0").last_good_snapshot_id

    def no_space(data: bytes, level: int = 6) -> bytes:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(repo, "compress", no_space)
        outcomes = check_pass(config, sqlite_engine)

    figures.add("db_faults_injected")
    assert {o.status for o in outcomes} == {"error"}
    assert all("No space left on device" in (o.error or "") for o in outcomes)
    assert count(sqlite_engine, ChangeRow) == 0
    assert source_row(sqlite_engine, "plans-0").last_good_snapshot_id == good
    healed = check_pass(config, sqlite_engine)
    assert [(o.status, o.changes) for o in healed] == [("ok", 1)] * 2
    assert revisions(sqlite_engine) == 2
    assert problems(sqlite_engine) == []


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_really_full_disk_fails_the_check_cleanly_and_recovers(
    tmp_path: Path, page_server: PageServer, figures: Figures,
) -> None:
    with small_tmpfs(tmp_path / "disk", "4m") as disk:
        engine = make_engine(f"sqlite:///{disk / 'watcher.db'}")
        upgrade(engine)
        config = plans_sites(page_server, 1)
        check_pass(config, engine)
        revise(page_server, 1, body=bulky(PLANS_V1, 512 * 1024))
        filler = disk / "filler"
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler.write_bytes(b"\0" * max(0, free - 64 * 1024))
        snapshots_before = count(engine, Snapshot)

        (outcome,) = check_pass(config, engine)

        figures.add("db_faults_injected")
        assert outcome.status == "error"
        assert "full" in (outcome.error or "") or "disk I/O" in (outcome.error or ""), outcome.error
        assert count(engine, Snapshot) == snapshots_before
        filler.unlink()
        (again,) = check_pass(config, engine)
        assert (again.status, again.changes) == ("ok", 1)
        assert revisions(engine) == 1
        assert problems(engine) == []
        engine.dispose()


# --- PostgreSQL unavailable mid-run ------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = postgres_base_url()
    if base is None:
        pytest.skip("WATCHER_TEST_POSTGRES_URL is not set")
    with postgres_schema_url(base) as url:
        yield url


@pytest.fixture
def pg_proxy(pg_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of PostgreSQL, and the schema's URL through it."""
    real = sa.engine.make_url(pg_url)
    with TcpProxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
        yield proxy, real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_postgres_going_away_mid_pass_writes_nothing_and_the_next_pass_records_once(
    pg_proxy: tuple[TcpProxy, str], page_server: PageServer, figures: Figures,
) -> None:
    proxy, url = pg_proxy
    engine = make_engine(url)
    upgrade(engine)
    config = plans_sites(page_server, 4)
    check_pass(config, engine)
    snapshots_before = count(engine, Snapshot)
    revise(page_server, 4, delay_s=0.35)  # the fetches are under way when the database goes
    timer = threading.Timer(0.15, proxy.cut)
    timer.start()

    outcomes = check_pass(config, engine)

    timer.join()
    figures.add("db_faults_injected")
    assert {o.status for o in outcomes} == {"error"}
    assert all(o.error and "\n" not in o.error for o in outcomes)
    proxy.restore()
    assert count(engine, Snapshot) == snapshots_before  # nothing half-written
    assert count(engine, ChangeRow) == 0
    healed = check_pass(config, engine)
    assert [(o.status, o.changes) for o in healed] == [("ok", 1)] * 4
    assert revisions(engine) == 4
    assert problems(engine) == []
    engine.dispose()


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


@pytest.mark.postgres
def test_a_worker_waits_out_a_postgres_outage_and_resumes(
    pg_proxy: tuple[TcpProxy, str], page_server: PageServer, tmp_path: Path, figures: Figures,
) -> None:
    proxy, url = pg_proxy
    for i in range(3):
        page_server.serve(f"/plans-{i}.html", PLANS_V0, validators=False)
    toml = "".join(
        f'[[sources]]\nid = "plans-{i}"\nname = "METI plans {i}"\nagency = "METI"\n'
        f'url = "{page_server.url(f"/plans-{i}.html")}"\nextract = "table"\nschedule = "every 1s"\n\n'
        for i in range(3))
    config_path = tmp_path / "sources.toml"
    config_path.write_text(toml, encoding="utf-8")
    env = {**os.environ, "WATCHER_DATABASE_URL": url, "WATCHER_MIN_HOST_DELAY_S": "0"}
    subprocess.run([sys.executable, "-m", "watcher.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=60)
    engine = sa.create_engine(url, pool_pre_ping=True)
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    worker = subprocess.Popen([sys.executable, "-m", "watcher.cli", "--config", str(config_path),
                               "run", "--tick", "0.2", "--lease", "3", "--grace", "3"],
                              env=env, stdout=subprocess.DEVNULL, stderr=log)

    def tail() -> str:
        """The worker's last log lines, for the reader of a failure."""
        return "\n".join(log_path.read_text(encoding="utf-8").splitlines()[-15:])

    try:
        def snapshots() -> int:
            with engine.connect() as conn:
                return int(conn.exec_driver_sql("SELECT count(*) FROM snapshots").scalar_one())

        wait_for(lambda: snapshots() >= 3, timeout=60)
        proxy.cut()
        revise(page_server, 3)  # the pages change while the database is away
        time.sleep(3.0)
        assert worker.poll() is None, tail()  # still running
        proxy.restore()
        wait_for(lambda: revisions(engine) >= 3, timeout=60)
        time.sleep(2.0)  # a few more checks: still exactly once each
        figures.add("db_faults_injected")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, tail()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        log.close()
    assert revisions(engine) == 3, tail()
    assert problems(engine) == [], tail()
    engine.dispose()
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" not in text
    assert "database unavailable, checks wait" in text  # one clear line per tick, no job crash
    assert "raised an exception" not in text, tail()


def test_a_worker_tick_with_the_database_away_claims_nothing_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    config_path = tmp_path / "sources.toml"
    config_path.write_text('[[sources]]\nid = "plans"\nname = "METI plans"\nagency = "METI"\n'
                           'url = "https://www.meti.go.jp/plans.html"\nextract = "table"\n',
                           encoding="utf-8")
    away = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'watcher.db'}")
    worker = Worker(config_path=config_path, config=load_config(config_path),
                    settings=Settings(database_url=str(away.url)), engine=away)
    with caplog.at_level(logging.WARNING, logger="watcher.scheduler"):
        claimed = asyncio.run(worker.check_due())
    assert claimed == []
    (record,) = [r for r in caplog.records if r.name == "watcher.scheduler"]
    assert record.getMessage().startswith("database unavailable, checks wait: OperationalError")
    assert "\n" not in record.getMessage()

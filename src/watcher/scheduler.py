"""`watcher run`: APScheduler jobs that check due sources, dispatch the outbox and send the digest.

Due times live in the database (sources.next_due_at), so a restart neither
re-fetches everything nor forgets a source that fell due while the worker was
down: a missed run is done once, then the schedule continues from now.
Several workers may share one PostgreSQL database: each claims due sources with
SELECT … FOR UPDATE SKIP LOCKED and a lease (see watcher.store.schedule).
Pages are extracted in the worker's ExtractionPool (watcher.isolation); on SIGTERM the
in-flight checks are drained first, then the pool is shut down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from watcher.errors import ConfigError, WatcherError
from watcher.fetch import Fetcher
from watcher.isolation import ExtractionPool
from watcher.pipeline import CheckOutcome, check_source, failure_text, utc_now
from watcher.runner import make_fetcher, pipeline_options, pool_limits
from watcher.settings import Settings
from watcher.sources import Config, load_config
from watcher.store import sync_sources
from watcher.store.schedule import (
    claim_due_sources,
    heartbeat,
    live_workers,
    release_claims,
    remove_worker,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """Timing of the worker's jobs."""

    tick_s: float = 5.0  # how often due sources are looked for
    dispatch_every_s: float = 30.0
    lease_s: float = 300.0  # longer than any one check (fetch timeouts + retries)
    grace_s: float = 20.0  # SIGTERM: time allowed to finish in-flight checks
    heartbeat_s: float = 10.0
    max_claim: int = 50


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SingleWorkerError(WatcherError):
    """A second worker was started on SQLite."""


class Worker:
    """One `watcher run` process."""

    def __init__(
        self, *, config_path: Path, config: Config, settings: Settings, engine: Engine,
        options: WorkerOptions = WorkerOptions(), worker_id: str | None = None,
        dispatch: Callable[[], Awaitable[object]] | None = None,
        digest: Callable[[], Awaitable[object]] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.settings = settings
        self.engine = engine
        self.options = options
        self.worker_id = worker_id or settings.worker_id or new_worker_id()
        self.dispatch = dispatch
        self.digest = digest
        self.clock = clock
        self.in_flight: dict[str, asyncio.Task[CheckOutcome | None]] = {}
        self.stopping = asyncio.Event()
        self.fetcher: Fetcher | None = None
        self.pool: ExtractionPool | None = None
        self.foreign: set[str] = set()  # enabled in the store, unknown to this configuration

    # -- start-up ---------------------------------------------------------------------------
    def refuse_second_sqlite_worker(self) -> None:
        """SQLite is the single-process default: a second live worker is refused, clearly."""
        if self.engine.dialect.name != "sqlite":
            return
        with Session(self.engine) as session:
            others = [w for w in live_workers(session=session, now=self.clock(),
                                              within_s=3 * self.options.heartbeat_s)
                      if w != self.worker_id]
        if others:
            raise SingleWorkerError(
                f"another worker ({others[0]}) is running on this SQLite database; "
                "SQLite supports one `watcher run` at a time — use PostgreSQL "
                "(WATCHER_DATABASE_URL=postgresql+psycopg://…) for several workers"
            )

    def sync(self) -> None:
        with Session(self.engine) as session, session.begin():
            sync_sources(session=session, config=self.config, now=self.clock())

    def reload(self) -> None:
        """SIGHUP: re-read sources.toml; a bad file is reported and the old one stays in force."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the previous configuration: %s", exc)
            return
        self.config = config
        self.foreign.clear()
        self.sync()
        log.info("reloaded %s: %d source(s)", self.config_path, len(config.sources))

    # -- jobs --------------------------------------------------------------------------------
    async def check_due(self) -> list[str]:
        """Claim due sources and start their checks; returns the claimed ids."""
        if self.stopping.is_set():
            return []
        enabled = {s.id for s in self.config.sources if s.enabled}
        room = self.options.max_claim - len(self.in_flight)
        if room <= 0 or not enabled - self.in_flight.keys():
            return []
        try:
            with Session(self.engine) as session, session.begin():
                # Claimed among the store's enabled sources (sync_sources keeps them to the
                # configuration), not by a list of every id: that list cost more than a check.
                claimed = claim_due_sources(session=session, worker_id=self.worker_id,
                                            now=self.clock(), lease_s=self.options.lease_s,
                                            limit=room, source_ids=None,
                                            exclude=[*self.in_flight, *self.foreign])
                # A source another worker's newer sources.toml added is not ours to check:
                # given back, and left out of this worker's claims until its next reload.
                unknown = [sid for sid in claimed if sid not in enabled]
                if unknown:
                    release_claims(session=session, worker_id=self.worker_id, source_ids=unknown)
                    self.foreign.update(unknown)
                    claimed = [sid for sid in claimed if sid in enabled]
        except SQLAlchemyError as exc:
            # The database is away (restarting, unreachable): nothing was claimed, so
            # nothing is lost; the next tick tries again.
            log.warning("database unavailable, checks wait: %s", failure_text(exc))
            return []
        for source_id in claimed:
            self.in_flight[source_id] = asyncio.create_task(self._check(source_id))
        return claimed

    async def _check(self, source_id: str) -> CheckOutcome | None:
        source = next((s for s in self.config.sources if s.id == source_id), None)
        try:
            if source is None or self.fetcher is None or self.pool is None:
                return None
            return await check_source(source, fetcher=self.fetcher, engine=self.engine,
                                      options=pipeline_options(self.config, self.settings,
                                                               self.pool),
                                      clock=self.clock)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one source's failure never stops the worker
            log.error("check of %s failed: %s", source_id, exc, exc_info=True)
            self._release([source_id], delay_s=60.0)
            return None
        finally:
            self.in_flight.pop(source_id, None)

    def _release(self, source_ids: list[str], *, delay_s: float = 0.0) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                release_claims(session=session, worker_id=self.worker_id, source_ids=source_ids)
                if delay_s:
                    from watcher.store.schedule import set_next_due

                    for sid in source_ids:
                        set_next_due(session=session, source_id=sid,
                                     next_due_at=self.clock() + timedelta(seconds=delay_s))
        except Exception as exc:  # the lease expires by itself if the database is away
            log.warning("could not release claims %s: %s", source_ids, exc)

    async def beat(self) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                heartbeat(session=session, worker_id=self.worker_id, now=self.clock())
        except Exception as exc:
            log.warning("heartbeat failed: %s", exc)

    async def run_dispatch(self) -> None:
        if self.dispatch is not None and not self.stopping.is_set():
            try:
                await self.dispatch()
            except Exception as exc:
                log.error("outbox dispatch failed: %s", exc, exc_info=True)

    async def run_digest(self) -> None:
        if self.digest is not None and not self.stopping.is_set():
            try:
                await self.digest()
            except Exception as exc:
                log.error("digest failed: %s", exc, exc_info=True)

    # -- lifecycle ---------------------------------------------------------------------------
    async def run_once(self) -> list[str]:
        """Every due job once: due checks (awaited), the digest if due, the outbox, then exit."""
        self.sync()
        self.pool = ExtractionPool(pool_limits(self.settings))
        try:
            async with make_fetcher(self.config, self.settings) as fetcher:
                self.fetcher = fetcher
                claimed = await self.check_due()
                await asyncio.gather(*self.in_flight.values(), return_exceptions=True)
        finally:
            self._close_pool()
        await self.run_digest()  # queues today's digest only when its time has come
        await self.run_dispatch()
        return claimed

    async def run(self) -> None:
        """Run until SIGTERM/SIGINT; reload on SIGHUP."""
        self.refuse_second_sqlite_worker()
        self.sync()
        await self.beat()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._request_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        scheduler = AsyncIOScheduler(timezone=self.config.timezone)
        now = datetime.now(self.config.timezone)
        scheduler.add_job(self.check_due, IntervalTrigger(seconds=self.options.tick_s),
                          next_run_time=now, max_instances=1, coalesce=True, id="check-due")
        scheduler.add_job(self.run_dispatch, IntervalTrigger(seconds=self.options.dispatch_every_s),
                          next_run_time=now, max_instances=1, coalesce=True, id="dispatch")
        scheduler.add_job(self.beat, IntervalTrigger(seconds=self.options.heartbeat_s),
                          max_instances=1, coalesce=True, id="heartbeat")
        hour, minute = (int(p) for p in self.settings.digest_time.split(":", 1))
        scheduler.add_job(self.run_digest, CronTrigger(hour=hour, minute=minute,
                                                        timezone=self.config.timezone),
                          max_instances=1, coalesce=True, misfire_grace_time=3600, id="digest")
        log.info("worker %s started: %d source(s), database %s", self.worker_id,
                 len(self.config.sources), self.engine.dialect.name)
        self.pool = ExtractionPool(pool_limits(self.settings))
        self.pool.warm()  # the first changed page need not wait for the workers to start
        async with make_fetcher(self.config, self.settings) as fetcher:
            self.fetcher = fetcher
            scheduler.start()
            try:
                await self.stopping.wait()
            finally:
                scheduler.shutdown(wait=False)
                await self._drain()
                self._close_pool()
        with Session(self.engine) as session, session.begin():
            remove_worker(session=session, worker_id=self.worker_id)
        log.info("worker %s stopped", self.worker_id)

    def _close_pool(self) -> None:
        """After the drain: documents still in a worker belong to abandoned checks."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close(timeout_s=1.0)
            stats = pool.stats
            log.info("extraction pool stopped: %d document(s), %d over time, %d over memory, "
                     "%d worker death(s), peak worker RSS %.0f MB", stats.documents,
                     stats.timeouts, stats.over_memory, stats.deaths, stats.peak_worker_rss_mb)

    def _request_stop(self, sig: signal.Signals) -> None:
        if not self.stopping.is_set():
            log.info("%s received: finishing %d in-flight check(s) (grace %.0f s)", sig.name,
                     len(self.in_flight), self.options.grace_s)
        self.stopping.set()

    async def _drain(self) -> None:
        """Let in-flight checks finish within the grace period; abandon the rest cleanly."""
        tasks = list(self.in_flight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.options.grace_s)
        if pending:
            abandoned = [sid for sid, task in self.in_flight.items() if task in pending]
            log.warning("abandoning %d check(s) after the grace period: %s", len(pending),
                        ", ".join(abandoned))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            # Each check is one transaction, so an abandoned one wrote nothing; give it back.
            self._release(abandoned)

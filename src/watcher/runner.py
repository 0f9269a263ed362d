"""Wiring for one pass: settings → fetcher, extraction pool and pipeline options (CLI, scheduler)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Sequence

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.fetch import Fetcher, FetchPolicy
from watcher.isolation import Extraction, ExtractionPool, PoolLimits
from watcher.pipeline import CheckOutcome, PipelineOptions, run_pass
from watcher.settings import Settings
from watcher.sources import Config
from watcher.store import sync_sources
from watcher.store.models import utcnow


def fetch_policy(config: Config, settings: Settings) -> FetchPolicy:
    return FetchPolicy(user_agent=config.user_agent, max_connections=settings.max_connections,
                       per_host=settings.per_host, min_host_delay_s=settings.min_host_delay_s)


def http_transport(settings: Settings) -> httpx.AsyncBaseTransport | None:
    """The transport the settings choose (None: the Fetcher's default httpx transport)."""
    if settings.transport == "aiohttp":
        from watcher.fetch.aiohttp_transport import AiohttpTransport

        return AiohttpTransport(max_connections=settings.max_connections)
    return None


def make_fetcher(config: Config, settings: Settings) -> Fetcher:
    """The Fetcher every pass uses: the settings' politeness and transport (use `async with`)."""
    return Fetcher(fetch_policy(config, settings), transport=http_transport(settings))


def pool_limits(settings: Settings) -> PoolLimits:
    """The extraction pool's size and limits (default size: the cores this process may use)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return PoolLimits(workers=settings.extract_workers or cores or 1,
                      timeout_s=settings.extract_timeout_s, memory_mb=settings.extract_memory_mb,
                      max_tasks=settings.extract_max_tasks)


@contextlib.contextmanager
def extraction_pool(settings: Settings) -> Iterator[ExtractionPool]:
    """An ExtractionPool for the settings, shut down on the way out (no process until used)."""
    pool = ExtractionPool(pool_limits(settings))
    try:
        yield pool
    finally:
        pool.close()


def pipeline_options(config: Config, settings: Settings,
                     extraction: Extraction | None = None) -> PipelineOptions:
    options = PipelineOptions(alert_channels=alert_channels(settings),
                              unhealthy_after=settings.unhealthy_after,
                              accept_suspect_after=settings.accept_suspect_after,
                              compression_level=settings.blob_compression_level,
                              timezone=config.timezone)
    return options if extraction is None else dataclasses.replace(options, extraction=extraction)


def alert_channels(settings: Settings) -> tuple[str, ...]:
    """Channels that get one delivery per change: Slack when configured (email is the digest)."""
    slack = settings.slack_webhook_url is not None or (
        settings.slack_bot_token is not None and settings.slack_channel is not None)
    return ("slack",) if slack else ()


async def run_check_pass(
    config: Config, *, settings: Settings, engine: Engine, source_ids: Sequence[str] = (),
    show_progress: bool = False, transport: httpx.AsyncBaseTransport | None = None,
    extraction: Extraction | None = None,
) -> list[CheckOutcome]:
    """Sync sources.toml into the store, then check the chosen sources once.

    Pages are extracted by ``extraction`` (a long-lived pool), else by a pool of this pass.
    """
    if extraction is None:
        with extraction_pool(settings) as pool:
            return await run_check_pass(config, settings=settings, engine=engine,
                                        source_ids=source_ids, show_progress=show_progress,
                                        transport=transport, extraction=pool)
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())
    options = pipeline_options(config, settings, extraction)
    transport = transport or http_transport(settings)
    async with Fetcher(fetch_policy(config, settings), transport=transport) as fetcher:
        if not show_progress:
            return await run_pass(config, engine=engine, fetcher=fetcher, options=options,
                                  source_ids=source_ids)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # a terminal

        total = len(source_ids) or sum(1 for s in config.sources if s.enabled)
        with Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.description}"), transient=True) as progress:
            task = progress.add_task("", total=total)

            def done(outcome: CheckOutcome) -> None:
                progress.update(task, advance=1, description=f"{outcome.source_id}: {outcome.status}")

            return await run_pass(config, engine=engine, fetcher=fetcher, options=options,
                                  source_ids=source_ids, on_done=done)

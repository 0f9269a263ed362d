"""What runs notifications: `notify_once()` (CLI) and the two jobs of `watcher run`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from watcher.notify.base import Channel
from watcher.notify.channels import build_channels
from watcher.notify.outbox import DispatchReport, RetryPolicy, dispatch, utc_now
from watcher.notify.render import JST
from watcher.settings import Settings

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


def notify_once(
    engine: Engine, settings: Settings, *, tz: ZoneInfo = JST,
    channels: dict[str, Channel] | None = None, now: datetime | None = None,
    policy: RetryPolicy | None = None, worker: str | None = None,
) -> DispatchReport:
    """Queue the day's digest if it is due (when WATCHER_DIGEST_TO is set), then dispatch once."""
    moment = now or utc_now()
    if settings.digest_to:
        from watcher.notify.digest import parse_digest_time, queue_due_digest  # Jinja2: when due

        queue_due_digest(engine, at=parse_digest_time(settings.digest_time), tz=tz, now=moment,
                         send_empty=settings.digest_empty)
    if channels is None:
        channels = build_channels(settings, tz=tz, sleep=time.sleep)
    clock = utc_now if now is None else (lambda: moment)
    return dispatch(engine, channels, policy=policy or retry_policy(settings), clock=clock,
                    worker=worker)


def retry_policy(settings: Settings) -> RetryPolicy:
    """The outbox policy, with the claim lease from the settings."""
    return RetryPolicy(lease=timedelta(seconds=settings.delivery_lease_s))


def scheduler_jobs(
    engine: Engine, settings: Settings, *, tz: ZoneInfo = JST, worker: str | None = None,
) -> dict[str, Job]:
    """The `dispatch` and `digest` jobs of `watcher run` (blocking sends run in a thread).

    The channels are built once here, so "Slack is off" is said once, at start-up.
    """
    from watcher.notify.digest import parse_digest_time, queue_due_digest

    channels = build_channels(settings, tz=tz, sleep=time.sleep)
    at = parse_digest_time(settings.digest_time)
    policy = retry_policy(settings)

    def dispatch_now() -> DispatchReport:
        report = dispatch(engine, channels, policy=policy, worker=worker)
        if report.messages_sent or report.failed or report.dead:
            log.info("outbox: %s", report.summary())
        return report

    def digest_now() -> DispatchReport | None:
        if not settings.digest_to:
            return None
        queue_due_digest(engine, at=at, tz=tz, now=utc_now(), send_empty=settings.digest_empty)
        return dispatch_now()

    async def dispatch_job() -> object:
        return await asyncio.to_thread(dispatch_now)

    async def digest_job() -> object:
        return await asyncio.to_thread(digest_now)

    return {"dispatch": dispatch_job, "digest": digest_job}

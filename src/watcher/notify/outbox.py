"""The dispatcher: claim, send, mark — in that order, each step committed before the next.

    claim  (transaction 1)  status → sending, lease, attempts + 1
    send   (no transaction) Slack / SMTP / .eml
    mark   (transaction 2)  sent, or failed with backoff, or dead

A crash before the send leaves a claimed delivery whose lease runs out; it is then
claimed again and sent: nothing is lost. A crash after the remote accepted the message
but before transaction 2 commits is the one window where a message can go out twice
(neither Slack nor SMTP lets a sender ask "did you already get this?"). See
docs/NOTIFICATIONS.md.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.notify.base import Channel, SendError
from watcher.store.outbox import Claim, claim_next, mark_failed, mark_sent, unsent_channels

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Test-only hooks: create the file named by the variable, then wait to be killed.
PAUSE_BEFORE_SEND = "WATCHER_TEST_PAUSE_BEFORE_SEND"
PAUSE_AFTER_SEND = "WATCHER_TEST_PAUSE_AFTER_SEND"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Backoff 1 min doubling to 1 h; dead 24 h after queueing; a claim's lease."""

    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1 min, 2, 4, … capped).

        >>> [int(RetryPolicy().delay(n).total_seconds() // 60) for n in (1, 2, 3, 7, 8, 30)]
        [1, 2, 4, 60, 60, 60]
        """
        exponent = min(max(attempts, 1) - 1, 32)
        delay: timedelta = self.first_delay * (2**exponent)
        return min(delay, self.max_delay)

    def next_attempt(self, *, attempts: int, now: datetime,
                     retry_after_s: float | None = None) -> datetime:
        wait = self.delay(attempts)
        if retry_after_s is not None:
            wait = max(wait, timedelta(seconds=retry_after_s))
        return now + wait

    def gives_up(self, *, queued_at: datetime, now: datetime) -> bool:
        return now - queued_at >= self.give_up_after


@dataclass(slots=True, kw_only=True)
class DispatchReport:
    """What one dispatcher run did (messages, and the deliveries they carried)."""

    messages_sent: int = 0
    deliveries_sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)
    unconfigured: list[str] = field(default_factory=list)  # channels with queued deliveries

    def summary(self) -> str:
        line = (f"sent {self.messages_sent} message(s) ({self.deliveries_sent} delivery(ies)), "
                f"{self.failed} failed, {self.dead} dead")
        if self.unconfigured:
            line += f"; waiting for unconfigured channel(s): {', '.join(self.unconfigured)}"
        return line


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def dispatch(
    engine: Engine, channels: Mapping[str, Channel], *, policy: RetryPolicy = RetryPolicy(),
    clock: Clock = utc_now, worker: str | None = None, max_messages: int = 500,
) -> DispatchReport:
    """Send every due message once, channel by channel, each channel in queue order.

    A channel stops at its first message that fails in a way worth retrying, so later
    messages wait behind it and arrive in order once the channel is back.
    """
    worker = worker or default_worker_id()
    report = DispatchReport()
    with Session(engine) as session:
        names = unsent_channels(session=session)
    for name in names:
        channel = channels.get(name)
        if channel is None:
            report.unconfigured.append(name)
            continue
        while report.messages_sent + report.failed + report.dead < max_messages:
            if not _dispatch_one(engine, channel, policy=policy, clock=clock, worker=worker,
                                 report=report):
                break
    return report


def _dispatch_one(engine: Engine, channel: Channel, *, policy: RetryPolicy, clock: Clock,
                  worker: str, report: DispatchReport) -> bool:
    """Claim, send and mark the channel's next message; False when the channel is done for now."""
    now = clock()
    with Session(engine) as session, session.begin():
        claim = claim_next(session=session, channel=channel.name, now=now, worker=worker,
                           lease=policy.lease)
    if claim is None:
        return False
    if claim.reclaimed:
        log.warning("%s: claiming deliveries %s again after their sender's lease expired; "
                    "if that sender had already sent them, this is a duplicate",
                    channel.name, list(claim.delivery_ids))
    try:
        with Session(engine) as session:
            outgoing = channel.prepare(session, claim, now)
    except SendError as exc:
        return _failed(engine, claim, exc, policy=policy, clock=clock, worker=worker, report=report)
    except Exception as exc:  # a rendering bug must not stop the other messages
        log.error("%s: cannot build deliveries %s", channel.name, list(claim.delivery_ids),
                  exc_info=True)
        error = SendError(f"cannot build the message: {type(exc).__name__}: {exc}", permanent=True)
        return _failed(engine, claim, error, policy=policy, clock=clock, worker=worker,
                       report=report)
    _test_pause(PAUSE_BEFORE_SEND)
    try:
        outgoing.send()
    except SendError as exc:
        return _failed(engine, claim, exc, policy=policy, clock=clock, worker=worker, report=report)
    except Exception as exc:  # unknown failure while sending: assume the remote may come back
        log.error("%s: unexpected error sending %s", channel.name, outgoing.description,
                  exc_info=True)
        error = SendError(f"{type(exc).__name__}: {exc}")
        return _failed(engine, claim, error, policy=policy, clock=clock, worker=worker,
                       report=report)
    _test_pause(PAUSE_AFTER_SEND)
    # The duplicate window: the remote has the message; until this commits, a crash
    # means the delivery is claimed again after its lease and sent a second time.
    with Session(engine) as session, session.begin():
        marked = mark_sent(session=session, delivery_ids=claim.delivery_ids, worker=worker,
                           now=clock())
    if marked < len(claim.delivery_ids):
        log.warning("%s: %s sent, but %d of its deliveries had been claimed by another worker "
                    "after the lease expired", channel.name, outgoing.description,
                    len(claim.delivery_ids) - marked)
    report.messages_sent += 1
    report.deliveries_sent += len(claim.delivery_ids)
    log.info("%s: sent %s (deliveries %s, attempt %d)", channel.name, outgoing.description,
             list(claim.delivery_ids), claim.attempts)
    return True


def _failed(engine: Engine, claim: Claim, exc: SendError, *, policy: RetryPolicy, clock: Clock,
            worker: str, report: DispatchReport) -> bool:
    """Record a failed attempt; True when the channel may go on with its next message."""
    now = clock()
    dead = exc.permanent or policy.gives_up(queued_at=claim.queued_at, now=now)
    retry_at = policy.next_attempt(attempts=claim.attempts, now=now, retry_after_s=exc.retry_after_s)
    with Session(engine) as session, session.begin():
        mark_failed(session=session, delivery_ids=claim.delivery_ids, worker=worker,
                    error=str(exc), next_attempt_at=now if dead else retry_at, dead=dead)
    report.errors.append(f"{claim.channel}: {exc}")
    if dead:
        report.dead += 1
        log.error("%s: deliveries %s are dead after %d attempt(s): %s (retry with "
                  "`watcher deliveries retry`)", claim.channel, list(claim.delivery_ids),
                  claim.attempts, exc)
    else:
        report.failed += 1
        log.warning("%s: deliveries %s failed (attempt %d), next attempt at %s: %s",
                    claim.channel, list(claim.delivery_ids), claim.attempts,
                    retry_at.isoformat(timespec="seconds"), exc)
    # A message the remote will never take must not hold up the ones behind it; a
    # channel that is down (or refusing us) holds them all, so they arrive in order.
    return exc.permanent


def _test_pause(variable: str) -> None:
    path = os.environ.get(variable)
    if path:
        Path(path).write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(3600)

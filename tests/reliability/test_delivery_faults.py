"""Slack and the mail server fail in every way we could think of; every alert still arrives,
once, in order, and nothing is marked sent that was not.

Changes come from real checks of revised pages; the outbox is dispatched by the real
dispatcher with a clock that moves on between runs (as a worker's dispatch job would,
every 30 s), against local stand-ins that refuse, stall, answer 5xx or 429, or drop
the connection after DATA.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reliability.conftest import Figures
from reliability.harness import PLANS_V0, PLANS_V1, check_pass, config_of, problems, table_source
from watcher.notify import RetryPolicy, SlackChannel, dispatch
from watcher.notify.channels import EmailChannel
from watcher.notify.digest import queue_digest
from watcher.notify.email import EmlWriter, SmtpSender, parse_smtp_url
from watcher.notify.outbox import utc_now
from watcher.notify.render import JST, Links
from watcher.notify.slack import WebhookSender
from watcher.pipeline import PipelineOptions
from watcher.store.models import Delivery
from watcher.store.outbox import retry_deliveries

from support.pageserver import PageServer
from support.slack import SlackReply, SlackStandIn
from support.smtp import SmtpStandIn

LINKS = Links(public_url="http://watcher.test")
N_CHANGES = 4
POLICY = RetryPolicy()


class Clock:
    """A clock the test moves on; starts at the real now (the changes' detection time)."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def alerts(sqlite_engine: Engine, page_server: PageServer) -> Engine:
    """A store with four recorded changes, each queued for Slack."""
    for i in range(N_CHANGES):
        page_server.serve(f"/plans-{i}.html", PLANS_V0, validators=False)
    config = config_of(*(table_source(f"plans-{i}", page_server.url(f"/plans-{i}.html"))
                         for i in range(N_CHANGES)))
    options = PipelineOptions(alert_channels=("slack",))
    check_pass(config, sqlite_engine, options=options)
    for i in range(N_CHANGES):
        page_server.serve(f"/plans-{i}.html", PLANS_V1, validators=False)
    outcomes = check_pass(config, sqlite_engine, options=options)
    assert sum(o.changes for o in outcomes) == N_CHANGES
    return sqlite_engine


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


def statuses(engine: Engine, channel: str) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery.status).where(col(Delivery.channel) == channel)
                                 .order_by(col(Delivery.id))).all())


def change_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        rows = session.exec(select(Delivery.change_id).where(col(Delivery.channel) == "slack")
                            .order_by(col(Delivery.id))).all()
    return [r for r in rows if r is not None]


def run_dispatcher(engine: Engine, channels: dict[str, object], clock: Clock, *,
                   between: Callable[[int], None] = lambda run: None, runs: int = 40,
                   step_minutes: float = 2.0) -> int:
    """Dispatch every ``step_minutes`` of fake time until nothing is left; returns the runs."""
    for run in range(runs):
        between(run)
        dispatch(engine, channels, clock=clock, worker="w1", policy=POLICY)  # type: ignore[arg-type]
        if all(s == "sent" for s in statuses(engine, "slack") + statuses(engine, "email")):
            return run + 1
        clock.advance(minutes=step_minutes)
    return runs


@dataclass(frozen=True)
class SlackFault:
    name: str
    replies: tuple[SlackReply, ...] = ()
    down_for_runs: int = 0  # the port is closed for the first N dispatcher runs


SLACK_FAULTS = [
    SlackFault("connection refused for 5 runs", down_for_runs=5),
    SlackFault("HTTP 500 three times", (SlackReply(500, "internal_error"),) * 3),
    SlackFault("HTTP 502 and 503", (SlackReply(502, "<html>Bad Gateway</html>"),
                                    SlackReply(503, "service unavailable"))),
    SlackFault("429 with a short Retry-After", (SlackReply(429, "rate_limited", retry_after="1"),)),
    SlackFault("429 with a long Retry-After", (SlackReply(429, "rate_limited", retry_after="600"),)),
    SlackFault("slow (1.5 s per answer, within the timeout)",
               (SlackReply(200, "ok", delay_s=1.5), SlackReply(200, "ok", delay_s=1.5))),
]


@pytest.mark.parametrize("fault", SLACK_FAULTS, ids=[f.name for f in SLACK_FAULTS])
def test_every_slack_alert_arrives_once_and_in_order(
    alerts: Engine, slack: SlackStandIn, fault: SlackFault, figures: Figures,
) -> None:
    slept: list[float] = []
    sender = WebhookSender(slack.url, sleep=slept.append, timeout_s=10)
    channels = {"slack": SlackChannel(sender, links=LINKS)}
    slack.script(*fault.replies)
    clock = Clock()

    def between(run: int) -> None:
        if run == 0 and fault.down_for_runs:
            slack.stop()
        if run == fault.down_for_runs and not slack.running:
            slack.start()

    runs = run_dispatcher(alerts, channels, clock, between=between)

    arrived = slack.change_ids()
    figures.add("delivery_faults_injected")
    figures.add("delivery_lost", sum(1 for cid in change_ids(alerts) if arrived[cid] == 0))
    figures.add("delivery_duplicates", sum(n - 1 for n in arrived.values()))
    assert statuses(alerts, "slack") == ["sent"] * N_CHANGES, runs
    assert list(arrived.elements()) == change_ids(alerts)  # each once, in queue order
    assert problems(alerts, alert_channels=("slack",)) == []
    if fault.name.startswith("429 with a short"):
        assert slept == [1.0]  # waited inside the send, as Slack asked
    if fault.name.startswith("429 with a long"):
        assert runs > 5  # the outbox waited the 10 minutes instead of hammering


def test_a_slack_answer_lost_to_a_client_timeout_may_arrive_twice(
    alerts: Engine, slack: SlackStandIn, figures: Figures,
) -> None:
    """Slack accepts, but answers after we stopped waiting: we cannot know it arrived.

    The outbox sends it again (it must: the request may never have reached Slack), so
    this is a second duplicate window beside the crash window of docs/NOTIFICATIONS.md.
    """
    sender = WebhookSender(slack.url, sleep=lambda s: None, timeout_s=1)
    channels = {"slack": SlackChannel(sender, links=LINKS)}
    slack.script(SlackReply(200, "ok", delay_s=1.6))
    run_dispatcher(alerts, channels, Clock())
    arrived = slack.change_ids()
    figures.add("delivery_timeout_duplicates", sum(n - 1 for n in arrived.values()))
    assert statuses(alerts, "slack") == ["sent"] * N_CHANGES
    assert set(arrived) == set(change_ids(alerts))  # none lost
    assert sum(n - 1 for n in arrived.values()) <= 1  # only the message whose answer was lost


# --- the digest email --------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    server = SmtpStandIn(timeout_s=5)
    yield server
    server.stop()


def queue_today(engine: Engine, clock: Clock) -> None:
    today = clock.now.astimezone(JST).date()
    queued = queue_digest(engine, digest_date=today, at=time(23, 59), tz=JST, now=clock.now)
    assert queued.queued


def email_channel(url: str) -> dict[str, object]:
    sender = SmtpSender(parse_smtp_url(url))
    return {"email": EmailChannel(sender, links=LINKS, from_address="watcher@example.jp",
                                  to=["analyst@example.jp"], tz=JST)}


SMTP_FAULTS = [
    ("connection refused for 4 runs", ()),
    ("451 temporary failure twice", ("451 4.3.0 Mail server temporarily rejected message",) * 2),
    ("421 service not available", ("421 4.3.2 Service shutting down",)),
    ("connection dropped after DATA", ("drop", "drop")),
    ("slow server (2 s)", ("slow:2",)),
]


@pytest.mark.parametrize(("name", "script"), SMTP_FAULTS, ids=[n for n, _ in SMTP_FAULTS])
def test_the_digest_arrives_once_through_smtp_faults(
    alerts: Engine, smtp: SmtpStandIn, name: str, script: tuple[str, ...], figures: Figures,
) -> None:
    clock = Clock()
    queue_today(alerts, clock)
    smtp.script.extend(script)
    down = 4 if name.startswith("connection refused") else 0

    def between(run: int) -> None:
        if run == down and not smtp.running:
            smtp.start()

    run_dispatcher(alerts, email_channel(smtp.url), clock, between=between)

    figures.add("delivery_faults_injected")
    figures.add("delivery_lost", 0 if smtp.received else 1)
    figures.add("delivery_duplicates", max(0, len(smtp.received) - 1))
    assert statuses(alerts, "email") == ["sent"]
    (mail,) = smtp.received
    message = mail.message()
    assert message["Message-ID"].startswith("<digest-")
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().count("1,920億円") >= N_CHANGES


def test_a_permanently_refused_digest_is_dead_until_retried_then_arrives_once(
    alerts: Engine, smtp: SmtpStandIn, figures: Figures,
) -> None:
    clock = Clock()
    queue_today(alerts, clock)
    smtp.start()
    smtp.script.append("554 5.7.1 Message rejected")
    dispatch(alerts, email_channel(smtp.url), clock=clock, worker="w1", policy=POLICY)  # type: ignore[arg-type]
    assert statuses(alerts, "email") == ["dead"]  # kept, visible, never silently dropped
    with Session(alerts) as session, session.begin():
        retry_deliveries(session=session, now=clock.now, dead=True)
    dispatch(alerts, email_channel(smtp.url), clock=clock, worker="w1", policy=POLICY)  # type: ignore[arg-type]
    figures.add("delivery_faults_injected")
    assert statuses(alerts, "email") == ["sent"]
    assert len(smtp.received) == 1


def test_a_full_disk_while_writing_the_eml_file_is_retried(
    alerts: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: Figures,
) -> None:
    import tempfile

    clock = Clock()
    queue_today(alerts, clock)
    outbox = tmp_path / "digests"
    channel = {"email": EmailChannel(EmlWriter(outbox), links=LINKS, from_address="watcher@example.jp",
                                     to=["analyst@example.jp"], tz=JST)}
    real_mkstemp = tempfile.mkstemp
    full = {"on": True}

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        if full["on"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_mkstemp(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    dispatch(alerts, channel, clock=clock, worker="w1", policy=POLICY)  # type: ignore[arg-type]
    assert statuses(alerts, "email") == ["failed"]
    full["on"] = False
    clock.advance(minutes=2)
    dispatch(alerts, channel, clock=clock, worker="w1", policy=POLICY)  # type: ignore[arg-type]
    figures.add("delivery_faults_injected")
    assert statuses(alerts, "email") == ["sent"]
    assert [p.name for p in outbox.iterdir()] == [f"digest-{date.fromisoformat(clock.now.astimezone(JST).date().isoformat())}.eml"]

"""The outbox: every queued alert reaches Slack once, in order, through failures and crashes."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from notify.factories import (
    CLOUD,
    LINKS,
    PLANS,
    T0,
    FakeClock,
    SleepRecorder,
    add_source,
    amount_change,
    deliveries,
    new_entry,
    record_changes,
)
from watcher.notify import DispatchReport, RetryPolicy, SlackChannel, dispatch, scheduler_jobs
from watcher.notify.outbox import utc_now
from watcher.notify.slack import WebhookSender
from watcher.settings import Settings
from watcher.store.outbox import claim_next, list_deliveries, mark_sent, retry_deliveries

from support.slack import SlackReply, SlackStandIn

POLICY = RetryPolicy()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def db(engine: Engine) -> Engine:
    add_source(engine, PLANS)
    add_source(engine, CLOUD)
    return engine


def channels(slack: SlackStandIn) -> dict[str, SlackChannel]:
    sender = WebhookSender(slack.url, sleep=SleepRecorder([]))
    return {"slack": SlackChannel(sender, links=LINKS)}


def entities(slack: SlackStandIn) -> list[str]:
    """The first entity of each accepted message, in arrival order."""
    return [r.body["blocks"][1]["text"]["text"].split(" · ")[0].strip("*") for r in slack.accepted]


def test_a_recorded_change_is_sent_once_and_marked_sent(db: Engine, slack: SlackStandIn) -> None:
    record_changes(db, PLANS["id"], [amount_change("マイクロンメモリジャパン株式会社", 167_000_000_000,
                                                  500_000_000_000)], at=T0)
    clock = FakeClock(T0 + timedelta(seconds=5))

    report = dispatch(db, channels(slack), clock=clock, worker="w1")
    again = dispatch(db, channels(slack), clock=clock, worker="w1")

    assert (report.messages_sent, report.deliveries_sent, again.messages_sent) == (1, 1, 0)
    assert len(slack.requests) == 1
    (delivery,) = deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 1, clock.now)
    assert "1,670億円 (¥167.0 billion) → 5,000億円 (¥500.0 billion)" in str(slack.requests[0].body)


def test_changes_from_one_check_go_out_as_one_message_and_are_marked_together(
    db: Engine, slack: SlackStandIn,
) -> None:
    rows = [new_entry(f"株式会社ハイレゾ{i}", (i + 1) * 1_000_000_000) for i in range(12)]
    record_changes(db, CLOUD["id"], rows, at=T0)
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)],
                   at=T0 + timedelta(seconds=1))

    report = dispatch(db, channels(slack), clock=FakeClock(T0 + timedelta(minutes=1)))

    assert (report.messages_sent, report.deliveries_sent) == (2, 13)
    first, second = slack.accepted
    assert first.body["text"] == f"{CLOUD['name']}: 12 changes (12 new approvals)"
    assert len(first.body["blocks"]) == 1 + 12 + 1
    assert second.body["text"].startswith(f"{PLANS['name']}: new approval — Rapidus株式会社")
    assert {d.status for d in deliveries(db)} == {"sent"}


def test_a_500_is_retried_after_the_backoff_and_then_sent(db: Engine, slack: SlackStandIn) -> None:
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)], at=T0)
    slack.script(SlackReply(500, "rollup_error"))
    clock = FakeClock(T0)

    failed = dispatch(db, channels(slack), clock=clock)
    (delivery,) = deliveries(db)
    assert (failed.failed, delivery.status, delivery.attempts) == (1, "failed", 1)
    assert delivery.next_attempt_at == T0 + timedelta(minutes=1)
    assert delivery.last_error == "Slack webhook: HTTP 500 rollup_error"

    clock.advance(seconds=30)
    assert dispatch(db, channels(slack), clock=clock).messages_sent == 0  # not due yet
    assert len(slack.requests) == 1

    clock.advance(seconds=31)
    assert dispatch(db, channels(slack), clock=clock).messages_sent == 1
    assert [r.status for r in slack.requests] == [500, 200]
    (delivery,) = deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 2, clock.now)


def test_a_rate_limit_longer_than_the_backoff_is_respected(db: Engine, slack: SlackStandIn) -> None:
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)], at=T0)
    slack.script(SlackReply(429, "rate_limited", retry_after="900"))

    dispatch(db, channels(slack), clock=FakeClock(T0))

    (delivery,) = deliveries(db)
    assert (delivery.status, delivery.next_attempt_at) == ("failed", T0 + timedelta(seconds=900))


def test_backoff_doubles_to_an_hour_and_a_day_later_the_delivery_is_dead_until_retried(
    db: Engine,
) -> None:
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)], at=T0)
    slack = SlackStandIn().start()
    slack.stop()  # Slack unreachable: connection refused
    clock = FakeClock(T0)
    attempts_at = []
    while (delivery := deliveries(db)[0]).status != "dead":
        clock.now = delivery.next_attempt_at
        attempts_at.append(clock.now)
        dispatch(db, channels(slack), clock=clock)

    gaps = [int((b - a).total_seconds() // 60) for a, b in itertools.pairwise(attempts_at)]
    assert gaps[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert set(gaps[6:]) == {60}
    assert attempts_at[-1] - T0 >= timedelta(hours=24) > attempts_at[-2] - T0
    assert (delivery.attempts, delivery.status) == (len(attempts_at), "dead")
    assert "unreachable" in (delivery.last_error or "")

    with Session(db) as session:
        (listed,) = list_deliveries(session=session, statuses=("dead",))
    assert listed.subject.startswith("change #")
    assert listed.source_id == PLANS["id"]
    clock.advance(hours=2)
    assert dispatch(db, channels(slack), clock=clock).messages_sent == 0  # dead stays dead

    slack.start()
    try:
        with Session(db) as session, session.begin():
            assert retry_deliveries(session=session, now=clock.now, dead=True) == [delivery.id]
        assert dispatch(db, channels(slack), clock=clock).messages_sent == 1
    finally:
        slack.stop()
    assert deliveries(db)[0].status == "sent"
    assert len(slack.accepted) == 1


def test_slack_down_for_an_hour_then_every_alert_arrives_in_order_once(db: Engine) -> None:
    slack = SlackStandIn().start()
    slack.stop()
    clock = FakeClock(T0)
    expected = []
    for minute in range(0, 71):
        if minute % 10 == 0 and minute < 60:  # a check with a change every ten minutes
            entity = f"第{minute // 10 + 1}次認定事業者"
            expected.append(entity)
            record_changes(db, PLANS["id"] if minute % 20 else CLOUD["id"],
                           [new_entry(entity, 10_000_000_000)], at=clock.now)
        if minute == 60:
            slack.start()  # same port: Slack is back
        dispatch(db, channels(slack), clock=clock)
        clock.advance(minutes=1)
    slack.stop()

    assert entities(slack) == expected
    assert len(slack.requests) == len(expected)
    rows = deliveries(db)
    assert {r.status for r in rows} == {"sent"}
    # While Slack was down only the oldest alert knocked (1, 2, 4, … minutes apart);
    # the ones behind it were never tried, so they are sent on their first attempt.
    assert rows[0].attempts == 7  # at 0, 1, 3, 7, 15, 31 and 63 minutes
    assert [r.attempts for r in rows[1:]] == [1] * (len(expected) - 1)


def test_a_message_slack_will_never_take_is_dead_at_once_and_does_not_hold_up_the_rest(
    db: Engine, slack: SlackStandIn,
) -> None:
    record_changes(db, PLANS["id"], [new_entry("壊れた行", 1)], at=T0)
    record_changes(db, CLOUD["id"], [new_entry("さくらインターネット株式会社", 50_100_000_000)],
                   at=T0 + timedelta(seconds=1))
    slack.script(SlackReply(400, "invalid_blocks"))

    report = dispatch(db, channels(slack), clock=FakeClock(T0 + timedelta(minutes=1)))

    assert (report.dead, report.messages_sent) == (1, 1)
    assert [d.status for d in deliveries(db)] == ["dead", "sent"]


def test_a_crashed_senders_claim_is_taken_over_after_its_lease_and_sent_once(
    db: Engine, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)], at=T0)
    with Session(db) as session, session.begin():  # a worker claims, then dies before sending
        claim = claim_next(session=session, channel="slack", now=T0, worker="crashed",
                           lease=POLICY.lease)
    assert claim is not None
    assert claim.attempts == 1

    assert dispatch(db, channels(slack), clock=FakeClock(T0 + timedelta(minutes=4)),
                    worker="w2").messages_sent == 0  # its lease still runs: hands off
    with caplog.at_level(logging.WARNING, logger="watcher.notify.outbox"):
        later = dispatch(db, channels(slack), clock=FakeClock(T0 + timedelta(minutes=5)),
                         worker="w2")

    assert later.messages_sent == 1
    assert len(slack.requests) == 1
    (delivery,) = deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.claimed_by) == ("sent", 2, "w2")
    assert "lease expired" in caplog.text
    with Session(db) as session, session.begin():  # the crashed worker's late mark changes nothing
        assert mark_sent(session=session, delivery_ids=claim.delivery_ids, worker="crashed",
                         now=T0 + timedelta(minutes=6)) == 0


def test_deliveries_for_a_channel_that_is_not_configured_wait(db: Engine) -> None:
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)], at=T0)

    report = dispatch(db, {}, clock=FakeClock(T0))

    assert report.unconfigured == ["slack"]
    assert [d.status for d in deliveries(db)] == ["pending"]


def test_two_workers_never_claim_the_same_head(db: Engine) -> None:
    if db.dialect.name == "sqlite":
        pytest.skip("SQLite runs a single worker; SKIP LOCKED is PostgreSQL's")
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)], at=T0)
    record_changes(db, PLANS["id"], [new_entry("キオクシア株式会社", 150_000_000_000)],
                   at=T0 + timedelta(seconds=1))
    with Session(db) as first, first.begin():
        mine = claim_next(session=first, channel="slack", now=T0 + timedelta(minutes=1),
                          worker="a", lease=POLICY.lease)
        with Session(db) as second, second.begin():
            # The head is locked by "a": "b" must not skip ahead to the second alert.
            theirs = claim_next(session=second, channel="slack", now=T0 + timedelta(minutes=1),
                                worker="b", lease=POLICY.lease)
    assert mine is not None
    assert theirs is None
    with Session(db) as session, session.begin():
        assert claim_next(session=session, channel="slack", now=T0 + timedelta(minutes=1),
                          worker="b", lease=POLICY.lease) is None  # "a" is sending it


def test_the_scheduler_jobs_dispatch_in_a_thread(db: Engine, slack: SlackStandIn) -> None:
    record_changes(db, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)],
                   at=utc_now() - timedelta(seconds=1))
    jobs = scheduler_jobs(db, Settings(slack_webhook_url=slack.url))

    report = asyncio.run(jobs["dispatch"]())
    digest = asyncio.run(jobs["digest"]())

    assert isinstance(report, DispatchReport)
    assert report.messages_sent == 1
    assert digest is None  # no WATCHER_DIGEST_TO: no digest
    assert len(slack.accepted) == 1

"""The daily digest email: one per day, every change since the last one, read back from a
real SMTP server with the standard `email` package."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from notify.factories import (
    CLOUD,
    IPA_NEWS,
    LINKS,
    PLANS,
    FakeClock,
    add_source,
    amount_change,
    deliveries,
    new_entry,
    record_changes,
    record_failure,
)
from watcher.errors import ConfigError
from watcher.notify import EmailChannel, build_channels, dispatch, notify_once
from watcher.notify.digest import (
    build_content,
    due_digest_date,
    queue_digest,
    recipients,
    render_html,
)
from watcher.notify.email import SmtpConfig, SmtpSender, parse_smtp_url
from watcher.notify.render import JST
from watcher.settings import Settings
from watcher.store.models import Digest
from watcher.store.outbox import create_digest

from support.smtp import SmtpStandIn, free_port

DAY = date(2025, 11, 21)
EIGHT = time(8, 0)
DIGEST_AT = datetime(2025, 11, 20, 23, 0, tzinfo=UTC)  # 2025-11-21 08:00 JST
TO = ["research@example.jp", "desk@example.jp"]
SENDER = "subsidy-watcher@watcher.example.jp"
SUBJECT = "[subsidy-watcher] 2025-11-21 — 3 new approvals, 1 amount change"


@pytest.fixture
def db(engine: Engine) -> Engine:
    for source in (PLANS, CLOUD, IPA_NEWS):
        add_source(engine, source)
    return engine


def a_days_changes(db: Engine) -> None:
    """What METI published the day before the 2025-11-21 digest, and one change after it."""
    record_changes(db, CLOUD["id"], [new_entry("さくらインターネット株式会社", 50_100_000_000),
                                     new_entry("KDDI株式会社", 10_240_000_000),
                                     new_entry("株式会社ハイレゾ・株式会社ハイレゾ香川（共同申請）", 7_700_000_000)],
                   at=DIGEST_AT - timedelta(hours=14), channels=())
    record_changes(db, PLANS["id"], [amount_change("マイクロンメモリジャパン株式会社", 167_000_000_000,
                                                  500_000_000_000)],
                   at=DIGEST_AT - timedelta(hours=3), channels=())
    record_changes(db, PLANS["id"], [new_entry("翌日の認定", 1_000_000_000)],
                   at=DIGEST_AT + timedelta(minutes=30), channels=())  # tomorrow's digest
    since = DIGEST_AT - timedelta(hours=20)
    for n in (1, 2, 3):
        record_failure(db, IPA_NEWS["id"], at=since + timedelta(hours=3 * (n - 1)), failures=n,
                       since=since, channels=())


def smtp_channel(url: str) -> dict[str, EmailChannel]:
    return {"email": EmailChannel(SmtpSender(parse_smtp_url(url)), links=LINKS,
                                  from_address=SENDER, to=TO, tz=JST)}


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def test_the_digest_arrives_by_smtp_as_one_multipart_email_with_japanese_intact(db: Engine) -> None:
    a_days_changes(db)
    queued = queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT + timedelta(minutes=1))
    assert (queued.created, queued.queued) == (True, True)

    with SmtpStandIn() as smtp:
        report = dispatch(db, smtp_channel(smtp.url), clock=FakeClock(DIGEST_AT + timedelta(minutes=1)))
    assert report.messages_sent == 1

    (mail,) = smtp.received
    assert mail.mail_from == SENDER
    assert mail.rcpt_tos == tuple(TO)
    message = mail.message()
    assert message["Subject"] == SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == "research@example.jp, desk@example.jp"
    assert message["Message-ID"].startswith("<digest-2025-11-21-")
    assert message["Message-ID"].endswith("@watcher.example.jp>")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert {p.get_content_charset() for p in message.iter_parts()} == {"utf-8"}
    text, html = parts(message)
    assert text.startswith("subsidy-watcher — daily digest for 2025-11-21\n3 new approvals, 1 amount change\n"
                           "Changes detected from 2025-11-20 08:00 JST to 2025-11-21 08:00 JST.\n")
    assert f"== METI ==\n\n{CLOUD['name']}\n{CLOUD['url']}\n  * New approval: さくらインターネット株式会社\n" \
           "    501億円 (¥50.1 billion)\n    https://watcher.example.jp/changes/1\n" in text
    assert "  * Amount changed: マイクロンメモリジャパン株式会社\n    1,670億円 (¥167.0 billion) → " \
           "5,000億円 (¥500.0 billion), +3,330億円 (+¥333.0 billion)\n" in text
    assert "102.4億円 (¥10.24 billion)" in text
    assert "77億円 (¥7.7 billion)" in text
    assert "翌日の認定" not in text  # detected after 08:00: tomorrow's digest
    assert text.index(CLOUD["name"]) < text.index(PLANS["name"])
    assert f"== Sources needing attention ==\n\n  * [IPA] {IPA_NEWS['name']}: failed since " \
           "2025-11-20 12:00 JST (3 checks)\n    HTTP 503 Service Unavailable\n" in text
    assert "さくらインターネット株式会社" in html
    assert "+3,330億円 (+¥333.0 billion)" in html
    assert f'<a href="{CLOUD["url"]}"' in html
    assert [d.status for d in deliveries(db)] == ["sent"]


def test_one_digest_per_day_however_often_it_is_queued(db: Engine) -> None:
    a_days_changes(db)
    first = queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT)
    again = queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT + timedelta(hours=1))

    assert first.created
    assert not again.created
    assert again.digest is not None
    assert first.digest is not None
    assert again.digest.id == first.digest.id
    assert first.digest.change_count == 4
    assert first.digest.subject == SUBJECT
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Digest)).one() == 1
    assert len(deliveries(db)) == 1


def test_a_worker_that_loses_the_race_for_the_date_gets_none_and_keeps_its_transaction(db: Engine) -> None:
    queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT)

    with Session(db) as session, session.begin():
        lost = create_digest(session=session, digest_date=DAY.isoformat(), since=None,
                             until=DIGEST_AT, change_count=0, subject="x", channel="email",
                             now=DIGEST_AT)
        won = create_digest(session=session, digest_date="2025-11-22", since=DIGEST_AT,
                            until=DIGEST_AT + timedelta(days=1), change_count=0, subject="y",
                            channel=None, now=DIGEST_AT)
    assert lost is None
    assert won is not None
    assert len(deliveries(db)) == 0  # no changes: the first digest was recorded without one


def test_an_empty_day_sends_nothing_unless_empty_digests_are_wanted(db: Engine, tmp_path: Path) -> None:
    quiet = queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT)
    assert (quiet.created, quiet.queued) == (True, False)
    assert deliveries(db) == []

    wanted = queue_digest(db, digest_date=date(2025, 11, 22), at=EIGHT, tz=JST,
                          now=DIGEST_AT + timedelta(days=1), send_empty=True)
    assert wanted.queued
    settings = Settings(digest_to="research@example.jp", digest_dir=tmp_path)
    dispatch(db, build_channels(settings), clock=FakeClock(DIGEST_AT + timedelta(days=1)))
    message = read_eml(tmp_path / "digest-2025-11-22.eml")
    assert message["Subject"] == "[subsidy-watcher] 2025-11-22 — no changes"
    assert "No changes since the last digest." in parts(message)[0]


def test_each_digest_starts_where_the_previous_one_ended(db: Engine) -> None:
    record_changes(db, PLANS["id"], [new_entry("前日分", 1_000_000_000)],
                   at=DIGEST_AT - timedelta(days=1, hours=1), channels=())
    record_changes(db, PLANS["id"], [new_entry("当日分", 2_000_000_000)],
                   at=DIGEST_AT - timedelta(hours=1), channels=())
    queue_digest(db, digest_date=date(2025, 11, 20), at=EIGHT, tz=JST, now=DIGEST_AT - timedelta(days=1))
    # The worker was down on the 21st and 22nd: the 23rd's digest covers everything since.
    later = queue_digest(db, digest_date=date(2025, 11, 23), at=EIGHT, tz=JST,
                         now=DIGEST_AT + timedelta(days=2))

    assert later.digest is not None
    assert later.digest.since == DIGEST_AT - timedelta(days=1)
    assert later.digest.until == DIGEST_AT + timedelta(days=2)
    assert later.digest.change_count == 1


def test_smtp_down_then_back_the_digest_is_delivered_once(db: Engine) -> None:
    a_days_changes(db)
    queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT)
    smtp = SmtpStandIn(port=free_port())  # not started: connection refused
    clock = FakeClock(DIGEST_AT)

    down = dispatch(db, smtp_channel(smtp.url), clock=clock)
    (delivery,) = deliveries(db)
    assert (down.failed, delivery.status, delivery.next_attempt_at) == (1, "failed", DIGEST_AT + timedelta(minutes=1))
    assert "unreachable" in (delivery.last_error or "")

    with smtp:
        clock.advance(minutes=1)
        assert dispatch(db, smtp_channel(smtp.url), clock=clock).messages_sent == 1
        clock.advance(minutes=10)
        assert dispatch(db, smtp_channel(smtp.url), clock=clock).messages_sent == 0
    assert len(smtp.received) == 1
    assert smtp.received[0].message()["Subject"] == SUBJECT


def test_smtp_login_from_the_url(db: Engine) -> None:
    a_days_changes(db)
    queue_digest(db, digest_date=DAY, at=EIGHT, tz=JST, now=DIGEST_AT)

    with SmtpStandIn(user="watcher", password="s3cret") as smtp:
        wrong = smtp.url.replace("s3cret", "wrong")
        assert dispatch(db, smtp_channel(wrong), clock=FakeClock(DIGEST_AT)).failed == 1
        assert "authentication failed" in (deliveries(db)[0].last_error or "")
        sent = dispatch(db, smtp_channel(smtp.url), clock=FakeClock(DIGEST_AT + timedelta(minutes=1)))
    assert sent.messages_sent == 1
    assert len(smtp.received) == 1


def test_without_an_smtp_server_the_digest_is_an_eml_file(db: Engine, tmp_path: Path) -> None:
    a_days_changes(db)
    settings = Settings(digest_to="research@example.jp", digest_dir=tmp_path / "digests",
                        smtp_from=SENDER, public_url="https://watcher.example.jp")

    before = notify_once(db, settings, now=DIGEST_AT - timedelta(minutes=1))
    assert before.messages_sent == 0  # 07:59: the 21st's digest is not due yet
    after = notify_once(db, settings, now=DIGEST_AT)

    assert after.messages_sent == 1
    assert sorted(p.name for p in (tmp_path / "digests").iterdir()) == ["digest-2025-11-21.eml"]
    message = read_eml(tmp_path / "digests" / "digest-2025-11-21.eml")
    assert message["Subject"] == SUBJECT
    assert message["To"] == "research@example.jp"
    assert "マイクロンメモリジャパン株式会社" in parts(message)[0]


def test_page_text_cannot_inject_markup_into_the_html_part() -> None:
    from notify.factories import stored

    hostile = stored(1, kind="entry_added", entity='<img src=x onerror="alert(1)">株式会社',
                     amount_yen=1_000_000_000, url="javascript:alert(1)")
    content = build_content([hostile], [], digest_date=DAY, since=None, until=DIGEST_AT)

    html = render_html(content, LINKS)

    assert "<img" not in html
    assert "javascript:" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;株式会社" in html


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.jp", SmtpConfig(host="mail.example.jp", port=25)),
    ("smtp://user:p%40ss@mail.example.jp:587?starttls=true",
     SmtpConfig(host="mail.example.jp", port=587, username="user", password="p@ss", security="starttls")),
    ("smtps://user:pass@mail.example.jp", SmtpConfig(host="mail.example.jp", port=465, username="user",
                                                     password="pass", security="ssl")),
    ("smtp://mail.example.jp:2525?timeout=5", SmtpConfig(host="mail.example.jp", port=2525, timeout_s=5.0)),
])
def test_smtp_urls(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected
    assert "pass" not in repr(parse_smtp_url(url)).replace("password", "")


@pytest.mark.parametrize("url", ["http://mail.example.jp", "smtp://", "smtp://h?tls=1", "smtp://h:x"])
def test_bad_smtp_urls_name_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="WATCHER_SMTP_URL"):
        parse_smtp_url(url)


@pytest.mark.parametrize(("local", "expected"), [
    ("2025-11-21 07:59", date(2025, 11, 20)),
    ("2025-11-21 08:00", date(2025, 11, 21)),
    ("2025-11-21 23:59", date(2025, 11, 21)),
])
def test_the_due_digest_is_the_latest_date_whose_time_has_passed_in_tokyo(local: str, expected: date) -> None:
    now = datetime.fromisoformat(local).replace(tzinfo=JST).astimezone(UTC)
    assert due_digest_date(now, EIGHT, JST) == expected


def test_recipients_are_a_comma_separated_list() -> None:
    assert recipients("a@example.jp, 調査部 <desk@example.jp>") == ["a@example.jp", "desk@example.jp"]
    assert recipients(None) == []
    with pytest.raises(ConfigError, match="WATCHER_DIGEST_TO"):
        recipients("not an address")


def read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    return message

"""`watcher notify`, `watcher digest`, `watcher deliveries` and `watcher check --no-notify`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from notify.factories import (
    LINKS,
    PLANS,
    add_source,
    deliveries,
    new_entry,
    record_changes,
)
from watcher.cli import app
from watcher.errors import ConfigError
from watcher.notify import SlackChannel, dispatch
from watcher.notify.render import JST
from watcher.notify.slack import WebhookSender
from watcher.store.models import Digest

from support.pageserver import PageServer
from support.slack import SlackStandIn

NOW = datetime.now(UTC)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def run(sqlite_engine: Engine, tmp_path: Path) -> Iterator[Callable[..., Result]]:
    """Invoke `watcher …` in-process with WATCHER_* settings for this test's database."""
    handlers, level = logging.root.handlers[:], logging.root.level
    base = {"WATCHER_DATABASE_URL": str(sqlite_engine.url),
            "WATCHER_CONFIG": str(tmp_path / "sources.toml"),
            "WATCHER_DIGEST_DIR": str(tmp_path / "digests"), "WATCHER_MIN_HOST_DELAY_S": "0",
            "WATCHER_PUBLIC_URL": "https://watcher.example.jp"}

    def invoke(*args: str, **env: str) -> Result:
        return CliRunner().invoke(app, list(args), env={**base, **env}, catch_exceptions=True)

    yield invoke
    logging.root.handlers[:], logging.root.level = handlers, level  # the CLI set up logging


def a_dead_alert(engine: Engine) -> int:
    add_source(engine, PLANS)
    record_changes(engine, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)],
                   at=NOW - timedelta(days=2))
    closed = SlackStandIn().start()
    closed.stop()
    channel = SlackChannel(WebhookSender(closed.url), links=LINKS)
    dispatch(engine, {"slack": channel}, clock=lambda: NOW)  # two days old: dead on failure
    (delivery,) = deliveries(engine)
    assert delivery.status == "dead"
    assert delivery.id is not None
    return delivery.id


def test_deliveries_lists_what_is_waiting_or_dead_with_its_error(run: Callable[..., Result], sqlite_engine: Engine) -> None:
    a_dead_alert(sqlite_engine)

    table = run("deliveries")
    listed = run("deliveries", "--json")

    assert table.exit_code == 0, table.output
    assert "dead" in table.output
    assert "change #1" in table.output
    (row,) = json.loads(listed.stdout)
    assert row["status"] == "dead"
    assert row["channel"] == "slack"
    assert row["source"] == PLANS["id"]
    assert "unreachable" in row["last_error"]
    assert json.loads(run("deliveries", "--json", "--status", "sent").stdout) == []


def test_deliveries_retry_dead_queues_them_again_and_notify_sends_them(
    run: Callable[..., Result], sqlite_engine: Engine, slack: SlackStandIn,
) -> None:
    delivery_id = a_dead_alert(sqlite_engine)

    retried = run("deliveries", "retry", "--dead")
    assert retried.exit_code == 0, retried.output
    assert f"queued again: 1 delivery(ies) ({delivery_id})" in retried.output
    assert [d.status for d in deliveries(sqlite_engine)] == ["pending"]

    sent = run("notify", WATCHER_SLACK_WEBHOOK_URL=slack.url)
    assert sent.exit_code == 0, sent.output
    assert "sent 1 message(s) (1 delivery(ies)), 0 failed, 0 dead" in sent.stdout
    assert len(slack.accepted) == 1
    assert "nothing to retry" in run("deliveries", "retry", "--id", str(delivery_id)).output


def test_deliveries_retry_needs_an_id_or_dead(run: Callable[..., Result]) -> None:
    result = run("deliveries", "retry")
    assert isinstance(result.exception, ConfigError)


def test_check_no_notify_queues_and_notify_sends(
    run: Callable[..., Result], sqlite_engine: Engine, slack: SlackStandIn, page_server: PageServer,
    tmp_path: Path,
) -> None:
    page = ('<html><body><div id="__main_contents"><p>AI・半導体分野に10兆円以上の公的支援。</p>'
            "{}</div></body></html>")
    page_server.serve("/frame.html", page.format(""), validators=False)
    (tmp_path / "sources.toml").write_text(
        '[[sources]]\nid = "meti-ai-semiconductor-framework"\nname = "METI — AI・半導体産業基盤強化フレーム"\n'
        f'agency = "METI"\nurl = "{page_server.url("/frame.html")}"\nextract = "text"\n',
        encoding="utf-8")
    hook = {"WATCHER_SLACK_WEBHOOK_URL": slack.url}
    assert run("check", **hook).exit_code == 0
    page_server.serve("/frame.html", page.format("<p>Rapidus株式会社の計画を選定しました。</p>"),
                      validators=False)

    checked = run("check", "--no-notify", **hook)
    assert "1 change(s)" in checked.stdout
    assert slack.requests == []
    assert [d.status for d in deliveries(sqlite_engine)] == ["pending"]

    run("notify", **hook)
    assert len(slack.accepted) == 1

    page_server.serve("/frame.html", page.format("<p>Rapidus株式会社への出資を決定しました。</p>"),
                      validators=False)
    notified = run("check", **hook)  # without --no-notify the pass ends by sending
    assert "notifications: sent 1 message(s)" in notified.stdout
    assert len(slack.accepted) == 2


def test_digest_dry_run_prints_and_records_nothing(run: Callable[..., Result], sqlite_engine: Engine) -> None:
    add_source(sqlite_engine, PLANS)
    record_changes(sqlite_engine, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)],
                   at=NOW - timedelta(minutes=5), channels=())
    tomorrow = (NOW.astimezone(JST) + timedelta(days=1)).date().isoformat()

    result = run("digest", "--date", tomorrow, "--dry-run", WATCHER_DIGEST_TO="research@example.jp")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Subject: [subsidy-watcher] {tomorrow} — 1 new approval\n"
                                    "To: research@example.jp\n\n")
    assert "  * New approval: Rapidus株式会社\n    1,000億円 (¥100.0 billion)\n" in result.stdout
    with Session(sqlite_engine) as session:
        assert session.exec(select(func.count()).select_from(Digest)).one() == 0


def test_digest_to_file_writes_an_eml_and_a_real_digest_is_sent_once(
    run: Callable[..., Result], sqlite_engine: Engine, tmp_path: Path,
) -> None:
    add_source(sqlite_engine, PLANS)
    record_changes(sqlite_engine, PLANS["id"], [new_entry("Rapidus株式会社", 100_000_000_000)],
                   at=NOW - timedelta(minutes=5), channels=())
    day = (NOW.astimezone(JST) + timedelta(days=1)).date().isoformat()

    preview = run("digest", "--date", day, "--to-file", str(tmp_path / "preview"))
    assert preview.exit_code == 0, preview.output
    assert (tmp_path / "preview" / f"digest-{day}.eml").exists()

    sent = run("digest", "--date", day, WATCHER_DIGEST_TO="research@example.jp")
    assert sent.exit_code == 0, sent.output
    assert f"digest {day}: sent 1 message(s)" in sent.stdout
    assert (tmp_path / "digests" / f"digest-{day}.eml").exists()  # no SMTP server: a file

    again = run("digest", "--date", day, WATCHER_DIGEST_TO="research@example.jp")
    assert f"the digest for {day} already exists (1 change(s), delivery #1: sent)" in again.stdout
    assert "sent 0 message(s)" in again.stdout


def test_a_day_without_changes_sends_no_digest(run: Callable[..., Result], sqlite_engine: Engine) -> None:
    result = run("digest", "--date", "2025-11-21", WATCHER_DIGEST_TO="research@example.jp")
    assert "no changes for 2025-11-21: nothing to send" in result.stdout
    assert deliveries(sqlite_engine) == []

"""The Slack senders against a local Slack: exact request bodies, rate limits and failures."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from notify.factories import LINKS, SleepRecorder, stored
from watcher.changes import ChangeKind
from watcher.notify import build_channels
from watcher.notify.base import SendError
from watcher.notify.render import SlackMessage, render_changes
from watcher.notify.slack import BotSender, WebhookSender, slack_sender
from watcher.settings import Settings

from support.slack import BOT_TOKEN, WEBHOOK_PATH, SlackReply, SlackStandIn

MESSAGE = render_changes([stored(12, kind=ChangeKind.ENTRY_ADDED, entity="Rapidus株式会社",
                                 amount_yen=100_000_000_000)], links=LINKS)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


def test_a_webhook_message_is_posted_as_exactly_the_rendered_json(slack: SlackStandIn) -> None:
    WebhookSender(slack.url).send(MESSAGE)

    (request,) = slack.requests
    assert request.path == WEBHOOK_PATH
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"
    assert request.body == {"text": MESSAGE.text, "blocks": list(MESSAGE.blocks)}
    assert request.body["blocks"][1]["text"]["text"] == (
        "*Rapidus株式会社* · <https://watcher.example.jp/changes/12|#12>\n1,000億円 (¥100.0 billion)")


def test_a_bot_token_posts_to_chat_post_message_in_the_configured_channel(slack: SlackStandIn) -> None:
    BotSender(BOT_TOKEN, "C0SUBSIDY", base_url=slack.api_base_url).send(MESSAGE)

    (request,) = slack.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert request.body == {"channel": "C0SUBSIDY", "text": MESSAGE.text, "blocks": list(MESSAGE.blocks)}


def test_a_429_is_waited_out_for_its_retry_after_then_sent_once(slack: SlackStandIn) -> None:
    slack.script(SlackReply(429, "rate_limited", retry_after="3"))
    waits = SleepRecorder([])

    WebhookSender(slack.url, sleep=waits).send(MESSAGE)

    assert [r.status for r in slack.requests] == [429, 200]
    assert waits.waits == [3.0]
    assert len(slack.accepted) == 1
    assert slack.requests[0].body == slack.requests[1].body


def test_a_429_from_the_web_api_is_waited_out_too(slack: SlackStandIn) -> None:
    slack.script(SlackReply(429, '{"ok": false, "error": "ratelimited"}', retry_after="1"))
    waits = SleepRecorder([])

    BotSender(BOT_TOKEN, "C0SUBSIDY", base_url=slack.api_base_url, sleep=waits).send(MESSAGE)

    assert [r.status for r in slack.requests] == [429, 200]
    assert waits.waits == [1.0]


def test_a_long_retry_after_goes_back_to_the_outbox_instead_of_blocking(slack: SlackStandIn) -> None:
    slack.script(SlackReply(429, "rate_limited", retry_after="600"))
    waits = SleepRecorder([])

    with pytest.raises(SendError) as failure:
        WebhookSender(slack.url, sleep=waits).send(MESSAGE)

    assert failure.value.retry_after_s == 600.0
    assert not failure.value.permanent
    assert waits.waits == []
    assert len(slack.requests) == 1


def test_a_500_is_a_failure_to_retry_later_not_in_the_same_send(slack: SlackStandIn) -> None:
    slack.script(SlackReply(500, "rollup_error"))

    with pytest.raises(SendError, match="HTTP 500 rollup_error") as failure:
        WebhookSender(slack.url).send(MESSAGE)

    assert not failure.value.permanent
    assert len(slack.requests) == 1


@pytest.mark.parametrize(("status", "body", "permanent"), [
    (400, "invalid_payload", True),
    (400, "invalid_blocks", True),
    (404, "no_service", False),  # a wrong or revoked webhook: fix the setting, then it goes
    (403, "action_prohibited", False),
])
def test_a_webhook_rejection_is_permanent_only_when_the_message_itself_is_bad(
    slack: SlackStandIn, status: int, body: str, permanent: bool,
) -> None:
    slack.script(SlackReply(status, body))

    with pytest.raises(SendError) as failure:
        WebhookSender(slack.url).send(MESSAGE)

    assert failure.value.permanent is permanent
    assert body in str(failure.value)


@pytest.mark.parametrize(("error", "permanent"), [
    ("channel_not_found", False), ("invalid_auth", False), ("msg_too_long", True),
    ("invalid_blocks", True),
])
def test_a_web_api_error_is_permanent_only_when_the_message_itself_is_bad(
    slack: SlackStandIn, error: str, permanent: bool,
) -> None:
    slack.script(SlackReply(200, f'{{"ok": false, "error": "{error}"}}'))

    with pytest.raises(SendError, match=error) as failure:
        BotSender(BOT_TOKEN, "C0SUBSIDY", base_url=slack.api_base_url).send(MESSAGE)

    assert failure.value.permanent is permanent


def test_slack_unreachable_is_a_failure_to_retry_and_is_not_retried_in_the_send() -> None:
    slack = SlackStandIn().start()
    url = slack.url
    slack.stop()

    with pytest.raises(SendError, match="unreachable") as failure:
        WebhookSender(url).send(SlackMessage(text="x", blocks=()))

    assert not failure.value.permanent


def test_which_sender_follows_the_settings() -> None:
    assert isinstance(slack_sender(Settings(slack_webhook_url="https://hooks.slack.com/services/T/B/x")),
                      WebhookSender)
    bot = slack_sender(Settings(slack_bot_token="xoxb-1", slack_channel="C1",
                                slack_base_url="http://127.0.0.1:9/api/"))
    assert isinstance(bot, BotSender)
    assert bot.client.base_url == "http://127.0.0.1:9/api/"
    assert slack_sender(Settings()) is None
    assert slack_sender(Settings(slack_bot_token="xoxb-1")) is None  # no channel: off


def test_without_slack_settings_slack_is_off_and_that_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="watcher.notify"):
        channels = build_channels(Settings())

    assert "slack" not in channels
    (line,) = [r for r in caplog.records if "Slack is off" in r.getMessage()]
    assert line.levelno == logging.INFO
    assert "WATCHER_SLACK_WEBHOOK_URL" in line.getMessage()

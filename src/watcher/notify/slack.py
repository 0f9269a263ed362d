"""Slack senders: an incoming webhook or a bot token posting with chat.postMessage (slack-sdk).

Only a 429 is retried inside a send, after its Retry-After, and only when that wait is
short; everything else (connection errors, 5xx, a long Retry-After) goes back to the
outbox, which retries with backoff. slack-sdk's connection-error handler is left out on
purpose: a connection reset after the request was written may mean Slack already has
the message, and the outbox is the one place that decides about sending again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from watcher.notify.base import SendError
from watcher.notify.render import SlackMessage
from watcher.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://slack.com/api/"
# Slack's answers that mean "this message will never be accepted" (not "try later").
PAYLOAD_ERRORS = frozenset({
    "invalid_payload", "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text",
    "invalid_arguments", "invalid_attachments", "too_many_attachments", "markdown_text_conflict",
})

Sleep = Callable[[float], None]


class SlackSender(Protocol):
    """Posts one message to Slack or raises SendError."""

    def send(self, message: SlackMessage) -> None: ...


class RetryAfterHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler with a ceiling: waits Retry-After only if it is short.

    A longer Retry-After is handed to the outbox (SendError.retry_after_s), so a
    rate-limited channel never holds a worker for minutes.
    """

    def __init__(self, *, max_retry_count: int = 2, max_wait_s: float = 30.0,
                 sleep: Sleep = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s
        self.sleep = sleep

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        return _retry_after(response.headers) <= self.max_wait_s

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        wait = _retry_after(response.headers if response else {})
        log.info("Slack rate limit: retrying after %.0f s", wait)
        self.sleep(wait)
        state.increment_current_attempt()
        state.next_attempt_requested = True


def _retry_after(headers: Mapping[str, Any]) -> float:
    """Retry-After in seconds from headers whose values may be strings or lists (default 1)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def _handlers(sleep: Sleep, max_wait_s: float) -> list[RetryHandler]:
    return [RetryAfterHandler(max_wait_s=max_wait_s, sleep=sleep)]


class WebhookSender:
    """Posts to an incoming webhook (WATCHER_SLACK_WEBHOOK_URL)."""

    def __init__(self, url: str, *, timeout_s: int = 10, sleep: Sleep = time.sleep,
                 max_wait_s: float = 30.0) -> None:
        self.client = WebhookClient(url, timeout=timeout_s,
                                    retry_handlers=_handlers(sleep, max_wait_s))

    def send(self, message: SlackMessage) -> None:
        try:
            response = self.client.send_dict(message.payload())
        except (URLError, OSError, SlackClientError) as exc:
            raise SendError(f"Slack webhook unreachable: {_reason(exc)}") from None
        if response.status_code == 200:
            return
        body = (response.body or "").strip()
        raise _error(response.status_code, body, response.headers or {}, what="Slack webhook")


class BotSender:
    """Posts with a bot token to one channel (WATCHER_SLACK_BOT_TOKEN, WATCHER_SLACK_CHANNEL)."""

    def __init__(self, token: str, channel: str, *, base_url: str | None = None,
                 timeout_s: int = 10, sleep: Sleep = time.sleep, max_wait_s: float = 30.0) -> None:
        self.channel = channel
        self.client = WebClient(token=token, base_url=base_url or DEFAULT_BASE_URL,
                                timeout=timeout_s, retry_handlers=_handlers(sleep, max_wait_s))

    def send(self, message: SlackMessage) -> None:
        try:
            self.client.chat_postMessage(channel=self.channel, text=message.text,
                                         blocks=list(message.blocks))
        except SlackApiError as exc:
            response = exc.response
            error = str(response.get("error", "") if isinstance(response.data, dict) else "")
            raise _error(response.status_code, error or str(response.data)[:200],
                         response.headers or {}, what="Slack chat.postMessage") from None
        except (URLError, OSError, SlackClientError) as exc:
            raise SendError(f"Slack API unreachable: {_reason(exc)}") from None


def _error(status: int, error: str, headers: Mapping[str, Any], *, what: str) -> SendError:
    message = f"{what}: HTTP {status}" + (f" {error}" if error else "")
    if status == 429:
        return SendError(message, retry_after_s=_retry_after(headers))
    permanent = status == 400 or error in PAYLOAD_ERRORS
    return SendError(message, permanent=permanent)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc) or type(exc).__name__


def slack_sender(settings: Settings, *, sleep: Sleep = time.sleep) -> SlackSender | None:
    """The configured Slack sender, or None when Slack is off (neither way is configured)."""
    if settings.slack_webhook_url is not None:
        return WebhookSender(settings.slack_webhook_url.get_secret_value(), sleep=sleep)
    if settings.slack_bot_token is not None and settings.slack_channel:
        return BotSender(settings.slack_bot_token.get_secret_value(), settings.slack_channel,
                         base_url=settings.slack_base_url, sleep=sleep)
    return None

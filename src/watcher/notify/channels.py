"""The channels the dispatcher sends through: Slack (alerts) and email (the digest)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session

from watcher.notify.base import Channel, Outgoing, SendError
from watcher.notify.render import JST, Links, render_changes, render_health
from watcher.settings import Settings
from watcher.store.outbox import Claim, get_digest, load_changes, load_health_alert

# slack-sdk, Jinja2 (the digest) and smtplib load when a channel is configured or used:
# `watcher check` builds the channels on every run, most often to find nothing queued.
if TYPE_CHECKING:
    from watcher.notify.email import EmailSender
    from watcher.notify.slack import SlackSender, Sleep

log = logging.getLogger(__name__)


class SlackChannel:
    """Change alerts (one message per check of a source) and health alerts."""

    name = "slack"

    def __init__(self, sender: SlackSender, *, links: Links, tz: ZoneInfo = JST) -> None:
        self.sender = sender
        self.links = links
        self.tz = tz

    def prepare(self, session: Session, claim: Claim, now: datetime) -> Outgoing:
        if claim.change_ids:
            changes = load_changes(session=session, change_ids=claim.change_ids)
            if not changes:
                raise SendError(f"changes {list(claim.change_ids)} no longer exist", permanent=True)
            message = render_changes(changes, links=self.links, tz=self.tz)
            what = f"{len(changes)} change(s) of {changes[0].source}"
        elif claim.health_event_id is not None:
            alert = load_health_alert(session=session, event_id=claim.health_event_id)
            if alert is None:
                raise SendError(f"health event {claim.health_event_id} no longer exists",
                                permanent=True)
            message = render_health(alert, links=self.links, tz=self.tz)
            what = f"{alert.source_id} {alert.kind}"
        else:
            raise SendError("a Slack delivery without a change or health event", permanent=True)
        sender = self.sender
        return Outgoing(description=what, send=lambda: sender.send(message))


class EmailChannel:
    """The daily digest, rebuilt from the store at send time."""

    name = "email"

    def __init__(self, sender: EmailSender, *, links: Links, from_address: str,
                 to: Sequence[str], tz: ZoneInfo = JST) -> None:
        self.sender = sender
        self.links = links
        self.from_address = from_address
        self.to = tuple(to)
        self.tz = tz

    def prepare(self, session: Session, claim: Claim, now: datetime) -> Outgoing:
        from watcher.notify.digest import build_email, load_content

        if claim.digest_id is None:
            raise SendError("an email delivery without a digest", permanent=True)
        digest = get_digest(session=session, digest_id=claim.digest_id)
        if digest is None or digest.until is None:
            raise SendError(f"digest {claim.digest_id} no longer exists", permanent=True)
        digest_date = date.fromisoformat(digest.digest_date)
        content = load_content(session, digest_date=digest_date, since=digest.since,
                               until=digest.until, tz=self.tz)
        message = build_email(content, links=self.links, sender=self.from_address,
                              recipients=self.to, digest_id=digest.id, now=now)
        sender, name = self.sender, f"digest-{digest.digest_date}"
        return Outgoing(description=f"digest {digest.digest_date}",
                        send=lambda: sender.send(message, name=name))


def email_sender(settings: Settings) -> EmailSender:
    """SMTP when WATCHER_SMTP_URL is set, else .eml files in WATCHER_DIGEST_DIR."""
    from watcher.notify.email import EmlWriter, SmtpSender, parse_smtp_url

    if settings.smtp_url is not None:
        return SmtpSender(parse_smtp_url(settings.smtp_url.get_secret_value()))
    return EmlWriter(settings.digest_dir)


def build_channels(settings: Settings, *, tz: ZoneInfo = JST,
                   sleep: Sleep = time.sleep) -> dict[str, Channel]:
    """The configured channels; says once, at start-up, when Slack is off."""
    links = Links(public_url=settings.public_url)
    channels: dict[str, Channel] = {}
    slack: SlackSender | None = None
    if settings.slack_webhook_url is not None or settings.slack_bot_token is not None:
        from watcher.notify.slack import slack_sender  # neither set: Slack is off for sure

        slack = slack_sender(settings, sleep=sleep)
    if slack is None:
        half = settings.slack_bot_token is not None or settings.slack_channel is not None
        log.info("Slack is off: %s", "WATCHER_SLACK_BOT_TOKEN needs WATCHER_SLACK_CHANNEL too"
                 if half else "set WATCHER_SLACK_WEBHOOK_URL, or WATCHER_SLACK_BOT_TOKEN and "
                 "WATCHER_SLACK_CHANNEL, to send alerts")
    else:
        channels["slack"] = SlackChannel(slack, links=links, tz=tz)
    to: list[str] = []
    if settings.digest_to:  # recipients() of an empty setting is [] too
        from watcher.notify.digest import recipients

        to = recipients(settings.digest_to)
    if settings.smtp_url is not None and not to:
        log.info("the digest email is off: WATCHER_SMTP_URL is set but WATCHER_DIGEST_TO is not")
    else:
        channels["email"] = EmailChannel(email_sender(settings), links=links,
                                         from_address=settings.smtp_from, to=to, tz=tz)
    return channels


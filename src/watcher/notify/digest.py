"""The daily digest: every change since the last digest, grouped by agency and source, as one email.

The digest of a day covers the changes detected after the previous digest's end up to
the day's digest time (WATCHER_DIGEST_TIME in the configured time zone). It is recorded
with a unique date and queued in the outbox in one transaction, so several workers or a
restart still send one digest per day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.bidi import finalize_text
from watcher.errors import ConfigError
from watcher.notify.render import (
    JST,
    Links,
    amount_line,
    change_label,
    changes_phrase,
    delta_text,
    local_time,
    move_text,
    yen_text,
)
from watcher.store import list_source_statuses
from watcher.store.changes import StoredChange
from watcher.store.outbox import (
    DigestInfo,
    changes_between,
    create_digest,
    find_digest,
    previous_digest,
)
from watcher.store.sources import SourceStatus

log = logging.getLogger(__name__)

CHANNEL = "email"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceChanges:
    """One source's changes in a digest."""

    source_id: str
    name: str
    url: str
    changes: tuple[StoredChange, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgencyChanges:
    """One agency's sources with changes, in a digest."""

    agency: str
    sources: tuple[SourceChanges, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthLine:
    """A source that failed or is suspect, as the digest's health section shows it."""

    source_id: str
    name: str
    agency: str
    url: str
    status: str  # failed | suspect
    since: datetime | None
    bad_checks: int
    error: str | None
    last_good_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestContent:
    """Everything a digest email shows."""

    digest_date: date
    since: datetime | None
    until: datetime
    tz: ZoneInfo
    agencies: tuple[AgencyChanges, ...]
    health: tuple[HealthLine, ...]

    @property
    def changes(self) -> tuple[StoredChange, ...]:
        return tuple(c for a in self.agencies for s in a.sources for c in s.changes)

    @property
    def subject(self) -> str:
        """[subsidy-watcher] 2025-11-21 — 3 new approvals, 1 amount change."""
        phrase = changes_phrase(self.changes) or "no changes"
        return f"[subsidy-watcher] {self.digest_date.isoformat()} — {phrase}"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedDigest:
    """What queue_digest did: created (and queued unless empty), or found the date taken."""

    digest: DigestInfo | None
    created: bool
    queued: bool


def parse_digest_time(text: str) -> time:
    """'08:00' → 08:00 (ConfigError naming WATCHER_DIGEST_TIME otherwise)."""
    match = _TIME.match(text.strip())
    if not match:
        raise ConfigError(f"WATCHER_DIGEST_TIME: '{text}' is not a time like 08:00")
    return time(int(match.group(1)), int(match.group(2)))


def digest_until(digest_date: date, at: time, tz: ZoneInfo) -> datetime:
    """The end of a day's digest window: that date at the digest time, local."""
    return datetime.combine(digest_date, at, tzinfo=tz)


def due_digest_date(now: datetime, at: time, tz: ZoneInfo) -> date:
    """The latest date whose digest time has passed at ``now``."""
    local = now.astimezone(tz)
    today = local.date()
    return today if local.timetz().replace(tzinfo=None) >= at else today - timedelta(days=1)


def build_content(
    changes: Sequence[StoredChange], statuses: Sequence[SourceStatus], *, digest_date: date,
    since: datetime | None, until: datetime, tz: ZoneInfo = JST,
) -> DigestContent:
    """Group changes by agency, then source (each in order of first appearance); pure."""
    agencies: dict[str, dict[str, list[StoredChange]]] = {}
    for change in sorted(changes, key=lambda c: (c.agency, c.source, c.detected_at, c.id)):
        agencies.setdefault(change.agency, {}).setdefault(change.source, []).append(change)
    grouped = tuple(
        AgencyChanges(agency=agency, sources=tuple(
            SourceChanges(source_id=sid, name=items[0].source_name, url=items[0].source_url,
                          changes=tuple(items))
            for sid, items in by_source.items()
        ))
        for agency, by_source in agencies.items()
    )
    health = tuple(
        HealthLine(source_id=s.id, name=s.name, agency=s.agency, url=s.url,
                   status=s.last_status or "failed", since=s.failing_since,
                   bad_checks=s.consecutive_failures, error=s.last_error,
                   last_good_at=s.last_good_at)
        for s in statuses
        if s.enabled and not s.removed and s.last_status in ("failed", "suspect")
    )
    return DigestContent(digest_date=digest_date, since=since, until=until, tz=tz,
                         agencies=grouped, health=health)


_ENV = Environment(
    loader=PackageLoader("watcher.notify", "templates"),
    # Autoescaped HTML: page text in an entity or summary cannot inject markup.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    finalize=finalize_text,  # no bidi control from a page reorders what the reader sees
)
_ENV.filters.update(yen=yen_text, delta=delta_text, change_label=change_label)


def _view(content: DigestContent, links: Links) -> dict[str, object]:
    def when(moment: datetime | None) -> str:
        return local_time(moment, content.tz) if moment else "—"

    return {
        "content": content, "subject": content.subject, "links": links, "when": when,
        "amount_line": amount_line, "move_text": move_text,
        "count": changes_phrase(content.changes) or "no changes",
    }


def render_text(content: DigestContent, links: Links) -> str:
    """The plain-text part."""
    return _ENV.get_template("digest.txt").render(_view(content, links))


def render_html(content: DigestContent, links: Links) -> str:
    """The HTML part (autoescaped)."""
    return _ENV.get_template("digest.html").render(_view(content, links))


def build_email(
    content: DigestContent, *, links: Links, sender: str, recipients: Sequence[str],
    digest_id: int | None, now: datetime,
) -> EmailMessage:
    """multipart/alternative: text and HTML, UTF-8, with a Message-ID fixed per digest.

    The fixed Message-ID lets mail clients drop the copy that a crash between the SMTP
    server's acceptance and our record of it could cause.
    """
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    domain = _domain(sender)
    ident = f"{digest_id}" if digest_id is not None else "preview"
    message["Message-ID"] = f"<digest-{content.digest_date.isoformat()}-{ident}@{domain}>"
    message["X-Subsidy-Watcher-Digest"] = content.digest_date.isoformat()
    message.set_content(render_text(content, links), subtype="plain", charset="utf-8")
    message.add_alternative(render_html(content, links), subtype="html", charset="utf-8")
    return message


def recipients(value: str | None) -> list[str]:
    """WATCHER_DIGEST_TO as a list of addresses ("a@x.jp, Name <b@y.jp>")."""
    if not value:
        return []
    found = [addr for _, addr in getaddresses([value]) if addr]
    if not found or any("@" not in a for a in found):
        raise ConfigError(f"WATCHER_DIGEST_TO: '{value}' is not a list of email addresses")
    return [str(Address(addr_spec=a)) for a in found]


def _domain(sender: str) -> str:
    addresses = [addr for _, addr in getaddresses([sender]) if "@" in addr]
    return addresses[0].rsplit("@", 1)[1] if addresses else "localhost"


# --- with the store ------------------------------------------------------------------------


def digest_window(
    session: Session, *, digest_date: date, at: time, tz: ZoneInfo, now: datetime,
) -> tuple[datetime | None, datetime]:
    """(since, until] of a day's digest: from the previous digest's end (or a day before)."""
    until = min(digest_until(digest_date, at, tz), now)
    previous = previous_digest(session=session, before_date=digest_date.isoformat())
    since = previous.until if previous and previous.until else until - timedelta(days=1)
    return since, until


def load_content(
    session: Session, *, digest_date: date, since: datetime | None, until: datetime, tz: ZoneInfo,
) -> DigestContent:
    """The digest's changes and the current health of failing sources."""
    changes = changes_between(session=session, since=since, until=until)
    statuses = list_source_statuses(session=session)
    return build_content(changes, statuses, digest_date=digest_date, since=since, until=until,
                         tz=tz)


def queue_digest(
    engine: Engine, *, digest_date: date, at: time, tz: ZoneInfo, now: datetime,
    send_empty: bool = False,
) -> QueuedDigest:
    """Record the day's digest and queue its email in one transaction (once per date)."""
    with Session(engine) as session, session.begin():
        existing = find_digest(session=session, digest_date=digest_date.isoformat())
        if existing is not None:
            return QueuedDigest(digest=existing, created=False, queued=False)
        since, until = digest_window(session, digest_date=digest_date, at=at, tz=tz, now=now)
        content = load_content(session, digest_date=digest_date, since=since, until=until, tz=tz)
        count = len(content.changes)
        queue = count > 0 or send_empty
        # An empty day is recorded too (without a delivery), so the next digest starts here.
        digest = create_digest(session=session, digest_date=digest_date.isoformat(), since=since,
                               until=until, change_count=count, subject=content.subject,
                               channel=CHANNEL if queue else None, now=now)
    if digest is None:  # another worker recorded this date first: that is the one digest
        log.info("digest for %s was recorded by another worker", digest_date)
        return QueuedDigest(digest=None, created=False, queued=False)
    log.info("digest for %s recorded: %d change(s)%s", digest_date, count,
             "" if queue else ", nothing to send")
    return QueuedDigest(digest=digest, created=True, queued=queue)


def queue_due_digest(
    engine: Engine, *, at: time, tz: ZoneInfo, now: datetime, send_empty: bool = False,
) -> QueuedDigest | None:
    """Queue the latest due digest if it is not recorded yet (what the scheduler calls)."""
    digest_date = due_digest_date(now, at, tz)
    with Session(engine) as session:
        if find_digest(session=session, digest_date=digest_date.isoformat()) is not None:
            return None
    return queue_digest(engine, digest_date=digest_date, at=at, tz=tz, now=now,
                        send_empty=send_empty)

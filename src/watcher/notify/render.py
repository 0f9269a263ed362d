"""Slack messages (Block Kit plus a plain-text fallback) from stored changes and health events; pure.

Everything taken from a page (entities, summaries, titles, error text) is clipped and
escaped for Slack's mrkdwn (&, <, >), so a page can neither mention anyone (<!channel>,
<@U…>) nor hide a link. The only links in a message are the ones built here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from watcher.bidi import strip_bidi
from watcher.changes import ChangeKind
from watcher.extract.yen import (
    format_billions,
    format_billions_range,
    format_delta_oku,
    format_ends_delta,
    format_oku,
    format_oku_range,
)
from watcher.labels import count_phrase, kind_label
from watcher.store.changes import StoredChange
from watcher.store.outbox import HealthAlert

JST = ZoneInfo("Asia/Tokyo")
MAX_ITEMS = 20  # changes listed in one message; the rest become "…and N more" (Slack: 50 blocks)
# Page text is clipped per field so that, even fully escaped (& → &amp;), a section stays
# within Slack's 3,000 characters and is never cut in the middle of a link or an entity.
CLIP = 150
SUMMARY_CLIP = 400
URL_LIMIT = 1000
SECTION_LIMIT = 3000

@dataclass(frozen=True, slots=True, kw_only=True)
class Links:
    """Addresses of the admin pages (WATCHER_PUBLIC_URL)."""

    public_url: str

    def change(self, change_id: int) -> str:
        return f"{self.public_url.rstrip('/')}/changes/{change_id}"

    def changes(self, source_id: str | None = None) -> str:
        base = f"{self.public_url.rstrip('/')}/changes"
        return f"{base}?source={quote(source_id)}" if source_id else base

    def source(self, source_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/sources/{quote(source_id)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackMessage:
    """A Slack message: the notification text and the Block Kit blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        """The JSON body for a webhook (chat.postMessage adds the channel)."""
        return {"text": self.text, "blocks": list(self.blocks)}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to, and drop bidi controls.

    >>> escape("<!channel> R&D <https://evil.example|click>")
    '&lt;!channel&gt; R&amp;D &lt;https://evil.example|click&gt;'
    """
    return strip_bidi(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = CLIP) -> str:
    """One line of at most ``limit`` characters (before escaping)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def link(url: str | None, label: str) -> str:
    """A mrkdwn link, or just the escaped label when the URL is not http(s)."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return escape(label)
    # "|" and ">" would end the URL part of <url|label> early.
    safe = escape(url.replace("|", "%7C").replace(" ", "%20"))
    if len(safe) > URL_LIMIT:
        return escape(clip(label))
    return f"<{safe}|{escape(clip(label))}>"


def yen_text(yen: int, low: int | None = None) -> str:
    """An amount in both forms: 4,760億円 (¥476.0 billion); a range (``low`` its lower end)
    end to end: 500万円～1,000万円 (¥5.0 million to ¥10.0 million)."""
    if low is not None:
        return f"{format_oku_range(low, yen)} ({format_billions_range(low, yen)})"
    return f"{format_oku(yen)} ({format_billions(yen)})"


def delta_text(delta: int) -> str:
    """A change of amount in both forms: +2,560億円 (+¥256.0 billion)."""
    billions = format_billions(delta)
    return f"{format_delta_oku(delta)} ({billions if delta < 0 else '+' + billions})"


def move_text(change: StoredChange) -> str:
    """How an amount change moved: +250億円 (+¥25.0 billion), or a range end by end."""
    new, old = change.amount_yen, change.previous_amount_yen
    if new is None or old is None:
        return ""
    new_low, old_low = change.amount_low_yen, change.previous_amount_low_yen
    if new_low is None and old_low is None:
        return delta_text(new - old)
    return format_ends_delta(old, new, old_low=old_low, new_low=new_low)


def amount_line(change: StoredChange) -> str | None:
    """'old → new, delta' for an amount change, the amount for a new or removed entry."""
    new, old = change.amount_yen, change.previous_amount_yen
    after = yen_text(new, change.amount_low_yen) if new is not None else "no amount"
    if change.kind == ChangeKind.AMOUNT_CHANGED:
        before = yen_text(old, change.previous_amount_low_yen) if old is not None else "no amount"
        move = move_text(change)
        return f"{before} → {after}, {move}" if move else f"{before} → {after}"
    if change.kind in (ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED) and new is not None:
        return after
    return None


def local_time(moment: datetime, tz: ZoneInfo = JST) -> str:
    """2025-11-21 09:00 JST."""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def change_label(change: StoredChange) -> str:
    """What a change is called in an alert: 'New budget line', 'Grant list replaced' (watcher.labels)."""
    return kind_label(change.kind, change.nature)


def changes_phrase(changes: Sequence[StoredChange]) -> str:
    """'3 new approvals, 1 budget line change' for some changes (watcher.labels)."""
    return count_phrase([(c.kind, c.nature) for c in changes])


def source_title(agency: str, name: str, url: str | None) -> str:
    """'METI · <url|name>', without repeating the agency when the name starts with it."""
    prefix = "" if name.startswith(agency) else f"{escape(agency)} · "
    return prefix + link(url, name)


def _plain_source(agency: str, name: str) -> str:
    return clip(name) if name.startswith(agency) else f"{agency} · {clip(name)}"


def render_changes(changes: Sequence[StoredChange], *, links: Links, tz: ZoneInfo = JST) -> SlackMessage:
    """One message for the changes of one check of one source, however many there are."""
    if not changes:
        raise ValueError("render_changes needs at least one change")
    first = changes[0]
    source = source_title(first.agency, first.source_name, first.source_url)
    plain_source = _plain_source(first.agency, first.source_name)
    single = len(changes) == 1
    if single:
        title = f"*{change_label(first)}* · {source}"
        text = f"{plain_source}: {change_label(first).lower()} — {_fallback_detail(first)}"
    else:
        phrase = changes_phrase(changes)
        title = f"*{len(changes)} changes* · {source}\n{phrase}"
        text = f"{plain_source}: {len(changes)} changes ({phrase})"
    blocks: list[dict[str, Any]] = [_section(title)]
    blocks += [_section(_item(change, links, labelled=not single)) for change in changes[:MAX_ITEMS]]
    if len(changes) > MAX_ITEMS:
        more = len(changes) - MAX_ITEMS
        blocks.append(_section(f"…and {more} more: {link(links.changes(first.source), 'all changes')}"))
    footer = [link(first.source_url, "Source page")]
    if single:
        footer.append(link(links.change(first.id), f"Change #{first.id} in subsidy-watcher"))
    footer.append(f"detected {local_time(first.detected_at, tz)}")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(footer)}]})
    return SlackMessage(text=escape(text), blocks=tuple(blocks))


def _item(change: StoredChange, links: Links, *, labelled: bool) -> str:
    parts = [f"*{change_label(change)}*"] if labelled else []
    if change.entity:
        parts.append(escape(clip(change.entity)) if labelled else f"*{escape(clip(change.entity))}*")
    parts.append(link(links.change(change.id), f"#{change.id}"))
    lines = [" · ".join(parts)]
    amounts = amount_line(change)
    if amounts:
        lines.append(amounts)
    if change.kind in (ChangeKind.LINK_ADDED, ChangeKind.LINK_REMOVED) and change.url:
        lines.append(link(change.url, change.entity or change.url))
    elif not amounts:
        # The summary says what changed when the amounts do not (a cell, a title, text).
        lines.append(escape(clip(change.summary, SUMMARY_CLIP)))
    return "\n".join(lines)


def _fallback_detail(change: StoredChange) -> str:
    amounts = amount_line(change)
    if amounts:
        return f"{clip(change.entity, 120)}: {amounts}" if change.entity else amounts
    return clip(change.summary, 200)


def render_health(alert: HealthAlert, *, links: Links, tz: ZoneInfo = JST) -> SlackMessage:
    """The one 'source unhealthy' or 'recovered' message of a health transition."""
    source = source_title(alert.agency, alert.source_name, alert.source_url)
    plain_source = _plain_source(alert.agency, alert.source_name)
    checks = f"{alert.bad_checks} failed or suspect check{'s' if alert.bad_checks != 1 else ''}"
    since = local_time(alert.since, tz) if alert.since else "unknown"
    last_good = (f"{local_time(alert.last_good_at, tz)} (snapshot #{alert.last_good_snapshot_id})"
                 if alert.last_good_at else "never")
    if alert.kind == "recovered":
        title = f":white_check_mark: *Source recovered* · {source}"
        body = (f"Failing since {since}, healthy again at {local_time(alert.at, tz)} ({checks}).")
        text = f"{plain_source}: source recovered after {checks}"
    else:
        reason = clip(alert.reason or "unknown")
        title = f":warning: *Source unhealthy* · {source}"
        body = (f"*Reason:* {escape(reason)}\n*Failing since:* {since} ({checks})\n"
                f"*Last good check:* {last_good}")
        text = f"{plain_source}: source unhealthy since {since} — {reason}"
    footer = " · ".join([link(alert.source_url, "Source page"),
                         link(links.source(alert.source_id), "Source in subsidy-watcher")])
    blocks = (_section(f"{title}\n{body}"),
              {"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return SlackMessage(text=escape(text), blocks=blocks)


def _section(text: str) -> dict[str, Any]:
    if len(text) > SECTION_LIMIT:  # cannot happen with clipped fields; never let Slack reject
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}

"""What the demo prints: the timeline table and Slack messages drawn in the terminal (pure).

Nothing here reads the store or the clock: the rows are built from snapshots, changes
and first documents handed in, and rendering returns rich renderables.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from watcher.changes import ChangeKind
from watcher.extract.document import Document
from watcher.extract.yen import find_yen_amounts, format_oku, format_oku_as_written
from watcher.notify.render import SlackMessage, change_label
from watcher.store.changes import StoredChange
from watcher.store.imports import SnapshotLine

JST = ZoneInfo("Asia/Tokyo")
ITEM_CLIP = 56


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineRow:
    """One line of the demo timeline."""

    at: datetime
    source_id: str
    what: str
    item: str
    amount: str
    via: str  # imported | live
    order: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FirstCapture:
    """A source's first good snapshot: where its history starts (no change is reported for it)."""

    snapshot: SnapshotLine
    document: Document


def clip(text: str, limit: int = ITEM_CLIP) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def amount_cell(change: StoredChange) -> str:
    """4,760億円; (none) → 1,500億円 for an amount change; amounts named in a link's title."""
    new, old = change.amount_yen, change.previous_amount_yen

    if change.kind == ChangeKind.AMOUNT_CHANGED:
        before = format_oku_as_written(old, change.previous_amount_text,
                                       low_yen=change.previous_amount_low_yen) if old is not None else "(none)"
        after = format_oku_as_written(new, change.amount_text, low_yen=change.amount_low_yen) if new is not None else "(none)"
        return f"{before} → {after}"
    if new is not None:
        return format_oku_as_written(new, change.amount_text, low_yen=change.amount_low_yen)
    if change.kind in (ChangeKind.LINK_ADDED, ChangeKind.LINK_REMOVED) and change.entity:
        return ", ".join(format_oku(a.yen) for a in find_yen_amounts(change.entity))
    return ""


def _record_amount(amount_yen: int | None, amount_text: str | None, low_yen: int | None) -> str:
    if amount_yen is None:
        return clip(amount_text or "", 20)
    return format_oku_as_written(amount_yen, amount_text, low_yen=low_yen)


def timeline_rows(
    snapshots: Sequence[SnapshotLine], changes: Sequence[StoredChange],
    firsts: Sequence[FirstCapture],
) -> list[TimelineRow]:
    """Every first capture (with what it held), change, and held-back capture, in time order."""
    live = {s.id for s in snapshots if not s.imported}
    rows: list[TimelineRow] = []
    for first in firsts:
        snap, doc = first.snapshot, first.document
        via = "imported" if snap.imported else "live"
        if doc.records:
            for n, record in enumerate(doc.records):
                rows.append(TimelineRow(
                    at=snap.fetched_at, source_id=snap.source_id, order=n,
                    what="first capture" if n == 0 else "", item=clip(record.entity),
                    amount=_record_amount(record.amount_yen, record.amount_text,
                                          record.amount_low_yen), via=via))
        else:
            what = f"{len(doc.links)} links" if doc.links else f"{len(doc.text)} characters"
            rows.append(TimelineRow(at=snap.fetched_at, source_id=snap.source_id,
                                    what="first capture", item=f"tracking from here ({what})",
                                    amount="", via=via))
    for snap in snapshots:
        if snap.status in ("suspect", "failed"):
            rows.append(TimelineRow(at=snap.fetched_at, source_id=snap.source_id,
                                    what=f"{snap.status}: not compared",
                                    item=clip(snap.error or ""), amount="",
                                    via="imported" if snap.imported else "live"))
    for n, change in enumerate(changes):
        rows.append(TimelineRow(
            at=change.detected_at, source_id=change.source, what=change_label(change),
            item=clip(change.entity or change.summary), amount=amount_cell(change),
            via="live" if change.snapshot_id in live else "imported", order=1000 + n))
    rows.sort(key=lambda r: (r.at, r.source_id, r.order))
    return rows


def timeline_table(rows: Sequence[TimelineRow], *, title: str, tz: ZoneInfo = JST) -> Table:
    """The timeline as a rich table (dates in the configured time zone)."""
    table = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    table.add_column("date", no_wrap=True)
    table.add_column("source", no_wrap=True, style="cyan")
    table.add_column("what", no_wrap=True)
    table.add_column("entry / link", overflow="fold")
    table.add_column("amount", no_wrap=True, justify="right", style="bold")
    table.add_column("via", no_wrap=True)
    previous: tuple[str, str] | None = None
    for row in rows:
        day = row.at.astimezone(tz).strftime("%Y-%m-%d") if row.via == "imported" else (
            row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
        key = (day, row.source_id)
        shown = ("", "") if key == previous else key
        previous = key
        via = Text(row.via, style="green" if row.via == "live" else "dim")
        table.add_row(shown[0], shown[1], row.what, row.item, row.amount, via)
    return table


_TOKENS = re.compile(r"<(?P<url>[^|>]+)\|(?P<label>[^>]*)>|\*(?P<bold>[^*\n]+)\*")


def mrkdwn(text: str) -> Text:
    """Slack mrkdwn as terminal text: *bold* in bold, <url|label> as a hyperlinked label."""
    out = Text()
    position = 0
    for match in _TOKENS.finditer(text):
        out.append(html.unescape(text[position:match.start()]))
        if match.group("url") is not None:
            url = html.unescape(match.group("url"))
            out.append(html.unescape(match.group("label")), Style(underline=True, link=url))
        else:
            out.append_text(_bold(mrkdwn(match.group("bold"))))
        position = match.end()
    out.append(html.unescape(text[position:]))
    return out


def _bold(text: Text) -> Text:
    text.stylize("bold")
    return text


def slack_panel(message: SlackMessage, *, title: str, note: str) -> Panel:
    """A Slack message drawn in the terminal: its sections, then its context line, dimmed."""
    parts: list[Text] = []
    for block in message.blocks:
        if block.get("type") == "section":
            parts.append(mrkdwn(str(block["text"]["text"])))
        elif block.get("type") == "context":
            for element in block.get("elements", ()):
                line = mrkdwn(str(element.get("text", "")))
                line.stylize("dim")
                parts.append(line)
    body = Group(*_spaced(parts))
    return Panel(body, title=title, title_align="left", subtitle=note, subtitle_align="right",
                 border_style="magenta", expand=False)


def _spaced(parts: Sequence[Text]) -> list[Text]:
    out: list[Text] = []
    for n, part in enumerate(parts):
        if n:
            out.append(Text(""))
        out.append(part)
    return out

"""An Atom feed (RFC 4287) of changes, built with ElementTree so every text is escaped (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from watcher.store.changes import StoredChange
from watcher.web.views import billions, change_label, delta, oku, printable, safe_href

ATOM = "http://www.w3.org/2005/Atom"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = printable(text)
    return element


def _link(parent: ET.Element, href: str, rel: str, type_: str | None = None) -> None:
    attrs = {"href": href, "rel": rel}
    if type_:
        attrs["type"] = type_
    ET.SubElement(parent, f"{{{ATOM}}}link", attrs)


def _content(change: StoredChange) -> str:
    lines = [change.summary, "", f"Source: {change.source_name} ({change.source})",
             f"Kind: {change_label(change)} ({change.kind})"]
    if change.entity:
        lines.append(f"Entity: {change.entity}")
    if change.amount_yen is not None:
        low, previous_low = change.amount_low_yen, change.previous_amount_low_yen
        amount = f"Amount: {oku(change.amount_yen, low)} ({billions(change.amount_yen, low)})"
        if change.previous_amount_yen is not None:
            amount += f", was {oku(change.previous_amount_yen, previous_low)}, " \
                      f"{delta(change.amount_yen, change.previous_amount_yen, low, previous_low)}"
        lines.append(amount)
    if change.url:
        lines.append(f"Link: {change.url}")
    lines.append(f"Page: {change.source_url}")
    return "\n".join(lines)


def atom_feed(changes: Sequence[StoredChange], *, base_url: str, feed_url: str,
              updated: datetime, title: str = "subsidy-watcher: detected changes") -> bytes:
    """The feed document: newest changes first, each linking to its page on the admin site."""
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{base}/feed.atom")
    _text(feed, "title", title)
    _text(feed, "updated", max([updated, *(c.detected_at for c in changes)]).isoformat())
    _link(feed, feed_url, "self", "application/atom+xml")
    _link(feed, f"{base}/changes", "alternate", "text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "subsidy-watcher")
    _text(feed, "generator", "subsidy-watcher")
    for change in changes:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"{base}/changes/{change.id}")
        _text(entry, "title", f"[{change.agency}] {change_label(change)}: {change.summary}"[:300],
              type="text")
        _text(entry, "updated", change.detected_at.isoformat())
        _text(entry, "published", change.detected_at.isoformat())
        _link(entry, f"{base}/changes/{change.id}", "alternate", "text/html")
        page = safe_href(change.url) or safe_href(change.source_url)
        if page:
            _link(entry, page, "related", "text/html")
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": change.kind,
                                                    "label": change_label(change)})
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(entry_author, "name", change.agency)
        _text(entry, "summary", change.summary, type="text")
        _text(entry, "content", _content(change), type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body

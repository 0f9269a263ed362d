"""The dated news list of a main column: which container it is and its (date, link) items.

The main list is the ``ul``/``ol``/``dl``/``table`` (or a ``div`` of repeated
blocks) inside the main column that holds the most dated items. Only the items
matter, so the list's markup (``ul/li`` ↔ ``dl/dt/dd`` ↔ table rows, class names)
can change without the extracted links changing.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from watcher.extract.dates import parse_date
from watcher.extract.html import cell_text

# Containers that can hold a news list; div/section cover CMS lists of repeated blocks.
LIST_TAGS = ("ul", "ol", "dl", "table", "div", "section")
MERGED_TAGS = ("ul", "ol", "dl", "table")
# A news block links its release and perhaps a PDF of it; more links make it a group.
MAX_LINKS_PER_BLOCK = 3
_DATE_CLASS = re.compile(r"date|time|day|hiduke", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatedItem:
    """One item of the news list: its date, its title link and the elements it spans."""

    date: datetime.date
    anchor: etree._Element
    nodes: tuple[etree._Element, ...]


def main_list_items(main: etree._Element) -> list[DatedItem]:
    """Dated items of the container with the most of them (first in page order on a tie).

    Lists with one signature (tag and class, parent's tag and class) count as one
    list: sites split a news list by month or year, as sibling lists
    (<h2>2025年11月</h2><ul>…</ul><h2>10月</h2><ul>…</ul>) or one list per month block.
    """
    groups: dict[tuple[str, str, str, str], list[etree._Element]] = {}
    for el in main.iter(*MERGED_TAGS):
        groups.setdefault(_signature(el), []).append(el)
    best: list[DatedItem] = []
    # The main column itself may be the list (<main><div class="item">…</div>…</main>).
    containers = itertools.chain([main], (el for el in main.iter(*LIST_TAGS) if el is not main))
    for container in containers:
        group = [container]
        if container.tag in MERGED_TAGS:
            group = groups[_signature(container)]
            if group[0] is not container:
                continue
        items = [item for member in group for item in _dated_items(member)]
        if len(items) > len(best):
            best = items
    return best


def _signature(el: etree._Element) -> tuple[str, str, str, str]:
    parent = el.getparent()
    parent_tag = str(parent.tag) if parent is not None else ""
    parent_class = str(parent.get("class", "")) if parent is not None else ""
    return (str(el.tag), str(el.get("class", "")), parent_tag, parent_class)


def _dated_items(container: etree._Element) -> Iterator[DatedItem]:
    """Each item of a list-like container that carries both a date and a link."""
    for date_source, item_nodes in _item_groups(container):
        anchor = _first_anchor(item_nodes)
        if anchor is None:
            continue
        date = _item_date(date_source, item_nodes)
        if date is not None:
            yield DatedItem(date=date, anchor=anchor, nodes=tuple(item_nodes))


def _item_groups(
    container: etree._Element,
) -> Iterator[tuple[etree._Element | None, list[etree._Element]]]:
    """The items of a container with, where the markup has one, the element holding the date."""
    tag = container.tag
    if tag == "dl":
        # <dt>date</dt><dd>link</dd>[<dd>link</dd>…]; or the link in dt and the date in dd.
        dt: etree._Element | None = None
        dds: list[etree._Element] = []
        for child in container:
            if child.tag == "dt":
                if dt is not None or dds:
                    yield from _dl_group(dt, dds)
                dt, dds = child, []
            elif child.tag == "dd":
                dds.append(child)
            elif child.tag == "div":  # HTML5 allows <div><dt/><dd/></div> groups in a dl
                yield None, [child]
        if dt is not None or dds:
            yield from _dl_group(dt, dds)
    elif tag == "table":
        for row in container.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
            cells = [c for c in row if c.tag in ("td", "th")]
            yield (cells[0] if cells else None), [row]
    elif tag in ("ul", "ol"):
        for child in container:
            if child.tag == "li":
                yield None, [child]
    else:
        # A div of repeated blocks. A block that holds a list or many links is a group of
        # items (a month of news), not one item: its first link must not stand for all.
        children = [c for c in container if isinstance(c.tag, str)]
        if len(children) >= 2:
            for child in children:
                if child.tag in MERGED_TAGS or _is_group(child):
                    continue
                yield None, [child]


def _is_group(block: etree._Element) -> bool:
    if next(block.iter(*MERGED_TAGS), None) is not None:
        return True
    return sum(1 for a in block.iter("a") if a.get("href")) > MAX_LINKS_PER_BLOCK


def _dl_group(
    dt: etree._Element | None, dds: list[etree._Element]
) -> Iterator[tuple[etree._Element | None, list[etree._Element]]]:
    if dt is not None and _first_anchor([dt]) is not None:
        # The title is the dt; the date sits in a dd.
        yield None, [dt, *dds]
        return
    if not dds:
        return
    # Each dd under one date is its own item.
    for dd in dds:
        yield dt, [dd]


def _first_anchor(nodes: list[etree._Element]) -> etree._Element | None:
    """The first link with text in the item (a bare icon link comes after the title link)."""
    fallback = None
    for node in nodes:
        for anchor in node.iter("a"):
            if not (anchor.get("href") or "").strip():
                continue
            if cell_text(anchor):
                return anchor
            fallback = fallback if fallback is not None else anchor
    return fallback if fallback is not None and cell_text(fallback) else None


def _item_date(
    date_source: etree._Element | None, nodes: list[etree._Element]
) -> datetime.date | None:
    """The item's date: the dt or first cell, then <time>/class="date", then any date in its text."""
    if date_source is not None:
        date = _first_date(cell_text(date_source))
        if date is not None:
            return date
    for node in nodes:
        for el in node.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag == "time" or _DATE_CLASS.search(el.get("class", "")):
                date = _first_date(el.get("datetime", "")) or _first_date(cell_text(el))
                if date is not None:
                    return date
    for node in nodes:
        date = _first_date(cell_text(node))
        if date is not None:
            return date
    return None


def _first_date(text: str) -> datetime.date | None:
    return parse_date(text) if text else None

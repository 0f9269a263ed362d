"""`links` sources: the dated items of a news list (IPA news, METI 新着情報) as Links.

The main list is the ``ul``/``ol``/``dl``/``table`` (or a ``div`` of repeated
blocks) inside the main column that holds the most dated items; navigation,
breadcrumbs and footers are dropped before looking. Only the items and their
absolute URLs matter, so the list's markup (``ul/li`` ↔ ``dl/dt/dd`` ↔ table
rows, class names) can change without the extracted links changing.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from lxml import etree

from watcher.extract.dates import parse_date
from watcher.extract.document import Document, Link, Page
from watcher.extract.html import cell_text, drop_boilerplate, main_content, parse_html
from watcher.extract.suspect import page_suspect_reason
from watcher.extract.text import main_text

# Containers that can hold a news list; div/section cover CMS lists of repeated blocks.
LIST_TAGS = ("ul", "ol", "dl", "table", "div", "section")
MERGED_TAGS = ("ul", "ol", "dl", "table")
# A news block links its release and perhaps a PDF of it; more links make it a group.
MAX_LINKS_PER_BLOCK = 3
# Schemes that never name a page.
_DEAD_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:")
# Tracking parameters that mailers and social sites append; they never change the page.
_TRACKING_PARAM = re.compile(r"^(utm_[^=]*|fbclid|gclid)$", re.IGNORECASE)
# Characters left alone when re-quoting a path or query: RFC 3986 reserved and
# unreserved, plus "%" so existing escapes survive.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": "80", "https": "443"}

# Suffix noise that sites append to link text: file type and size, "NEW" badges.
_SIZE_SUFFIX = re.compile(
    r"\s*[\(\[（【]\s*(PDF|Excel|XLSX?|Word|DOCX?|ZIP|CSV|PPTX?)[^\)\]）】]*?"
    r"\d[\d.,]*\s*[KMG]?i?B\s*[\)\]）】]\s*$",
    re.IGNORECASE,
)
_FILE_TYPE_SUFFIX = re.compile(
    r"\s*[\(\[（【]\s*(PDF|Excel|Word)(形式)?\s*[\)\]）】]\s*$", re.IGNORECASE
)
_NEW_BADGE = re.compile(r"^(NEW!?|New!?|新着)\s+|\s+(NEW!?|New!?|新着)$")
_DATE_CLASS = re.compile(r"date|time|day|hiduke", re.IGNORECASE)


def extract_links(page: Page, ignore: tuple[re.Pattern[str], ...] = ()) -> Document:
    """The main news list of the page as Links (absolute URL, title, ISO date) in page order."""
    text = main_text(page.text, ignore)
    root = parse_html(page.text)
    base = _base_url(root, page.url)
    drop_boilerplate(root)
    items = _main_list_items(main_content(root))
    links: list[Link] = []
    seen: set[str] = set()
    for date, anchor in items:
        url = canonical_url(anchor.get("href", ""), base)
        if url is None or url in seen:
            continue
        title = clean_title(cell_text(anchor))
        if not title:
            continue
        seen.add(url)
        links.append(Link(url=url, title=title, date=date.isoformat()))
    return Document(
        kind="links",
        text=text,
        links=tuple(links),
        suspect_reason=page_suspect_reason(page.text, text),
    )


def canonical_url(href: str, base: str) -> str | None:
    """The absolute, canonical form of ``href`` on a page at ``base``; None if it names no page.

    Fragments and utm_* parameters are dropped, scheme and host lower-cased, other
    parameters kept in their order. A fragment-only href ("#top") points back at the
    page itself and is not an item, so it gives None as well.

    >>> canonical_url("../news/2025/a.html?utm_source=x#top", "https://WWW.ipa.go.jp/news/index.html")
    'https://www.ipa.go.jp/news/2025/a.html'
    >>> canonical_url("mailto:info@ipa.go.jp", "https://www.ipa.go.jp/") is None
    True
    """
    # Browsers drop tabs and newlines anywhere in a URL (WHATWG URL spec).
    href = re.sub(r"[\t\n\r]", "", href).strip()
    if not href or href.startswith("#"):
        return None
    if href.lower().startswith(_DEAD_SCHEMES):
        return None
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _upper_escapes(quote(_remove_dot_segments(parts.path or "/"), safe=_SAFE_PATH))
    kept = [
        p for p in parts.query.split("&") if p and not _TRACKING_PARAM.match(p.split("=", 1)[0])
    ]
    query = _upper_escapes(quote("&".join(kept), safe=_SAFE_QUERY))
    return urlunsplit((scheme, netloc, path, query, ""))


def clean_title(text: str) -> str:
    """A link text without file-size suffixes and NEW badges, NFKC and whitespace-normalised.

    >>> clean_title("令和8年度予算案の概要（PDF形式：1.2MB）")
    '令和8年度予算案の概要'
    """
    title = " ".join(unicodedata.normalize("NFKC", text).split())
    previous = None
    while previous != title:
        previous = title
        title = _SIZE_SUFFIX.sub("", title)
        title = _FILE_TYPE_SUFFIX.sub("", title)
        title = _NEW_BADGE.sub("", title).strip()
    return title


def _base_url(root: etree._Element, page_url: str) -> str:
    """The page URL, or the document's <base href> resolved against it."""
    for base in root.iter("base"):
        href = str(base.get("href") or "").strip()
        if href:
            try:
                return urljoin(page_url, href)
            except ValueError:
                return page_url
    return page_url


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, for absolute hrefs that urljoin leaves untouched."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _upper_escapes(text: str) -> str:
    """%e3 and %E3 are the same byte; keep one spelling."""
    return _ESCAPE.sub(lambda m: m.group(0).upper(), text)


# -- finding the main list -------------------------------------------------------


Item = tuple[datetime.date, etree._Element]


def _main_list_items(main: etree._Element) -> list[Item]:
    """Dated items of the container with the most of them (first in page order on a tie).

    Lists with one signature (tag and class, parent's tag and class) count as one
    list: sites split a news list by month or year, as sibling lists
    (<h2>2025年11月</h2><ul>…</ul><h2>10月</h2><ul>…</ul>) or one list per month block.
    """
    groups: dict[tuple[str, str, str, str], list[etree._Element]] = {}
    for el in main.iter(*MERGED_TAGS):
        groups.setdefault(_signature(el), []).append(el)
    best: list[Item] = []
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


def _dated_items(container: etree._Element) -> Iterator[Item]:
    """(date, anchor) for each item of a list-like container that carries both."""
    for date_source, item_nodes in _item_groups(container):
        anchor = _first_anchor(item_nodes)
        if anchor is None:
            continue
        date = _item_date(date_source, item_nodes)
        if date is not None:
            yield date, anchor


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

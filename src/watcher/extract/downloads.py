"""Undated download items of a main column (関連資料, 交付決定一覧, 公募 files) and chrome links.

A download is a link whose URL ends in a file extension (.pdf, .xlsx, .xls, .csv,
.docx, .zip …) or whose text or the annotation right after it writes a file type or
size (「（PDF形式：123KB）」, 「PDF/1.2MB」, a row's 形式/サイズ cells). A link whose
text only names the file (「PDF」, 「Excel」) takes its title from its row or list
item. Page chrome is never an item: breadcrumbs, pagers, print buttons, "ページの先頭へ",
the site top, sitemap and Adobe Reader links, and (see ``urls``) mailto:, javascript:
and in-page #anchors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from watcher.extract.dates import parse_date
from watcher.extract.document import Link
from watcher.extract.html import cell_text, normalize_space
from watcher.extract.link_text import (
    FileInfo,
    download_title,
    is_label,
    url_file_type,
    written_file_info,
)
from watcher.extract.urls import canonical_url

# The element that holds one item of a download list (a td's item is its row).
ITEM_TAGS = frozenset({"li", "dt", "dd", "tr", "p", "caption"})
# Inline wrappers an annotation may sit outside of: <span><a>…</a></span>（PDF：1MB）.
INLINE_TAGS = frozenset({"span", "strong", "b", "em", "i", "small", "font", "u", "sup", "sub"})
# How far after a link its type and size may be written (「（PDF形式：1,234KB）」 and more).
ANNOTATION_CHARS = 80
# ids/classes of chrome inside the main column that html.drop_boilerplate leaves.
_CHROME_MARKER = re.compile(
    r"^(?:.*[-_])?(?:pan|pankuzu|crumbs?|breadcrumbs?|topicpath|print|printbtn|pagetop|"
    r"page-top|pager|pagination|paging|pagenavi?|return)(?:[-_].*)?$",
    re.IGNORECASE,
)
_NAV_TITLE = re.compile(
    r"^(?:ホーム|トップ|トップページ|top|home|サイトマップ|site\s?map|sitemap|"
    r"(?:この)?ページ(?:の)?(?:先頭|トップ|上部?)(?:へ|に)?(?:戻る)?|(?:先頭|上)(?:へ|に)戻る|"
    r"ページトップ(?:へ)?(?:戻る)?|印刷(?:する|用ページ|用)?|このページを印刷(?:する)?|print|"
    r"戻る|前へ|次へ|前のページ(?:へ|に)?(?:戻る)?|次のページ(?:へ)?|一覧(?:へ|に)戻る|もっと見る|"
    r"一覧を見る|一覧へ|.*(?:acrobat|adobe)\s*reader.*)$",
    re.IGNORECASE,
)
_DECORATION = re.compile(r"^[\s>»›≫▶▲△▼↑■□◆・●○\[\]()【】]+|[\s>»›≫▶▲△▼↑■□◆・●○\[\]()【】]+$")
_HOME_PATHS = frozenset({"/", "/index.html", "/index.htm", "/index.php"})
_NUMBER_ONLY = re.compile(r"^[\d\s.,()#№]+$")
# A particle left where prose goes on past the link: 「…の概要は」こちら.
_PARTICLE = re.compile(r"(?<=\S)(?:は|を|から|より)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Downloads:
    """The download items of a main column, and how many other links it holds."""

    links: tuple[Link, ...]
    other_links: int


def chrome_anchors(main: etree._Element) -> set[etree._Element]:
    """Links inside breadcrumbs, pagers and print boxes of the main column."""
    chrome: set[etree._Element] = set()
    for el in main.iter():
        if not isinstance(el.tag, str) or el in chrome:
            continue
        tokens = f"{el.get('id', '')} {el.get('class', '')}".split()
        marked = any(_CHROME_MARKER.match(token) for token in tokens)
        if marked or (el.tag in ("ul", "ol") and _starts_at_home(el)):
            chrome.update(el.iter("a"))
    return chrome


def is_chrome_link(url: str, title: str, page_url: str) -> bool:
    """A link that is page furniture: the site top, the page itself, navigation words."""
    if url == page_url:
        return True
    parts = urlsplit(url)
    if parts.path in _HOME_PATHS and not parts.query:
        return True
    host = parts.hostname or ""
    if host == "adobe.com" or host.endswith(".adobe.com"):
        return True
    words = _DECORATION.sub("", unicodedata.normalize("NFKC", title)).strip()
    return _NAV_TITLE.match(words) is not None


def file_info(anchor: etree._Element, url: str) -> FileInfo:
    """What the URL and the text in and right after the link say about the file."""
    item = _item_of(anchor)
    written = written_file_info(f"{cell_text(anchor)} {_following_text(anchor, item)}")
    file_type = url_file_type(url) or written.file_type
    return FileInfo(file_type=file_type, size_text=written.size_text, size_bytes=written.size_bytes)


def download_links(
    main: etree._Element, *, base: str, page_url: str, skip: Collection[etree._Element],
    seen: set[str],
) -> Downloads:
    """Every download link of the main column outside ``skip``, in page order.

    ``seen`` holds the URLs already taken (the news items) and is extended. Other
    links that are not chrome are counted, so that a page whose links none of the
    rules take can be reported instead of passing as an empty list.
    """
    chrome = chrome_anchors(main)
    links: list[Link] = []
    others: set[str] = set()
    for anchor in main.iter("a"):
        if anchor in skip or anchor in chrome:
            continue
        url = canonical_url(anchor.get("href", ""), base)
        if url is None or url in seen:
            continue
        raw = cell_text(anchor)
        if is_chrome_link(url, raw, page_url):
            continue
        info = file_info(anchor, url)
        title = _title(anchor, raw)
        if not info.is_file or not title:
            if raw:
                others.add(url)
            continue
        seen.add(url)
        others.discard(url)
        links.append(Link(url=url, title=title, file_type=info.file_type,
                          size_text=info.size_text, size_bytes=info.size_bytes))
    return Downloads(links=tuple(links), other_links=len(others))


def _starts_at_home(container: etree._Element) -> bool:
    """A breadcrumb trail: a list whose first link is the site's top page."""
    first = next((a for a in container.iter("a") if a.get("href")), None)
    if first is None:
        return False
    words = _DECORATION.sub("", cell_text(first))
    return words in ("ホーム", "トップ", "トップページ", "HOME", "Home", "TOP", "Top")


def _item_of(anchor: etree._Element) -> etree._Element | None:
    for ancestor in anchor.iterancestors():
        if ancestor.tag in ITEM_TAGS:
            return ancestor
        if ancestor.tag in ("ul", "ol", "dl", "table", "div", "section", "main", "body"):
            return None
    return None


def _following_text(anchor: etree._Element, item: etree._Element | None) -> str:
    """The text after a link up to the next link, within its item, at most ANNOTATION_CHARS."""
    parts: list[str] = []
    size = 0

    def add(text: str | None) -> bool:
        nonlocal size
        if text:
            parts.append(text)
            size += len(text)
        return size <= ANNOTATION_CHARS

    node = anchor
    while True:
        if not add(node.tail):
            return " ".join(parts)
        for sibling in node.itersiblings():
            for event, el in etree.iterwalk(sibling, events=("start", "end")):
                tag = el.tag if isinstance(el.tag, str) else ""
                if event == "start":
                    if tag == "a" and el.get("href"):
                        return " ".join(parts)
                    if tag and not add(el.text):
                        return " ".join(parts)
                elif el is not sibling and not add(el.tail):
                    return " ".join(parts)
            if not add(sibling.tail):
                return " ".join(parts)
        parent = node.getparent()
        if parent is None or parent is item or (item is None and parent.tag not in INLINE_TAGS):
            return " ".join(parts)
        node = parent


def _title(anchor: etree._Element, raw: str) -> str:
    """The link's own text, or, for a bare 「PDF」/「Excel」 link, its row's or item's name."""
    title = download_title(raw)
    if title and not is_label(raw):
        return title
    item = _item_of(anchor)
    context = _context_title(anchor, item) if item is not None else ""
    return context or title


def _context_title(anchor: etree._Element, item: etree._Element) -> str:
    """A bare link's name: its row's first naming cell, the item's text before it, its dt."""
    if item.tag == "tr":
        for cell in item:
            if cell.tag in ("td", "th") and next(cell.iter("a"), None) is None:
                text = download_title(cell_text(cell))
                if _names_something(text):
                    return text
    # 「令和7年度予算の概要は<a>こちら</a>（PDF形式：7.8MB）をご覧ください」: the name comes first.
    before = _PARTICLE.sub("", download_title(normalize_space(_text_before(anchor, item))))
    if _names_something(before):
        return before
    text = download_title(normalize_space(" ".join(item.xpath(".//text()[not(ancestor::a)]"))))
    if _names_something(text):
        return text
    if item.tag == "dd":
        previous = item.getprevious()
        while previous is not None and previous.tag == "dd":
            previous = previous.getprevious()
        if previous is not None and previous.tag == "dt":
            text = download_title(cell_text(previous))
            if _names_something(text):
                return text
    return ""


def _text_before(anchor: etree._Element, item: etree._Element) -> str:
    """The item's text before the link, without the text of other links."""
    parts: list[str] = []
    inside = 0
    for event, el in etree.iterwalk(item, events=("start", "end")):
        if el is anchor:
            break
        is_link = el.tag == "a" and bool(el.get("href"))
        if event == "start":
            inside += is_link
            if not inside and isinstance(el.tag, str) and el.text:
                parts.append(el.text)
        else:
            inside -= is_link
            if not inside and el is not item and el.tail:
                parts.append(el.tail)
    return " ".join(parts)


def _names_something(text: str) -> bool:
    """Not empty, a number, a label or a bare date: a cell that can be a document's name."""
    if not text or _NUMBER_ONLY.match(text) or is_label(text):
        return False
    return not (len(text) <= 16 and parse_date(text) is not None)

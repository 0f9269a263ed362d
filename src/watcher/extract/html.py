"""Shared HTML helpers for the extractors: tolerant parsing and main-content location.

METI keeps its main column in ``div#__main_contents`` and a last-updated footer in
``div#__rdo_update``; other sites use ``<main>`` or ``<article>``. Everything
outside the main column (navigation, breadcrumbs, footers) is boilerplate whose
changes must never become alerts.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from lxml import etree

from watcher.bidi import strip_bidi

# Elements whose text is never content.
BOILERPLATE_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "form")
# ids/classes that mark boilerplate blocks on METI/IPA pages and common CMSes. A class
# token matches when it is one of these words or starts/ends with one ("page-header",
# "footer_nav"); only container elements are dropped, so a table's <tr class="table-header">
# or <th class="header"> is never taken for page chrome.
BOILERPLATE_WORDS = (
    "__rdo_update|breadcrumb|breadcrumbs|topicpath|pankuzu|footer|header|globalnav|gnav|"
    "sidebar|side-nav|sidenav|skip|skiplink|pagetop|page-top|share|sns|counter|access-count|"
    "accesscounter"
)
BOILERPLATE_MARKERS = re.compile(
    rf"^(?:.*[-_])?(?:{BOILERPLATE_WORDS})(?:[-_].*)?$", re.IGNORECASE
)
CONTAINER_TAGS = frozenset("div section aside ul ol dl p span nav header footer".split())
MAIN_CONTENT_XPATHS = (
    "//*[@id='__main_contents']",
    "//main",
    "//*[@role='main']",
    "//*[@id='main']",
    "//*[@id='contents']",
    "//article",
    "//body",
)
_WS = re.compile(r"[ \t\r\f\v\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

BLOCK_TAGS = frozenset(
    "p div li dt dd tr table h1 h2 h3 h4 h5 h6 br section article ul ol dl caption "
    "blockquote pre thead tbody tfoot main aside figure figcaption hr".split()
)


# Plain lxml elements (not lxml.html's HtmlElement): the extractors need no HTML
# helper methods, and the custom element lookup costs a Python call per node.
# One parser per thread: an lxml parser must not be used by two threads at once.
_PARSERS = threading.local()
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _empty_document() -> etree._Element:
    root = etree.Element("html")
    etree.SubElement(root, "body")
    return root


def parse_html(text: str) -> etree._Element:
    """Parse HTML tolerantly; never raises on broken markup (empty input gives <html/>)."""
    if not text.strip():
        return _empty_document()
    # lxml refuses str input with an XML encoding declaration; strip it. Bidi controls
    # (U+202A–E, U+2066–9) would reorder how scraped text reads: never kept.
    cleaned = strip_bidi(_XML_DECLARATION.sub("", text, count=1))
    try:
        parser = getattr(_PARSERS, "parser", None)
        if parser is None:
            parser = _PARSERS.parser = etree.HTMLParser(recover=True, remove_comments=True)
        root = etree.fromstring(cleaned, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return _empty_document()
    return root if root is not None else _empty_document()


def drop_boilerplate(root: etree._Element) -> None:
    """Remove scripts, navigation, footers and counters in place."""
    for el in list(root.iter(*BOILERPLATE_TAGS)):
        _remove(el)
    for el in list(root.iter(*CONTAINER_TAGS)):
        tokens = f"{el.get('id', '')} {el.get('class', '')}".split()
        if any(BOILERPLATE_MARKERS.match(token) for token in tokens) and el.getparent() is not None:
            _remove(el)
    # Hidden inputs (CSRF tokens, session ids) are never content.
    for el in list(root.iter("input")):
        _remove(el)


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # Keep the tail text, which belongs to the parent.
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def main_content(root: etree._Element) -> etree._Element:
    """The element holding the page's main column (falls back to <body> or the root)."""
    for xpath in MAIN_CONTENT_XPATHS:
        found = root.xpath(xpath)
        if found:
            return found[0]
    return root


def clean_main(html: str) -> etree._Element:
    """Parse a page once and return its main column with the boilerplate removed."""
    root = parse_html(html)
    drop_boilerplate(root)
    return main_content(root)


def normalize_space(text: str) -> str:
    """NFKC-normalise and collapse runs of whitespace on each line."""
    text = unicodedata.normalize("NFKC", text)
    return _WS.sub(" ", text).strip()


def block_text(el: etree._Element) -> str:
    """Text of an element with block boundaries as newlines, whitespace collapsed."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in ("td", "th"):
            parts.append(" ")
        if tag in BLOCK_TAGS:
            parts.append("\n")

    walk(el)
    # One NFKC and one whitespace pass over the whole text, not one per line.
    text = _WS.sub(" ", unicodedata.normalize("NFKC", "".join(parts)))
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def cell_text(el: etree._Element) -> str:
    """Text of a table cell or inline element on one line, NFKC-normalised."""
    return normalize_space(" ".join(el.itertext()))

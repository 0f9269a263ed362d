"""`text` sources: the page's main text, normalised so that only content differs."""

from __future__ import annotations

import re

from lxml import etree

from watcher.extract.document import Document, Page
from watcher.extract.html import block_text, clean_main
from watcher.extract.suspect import page_suspect_reason


def apply_ignore(text: str, ignore: tuple[re.Pattern[str], ...]) -> str:
    """Remove every match of the source's ignore patterns, line by line kept."""
    for pattern in ignore:
        text = pattern.sub("", text)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def main_text(html: str, ignore: tuple[re.Pattern[str], ...] = ()) -> str:
    """The normalised main text of an HTML page (NFKC, whitespace collapsed, no boilerplate)."""
    return element_text(clean_main(html), ignore)


def element_text(main: etree._Element, ignore: tuple[re.Pattern[str], ...] = ()) -> str:
    """The normalised text of an already cleaned main column."""
    return apply_ignore(block_text(main), ignore)


def extract_text(page: Page, ignore: tuple[re.Pattern[str], ...] = ()) -> Document:
    """Main text of the page, boilerplate and ignored patterns removed."""
    text = main_text(page.text, ignore)
    return Document(kind="text", text=text, suspect_reason=page_suspect_reason(page.text, text))

"""`links` sources: a page's news items and downloads as Links.

Two kinds of item, both identified by their absolute URL:

- the dated items of the main news list (IPA news, METI 新着情報; see ``news_list``),
  exactly as they always were: title, URL and date;
- the undated downloads of the main column (関連資料, 交付決定一覧のダウンロード, an
  index of 公募 files; see ``downloads``), with the file type and size where the page
  writes them. A dated list most of whose items are files is a download list with
  dates: its items keep their dates and carry file type and size too.

Navigation, breadcrumbs and footers are dropped before looking. A page whose main
column has links but none that is a news item or a download is suspect with a
reason (``suspect.no_items_reason``): the source is watching the wrong page, or the
page changed its layout, and a quiet empty list would hide that.
"""

from __future__ import annotations

import re

from watcher.extract.document import Document, Link, Page
from watcher.extract.downloads import download_links, file_info
from watcher.extract.html import cell_text, drop_boilerplate, main_content, parse_html
from watcher.extract.link_text import clean_title
from watcher.extract.news_list import DatedItem, main_list_items
from watcher.extract.suspect import no_items_reason, page_suspect_reason
from watcher.extract.text import main_text
from watcher.extract.urls import base_url, canonical_url

__all__ = ["DOWNLOADS_READ", "canonical_url", "clean_title", "extract_links"]

# Document.meta entry of a links document read with downloads. A document stored
# before downloads were read lacks it, and its page's downloads are not "new".
DOWNLOADS_READ = ("links", "news+downloads")


def extract_links(page: Page, ignore: tuple[re.Pattern[str], ...] = ()) -> Document:
    """The news items (in list order), then the downloads (in page order) of the page."""
    text = main_text(page.text, ignore)
    root = parse_html(page.text)
    base = base_url(root, page.url)
    drop_boilerplate(root)
    main = main_content(root)
    items = main_list_items(main)
    seen: set[str] = set()
    links = _news_links(items, base, seen)
    skip = {anchor for item in items for node in item.nodes for anchor in node.iter("a")}
    downloads = download_links(main, base=base, page_url=canonical_url(page.url, page.url) or "",
                               skip=skip, seen=seen)
    links.extend(downloads.links)
    reason = page_suspect_reason(page.text, text)
    if reason is None and not links:
        reason = no_items_reason(downloads.other_links)
    return Document(kind="links", text=text, links=tuple(links), suspect_reason=reason,
                    meta=(DOWNLOADS_READ,))


def _news_links(items: list[DatedItem], base: str, seen: set[str]) -> list[Link]:
    """The news items as Links; with file type and size when most of them are files."""
    found: list[tuple[DatedItem, str, str]] = []
    for item in items:
        url = canonical_url(item.anchor.get("href", ""), base)
        if url is None or url in seen:
            continue
        title = clean_title(cell_text(item.anchor))
        if not title:
            continue
        seen.add(url)
        found.append((item, url, title))
    infos = [file_info(item.anchor, url) for item, url, _ in found]
    files = sum(1 for info in infos if info.is_file)
    if files * 2 <= len(found):
        # A news list: its items are releases, a PDF among them is still a release.
        return [Link(url=url, title=title, date=item.date.isoformat()) for item, url, title in found]
    return [
        Link(url=url, title=title, date=item.date.isoformat(), file_type=info.file_type,
             size_text=info.size_text, size_bytes=info.size_bytes)
        for (item, url, title), info in zip(found, infos, strict=True)
    ]

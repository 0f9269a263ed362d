"""`links` sources: new and removed items of a news list or a download list, matched by URL.

News lists are windows: each new item pushes the oldest one off the end. Dated items
that disappear *after* the last dated item still present in the new list have
scrolled off and are not removals; only a dated item that vanishes from the middle
of the window (a withdrawn release) is a ``link_removed``. Undated items (the
downloads of 関連資料 or 交付決定一覧) are a set, not a window: one that disappears
was taken down, and is a ``link_removed`` wherever it stood.

An item whose URL stays while its title changes is reported as ``entry_changed``
only when the titles differ beyond width, spacing and punctuation (NFKC with
whitespace and punctuation removed); a changed date alone is never a change, and
neither is a changed file size or type of the same URL: sites rewrite 「46KB」 as
「47KB」 or 「0.05MB」 when they re-save a file, and whether its content changed is
for the file's own diff to say. The new size is kept in the new snapshot.

``baseline_downloads``: a document stored before downloads were read has none, so
the downloads of the first document read with them are where the watcher starts,
not new files; they are recorded silently.
"""

from __future__ import annotations

import re
import unicodedata

from watcher.changes import Change, ChangeKind
from watcher.extract.document import Link

# Characters whose addition or removal does not change what a title says.
_TITLE_NOISE = re.compile(
    r"[\s\u3000・･、。,.:：;；!！?？\"'“”‘’「」『』()（）\[\]【】<>〈〉《》\-‐－—–~〜～]+"
)
_SIZE_UNIT = re.compile(r"(\d)\s*([^\d\s.,].*)$")


def compare_links(
    old: tuple[Link, ...], new: tuple[Link, ...], *, baseline_downloads: bool = False
) -> list[Change]:
    """Links added, retitled and removed (in that order; each in its list's order)."""
    old_by_url = _first_by_url(old)
    new_by_url = _first_by_url(new)
    changes: list[Change] = []
    for url, link in new_by_url.items():
        if url not in old_by_url and not (baseline_downloads and link.date is None):
            changes.append(
                Change(
                    kind=ChangeKind.LINK_ADDED,
                    summary=f"New: {describe(link)}",
                    entity=link.title,
                    entity_key=url,
                    url=url,
                    after=_cells(link),
                )
            )
    for url, link in new_by_url.items():
        before = old_by_url.get(url)
        if before is not None and title_key(before.title) != title_key(link.title):
            changes.append(
                Change(
                    kind=ChangeKind.ENTRY_CHANGED,
                    summary=f"Retitled: 「{before.title}」 → 「{link.title}」 {url}",
                    entity=link.title,
                    entity_key=url,
                    url=url,
                    before=_cells(before),
                    after=_cells(link),
                )
            )
    for url in _removed(old_by_url, new_by_url):
        link = old_by_url[url]
        changes.append(
            Change(
                kind=ChangeKind.LINK_REMOVED,
                summary=f"Removed: {describe(link)}",
                entity=link.title,
                entity_key=url,
                url=url,
                before=_cells(link),
            )
        )
    return changes


def title_key(title: str) -> str:
    """The part of a title that matters: NFKC, without whitespace and punctuation.

    >>> title_key("Rapidus株式会社への出資について") == title_key("Ｒａｐｉｄｕｓ株式会社への 出資について。")
    True
    """
    return _TITLE_NOISE.sub("", unicodedata.normalize("NFKC", title)).casefold()


def describe(link: Link) -> str:
    """A link as summaries show it: date, title, file type and size, URL.

    >>> describe(Link(url="https://www.meti.go.jp/a.pdf", title="交付決定一覧", file_type="PDF",
    ...               size_text="123KB"))
    '「交付決定一覧」 [PDF, 123 KB] https://www.meti.go.jp/a.pdf'
    """
    date = f"{link.date} " if link.date else ""
    file = _file_label(link)
    return f"{date}「{link.title}」 {f'[{file}] ' if file else ''}{link.url}"


def _removed(old_by_url: dict[str, Link], new_by_url: dict[str, Link]) -> list[str]:
    """Old URLs gone from the new list: undated ones always, dated ones inside the window."""
    old_dated = [url for url, link in old_by_url.items() if link.date is not None]
    kept = [i for i, url in enumerate(old_dated) if url in new_by_url]
    window = set(old_dated[: kept[-1] + 1]) if kept else set()
    return [
        url for url, link in old_by_url.items()
        if url not in new_by_url and (link.date is None or url in window)
    ]


def _first_by_url(links: tuple[Link, ...]) -> dict[str, Link]:
    by_url: dict[str, Link] = {}
    for link in links:
        by_url.setdefault(link.url, link)
    return by_url


def _file_label(link: Link) -> str:
    size = _SIZE_UNIT.sub(r"\1 \2", link.size_text) if link.size_text else None
    return ", ".join(part for part in (link.file_type, size) if part)


def _cells(link: Link) -> tuple[tuple[str, str], ...]:
    cells = (("date", link.date or ""), ("title", link.title), ("url", link.url))
    file = _file_label(link)
    return (*cells, ("file", file)) if file else cells

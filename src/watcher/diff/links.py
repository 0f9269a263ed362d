"""`links` sources: new and removed items of a news list, matched by absolute URL.

News lists are windows: each new item pushes the oldest one off the end. Items
that disappear *after* the last item still present in the new list have
scrolled off and are not removals; only an item that vanishes from the middle
of the window (a withdrawn release) is a ``link_removed``.

An item whose URL stays while its title changes is reported as ``entry_changed``
only when the titles differ beyond width, spacing and punctuation (NFKC with
whitespace and punctuation removed); a changed date alone is never a change.
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


def compare_links(old: tuple[Link, ...], new: tuple[Link, ...]) -> list[Change]:
    """Links added, retitled and removed (in that order; each in its list's order)."""
    old_by_url = _first_by_url(old)
    new_by_url = _first_by_url(new)
    changes: list[Change] = []
    for url, link in new_by_url.items():
        if url not in old_by_url:
            changes.append(
                Change(
                    kind=ChangeKind.LINK_ADDED,
                    summary=f"New: {_describe(link)}",
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
    old_urls = list(old_by_url)
    kept = [i for i, url in enumerate(old_urls) if url in new_by_url]
    last_kept = kept[-1] if kept else -1
    for url in old_urls[: last_kept + 1]:
        if url not in new_by_url:
            link = old_by_url[url]
            changes.append(
                Change(
                    kind=ChangeKind.LINK_REMOVED,
                    summary=f"Removed: {_describe(link)}",
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


def _first_by_url(links: tuple[Link, ...]) -> dict[str, Link]:
    by_url: dict[str, Link] = {}
    for link in links:
        by_url.setdefault(link.url, link)
    return by_url


def _describe(link: Link) -> str:
    date = f"{link.date} " if link.date else ""
    return f"{date}「{link.title}」 {link.url}"


def _cells(link: Link) -> tuple[tuple[str, str], ...]:
    return (("date", link.date or ""), ("title", link.title), ("url", link.url))

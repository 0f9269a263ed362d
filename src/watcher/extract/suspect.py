"""Recognise a 200 response that is not the real page (maintenance, error, login wall),
and a `links` page whose links none of the list rules take."""

from __future__ import annotations

import re

# Phrases that government sites and CDNs put on stand-in pages. Matched against
# the page title and a short main text only: a real release that mentions
# "メンテナンス" in its body must not be taken for a maintenance page.
STANDIN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"メンテナンス(中|を実施|のため|作業)"), "maintenance page"),
    (re.compile(r"(ただいま|現在).{0,20}(アクセスが集中|混雑|つながりにくく)"), "overload page"),
    (re.compile(r"service\s+(temporarily\s+)?unavailable", re.IGNORECASE), "Service Unavailable page"),
    (re.compile(r"under\s+maintenance|scheduled\s+maintenance", re.IGNORECASE), "maintenance page"),
    (re.compile(r"(404|page)\s*not\s*found|ページが見つかりません|お探しのページ", re.IGNORECASE), "not-found page"),
    (re.compile(r"internal\s+server\s+error|bad\s+gateway|gateway\s+time-?out", re.IGNORECASE), "server error page"),
    (re.compile(r"ログインしてください|please\s+(log|sign)\s*in|ログインが必要", re.IGNORECASE), "login wall"),
    (re.compile(r"access\s+denied|アクセスが拒否|forbidden", re.IGNORECASE), "access-denied page"),
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# A stand-in page is short; a real METI release has far more text than this.
STANDIN_MAX_TEXT = 600


def page_suspect_reason(raw_html: str, main_text: str) -> str | None:
    """Why this page looks like a stand-in rather than the real page, or None.

    >>> page_suspect_reason("<title>メンテナンス</title>", "ただいまメンテナンス中です。")
    'maintenance page: ただいまメンテナンス中です。'
    >>> page_suspect_reason("<title>半導体</title>", "認定事業者 最大助成額") is None
    True
    """
    title_match = _TITLE.search(raw_html[:20000])
    title = title_match.group(1).strip() if title_match else ""
    if not main_text.strip() and not title:
        return "empty page"
    candidates = [title]
    if len(main_text) <= STANDIN_MAX_TEXT:
        candidates.append(main_text)
    for text in candidates:
        for pattern, label in STANDIN_PATTERNS:
            if text and pattern.search(text):
                first_line = next((ln for ln in text.splitlines() if ln.strip()), text)
                return f"{label}: {first_line.strip()[:80]}"
    if not main_text.strip():
        return "page has no main text"
    return None



def no_items_reason(other_links: int) -> str | None:
    """Why a `links` page without items is not a success: its main column has other links.

    >>> no_items_reason(0) is None
    True
    >>> no_items_reason(12)
    'no list items found: none of the 12 links in the main column is a dated news item or a file download'
    """
    if other_links <= 0:
        return None
    if other_links == 1:
        return ("no list items found: the one link in the main column is neither "
                "a dated news item nor a file download")
    return (f"no list items found: none of the {other_links} links in the main column "
            "is a dated news item or a file download")

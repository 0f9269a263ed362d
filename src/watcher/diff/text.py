"""`text` sources: one text_changed change with a diff-match-patch diff.

Snippets of text shown to people (here and in cell changes) are clipped at token
boundaries: a number (7,729,810, 1兆2,390億円) or a Latin word is shown whole or not at all.
"""

from __future__ import annotations

import re

import diff_match_patch as dmp_module

from watcher.changes import Change, ChangeKind

# Above this size a character diff is slow; line mode diffs whole lines first.
LINE_MODE_THRESHOLD = 2000
# What must not be cut: a number with its separators and kanji units, or a Latin word.
_TOKEN = re.compile(
    r"[△▲+\-−]?(?:[0-9０-９]+(?:[,.，．][0-9０-９]+)*[兆億万千百]?)+円?|[A-Za-z0-9]+(?:[-_.'][A-Za-z0-9]+)*"
)


def widen_to_tokens(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved outwards so that no token of ``text`` is cut.

    >>> text = "交付決定額 7,729,810円 を計上"
    >>> start, end = widen_to_tokens(text, 9, 12)
    >>> text[start:end]
    '7,729,810円'
    """
    for match in _TOKEN.finditer(text):
        if match.start() < start < match.end():
            start = match.start()
        if match.start() < end < match.end():
            end = match.end()
        if match.start() >= end:
            break
    return start, end


def clip(text: str, limit: int) -> str:
    """One line of at most about ``limit`` characters, never ending inside a token.

    >>> clip("令和7年度 交付決定額 7,729,810円", 17)
    '令和7年度 交付決定額…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    start, _ = widen_to_tokens(text, cut, cut)
    if start < cut and start > 0:
        cut = start  # end before the token rather than inside it
    return text[:cut].rstrip() + "…"


def text_diff(old: str, new: str) -> tuple[tuple[int, str], ...]:
    """Diff two texts with diff-match-patch: semantic cleanup, never timeout-truncated."""
    dmp = dmp_module.diff_match_patch()
    # A timeout would return a coarse, truncated diff; we would rather wait.
    dmp.Diff_Timeout = 0
    if len(old) + len(new) > LINE_MODE_THRESHOLD:
        chars_old, chars_new, lines = dmp.diff_linesToChars(old, new)
        diffs = dmp.diff_main(chars_old, chars_new, False)
        dmp.diff_charsToLines(diffs, lines)
    else:
        diffs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diffs)
    return tuple((int(op), str(text)) for op, text in diffs)


def summarize_diff(diffs: tuple[tuple[int, str], ...], limit: int = 120) -> str:
    """One human line: the first inserted and deleted fragments."""
    inserted = " ".join(t.strip() for op, t in diffs if op == 1 and t.strip())
    deleted = " ".join(t.strip() for op, t in diffs if op == -1 and t.strip())
    parts = []
    if inserted:
        parts.append(f"+「{clip(inserted, limit)}」")
    if deleted:
        parts.append(f"−「{clip(deleted, limit)}」")
    return "Text changed: " + (" ".join(parts) if parts else "whitespace only")


def compare_text(old: str, new: str) -> list[Change]:
    """No change when the normalised texts are equal; else one text_changed."""
    if old == new:
        return []
    diffs = text_diff(old, new)
    return [Change(kind=ChangeKind.TEXT_CHANGED, summary=summarize_diff(diffs), diff=diffs)]

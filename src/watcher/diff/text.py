"""`text` sources: one text_changed change with a diff-match-patch diff."""

from __future__ import annotations

import diff_match_patch as dmp_module

from watcher.changes import Change, ChangeKind

# Above this size a character diff is slow; line mode diffs whole lines first.
LINE_MODE_THRESHOLD = 2000


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
        parts.append(f"+「{_clip(inserted, limit)}」")
    if deleted:
        parts.append(f"−「{_clip(deleted, limit)}」")
    return "Text changed: " + (" ".join(parts) if parts else "whitespace only")


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_text(old: str, new: str) -> list[Change]:
    """No change when the normalised texts are equal; else one text_changed."""
    if old == new:
        return []
    diffs = text_diff(old, new)
    return [Change(kind=ChangeKind.TEXT_CHANGED, summary=summarize_diff(diffs), diff=diffs)]

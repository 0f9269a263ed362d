"""Is a new document too broken to compare? (Lost half its entries, text collapsed.)"""

from __future__ import annotations

from watcher.extract.document import Document

# A list or table that lost this share of its entries at once is more likely a
# broken page than a mass withdrawal of approvals.
LOST_SHARE = 0.5
# Small lists: losing 1 of 2 is not evidence of a broken page.
MIN_ENTRIES_FOR_LOSS_RULE = 3


def suspect_reason(old: Document | None, new: Document) -> str | None:
    """Why ``new`` should be stored as suspect instead of compared, or None.

    >>> from watcher.extract.document import Document
    >>> suspect_reason(Document(kind="text", text="x" * 100), Document(kind="text", text="x" * 40))
    'main text shrank from 100 to 40 characters'
    """
    if new.suspect_reason:
        return new.suspect_reason
    if old is None:
        # A first page without a table is a programme page before its first approval:
        # an empty baseline, so the first approvals are alerted when they appear.
        return None
    if new.kind in ("table", "pdf"):
        reason = _lost_entries(len(old.records), len(new.records), "records")
        if reason:
            return reason
    if new.kind == "links":
        reason = _lost_entries(len(old.links), len(new.links), "links")
        if reason:
            return reason
    if new.kind != "pdf" and old.text and len(new.text) < len(old.text) * 0.5:
        return f"main text shrank from {len(old.text)} to {len(new.text)} characters"
    return None


def entries(document: Document) -> int:
    """How many records or links a structured document holds (0 for text)."""
    return len(document.links) if document.kind == "links" else len(document.records)


def _lost_entries(before: int, after: int, noun: str) -> str | None:
    if before >= MIN_ENTRIES_FOR_LOSS_RULE and after <= before * (1 - LOST_SHARE):
        return f"{noun} dropped from {before} to {after}"
    if before > 0 and after == 0:
        return f"all {before} {noun} vanished"
    return None

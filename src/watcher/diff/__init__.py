"""The diff stage: (old Document, new Document) → changes, and the suspect check.

Pure functions only; the pipeline decides what to do with a suspect document.
"""

from __future__ import annotations

from watcher.changes import Change
from watcher.diff.suspect import suspect_reason
from watcher.extract.document import Document

__all__ = ["compare", "suspect_reason"]


def compare(old: Document, new: Document) -> list[Change]:
    """All real changes from ``old`` to ``new`` (both good documents of one source)."""
    # Imported here so each kind's module stays independent of the others.
    if new.kind in ("table", "pdf"):
        from watcher.diff.records import compare_records

        return compare_records(old.records, new.records, old_meta=old.meta, new_meta=new.meta)
    if new.kind == "links":
        from watcher.diff.links import compare_links
        from watcher.extract.links import DOWNLOADS_READ

        return compare_links(old.links, new.links, baseline_downloads=DOWNLOADS_READ not in old.meta)
    from watcher.diff.text import compare_text

    return compare_text(old.text, new.text)

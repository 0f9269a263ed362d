"""The words every surface uses for a change: one vocabulary for CLI, Slack, digest, admin, feed.

A change's words depend on its ``kind`` (the JSON value, which never changes) and on the
``nature`` of its record, decided at extraction: an ``approval`` (a 認定 / 採択 list), a
``grant`` (a 交付決定 ledger), a ``budget_line`` (a budget document) or an ``item`` (any
other list). A change without a nature (recorded before natures existed) reads as an
approval, the only kind of table the watcher read then.

Every phrase is a plain English string literal of its own, so that a translation catalogue
can wrap each one (``_("New budget line")``) without touching the callers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = [
    "KIND_ORDER",
    "NATURES",
    "count_phrase",
    "kind_label",
    "nature_noun",
]

NATURES = ("approval", "grant", "budget_line", "item")
_DEFAULT_NATURE = "approval"

# (label in an alert, count word singular, plural) per (kind, nature).
_WORDS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("entry_added", "approval"): ("New approval", "new approval", "new approvals"),
    ("entry_added", "grant"): ("New grant decision", "new grant decision", "new grant decisions"),
    ("entry_added", "budget_line"): ("New budget line", "new budget line", "new budget lines"),
    ("entry_added", "item"): ("New item", "new item", "new items"),
    ("amount_changed", "approval"): ("Amount changed", "amount change", "amount changes"),
    ("amount_changed", "grant"): ("Grant amount changed", "grant amount change", "grant amount changes"),
    ("amount_changed", "budget_line"): ("Budget line changed", "budget line change", "budget line changes"),
    ("amount_changed", "item"): ("Amount changed", "amount change", "amount changes"),
    ("entry_changed", "approval"): ("Approval changed", "changed approval", "changed approvals"),
    ("entry_changed", "grant"): ("Grant decision edited", "edited grant decision", "edited grant decisions"),
    ("entry_changed", "budget_line"): ("Budget line edited", "edited budget line", "edited budget lines"),
    ("entry_changed", "item"): ("Item changed", "changed item", "changed items"),
    ("entry_removed", "approval"): ("Approval no longer listed", "approval no longer listed", "approvals no longer listed"),
    ("entry_removed", "grant"): ("Grant decision no longer listed", "grant decision no longer listed", "grant decisions no longer listed"),
    ("entry_removed", "budget_line"): ("Budget line removed", "removed budget line", "removed budget lines"),
    ("entry_removed", "item"): ("Item removed", "removed item", "removed items"),
    ("list_replaced", "approval"): ("List replaced", "replaced list", "replaced lists"),
    ("list_replaced", "grant"): ("Grant list replaced", "replaced grant list", "replaced grant lists"),
    ("list_replaced", "budget_line"): ("Budget section replaced", "replaced budget section", "replaced budget sections"),
    ("list_replaced", "item"): ("List replaced", "replaced list", "replaced lists"),
}
# Kinds whose words do not depend on a record's nature.
_PLAIN: dict[str, tuple[str, str, str]] = {
    "link_added": ("New link", "new link", "new links"),
    "link_removed": ("Link removed", "removed link", "removed links"),
    "text_changed": ("Text changed", "text change", "text changes"),
}
# The order in which counts are listed: the alert of a replaced list first.
KIND_ORDER = ("list_replaced", "entry_added", "amount_changed", "entry_changed",
              "entry_removed", "link_added", "link_removed", "text_changed")

# What one record of each nature is called, singular and plural ("13 grant decisions").
_NOUNS: dict[str, tuple[str, str]] = {
    "approval": ("approval", "approvals"),
    "grant": ("grant decision", "grant decisions"),
    "budget_line": ("budget line", "budget lines"),
    "item": ("item", "items"),
}


def _words(kind: str, nature: str | None) -> tuple[str, str, str]:
    if kind in _PLAIN:
        return _PLAIN[kind]
    found = _WORDS.get((kind, nature or _DEFAULT_NATURE)) or _WORDS.get((kind, _DEFAULT_NATURE))
    if found is not None:
        return found
    return (kind.replace("_", " ").capitalize(), kind, kind)


def kind_label(kind: str, nature: str | None = None) -> str:
    """The label of a change: 'New budget line', 'Grant amount changed', 'New link'.

    >>> kind_label("entry_added", "budget_line"), kind_label("entry_added")
    ('New budget line', 'New approval')
    """
    return _words(kind, nature)[0]


def nature_noun(nature: str | None, count: int) -> str:
    """'13 grant decisions', '1 budget line'."""
    one, many = _NOUNS.get(nature or _DEFAULT_NATURE, _NOUNS[_DEFAULT_NATURE])
    return f"{count} {one if count == 1 else many}"


def count_phrase(kinds: Sequence[str | tuple[str, str | None]]) -> str:
    """'3 new approvals, 1 budget line change' in a fixed kind order.

    Each item is a kind, or a (kind, nature) pair.
    """
    pairs = [(k, _DEFAULT_NATURE) if isinstance(k, str) else (k[0], k[1] or _DEFAULT_NATURE)
             for k in kinds]
    # Kinds whose words do not depend on the nature are counted together.
    pairs = [(k, _DEFAULT_NATURE) if k in _PLAIN else (k, n) for k, n in pairs]
    counts = Counter(pairs)
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    order = sorted(counts, key=lambda p: (rank.get(p[0], len(rank)), p[0], p[1]))
    parts = []
    for kind, nature in order:
        _, one, many = _words(kind, nature)
        parts.append(f"{counts[(kind, nature)]} {one if counts[(kind, nature)] == 1 else many}")
    return ", ".join(parts)

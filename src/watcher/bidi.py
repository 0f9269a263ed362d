"""Unicode bidirectional controls: which characters they are, and text without them.

U+202A–U+202E (embeddings and overrides) and U+2066–U+2069 (isolates) reorder how
the text around them is displayed: a scraped U+202E can make "認定取消" read
backwards in an alert, or hide which part of a line is a link ("Trojan Source",
CVE-2021-42574). Nothing on a government page needs them, so extraction removes
them and every renderer (admin page, JSON, Atom, Slack, email) removes them again
for text stored before that.
"""

from __future__ import annotations

from typing import Any

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DELETE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def strip_bidi(text: str) -> str:
    r"""``text`` without bidi embedding, override and isolate controls.

    >>> strip_bidi("\u202eＡＢＣ株式会社\u2069")
    'ＡＢＣ株式会社'
    """
    return text.translate(_DELETE)


def strip_bidi_deep(value: Any) -> Any:
    """Every string inside a JSON-like value (dicts, lists, tuples) without bidi controls."""
    if isinstance(value, str):
        return strip_bidi(value)
    if isinstance(value, dict):
        return {strip_bidi_deep(k): strip_bidi_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip_bidi_deep(v) for v in value]
    return value


def finalize_text(value: Any) -> Any:
    """A Jinja ``finalize`` hook: printed strings lose their bidi controls (Markup stays Markup)."""
    if isinstance(value, str):
        return type(value)(strip_bidi(value))
    return value

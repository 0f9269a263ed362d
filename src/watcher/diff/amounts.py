"""How the record diff compares a row's amount and writes it in a change's summary;
owns amount equality (both ends of a range) and the amount phrases of summaries.

A range compares on both ends and is written end to end (500万円～1,000万円); an amount
cell written alike on both sides is never an amount change (see same_written_amount).
"""

from __future__ import annotations

import re
import unicodedata

from watcher.extract.document import Record
from watcher.extract.identity import strip_footnotes, strip_unit_note
from watcher.extract.yen import (
    format_billions,
    format_billions_range,
    format_ends_delta,
    format_oku,
    format_oku_as_written,
)

__all__ = [
    "DEFAULT_AMOUNT_LABEL",
    "amount_label",
    "amount_move",
    "amount_of",
    "amount_phrase",
    "amounts_text",
    "billions_text",
    "same_written_amount",
    "yen_as_written",
]

DEFAULT_AMOUNT_LABEL = "金額"
_JIKO = "事項要求"  # a budget request line without a figure yet
_WS = re.compile(r"\s+")


def amount_label(record: Record) -> str | None:
    """The header of the record's amount cell, unit note and footnote marks removed."""
    for header, value in record.cells:
        if record.amount_text is not None and value == record.amount_text:
            label = strip_unit_note(strip_footnotes(unicodedata.normalize("NFKC", header)))
            return label or None
    return None


def amount_of(record: Record) -> tuple[int | None, int | None]:
    """What is compared of a record's amount: the amount (a range's upper end) and its lower end."""
    return record.amount_yen, record.amount_low_yen


def same_written_amount(old: Record, new: Record) -> bool:
    """Whether both sides wrote the amount cell alike, under the same header."""

    def written(record: Record) -> tuple[str, str | None] | None:
        if record.amount_text is None:
            return None
        header = next((h for h, v in record.cells if v == record.amount_text), None)
        return _WS.sub("", unicodedata.normalize("NFKC", record.amount_text)), header

    return written(old) is not None and written(old) == written(new)


def yen_as_written(record: Record, stage: str | None = None) -> str:
    """The record's amount as the page wrote it: 約501億円, 500万円～1,000万円, 事項要求 —
    followed by the budget stage it stands in when one is given: 9,600億円 (概算要求)."""
    amount, text = record.amount_yen, record.amount_text
    if amount is None:
        # A budget request line without a figure yet says so itself (事項要求).
        if text and _JIKO in text:
            return f"{_JIKO} ({stage}, no amount yet)" if stage else f"{_JIKO} (no amount yet)"
        return f"(no amount, {stage})" if stage else "(no amount)"
    written = format_oku_as_written(amount, text, low_yen=record.amount_low_yen)
    return f"{written} ({stage})" if stage else written


def billions_text(record: Record) -> str:
    """The record's amount in English-press style (both ends of a range), "" without one."""
    if record.amount_yen is None:
        return ""
    if record.amount_low_yen is None:
        return format_billions(record.amount_yen)
    return format_billions_range(record.amount_low_yen, record.amount_yen)


def amount_phrase(record: Record) -> str:
    """The phrase ": 最大助成額 5,000億円 (¥500.0 billion)" for a record with an amount, else ""."""
    if record.amount_yen is None:
        return ""
    label = amount_label(record) or DEFAULT_AMOUNT_LABEL
    return f": {label} {yen_as_written(record)} ({billions_text(record)})"


def amount_move(
    old: Record, new: Record, *, old_stage: str | None = None, new_stage: str | None = None,
) -> str:
    """The move "1,670億円 → 5,000億円 (+3,330億円, ¥500.0 billion)"; a range moves by its ends:
    "500万円～1,000万円 → 500万円～1,500万円 (upper +500万円; ¥5.0 million to ¥15.0 million)";
    with stages, each amount says its own: "9,600億円 (概算要求) → 1兆2,390億円 (予算案)"."""
    move = f"{yen_as_written(old, old_stage)} → {yen_as_written(new, new_stage)}"
    if old.amount_yen is None or new.amount_yen is None:
        return f"{move} ({billions_text(new)})" if new.amount_yen is not None else move
    ends = format_ends_delta(
        old.amount_yen, new.amount_yen, old_low=old.amount_low_yen, new_low=new.amount_low_yen
    )
    separator = ";" if old.is_range or new.is_range else ","
    return f"{move} ({ends}{separator} {billions_text(new)})"


def amounts_text(values: tuple[int, ...]) -> str:
    """Secondary amounts for a summary: "1,000億円, 500億円" or "(none)"."""
    return ", ".join(format_oku(v) for v in values) if values else "(none)"

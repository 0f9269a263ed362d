"""The Change a pair of rows makes, with its one-line summary: New / Removed / the amount's move
/ the cells that changed.

Amounts are printed as the page wrote them with a normalised figure beside them
(watcher.extract.yen). When the two documents are budget documents of different stages,
each amount says its stage: "AI・半導体: 9,600億円 (概算要求) → 1兆2,390億円 (予算案)".
Quoted cell changes are cut around the differing part, at token boundaries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from watcher.changes import Change, ChangeKind
from watcher.diff.rows import Side
from watcher.diff.text import widen_to_tokens
from watcher.extract.document import Record
from watcher.extract.identity import strip_footnotes, strip_unit_note
from watcher.extract.yen import (
    format_billions,
    format_delta_oku,
    format_oku,
    format_oku_as_written,
)

__all__ = ["KEY_SEPARATOR", "Stages", "added", "changed", "entity_key", "removed", "total_appeared"]

KEY_SEPARATOR = "\x1f"
# Changed cells are quoted around the differing part, this wide with this much context.
_SNIPPET_WIDTH = 48
_SNIPPET_CONTEXT = 12
_DEFAULT_AMOUNT_LABEL = "金額"
_JIKO = "事項要求"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stages:
    """The budget stages of the old and the new document (None when not a budget document)."""

    old: str | None = None
    new: str | None = None

    @property
    def moved(self) -> bool:
        return self.old is not None and self.new is not None and self.old != self.new


def entity_key(record: Record) -> str:
    """The record's identity across snapshots: table and key joined by U+001F."""
    return f"{record.table}{KEY_SEPARATOR}{record.key}"


def added(side: Side, stages: Stages) -> Change:
    record = side.record
    return Change(
        kind=ChangeKind.ENTRY_ADDED,
        summary=f"New: {record.entity}{_amount_phrase(record)}",
        entity=record.entity, entity_key=entity_key(record), table=record.table,
        amount_yen=record.amount_yen, amount_text=record.amount_text, after=record.cells,
        nature=record.nature, stage=stages.new,
    )


def total_appeared(side: Side, stages: Stages) -> Change | None:
    """A total row that appears sets the table's amount; it is not an entry of its own."""
    record = side.record
    if record.amount_yen is None:
        return None
    return Change(
        kind=ChangeKind.AMOUNT_CHANGED,
        summary=f"Total: {record.table}{_amount_phrase(record)}",
        entity=record.entity, entity_key=entity_key(record), table=record.table,
        amount_yen=record.amount_yen, amount_text=record.amount_text, after=record.cells,
        nature=record.nature, stage=stages.new,
    )


def removed(side: Side, stages: Stages) -> Change:
    record = side.record
    return Change(
        kind=ChangeKind.ENTRY_REMOVED,
        summary=f"Removed: {record.entity}{_amount_phrase(record)}",
        entity=record.entity, entity_key=entity_key(record), table=record.table,
        amount_yen=record.amount_yen, amount_text=record.amount_text, before=record.cells,
        nature=record.nature, stage=stages.new, previous_stage=stages.old,
    )


def changed(before: Side, after: Side, stages: Stages) -> Change | None:
    """The change between two sides of one row, or None when nothing that matters differs."""
    old, new = before.record, after.record
    cell_changes = list(_cell_changes(before, after))
    base = Change(
        kind=ChangeKind.ENTRY_CHANGED, summary="", entity=new.entity, entity_key=entity_key(new),
        table=new.table, amount_yen=new.amount_yen, previous_amount_yen=old.amount_yen,
        amount_text=new.amount_text, previous_amount_text=old.amount_text, before=old.cells,
        after=new.cells, nature=new.nature or old.nature, stage=stages.new,
        previous_stage=stages.old,
    )
    if old.amount_yen != new.amount_yen:
        label = _amount_label(new) or _amount_label(old) or _DEFAULT_AMOUNT_LABEL
        # With each amount's stage beside it, a column header naming one stage misleads.
        shown = "" if stages.moved else f"{label} "
        summary = f"{new.entity}: {shown}{_amount_move(old, new, stages)}"
        if cell_changes:
            summary += "; " + "; ".join(cell_changes)
        return replace(base, kind=ChangeKind.AMOUNT_CHANGED, summary=summary)
    if before.secondary != after.secondary:
        cell_changes.append(
            f"その他の金額 {_amounts(before.secondary)} → {_amounts(after.secondary)}"
        )
    if not cell_changes:
        return None
    return replace(base, summary=f"Changed: {new.entity}: " + "; ".join(cell_changes))


def _cell_changes(before: Side, after: Side) -> Iterable[str]:
    """Yield "header 'old' → 'new'" for each descriptive cell that differs."""
    old_cells, new_cells = before.descriptive, after.descriptive
    if len(old_cells) != len(new_cells):
        old_text = " / ".join(shown for _, _, shown in old_cells)
        new_text = " / ".join(shown for _, _, shown in new_cells)
        if [f for _, f, _ in old_cells] != [f for _, f, _ in new_cells]:
            a, b = snippets(old_text, new_text)
            yield f"'{a}' → '{b}'"
        return
    for (old_header, old_form, old_shown), (_, new_form, new_shown) in zip(
        old_cells, new_cells, strict=True
    ):
        if old_form != new_form:
            a, b = snippets(old_shown, new_shown)
            yield f"{old_header or '?'} '{a}' → '{b}'"


def snippets(a: str, b: str) -> tuple[str, str]:
    """Both texts cut to the region where they differ, with a little context, never inside a
    number or a word.

    >>> snippets("令和7年度 交付決定 " * 4 + "7,729,810円", "令和7年度 交付決定 " * 4 + "7,729,910円")[1]
    '…交付決定 7,729,910円'
    """
    if len(a) <= _SNIPPET_WIDTH and len(b) <= _SNIPPET_WIDTH:
        return a, b
    opcodes = [
        op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    if not opcodes:
        return _cut(a, 0, _SNIPPET_WIDTH), _cut(b, 0, _SNIPPET_WIDTH)
    a_start = max(0, opcodes[0][1] - _SNIPPET_CONTEXT)
    b_start = max(0, opcodes[0][3] - _SNIPPET_CONTEXT)
    a_end = min(len(a), opcodes[-1][2] + _SNIPPET_CONTEXT, a_start + _SNIPPET_WIDTH)
    b_end = min(len(b), opcodes[-1][4] + _SNIPPET_CONTEXT, b_start + _SNIPPET_WIDTH)
    return _cut(a, a_start, a_end), _cut(b, b_start, b_end)


def _cut(text: str, start: int, end: int) -> str:
    start, end = widen_to_tokens(text, start, min(end, len(text)))
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def _amount_label(record: Record) -> str | None:
    """The header of the record's amount cell, unit note and footnote marks removed."""
    for header, value in record.cells:
        if record.amount_text is not None and value == record.amount_text:
            label = strip_unit_note(strip_footnotes(unicodedata.normalize("NFKC", header)))
            return label or None
    return None


def _yen(amount: int | None, text: str | None = None, stage: str | None = None) -> str:
    if amount is None:
        # A budget request line without a figure yet says so itself (事項要求).
        if text and _JIKO in text:
            return f"{_JIKO} ({stage}, no amount yet)" if stage else f"{_JIKO} (no amount yet)"
        return f"(no amount, {stage})" if stage else "(no amount)"
    written = format_oku_as_written(amount, text)
    return f"{written} ({stage})" if stage else written


def _amount_phrase(record: Record) -> str:
    """The phrase ": 最大助成額 5,000億円 (¥500.0 billion)" for a record with an amount, else ""."""
    if record.amount_yen is None:
        return ""
    label = _amount_label(record) or _DEFAULT_AMOUNT_LABEL
    amount = _yen(record.amount_yen, record.amount_text)
    return f": {label} {amount} ({format_billions(record.amount_yen)})"


def _amount_move(old: Record, new: Record, stages: Stages) -> str:
    """The move "1,670億円 → 5,000億円 (+3,330億円, ¥500.0 billion)", stages beside amounts."""
    old_stage, new_stage = (stages.old, stages.new) if stages.moved else (None, None)
    move = (f"{_yen(old.amount_yen, old.amount_text, old_stage)} → "
            f"{_yen(new.amount_yen, new.amount_text, new_stage)}")
    if old.amount_yen is not None and new.amount_yen is not None:
        delta = format_delta_oku(new.amount_yen - old.amount_yen)
        return f"{move} ({delta}, {format_billions(new.amount_yen)})"
    if new.amount_yen is not None:
        return f"{move} ({format_billions(new.amount_yen)})"
    return move


def _amounts(values: tuple[int, ...]) -> str:
    return ", ".join(format_oku(v) for v in values) if values else "(none)"

"""The Change a pair of rows makes, with its one-line summary: New / Removed / the amount's move
/ the cells that changed.

Amounts are printed as the page wrote them with a normalised figure beside them
(watcher.extract.yen). When the two documents are budget documents of different stages,
each amount says its stage: "AI・半導体: 9,600億円 (概算要求) → 1兆2,390億円 (予算案)".
Quoted cell changes are cut around the differing part, at token boundaries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from watcher.changes import Change, ChangeKind
from watcher.diff.amounts import (
    DEFAULT_AMOUNT_LABEL,
    amount_label,
    amount_move,
    amount_of,
    amount_phrase,
    amounts_text,
    same_written_amount,
)
from watcher.diff.rows import Side
from watcher.diff.text import widen_to_tokens
from watcher.extract.document import Record

__all__ = ["KEY_SEPARATOR", "Stages", "added", "changed", "entity_key", "removed", "total_appeared"]

KEY_SEPARATOR = "\x1f"
# Changed cells are quoted around the differing part, this wide with this much context.
_SNIPPET_WIDTH = 48
_SNIPPET_CONTEXT = 12

log = logging.getLogger(__name__)


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
        summary=f"New: {record.entity}{amount_phrase(record)}",
        entity=record.entity, entity_key=entity_key(record), table=record.table,
        amount_yen=record.amount_yen, amount_low_yen=record.amount_low_yen,
        amount_text=record.amount_text, after=record.cells,
        nature=record.nature, stage=stages.new,
    )


def total_appeared(side: Side, stages: Stages) -> Change | None:
    """A total row that appears sets the table's amount; it is not an entry of its own."""
    record = side.record
    if record.amount_yen is None:
        return None
    return Change(
        kind=ChangeKind.AMOUNT_CHANGED,
        summary=f"Total: {record.table}{amount_phrase(record)}",
        entity=record.entity, entity_key=entity_key(record), table=record.table,
        amount_yen=record.amount_yen, amount_low_yen=record.amount_low_yen,
        amount_text=record.amount_text, after=record.cells,
        nature=record.nature, stage=stages.new,
    )


def removed(side: Side, stages: Stages) -> Change:
    record = side.record
    return Change(
        kind=ChangeKind.ENTRY_REMOVED,
        summary=f"Removed: {record.entity}{amount_phrase(record)}",
        entity=record.entity, entity_key=entity_key(record), table=record.table,
        amount_yen=record.amount_yen, amount_low_yen=record.amount_low_yen,
        amount_text=record.amount_text, before=record.cells,
        nature=record.nature, stage=stages.new, previous_stage=stages.old,
    )


def changed(before: Side, after: Side, stages: Stages) -> Change | None:
    """The change between two sides of one row, or None when nothing that matters differs."""
    old, new = before.record, after.record
    cell_changes = list(_cell_changes(before, after))
    base = Change(
        kind=ChangeKind.ENTRY_CHANGED, summary="", entity=new.entity, entity_key=entity_key(new),
        table=new.table, amount_yen=new.amount_yen, previous_amount_yen=old.amount_yen,
        amount_low_yen=new.amount_low_yen, previous_amount_low_yen=old.amount_low_yen,
        amount_text=new.amount_text, previous_amount_text=old.amount_text, before=old.cells,
        after=new.cells, nature=new.nature or old.nature, stage=stages.new,
        previous_stage=stages.old,
    )
    amount_moved = amount_of(old) != amount_of(new)
    if amount_moved and same_written_amount(old, new):
        # The page says the same thing; only the reading of it changed (a snapshot stored
        # before ranges or spaced figures were read).
        log.info("%s: amount re-read from the same text %r (%s → %s), not a change",
                 new.entity, new.amount_text, amount_of(old), amount_of(new))
        amount_moved = False
    if amount_moved:
        label = amount_label(new) or amount_label(old) or DEFAULT_AMOUNT_LABEL
        # With each amount's stage beside it, a column header naming one stage misleads.
        shown = "" if stages.moved else f"{label} "
        old_stage, new_stage = (stages.old, stages.new) if stages.moved else (None, None)
        move = amount_move(old, new, old_stage=old_stage, new_stage=new_stage)
        summary = f"{new.entity}: {shown}{move}"
        if cell_changes:
            summary += "; " + "; ".join(cell_changes)
        return replace(base, kind=ChangeKind.AMOUNT_CHANGED, summary=summary)
    if before.secondary != after.secondary:
        cell_changes.append(
            f"その他の金額 {amounts_text(before.secondary)} → {amounts_text(after.secondary)}"
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

"""`table` and `pdf` sources: rows added, removed, re-amounted and edited.

Rows are matched by identity (table + key), never by position, so reordered
rows change nothing. Rows left over on both sides of one table are then paired
by similarity of their descriptive text (difflib ratio ≥ 0.9, or ≥ 0.8 when the
amount is the same), so a corrected company name is one ``entry_changed``
rather than a removal plus an addition.

Amounts are compared as integer yen: 4,760 under （単位：億円） and 476,000 under
（単位：百万円） are the same amount. A range is compared on both ends (a raised upper
limit is an ``amount_changed``). An amount cell whose text and header are the same on
both sides is no amount change even when the figures differ: the page said the same
thing and only the reading of it changed (a snapshot stored before ranges or spaced
figures were read). Other cells are compared after NFKC, with
whitespace, ※ footnote markers and company legal forms (株式会社 / ㈱) ignored
and dates compared as dates, so rewording a header or re-typing a date is no
change. Nothing here is specific to HTML tables: PDF budget lines are records
too (table = section title, key = normalised label).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
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
from watcher.extract.dates import date_spans, parse_date
from watcher.extract.document import Record
from watcher.extract.identity import (
    display_text,
    is_amount_text,
    norm_company,
    strip_footnotes,
    strip_unit_note,
)

__all__ = ["KEY_SEPARATOR", "compare_records", "entity_key"]

logger = logging.getLogger(__name__)

KEY_SEPARATOR = "\x1f"
# Pairing thresholds for leftover rows of one table (difflib ratio of descriptive text).
PAIR_RATIO = 0.9
PAIR_RATIO_SAME_AMOUNT = 0.8
# Beyond this many leftover (old, new) combinations, similarity pairing is skipped.
MAX_PAIRING = 250_000
# Changed cells are quoted around the differing part, this wide with this much context.
_SNIPPET_WIDTH = 48
_SNIPPET_CONTEXT = 12
_WS = re.compile(r"\s+")
_COMPANY_FORMS = re.compile(r"株式会社|合同会社|有限会社|\((?:株|同|有)\)")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Side:
    """One record with the forms the comparison needs, computed once."""

    ident: str
    index: int
    record: Record
    descriptive: tuple[tuple[str, str, str], ...]  # (header, compare form, display text)
    secondary: tuple[int, ...]
    text: str  # descriptive text for similarity pairing


def entity_key(record: Record) -> str:
    """The record's identity across snapshots: table and key joined by U+001F."""
    return f"{record.table}{KEY_SEPARATOR}{record.key}"


# The key the table extractor gives a total row (合計, 総計, Total). A total is not
# an approval of its own: one that appears is reported as the table's amount being
# set (amount_changed from none), one that vanishes goes with the rows it summed,
# and a total whose amount changed is an ordinary amount_changed.
TOTAL_KEY = "合計"


def compare_records(old: tuple[Record, ...], new: tuple[Record, ...]) -> list[Change]:
    """Changes from `old` to `new` rows: by table (new-page order), then row order, removals last."""
    old_sides = _sides(old)
    new_sides = _sides(new)
    old_by_id = {s.ident: s for s in old_sides}
    new_ids = {s.ident for s in new_sides}
    partner: dict[int, _Side] = {}  # new index → its old side
    for side in new_sides:
        if side.ident in old_by_id:
            partner[side.index] = old_by_id[side.ident]
    left_old = [s for s in old_sides if s.ident not in new_ids]
    left_new = [s for s in new_sides if s.ident not in old_by_id]
    paired_old: set[int] = set()
    for new_side, old_side in _pair_leftovers(left_old, left_new):
        partner[new_side.index] = old_side
        paired_old.add(old_side.index)

    tables = list(
        dict.fromkeys([s.record.table for s in new_sides] + [s.record.table for s in old_sides])
    )
    changes: list[Change] = []
    for table in tables:
        for side in new_sides:
            if side.record.table != table:
                continue
            before = partner.get(side.index)
            if before is None and side.record.key == TOTAL_KEY:
                change: Change | None = _total_appeared(side)
            else:
                change = _added(side) if before is None else _changed(before, side)
            if change is not None:
                changes.append(change)
        for side in left_old:
            if side.record.table == table and side.index not in paired_old \
                    and side.record.key != TOTAL_KEY:
                changes.append(_removed(side))
    return changes


def _sides(records: tuple[Record, ...]) -> list[_Side]:
    sides: list[_Side] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        ident = entity_key(record)
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:  # keys should be unique; if not, keep every row, by occurrence
            ident = f"{ident}#{seen[ident]}"
        descriptive, secondary = _split_cells(record)
        sides.append(
            _Side(
                ident=ident,
                index=index,
                record=record,
                descriptive=descriptive,
                secondary=secondary,
                text="|".join(form for _, form, _ in descriptive),
            )
        )
    return sides


def _split_cells(record: Record) -> tuple[tuple[tuple[str, str, str], ...], tuple[int, ...]]:
    """The record's descriptive cells (amount cells left out) and its secondary amounts."""
    descriptive: list[tuple[str, str, str]] = []
    for header, value in record.cells:
        if value == record.amount_text or is_amount_text(value):
            continue
        descriptive.append((_header_form(header), _cell_form(value), display_text(value)))
    return tuple(descriptive), record.other_amounts_yen


def _header_form(header: str) -> str:
    return _WS.sub("", strip_unit_note(strip_footnotes(unicodedata.normalize("NFKC", header))))


def _cell_form(value: str) -> str:
    """A cell as compared: NFKC, no footnote markers, legal forms or spaces; dates as ISO."""
    text = unicodedata.normalize("NFKC", value)
    pieces: list[str] = []
    last = 0
    for start, end in date_spans(text):
        day = parse_date(text[start:end])
        pieces.append(text[last:start])
        pieces.append(day.isoformat() if day is not None else text[start:end])
        last = end
    pieces.append(text[last:])
    text = strip_footnotes("".join(pieces))
    return _WS.sub("", _COMPANY_FORMS.sub("", text))


def _pair_leftovers(left_old: list[_Side], left_new: list[_Side]) -> list[tuple[_Side, _Side]]:
    """Greedy best-first pairing of unmatched rows of the same table by similarity."""
    candidates: list[tuple[float, int, int, _Side, _Side]] = []
    if len(left_old) * len(left_new) > MAX_PAIRING:
        # A table whose every row changed identity (a column reclassified, say) would
        # cost minutes to pair; its rows are reported as removed and added instead.
        logger.warning(
            "not pairing %d × %d leftover rows by similarity (limit %d)",
            len(left_old),
            len(left_new),
            MAX_PAIRING,
        )
        return []
    old_texts = [(side, _pair_text(side)) for side in left_old]
    for new_side in left_new:
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(_pair_text(new_side))  # difflib caches the index of seq2
        for old_side, old_text in old_texts:
            if old_side.record.table != new_side.record.table:
                continue
            same_amount = amount_of(old_side.record) == amount_of(new_side.record)
            threshold = PAIR_RATIO_SAME_AMOUNT if same_amount else PAIR_RATIO
            matcher.set_seq1(old_text)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                candidates.append((-ratio, new_side.index, old_side.index, new_side, old_side))
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    used_new: set[int] = set()
    used_old: set[int] = set()
    pairs: list[tuple[_Side, _Side]] = []
    for _, new_index, old_index, new_side, old_side in candidates:
        if new_index in used_new or old_index in used_old:
            continue
        used_new.add(new_index)
        used_old.add(old_index)
        pairs.append((new_side, old_side))
    return pairs


def _pair_text(side: _Side) -> str:
    # The key stands in when a record has no descriptive cells (PDF lines, bare rows).
    return norm_company(side.text) if side.text else side.record.key


def _added(side: _Side) -> Change:
    record = side.record
    return Change(
        kind=ChangeKind.ENTRY_ADDED,
        summary=f"New: {record.entity}{amount_phrase(record)}",
        entity=record.entity,
        entity_key=entity_key(record),
        table=record.table,
        amount_yen=record.amount_yen,
        amount_text=record.amount_text,
        amount_low_yen=record.amount_low_yen,
        after=record.cells,
    )


def _total_appeared(side: _Side) -> Change | None:
    record = side.record
    if record.amount_yen is None:
        return None
    return Change(
        kind=ChangeKind.AMOUNT_CHANGED,
        summary=f"Total: {record.table}{amount_phrase(record)}",
        entity=record.entity,
        entity_key=entity_key(record),
        table=record.table,
        amount_yen=record.amount_yen,
        amount_text=record.amount_text,
        amount_low_yen=record.amount_low_yen,
        after=record.cells,
    )


def _removed(side: _Side) -> Change:
    record = side.record
    return Change(
        kind=ChangeKind.ENTRY_REMOVED,
        summary=f"Removed: {record.entity}{amount_phrase(record)}",
        entity=record.entity,
        entity_key=entity_key(record),
        table=record.table,
        amount_yen=record.amount_yen,
        amount_text=record.amount_text,
        amount_low_yen=record.amount_low_yen,
        before=record.cells,
    )


def _changed(before: _Side, after: _Side) -> Change | None:
    """The change between two sides of one row, or None when nothing that matters differs."""
    old, new = before.record, after.record
    cell_changes = list(_cell_changes(before, after))
    amount_moved = amount_of(old) != amount_of(new)
    if amount_moved and same_written_amount(old, new):
        logger.info(
            "%s: amount re-read from the same text %r (%s → %s), not a change",
            new.entity, new.amount_text, amount_of(old), amount_of(new),
        )
        amount_moved = False
    if amount_moved:
        label = amount_label(new) or amount_label(old) or DEFAULT_AMOUNT_LABEL
        summary = f"{new.entity}: {label} {amount_move(old, new)}"
        if cell_changes:
            summary += "; " + "; ".join(cell_changes)
        return Change(
            kind=ChangeKind.AMOUNT_CHANGED,
            summary=summary,
            entity=new.entity,
            entity_key=entity_key(new),
            table=new.table,
            amount_yen=new.amount_yen,
            previous_amount_yen=old.amount_yen,
            amount_text=new.amount_text,
            previous_amount_text=old.amount_text,
            amount_low_yen=new.amount_low_yen,
            previous_amount_low_yen=old.amount_low_yen,
            before=old.cells,
            after=new.cells,
        )
    if before.secondary != after.secondary:
        cell_changes.append(
            f"その他の金額 {amounts_text(before.secondary)} → {amounts_text(after.secondary)}"
        )
    if not cell_changes:
        return None
    return Change(
        kind=ChangeKind.ENTRY_CHANGED,
        summary=f"Changed: {new.entity}: " + "; ".join(cell_changes),
        entity=new.entity,
        entity_key=entity_key(new),
        table=new.table,
        amount_yen=new.amount_yen,
        previous_amount_yen=old.amount_yen,
        amount_text=new.amount_text,
        previous_amount_text=old.amount_text,
        amount_low_yen=new.amount_low_yen,
        previous_amount_low_yen=old.amount_low_yen,
        before=old.cells,
        after=new.cells,
    )


def _cell_changes(before: _Side, after: _Side) -> Iterable[str]:
    """Yield "header 'old' → 'new'" for each descriptive cell that differs."""
    old_cells, new_cells = before.descriptive, after.descriptive
    if len(old_cells) != len(new_cells):
        old_text = " / ".join(shown for _, _, shown in old_cells)
        new_text = " / ".join(shown for _, _, shown in new_cells)
        if [f for _, f, _ in old_cells] != [f for _, f, _ in new_cells]:
            a, b = _snippets(old_text, new_text)
            yield f"'{a}' → '{b}'"
        return
    for (old_header, old_form, old_shown), (_, new_form, new_shown) in zip(
        old_cells, new_cells, strict=True
    ):
        if old_form != new_form:
            a, b = _snippets(old_shown, new_shown)
            yield f"{old_header or '?'} '{a}' → '{b}'"


def _snippets(a: str, b: str) -> tuple[str, str]:
    """Both texts cut to the region where they differ, with a little context."""
    if len(a) <= _SNIPPET_WIDTH and len(b) <= _SNIPPET_WIDTH:
        return a, b
    opcodes = [
        op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    if not opcodes:
        return a[:_SNIPPET_WIDTH] + "…", b[:_SNIPPET_WIDTH] + "…"
    a_start = max(0, opcodes[0][1] - _SNIPPET_CONTEXT)
    b_start = max(0, opcodes[0][3] - _SNIPPET_CONTEXT)
    a_end = min(len(a), opcodes[-1][2] + _SNIPPET_CONTEXT, a_start + _SNIPPET_WIDTH)
    b_end = min(len(b), opcodes[-1][4] + _SNIPPET_CONTEXT, b_start + _SNIPPET_WIDTH)
    return _cut(a, a_start, a_end), _cut(b, b_start, b_end)


def _cut(text: str, start: int, end: int) -> str:
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")

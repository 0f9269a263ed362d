"""Rows of one pair of tables matched old → new: by key, by identical cells, then by similarity.

Each step pairs two rows only when their identifying cells agree (watcher.diff.matching,
rule 2). Rows left over on both sides are paired by similarity of their descriptive text
(difflib ratio ≥ 0.9, or ≥ 0.8 when the amount is the same), so a corrected company name
is one ``entry_changed`` rather than a removal plus an addition.

Cells are compared after NFKC, with whitespace, ※ footnote markers and company legal
forms (株式会社 / ㈱) ignored and dates compared as dates; a running number under 番号 /
No. is the row's position and is not compared at all.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from watcher.diff.amounts import amount_of
from watcher.diff.matching import RowIdentity, row_identity_of
from watcher.extract.dates import date_spans, parse_date
from watcher.extract.document import Record
from watcher.extract.identity import (
    classify_label,
    display_text,
    is_amount_text,
    is_running_number,
    norm_company,
    strip_footnotes,
    strip_unit_note,
)

__all__ = ["MAX_PAIRING", "PAIR_RATIO", "PAIR_RATIO_SAME_AMOUNT", "Side", "match_rows", "sides"]

logger = logging.getLogger(__name__)

PAIR_RATIO = 0.9
PAIR_RATIO_SAME_AMOUNT = 0.8
# Beyond this many leftover (old, new) combinations, similarity pairing is skipped.
MAX_PAIRING = 250_000
_WS = re.compile(r"\s+")
_COMPANY_FORMS = re.compile(r"株式会社|合同会社|有限会社|\((?:株|同|有)\)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Side:
    """One record of one snapshot with the forms the comparison needs, computed once."""

    ident: str
    index: int
    record: Record
    descriptive: tuple[tuple[str, str, str], ...]  # (header, compare form, display text)
    secondary: tuple[int, ...]
    text: str  # descriptive text for similarity pairing
    identity: RowIdentity


def sides(records: Sequence[Record]) -> list[Side]:
    """Sides of one table's records; a key seen twice is kept apart by occurrence."""
    out: list[Side] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        ident = record.key
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:  # keys should be unique; if not, keep every row, by occurrence
            ident = f"{ident}#{seen[ident]}"
        descriptive = _descriptive(record)
        out.append(Side(
            ident=ident, index=index, record=record, descriptive=descriptive,
            secondary=record.other_amounts_yen, text="|".join(form for _, form, _ in descriptive),
            identity=row_identity_of(record),
        ))
    return out


def _descriptive(record: Record) -> tuple[tuple[str, str, str], ...]:
    """The record's descriptive cells: amount cells and running numbers left out."""
    out: list[tuple[str, str, str]] = []
    for header, value in record.cells:
        if value == record.amount_text or is_amount_text(value):
            continue
        if classify_label(header) == "index" and is_running_number(value):
            continue  # the row's position, not its content
        out.append((_header_form(header), _cell_form(value), display_text(value)))
    return tuple(out)


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


def match_rows(old: list[Side], new: list[Side]) -> dict[int, Side]:
    """New side index → its old side: by key, by identical cells, then by similarity."""
    partner: dict[int, Side] = {}
    old_by_id = {s.ident: s for s in old}
    for side in new:
        before = old_by_id.get(side.ident)
        if before is not None and before.identity.agrees(side.identity):
            partner[side.index] = before
    used = {s.index for s in partner.values()}
    left_old = [s for s in old if s.index not in used]
    left_new = [s for s in new if s.index not in partner]
    # Identical descriptive cells: the same row under a key built another way (a
    # snapshot stored before a change of the key rules), whatever the table's size.
    by_cells: dict[tuple[tuple[str, str], ...], list[Side]] = defaultdict(list)
    for side in left_old:
        if side.descriptive:
            by_cells[_cells_form(side)].append(side)
    for side in left_new:
        candidates = by_cells.get(_cells_form(side), [])
        match = next((c for c in candidates if c.identity.agrees(side.identity)), None)
        if side.descriptive and match is not None:
            candidates.remove(match)
            partner[side.index] = match
    used = {s.index for s in partner.values()}
    left_old = [s for s in left_old if s.index not in used]
    left_new = [s for s in left_new if s.index not in partner]
    for new_side, old_side in _pair_leftovers(left_old, left_new):
        partner[new_side.index] = old_side
    return partner


def _cells_form(side: Side) -> tuple[tuple[str, str], ...]:
    return tuple((header, form) for header, form, _ in side.descriptive)


def _pair_leftovers(left_old: list[Side], left_new: list[Side]) -> list[tuple[Side, Side]]:
    """Greedy best-first pairing of unmatched rows by similarity, identities agreeing."""
    candidates: list[tuple[float, int, int, Side, Side]] = []
    if len(left_old) * len(left_new) > MAX_PAIRING:
        # A table whose every row changed identity (a column reclassified, say) would
        # cost minutes to pair; its rows are reported as removed and added instead.
        logger.warning(
            "not pairing %d × %d leftover rows by similarity (limit %d)",
            len(left_old), len(left_new), MAX_PAIRING,
        )
        return []
    old_texts = [(side, _pair_text(side)) for side in left_old]
    for new_side in left_new:
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(_pair_text(new_side))  # difflib caches the index of seq2
        for old_side, old_text in old_texts:
            if not old_side.identity.agrees(new_side.identity):
                continue  # another fiscal year, decision date or identifier: another grant
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
    pairs: list[tuple[Side, Side]] = []
    for _, new_index, old_index, new_side, old_side in candidates:
        if new_index in used_new or old_index in used_old:
            continue
        used_new.add(new_index)
        used_old.add(old_index)
        pairs.append((new_side, old_side))
    return pairs


def _pair_text(side: Side) -> str:
    # The key stands in when a record has no descriptive cells (PDF lines, bare rows).
    return norm_company(side.text) if side.text else side.record.key

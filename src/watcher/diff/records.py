"""`table` and `pdf` sources: rows added, removed, re-amounted and edited.

Tables are paired first (headings say which table), then rows within each pair (a row's
own cells say which grant): both rules are in watcher.diff.matching, the row steps in
watcher.diff.rows, the summaries in watcher.diff.phrases. Nothing here is specific to
HTML tables: PDF budget lines are records too (table = section title, key = label).

Amounts are compared as integer yen: 4,760 under （単位：億円） and 476,000 under
（単位：百万円） are the same amount. A pair of tables whose rows were replaced is said as
one ``list_replaced`` change (watcher.diff.rollover). A line repeated verbatim — same
normalised label, same kind of change, same amounts — in several sections of one document
is one change naming every section; the repeats are stored as its members.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from watcher.changes import Change, ChangeKind
from watcher.diff.matching import pair_tables
from watcher.diff.phrases import (
    KEY_SEPARATOR,
    Stages,
    added,
    changed,
    entity_key,
    removed,
    total_appeared,
)
from watcher.diff.rollover import group_rollover, is_rollover
from watcher.diff.rows import match_rows, sides
from watcher.extract.document import Record

__all__ = ["KEY_SEPARATOR", "TOTAL_KEY", "compare_records", "entity_key"]

# The key the table extractor gives a total row (合計, 総計, Total). A total is not
# an approval of its own: one that appears is reported as the table's amount being
# set (amount_changed from none), one that vanishes goes with the rows it summed,
# and a total whose amount changed is an ordinary amount_changed.
TOTAL_KEY = "合計"
_REPEATABLE = (ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED, ChangeKind.AMOUNT_CHANGED)
_SUFFIX = re.compile(r"#\d+$")

Meta = tuple[tuple[str, str], ...]


def compare_records(
    old: tuple[Record, ...], new: tuple[Record, ...], *, old_meta: Meta = (), new_meta: Meta = (),
) -> list[Change]:
    """Changes from `old` to `new` rows: by table (new-page order), then row order, removals last.

    ``old_meta`` / ``new_meta`` are the documents' meta (stage, period), used for words only.
    """
    old_facts, new_facts = dict(old_meta), dict(new_meta)
    stages = Stages(old=old_facts.get("stage"), new=new_facts.get("stage"))
    periods = (old_facts.get("period"), new_facts.get("period"))
    old_tables, new_tables = _by_table(old), _by_table(new)
    pairs = pair_tables(old_tables, new_tables)
    changes: list[Change] = []
    for name, rows in new_tables.items():
        before = old_tables.get(pairs[name], []) if name in pairs else []
        changes += _compare_table(before, rows, stages=stages, periods=periods)
    paired_old = set(pairs.values())
    for name, rows in old_tables.items():
        if name not in paired_old:
            changes += [removed(s, stages) for s in sides(rows) if s.record.key != TOTAL_KEY]
    return _merge_repeated(changes)


def _by_table(records: Sequence[Record]) -> dict[str, list[Record]]:
    tables: dict[str, list[Record]] = {}
    for record in records:
        tables.setdefault(record.table, []).append(record)
    return tables


def _compare_table(
    old: list[Record], new: list[Record], *, stages: Stages,
    periods: tuple[str | None, str | None],
) -> list[Change]:
    old_sides, new_sides = sides(old), sides(new)
    partner = match_rows(old_sides, new_sides)
    changes: list[Change] = []
    for side in new_sides:
        before = partner.get(side.index)
        if before is None and side.record.key == TOTAL_KEY:
            change: Change | None = total_appeared(side, stages)
        else:
            change = added(side, stages) if before is None else changed(before, side, stages)
        if change is not None:
            changes.append(change)
    matched = {s.index for s in partner.values()}
    gone = [s for s in old_sides if s.index not in matched and s.record.key != TOTAL_KEY]
    changes += [removed(s, stages) for s in gone]
    rows = [s for s in old_sides if s.record.key != TOTAL_KEY]
    common = sum(1 for s in partner.values() if s.record.key != TOTAL_KEY)
    fresh = sum(1 for s in new_sides if s.index not in partner and s.record.key != TOTAL_KEY)
    if new and is_rollover(old_rows=len(rows), common=common, removed=len(gone), added=fresh):
        table = new[0].table
        nature = next((r.nature for r in new if r.nature), None)
        return group_rollover(changes, table=table, nature=nature, periods=periods,
                              stage=stages.new)
    return changes


def _line_identity(change: Change) -> str:
    """A change's label as written, whatever section or parent line it stands under."""
    key = (change.entity_key or "").split(KEY_SEPARATOR, 1)[-1]
    key = _SUFFIX.sub("", key)
    if "/うち" in key:  # a うち line keyed under its parent: the line itself is the label
        key = key.rsplit("/うち", 1)[1]
    return key.removeprefix("うち")


def _merge_repeated(changes: list[Change]) -> list[Change]:
    """One change for a line that stands verbatim in several sections, naming them all."""
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for index, change in enumerate(changes):
        if change.kind in _REPEATABLE and change.group is None and change.table is not None:
            signature = (change.kind, _line_identity(change), change.amount_yen,
                         change.previous_amount_yen, change.nature)
            groups[signature].append(index)
    out = list(changes)
    for indexes in groups.values():
        tables = list(dict.fromkeys(changes[i].table for i in indexes))
        if len(tables) < 2:
            continue
        first = changes[indexes[0]]
        also = tuple(t for t in tables if t != first.table and t is not None)
        group = f"repeated\x1f{first.entity_key}"
        sections = "、".join(f"「{t}」" for t in also)
        out[indexes[0]] = replace(first, group=group, also_in=also,
                                  summary=f"{first.summary} (also in {sections})")
        for i in indexes[1:]:
            out[i] = replace(changes[i], group=group)
    return out

"""A table whose rows were replaced (a list that rolled over to its next period) said as one thing.

The rule (watcher.diff.matching, rule 3): a pair of tables that kept at most
``ROLLOVER_COMMON`` of the old table's rows, lost at least ``ROLLOVER_MIN_REMOVED`` and
gained at least one was replaced. Its ``entry_added`` / ``entry_removed`` changes (and a
total row's move) are kept, as members of one ``list_replaced`` change that stands first:

    The list now covers 令和7年10月〜令和8年3月: 13 grant decisions, total 8億9,881万円
    (¥898.8 million); the 14 grant decisions of the previous period (令和6年10月〜令和7年3月)
    are no longer listed

Limits: a list that loses more than half its rows at once is held as suspect before any
diff (watcher.diff.suspect) and is only compared — and so only said as a rollover — once it
is accepted; a list that grows by a new period's rows while keeping the old ones is no
rollover (its additions are alerted one by one).
"""

from __future__ import annotations

from dataclasses import replace

from watcher.changes import Change, ChangeKind
from watcher.diff.matching import ROLLOVER_COMMON, ROLLOVER_MIN_REMOVED
from watcher.extract.yen import format_billions, format_oku
from watcher.labels import nature_noun

__all__ = ["group_rollover", "is_rollover"]


def is_rollover(*, old_rows: int, common: int, removed: int, added: int) -> bool:
    """Whether a pair of tables was replaced rather than edited (totals not counted).

    >>> is_rollover(old_rows=14, common=0, removed=14, added=13)
    True
    >>> is_rollover(old_rows=10, common=9, removed=1, added=1)
    False
    """
    return removed >= ROLLOVER_MIN_REMOVED and added >= 1 and common <= old_rows * ROLLOVER_COMMON


def group_rollover(
    changes: list[Change], *, table: str, nature: str | None, periods: tuple[str | None, str | None],
    stage: str | None = None,
) -> list[Change]:
    """The table's changes with one list_replaced alert first and its members grouped under it."""
    group = f"list_replaced\x1f{table}"
    members = [c for c in changes if _is_member(c)]
    added = [c for c in members if c.kind == ChangeKind.ENTRY_ADDED]
    removed = [c for c in members if c.kind == ChangeKind.ENTRY_REMOVED]
    total = sum(c.amount_yen or 0 for c in added)
    has_amounts = any(c.amount_yen is not None for c in added)
    alert = Change(
        kind=ChangeKind.LIST_REPLACED,
        summary=_summary(table, nature, periods, len(added), len(removed),
                         total if has_amounts else None),
        entity=table, table=table, amount_yen=total if has_amounts else None,
        nature=nature, group=group, stage=stage,
    )
    grouped = [replace(c, group=group) if _is_member(c) else c for c in changes]
    return [alert, *grouped]


def _is_member(change: Change) -> bool:
    # A total row's move belongs to the replaced list too: it is not a cut or a raise.
    return change.kind in (ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED) or (
        change.kind == ChangeKind.AMOUNT_CHANGED and (change.entity_key or "").endswith("\x1f合計")
    )


def _summary(
    table: str, nature: str | None, periods: tuple[str | None, str | None], added: int,
    removed: int, total: int | None,
) -> str:
    old_period, new_period = periods
    head = f"The list now covers {new_period}" if new_period else f"The list 「{table}」 was replaced"
    listed = nature_noun(nature, added)
    if total is not None:
        listed += f", total {format_oku(total)} ({format_billions(total)})"
    gone = nature_noun(nature, removed)
    if old_period and old_period != new_period:
        before = f"the {gone} of the previous period ({old_period})"
    else:
        before = f"the {gone} listed before"
    verb = "is" if removed == 1 else "are"
    return f"{head}: {listed}; {before} {verb} no longer listed"

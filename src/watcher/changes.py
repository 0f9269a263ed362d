"""The Change value: what the diff stage reports and the store records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ChangeKind(StrEnum):
    ENTRY_ADDED = "entry_added"
    ENTRY_REMOVED = "entry_removed"
    AMOUNT_CHANGED = "amount_changed"
    ENTRY_CHANGED = "entry_changed"
    LINK_ADDED = "link_added"
    LINK_REMOVED = "link_removed"
    TEXT_CHANGED = "text_changed"
    # One alert for a table whose rows were replaced (a list rolled over to its next
    # period); its entry_added / entry_removed members are stored under it.
    LIST_REPLACED = "list_replaced"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One real difference between two good snapshots of a source.

    ``amount_yen`` is the amount after the change (for ``entry_removed``, the
    amount the row had); ``before``/``after`` are the row's cells on each side;
    ``diff`` is the diff-match-patch result for ``text_changed`` as a list of
    ``[op, text]`` pairs (op: -1 delete, 0 equal, 1 insert).

    ``nature`` is the record's nature (watcher.labels words the kind by it). ``group``
    ties changes of one compare together: the first change with a group is its alert,
    the others are its members — stored under it, never alerted on their own (a
    replaced list's rows, a line repeated in another section). ``also_in`` names the
    other sections a repeated line stands in; ``stage`` / ``previous_stage`` the budget
    stages of the two documents (概算要求, 予算案, 補正予算, 決定).
    A range (500万円～1,000万円) is ``amount_low_yen`` … ``amount_yen`` (lower and upper
    end), and likewise ``previous_amount_low_yen`` … ``previous_amount_yen``; the low
    ends are None for single amounts and are stored in the details JSON.
    """

    kind: ChangeKind
    summary: str
    entity: str | None = None
    entity_key: str | None = None
    table: str | None = None
    amount_yen: int | None = None
    previous_amount_yen: int | None = None
    # The amounts as the page wrote them (約501億円, 事項要求), for display beside the integers.
    amount_text: str | None = None
    previous_amount_text: str | None = None
    amount_low_yen: int | None = None
    previous_amount_low_yen: int | None = None
    url: str | None = None
    before: tuple[tuple[str, str], ...] | None = None
    after: tuple[tuple[str, str], ...] | None = None
    diff: tuple[tuple[int, str], ...] | None = None
    nature: str | None = None
    group: str | None = None
    also_in: tuple[str, ...] = ()
    stage: str | None = None
    previous_stage: str | None = None

    def details_json(self) -> dict[str, Any]:
        """The parts of a change that are stored as one JSON column."""
        return {
            "table": self.table,
            "amount_text": self.amount_text,
            "previous_amount_text": self.previous_amount_text,
            "amount_low_yen": self.amount_low_yen,
            "previous_amount_low_yen": self.previous_amount_low_yen,
            "before": [list(c) for c in self.before] if self.before is not None else None,
            "after": [list(c) for c in self.after] if self.after is not None else None,
            "diff": [list(d) for d in self.diff] if self.diff is not None else None,
            "nature": self.nature,
            "also_in": list(self.also_in),
            "stage": self.stage,
            "previous_stage": self.previous_stage,
        }

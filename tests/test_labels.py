"""One vocabulary for every surface: a change's words fit what its record is."""

from __future__ import annotations

import pytest

from watcher.changes import ChangeKind
from watcher.labels import NATURES, count_phrase, kind_label, nature_noun


@pytest.mark.parametrize(("kind", "nature", "label"), [
    ("entry_added", "approval", "New approval"),
    ("entry_added", "grant", "New grant decision"),
    ("entry_added", "budget_line", "New budget line"),
    ("entry_added", "item", "New item"),
    ("amount_changed", "budget_line", "Budget line changed"),
    ("amount_changed", "grant", "Grant amount changed"),
    ("entry_removed", "grant", "Grant decision no longer listed"),
    ("list_replaced", "grant", "Grant list replaced"),
    ("link_added", "budget_line", "New link"),
    ("text_changed", None, "Text changed"),
])
def test_a_kind_is_worded_by_the_nature_of_its_record(kind: str, nature: str | None, label: str) -> None:
    assert kind_label(kind, nature) == label


def test_a_change_recorded_before_natures_reads_as_it_always_did() -> None:
    assert kind_label("entry_added") == kind_label("entry_added", "approval") == "New approval"


def test_every_kind_and_nature_has_its_own_words() -> None:
    for kind in ChangeKind:
        for nature in NATURES:
            label = kind_label(kind, nature)
            assert "_" not in label, (kind, nature)
            assert count_phrase([(kind, nature)]).startswith("1 "), (kind, nature)
    assert {kind_label("entry_added", n) for n in NATURES} == {
        "New approval", "New grant decision", "New budget line", "New item"}
    assert kind_label("something_new") == "Something new"  # a kind without words yet


def test_counts_are_listed_in_a_fixed_order_with_the_alert_of_a_replaced_list_first() -> None:
    kinds = [("entry_added", "budget_line"), ("amount_changed", "budget_line"), "link_added",
             ("entry_added", "budget_line"), ("list_replaced", "grant"), ("entry_added", None)]
    assert count_phrase(kinds) == (
        "1 replaced grant list, 1 new approval, 2 new budget lines, 1 budget line change, 1 new link")
    assert nature_noun("grant", 13) == "13 grant decisions"
    assert nature_noun("budget_line", 1) == "1 budget line"

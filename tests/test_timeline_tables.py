"""Replaying the METI table pages' timelines gives exactly the real-world changes, nothing else.

Each demo page is a capture named by its date; consecutive captures go through
extract_tables and compare_records. The expected changes per transition are
written here as data: (kind, entity substring, amount_yen, previous_amount_yen).
Transitions with no entry are redesigns, re-encodings or footer-date changes
and must give no change at all.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from watcher.diff.records import compare_records
from watcher.extract.document import Page, Record
from watcher.extract.table import extract_tables

DEMO = Path(__file__).resolve().parents[1] / "src/watcher/demo_data/pages"

Expected = tuple[str, str, int | None, int | None]

TIMELINES: dict[str, dict[str, list[Expected]]] = {
    "meti-semiconductor-plans": {
        "2022-06-20": [],  # first capture (Shift_JIS, full-width digits)
        "2022-07-29": [
            (
                "entry_added",
                "キオクシア株式会社・ウエスタンデジタル合同会社 — 三重県四日市市(四日市工場)",
                92_930_000_000,
                None,
            )
        ],
        "2022-10-03": [
            (
                "entry_added",
                "マイクロンメモリジャパン株式会社 — 広島県東広島市(広島工場):1β世代DRAM",
                46_470_000_000,
                None,
            )
        ],
        "2023-04-14": [],  # moved to the UTF-8 template; unit note moved into the header
        "2023-10-06": [("entry_added", "1γ世代DRAM", 167_000_000_000, None)],
        "2024-02-08": [("entry_added", "キオクシア岩手株式会社", 150_000_000_000, None)],
        "2024-02-27": [
            ("entry_added", "(第2工場)", 732_000_000_000, None)
        ],  # and a ※3 mark on Kioxia/WD
        "2025-09-19": [("entry_added", "先端DRAM(HBM)", 500_000_000_000, None)],
    },
    "meti-semiconductor-plans-en": {
        "2022-06-20": [],
        "2024-02-27": [  # JPY 476,000 million → JPY 476.0 billion on the first row is no change
            ("entry_added", "(Fab 2)", 732_000_000_000, None),
            ("entry_added", "6th-generation", 92_930_000_000, None),
            ("entry_added", "8th- and 9th-generation", 150_000_000_000, None),
            ("entry_added", "1-beta", 46_470_000_000, None),
            ("entry_added", "1-gamma", 167_000_000_000, None),
        ],
        "2025-09-19": [("entry_added", "HBM", 500_000_000_000, None)],
    },
    "meti-cloud-program": {
        "2024-04-10": [],
        "2024-04-19": [
            ("entry_added", "さくらインターネット株式会社", 50_100_000_000, None),
            ("entry_added", "KDDI株式会社", 10_240_000_000, None),
            (
                "entry_added",
                "株式会社ハイレゾ・株式会社ハイレゾ香川(共同申請)",
                7_700_000_000,
                None,
            ),
            ("entry_added", "株式会社RUTILEA・AI福島株式会社(共同申請)", 2_560_000_000, None),
            ("entry_added", "GMOインターネットグループ株式会社", 1_930_000_000, None),
            # the 合計 row is not an approval of its own: the table's total is set
            ("amount_changed", "合計", 72_500_000_000, None),
        ],
    },
}


def load(path: Path) -> tuple[Record, ...]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp932")  # the 2022 METI pages, declared in <meta> only
    doc = extract_tables(Page(url="https://www.meti.go.jp/", text=text))
    assert doc.suspect_reason is None
    return doc.records


def transitions() -> list[tuple[str, str, str]]:
    out = []
    for source, versions in TIMELINES.items():
        dates = list(versions)
        out += [(source, before, after) for before, after in itertools.pairwise(dates)]
    return out


@pytest.mark.parametrize("source", list(TIMELINES))
def test_timeline_lists_every_capture(source: str) -> None:
    captures = sorted(p.stem for p in (DEMO / source).glob("*.html"))
    assert captures == list(TIMELINES[source])


@pytest.mark.parametrize(("source", "before", "after"), transitions(), ids=lambda v: str(v))
def test_each_transition_gives_exactly_the_expected_changes(
    source: str, before: str, after: str
) -> None:
    old = load(DEMO / source / f"{before}.html")
    new = load(DEMO / source / f"{after}.html")
    changes = compare_records(old, new)
    expected = TIMELINES[source][after]
    assert len(changes) == len(expected), [c.summary for c in changes]
    for change, (kind, entity, amount, previous) in zip(changes, expected, strict=True):
        assert change.kind.value == kind
        assert entity in (change.entity or ""), change.entity
        assert (change.amount_yen, change.previous_amount_yen) == (amount, previous)


def test_replaying_the_semiconductor_timeline_adds_up_to_the_final_list() -> None:
    source = DEMO / "meti-semiconductor-plans"
    added = 0
    previous: tuple[Record, ...] = ()
    for capture in TIMELINES["meti-semiconductor-plans"]:
        current = load(source / f"{capture}.html")
        added += sum(c.amount_yen or 0 for c in compare_records(previous, current))
        previous = current
    # 4,760 + 929.3 + 464.7 + 1,670 + 1,500 + 7,320 + 5,000 億円
    assert added == 2_164_400_000_000

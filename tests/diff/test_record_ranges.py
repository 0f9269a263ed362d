"""Ranges diff on both ends; a page read anew by a better parser raises no alert."""

from __future__ import annotations

from pathlib import Path

from watcher.changes import ChangeKind
from watcher.diff.records import compare_records
from watcher.extract.document import Page, Record
from watcher.extract.table import extract_tables

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests/fixtures/pages/meti-digital-subsidies"
MAN = 10**4
OKU = 10**8
TABLE = "採択事業者一覧"


def records_of(name: str) -> tuple[Record, ...]:
    html = (PAGES / name).read_text("utf-8")
    return extract_tables(Page(url="https://www.meti.go.jp/x.html", text=html)).records


def limit(key: str, amount: int | None, low: int | None, text: str) -> Record:
    """A row of the results table with its 補助上限額 cell."""
    return Record(
        table=TABLE,
        key=key,
        entity=f"株式会社{key}",
        cells=(("事業者名", f"株式会社{key}"), ("補助上限額", text)),
        amount_yen=amount,
        amount_low_yen=low,
        amount_text=text,
    )


def test_the_next_version_of_the_results_page() -> None:
    changes = compare_records(records_of("2025-06-30.html"), records_of("2025-07-15.html"))
    assert [(c.kind, c.entity) for c in changes] == [
        (ChangeKind.AMOUNT_CHANGED, "株式会社東北マイクロデバイス — 宮城県仙台市:パワー半導体の後工程"),
        (ChangeKind.AMOUNT_CHANGED, "株式会社関西フォトニクス — 大阪府茨木市:光電融合デバイス"),
        (ChangeKind.ENTRY_CHANGED, "先端半導体の生産基盤整備"),
    ]  # 北海道データセンター: its figure lost its spaces, which is no change
    raised, wider, budget = changes
    assert (raised.previous_amount_low_yen, raised.previous_amount_yen) == (500 * MAN, 1_000 * MAN)
    assert (raised.amount_low_yen, raised.amount_yen) == (500 * MAN, 1_500 * MAN)
    assert raised.summary.endswith(
        "補助上限額 500万円～1,000万円 → 500万円～1,500万円 "
        "(upper +500万円; ¥5.0 million to ¥15.0 million)"
    )
    assert "5億円～10億円程度 → 5億円～12億円程度 (upper +2億円;" in wider.summary
    assert "その他の金額 △12億円 → △15億円" in budget.summary


def test_a_raised_upper_limit_is_an_amount_change() -> None:
    old = limit("東北マイクロデバイス", 1_000 * MAN, 500 * MAN, "500万～1,000万円")
    new = limit("東北マイクロデバイス", 2_000 * MAN, 500 * MAN, "500万～2,000万円")
    (change,) = compare_records((old,), (new,))
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert change.details_json()["amount_low_yen"] == 500 * MAN
    assert change.details_json()["previous_amount_low_yen"] == 500 * MAN


def test_a_lowered_lower_end_alone_is_an_amount_change() -> None:
    old = limit("九州シリコン", 2 * OKU, 1 * OKU, "1億～2億円")
    new = limit("九州シリコン", 2 * OKU, OKU // 2, "5,000万～2億円")
    (change,) = compare_records((old,), (new,))
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert "(lower −5,000万円;" in change.summary


def test_a_single_amount_becoming_a_range_says_so() -> None:
    old = limit("関西フォトニクス", 10 * OKU, None, "10億円")
    new = limit("関西フォトニクス", 10 * OKU, 5 * OKU, "5億～10億円")
    (change,) = compare_records((old,), (new,))
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert "10億円 → 5億円～10億円 (now a range;" in change.summary


def test_new_and_removed_rows_carry_their_range() -> None:
    row = limit("東北マイクロデバイス", 1_000 * MAN, 500 * MAN, "500万～1,000万円")
    (added,) = compare_records((), (row,))
    (removed,) = compare_records((row,), ())
    for change in (added, removed):
        assert (change.amount_low_yen, change.amount_yen) == (500 * MAN, 1_000 * MAN)
        assert "補助上限額 500万円～1,000万円 (¥5.0 million to ¥10.0 million)" in change.summary


def test_a_snapshot_read_before_ranges_and_spaces_raises_no_alert() -> None:
    """The same cell text read anew (old snapshots kept only the upper end, or the tail of
    a spaced figure) is the parser's correction, not a change on the page."""
    before = (
        limit("東北マイクロデバイス", 1_000 * MAN, None, "500万～1,000万円"),
        limit("北海道データセンター", 7_890, None, "3億　2,456 万　7,890 円"),
    )
    after = (
        limit("東北マイクロデバイス", 1_000 * MAN, 500 * MAN, "500万～1,000万円"),
        limit("北海道データセンター", 324_567_890, None, "3億　2,456 万　7,890 円"),
    )
    assert compare_records(before, after) == []


def test_the_same_text_under_another_unit_header_is_still_a_change() -> None:
    old = Record(table=TABLE, key="k", entity="k", cells=(("予算額（億円）", "1,670"),),
                 amount_yen=1_670 * OKU, amount_text="1,670")
    new = Record(table=TABLE, key="k", entity="k", cells=(("予算額（百万円）", "1,670"),),
                 amount_yen=1_670 * 10**6, amount_text="1,670")
    (change,) = compare_records((old,), (new,))
    assert change.kind is ChangeKind.AMOUNT_CHANGED

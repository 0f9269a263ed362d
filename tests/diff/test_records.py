"""Record diff: rows matched by identity, then by similarity; amounts compared as integers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from watcher.changes import ChangeKind
from watcher.diff.records import compare_records, entity_key
from watcher.extract.document import Page, Record
from watcher.extract.table import extract_tables

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src/watcher/demo_data/pages"
PAGES = ROOT / "tests/fixtures/pages"

MICRON = "マイクロンメモリジャパン株式会社"
TABLE = "認定計画一覧"


def records_of(path: Path) -> tuple[Record, ...]:
    return extract_tables(Page(url="https://www.meti.go.jp/", text=path.read_text("utf-8"))).records


def row(
    key: str,
    amount: int | None,
    *,
    name: str = MICRON,
    outline: str = "広島県東広島市（広島工場）：1γ世代DRAM",
    amount_text: str | None = None,
    date: str = "令和5年10月3日",
    table: str = TABLE,
    header: str = "最大助成額（億円）※1",
) -> Record:
    """A row of the METI list as the table extractor would produce it."""
    if amount_text is not None:
        text = amount_text
    elif not amount:
        text = ""
    elif amount % 10**7 == 0:  # 1,670 under （億円）
        text = f"{amount / 10**8:,.1f}".removesuffix(".0")
    else:  # the cell's own unit: every row says what its amount is
        text = f"{amount:,}円"
    return Record(
        table=table,
        key=key,
        entity=f"{name} — {outline.split('：')[0]}",
        cells=(("認定日", date), ("認定事業者", name), ("計画の概要", outline), (header, text)),
        amount_yen=amount,
        amount_text=text,
    )


# ---------------------------------------------------------------- fixture pages


def test_revised_amount_is_one_amount_changed_with_both_figures() -> None:
    base = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    revised = records_of(PAGES / "meti-semiconductor-plans/change-amount-revised.html")
    (change,) = compare_records(base, revised)
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert (change.previous_amount_yen, change.amount_yen) == (167_000_000_000, 192_000_000_000)
    assert change.summary == (
        "マイクロンメモリジャパン株式会社 — 広島県東広島市(広島工場):EUV露光技術を用いた1γ世代DRAM: "
        "最大助成額 1,670億円 → 1,920億円 (+250億円, ¥192.0 billion)"
    )
    assert change.table == TABLE
    assert (
        change.entity_key
        == f"{TABLE}\x1fマイクロンメモリジャパン|広島県東広島市広島工場euv露光技術を用いた1γ世代dram"
    )


def test_corrected_company_name_is_one_entry_changed_not_removed_and_added() -> None:
    typo = records_of(PAGES / "meti-semiconductor-plans/change-name-typo.html")
    fixed = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    (change,) = compare_records(typo, fixed)
    assert change.kind is ChangeKind.ENTRY_CHANGED
    assert "ウェスタンデジタル合同会社' → '" in change.summary
    assert change.summary.startswith(
        "Changed: キオクシア株式会社・キオクシア岩手株式会社・ウエスタンデジタル合同会社 — "
    )
    assert change.amount_yen == 150_000_000_000
    assert change.before is not None
    assert change.after is not None
    assert change.before[1][1].endswith("ウェスタンデジタル合同会社")
    assert change.after[1][1].endswith("ウエスタンデジタル合同会社")


def test_one_row_removed_from_a_rowspan_group_is_one_entry_removed() -> None:
    base = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    removed = records_of(PAGES / "meti-semiconductor-plans/change-row-removed.html")
    (change,) = compare_records(base, removed)
    assert change.kind is ChangeKind.ENTRY_REMOVED
    assert change.amount_yen == 167_000_000_000
    assert change.summary == (
        "Removed: マイクロンメモリジャパン株式会社 — 広島県東広島市(広島工場):EUV露光技術を用いた1γ世代DRAM: "
        "最大助成額 1,670億円 (¥167.0 billion)"
    )


def test_one_row_of_ten_removed_is_one_entry_removed() -> None:
    ten = records_of(PAGES / "meti-semiconductor-plans/change-ten-rows.html")
    nine = records_of(PAGES / "meti-semiconductor-plans/change-ten-rows-one-removed.html")
    assert (len(ten), len(nine)) == (10, 9)
    (change,) = compare_records(ten, nine)
    assert change.kind is ChangeKind.ENTRY_REMOVED
    assert change.amount_yen == 150_000_000_000
    assert "四日市工場・北上工場" in (change.entity or "")


# ---------------------------------------------------------------- no change


def test_identical_and_reordered_rows_give_no_change() -> None:
    rows = (
        row("m|1b", 46_470_000_000),
        row("m|1g", 167_000_000_000),
        row("m|hbm", 500_000_000_000),
    )
    assert compare_records(rows, rows) == []
    assert compare_records(rows, rows[::-1]) == []


def test_same_amount_written_in_another_unit_is_no_change() -> None:
    oku = row("m|1g", 167_000_000_000, amount_text="1,670", header="最大助成額（億円）")
    million = row("m|1g", 167_000_000_000, amount_text="167,000", header="最大助成額（百万円）")
    english = row(
        "m|1g", 167_000_000_000, amount_text="JPY 167.0 billion", header="Maximum subsidy"
    )
    assert compare_records((oku,), (million,)) == []
    assert compare_records((million,), (english,)) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("マイクロンメモリジャパン株式会社", "マイクロンメモリジャパン株式会社※2"),
        ("マイクロンメモリジャパン株式会社", "マイクロンメモリ　ジャパン 株式会社"),
        ("マイクロンメモリジャパン株式会社", "マイクロンメモリジャパン㈱"),
        ("ＫＤＤＩ株式会社", "KDDI株式会社"),
    ],
)
def test_width_spacing_footnotes_and_legal_form_are_no_change(before: str, after: str) -> None:
    assert compare_records((row("m", 1, name=before),), (row("m", 1, name=after),)) == []


def test_a_date_written_another_way_is_no_change() -> None:
    assert (
        compare_records((row("m", 1, date="令和5年10月3日"),), (row("m", 1, date="R5.10.3"),)) == []
    )


# ---------------------------------------------------------------- the four kinds


def test_new_row_reads_new_with_japanese_and_english_figures() -> None:
    old = (row("m|1g", 167_000_000_000),)
    new = (
        *old,
        row("m|hbm", 500_000_000_000, outline="広島県東広島市（広島工場）：先端DRAM（HBM）"),
    )
    (change,) = compare_records(old, new)
    assert change.kind is ChangeKind.ENTRY_ADDED
    assert (
        change.summary
        == f"New: {MICRON} — 広島県東広島市（広島工場）: 最大助成額 5,000億円 (¥500.0 billion)"
    )
    assert (change.amount_yen, change.previous_amount_yen) == (500_000_000_000, None)
    assert change.after == new[1].cells
    assert change.before is None


def test_approximate_amounts_keep_their_yaku() -> None:
    (change,) = compare_records(
        (), (row("kddi", 10_240_000_000, name="KDDI株式会社", amount_text="約102.4億円"),)
    )
    assert change.summary.endswith(": 最大助成額 約102.4億円 (¥10.24 billion)")


def test_amount_change_reads_old_new_delta_and_billions() -> None:
    old = (row("m|hbm", 167_000_000_000),)
    new = (row("m|hbm", 500_000_000_000),)
    (change,) = compare_records(old, new)
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert change.summary == (
        f"{MICRON} — 広島県東広島市（広島工場）: 最大助成額 1,670億円 → 5,000億円 (+3,330億円, ¥500.0 billion)"
    )


def test_amount_decrease_and_amount_appearing() -> None:
    (down,) = compare_records((row("m", 500_000_000_000),), (row("m", 400_000_000_000),))
    assert "5,000億円 → 4,000億円 (−1,000億円, ¥400.0 billion)" in down.summary
    (appears,) = compare_records((row("m", None),), (row("m", 100_000_000_000),))
    assert appears.kind is ChangeKind.AMOUNT_CHANGED
    assert "(no amount) → 1,000億円 (¥100.0 billion)" in appears.summary


def test_removed_row_carries_the_amount_it_had() -> None:
    (change,) = compare_records((row("m|1b", 46_470_000_000),), ())
    assert change.kind is ChangeKind.ENTRY_REMOVED
    assert change.amount_yen == 46_470_000_000
    assert (
        change.summary
        == f"Removed: {MICRON} — 広島県東広島市（広島工場）: 最大助成額 464.7億円 (¥46.47 billion)"
    )


def test_changed_outline_quotes_the_differing_part() -> None:
    long = "広島県東広島市（広島工場）：1γ世代DRAM。EUV露光装置を導入し、次世代DRAMを量産する。生産開始は2025年を予定。"
    edited = long.replace("2025年", "2026年")
    (change,) = compare_records((row("m", 1, outline=long),), (row("m", 1, outline=edited),))
    assert change.kind is ChangeKind.ENTRY_CHANGED
    assert change.summary.startswith(
        f"Changed: {MICRON} — 広島県東広島市（広島工場）: 計画の概要 '…"
    )
    assert "2025年" in change.summary
    assert "2026年" in change.summary
    assert "' → '…" in change.summary


def test_amount_change_also_names_other_cell_changes() -> None:
    (change,) = compare_records(
        (row("m", 100_000_000_000, date="令和5年10月3日"),),
        (row("m", 120_000_000_000, date="令和6年1月5日（変更認定）"),),
    )
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert change.summary.endswith("; 認定日 '令和5年10月3日' → '令和6年1月5日(変更認定)'")


def test_secondary_amount_change_is_an_entry_change() -> None:
    base = row("m", 100_000_000_000)
    old = Record(**{**_fields(base), "other_amounts_yen": (10_000_000_000,)})
    new = Record(**{**_fields(base), "other_amounts_yen": (12_000_000_000,)})
    (change,) = compare_records((old,), (new,))
    assert change.kind is ChangeKind.ENTRY_CHANGED
    assert change.summary.endswith("その他の金額 100億円 → 120億円")


def _fields(record: Record) -> dict[str, object]:
    return {name: getattr(record, name) for name in Record.__slots__}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- similarity pairing


def test_corrected_name_pairs_when_nearly_equal_whatever_the_amount() -> None:
    # Descriptive texts ≈ 0.96 alike: paired even though the amount changed too.
    old = row("westan", 167_000_000_000, name="キオクシア株式会社 ウェスタンデジタル合同会社",
              outline="四日市")
    new = row("ueesutan", 192_000_000_000, name="キオクシア株式会社 ウエスタンデジタル合同会社",
              outline="四日市")
    (change,) = compare_records((old,), (new,))
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert change.entity_key == f"{TABLE}\x1fueesutan"
    assert "ウェスタンデジタル" in change.summary
    assert "ウエスタンデジタル" in change.summary


@pytest.mark.parametrize(
    ("new_amount", "kinds"),
    [
        (1, [ChangeKind.ENTRY_CHANGED]),
        (2, [ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED]),
    ],
)
def test_less_alike_leftovers_pair_only_when_the_amount_is_the_same(
    new_amount: int, kinds: list[ChangeKind]
) -> None:
    # A joint applicant dropped: descriptive texts ≈ 0.88 alike, between the two thresholds.
    three = "キオクシア株式会社 キオクシア岩手株式会社 ウエスタンデジタル合同会社"
    two = "キオクシア株式会社 ウエスタンデジタル合同会社"
    old = row("k3", 1, name=three, outline="四日市")
    new = row("k2", new_amount, name=two, outline="四日市")
    assert [c.kind for c in compare_records((old,), (new,))] == kinds


def test_unlike_leftovers_are_an_addition_and_a_removal() -> None:
    old = row("a", 1, name="株式会社ハイレゾ", outline="香川県：GPUデータセンター")
    new = row("c", 1, name="さくらインターネット株式会社", outline="北海道石狩市：GPUクラウド")
    kinds = [c.kind for c in compare_records((old,), (new,))]
    assert kinds == [ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED]


def test_leftovers_are_paired_only_within_their_table() -> None:
    # 「半導体」 has no partner in the new page: its row is gone, though a row just like
    # it now stands in 「クラウド」 (tables that differ in words, not only in their year).
    kddi = row("kddi", 5, table="クラウド", name="KDDI株式会社", outline="GPU計算基盤")
    old = (row("a", 1, table="半導体"), kddi)
    new = (kddi, row("b", 1, table="クラウド", name=MICRON + " "))
    kinds = [(c.kind, c.table) for c in compare_records(old, new)]
    assert kinds == [(ChangeKind.ENTRY_ADDED, "クラウド"), (ChangeKind.ENTRY_REMOVED, "半導体")]


def test_the_most_similar_leftover_wins() -> None:
    old = (
        row("x1", 1, outline="熊本県菊陽町（第1工場）：22/28nm・12/16nmロジック半導体"),
        row("x2", 2, outline="熊本県菊陽町（第2工場）：6nm・12nm・40nmロジック半導体"),
    )
    new = (
        row("y2", 2, outline="熊本県菊陽町（第２工場）：6nm・12nm・40nm ロジック半導体。"),
        row("y1", 1, outline="熊本県菊陽町（第１工場）：22/28nm・12/16nm ロジック半導体。"),
    )
    changes = compare_records(old, new)
    assert [(c.kind, c.entity_key) for c in changes] == [
        (ChangeKind.ENTRY_CHANGED, f"{TABLE}\x1fy2"),
        (ChangeKind.ENTRY_CHANGED, f"{TABLE}\x1fy1"),
    ]


# ---------------------------------------------------------------- order and shape


def test_order_is_by_table_then_new_page_order_with_removals_last() -> None:
    old = (
        row("gone", 1, table="A"),
        row("kept", 2, table="A", outline="x"),
        row("other-gone", 3, table="B", name="さくらインターネット株式会社", outline="北海道"),
    )
    new = (
        row("new-b", 4, table="B", name="KDDI株式会社", outline="GPU"),
        row("kept", 5, table="A", outline="x"),
        row("new-a", 6, table="A", name="GMOインターネットグループ株式会社", outline="GPU"),
    )
    changes = compare_records(old, new)
    assert [(c.kind.value, c.entity_key) for c in changes] == [
        ("entry_added", "B\x1fnew-b"),
        ("entry_removed", "B\x1fother-gone"),
        ("amount_changed", "A\x1fkept"),
        ("entry_added", "A\x1fnew-a"),
        ("entry_removed", "A\x1fgone"),
    ]
    assert compare_records(old, new) == changes  # deterministic


def test_pdf_budget_lines_compare_by_section_and_label() -> None:
    def line(label: str, amount: int) -> Record:
        return Record(
            table="AI・半導体",
            key=label,
            entity=label,
            cells=(("項目", label), ("令和8年度予算案", f"{amount // 10**8:,}億円")),
            amount_yen=amount,
            amount_text=f"{amount // 10**8:,}億円",
        )

    old = (line("ラピダス", 100_000_000_000),)
    new = (line("ラピダス", 150_000_000_000), line("重要鉱物", 5_000_000_000))
    changes = compare_records(old, new)
    assert [c.kind for c in changes] == [ChangeKind.AMOUNT_CHANGED, ChangeKind.ENTRY_ADDED]
    assert (
        changes[0].summary
        == "ラピダス: 令和8年度予算案 1,000億円 → 1,500億円 (+500億円, ¥150.0 billion)"
    )
    assert changes[1].summary == "New: 重要鉱物: 令和8年度予算案 50億円 (¥5.0 billion)"


def test_duplicate_identities_in_one_snapshot_are_kept_apart_by_occurrence() -> None:
    a, b = row("same", 1), row("same", 2)
    assert compare_records((a, b), (a, b)) == []
    (change,) = compare_records((a,), (a, b))
    assert change.kind is ChangeKind.ENTRY_ADDED
    assert change.amount_yen == 2


def test_entity_key_joins_table_and_key_with_unit_separator() -> None:
    assert entity_key(row("k", 1, table="T")) == "T\x1fk"


def test_a_total_row_is_an_amount_never_a_new_approval() -> None:
    def total(amount: int) -> Record:
        return Record(table="クラウドプログラム", key="合計", entity="合計",
                      cells=(("事業者名", "合計"), ("最大助成額", f"約{amount // 10**8}億円")),
                      amount_yen=amount, amount_text=f"約{amount // 10**8}億円")

    def row(name: str, amount: int) -> Record:
        return Record(table="クラウドプログラム", key=name, entity=name,
                      cells=(("事業者名", name), ("最大助成額", f"約{amount // 10**8}億円")),
                      amount_yen=amount)

    first = (row("さくらインターネット", 50_100_000_000), total(50_100_000_000))
    second = (*first[:1], row("KDDI", 10_240_000_000), total(60_340_000_000))
    appeared = compare_records((), first)
    assert [(c.kind, c.entity, c.previous_amount_yen) for c in appeared] == [
        (ChangeKind.ENTRY_ADDED, "さくらインターネット", None),
        (ChangeKind.AMOUNT_CHANGED, "合計", None)]
    assert appeared[1].summary == "Total: クラウドプログラム: 最大助成額 約501億円 (¥50.1 billion)"
    changes = compare_records(first, second)
    assert [(c.kind, c.entity) for c in changes] == [
        (ChangeKind.ENTRY_ADDED, "KDDI"), (ChangeKind.AMOUNT_CHANGED, "合計")]
    assert [c.kind for c in compare_records(second, first[:1])] == [ChangeKind.ENTRY_REMOVED]


# ---------------------------------------------------------------- snippets


def test_a_quoted_cell_change_never_cuts_a_number() -> None:
    # The differing part starts 12 characters after the middle of the amount: the quote
    # used to begin "…29,810円".
    base = "令和7年度エネルギー構造高度化・転換理解促進事業費補助金の交付決定額 7,729,810円、所管は四国愛媛大学"
    old = row("m", 1, outline=base)
    new = row("m", 1, outline=base.replace("愛媛大学", "国立大学法人愛媛大学"))
    (change,) = compare_records((old,), (new,))
    quoted = change.summary.split(": 計画の概要 ", 1)[1]
    assert quoted == "'…7,729,810円、所管は四国愛媛大学' → '…7,729,810円、所管は四国国立大学法人愛媛大学'"


def test_a_text_change_summary_never_ends_inside_a_number() -> None:
    from watcher.diff.text import compare_text

    (change,) = compare_text("", "令和7年度の交付決定額は合計 7,729,810円 となりました。" * 5)
    assert change.summary.endswith("…」")
    assert not re.search(r"[0-9,]…", change.summary)

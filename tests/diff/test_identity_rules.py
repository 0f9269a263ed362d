"""The two identity rules together: headings say which table; a row's own cells say which grant.

(watcher.diff.matching states them.) Pages here are METI-like tables and grant ledgers the
project writes itself; a stored snapshot in the format written before these rules compares
with a new extraction without a false change.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from watcher.changes import Change, ChangeKind
from watcher.diff import compare
from watcher.diff.matching import pair_tables
from watcher.extract.document import Document, Page, Record
from watcher.extract.stage import title_identity
from watcher.extract.table import extract_tables

from support.ledgers import FY2024_H2, FY2025_H2, Grant, ledger_page, revised

STORED = Path(__file__).resolve().parents[1] / "fixtures/stored"
URL = "https://www.shikoku.meti.go.jp/02_soshikiinfos/04_kaikei/hojokin.html"


def doc(html: str) -> Document:
    return extract_tables(Page(url=URL, text=html))


def kinds(changes: list[Change]) -> Counter[str]:
    return Counter(c.kind.value for c in changes)


PLANS = [
    ("令和4年6月17日", "Japan Advanced Semiconductor Manufacturing株式会社", "熊本県菊陽町（第1工場）：ロジック半導体", "4,760"),
    ("令和4年7月26日", "キオクシア株式会社・ウエスタンデジタル合同会社", "三重県四日市市（四日市工場）：3次元フラッシュメモリ", "929.3"),
    ("令和4年9月30日", "マイクロンメモリジャパン株式会社", "広島県東広島市（広島工場）：1β世代DRAM", "464.7"),
    ("令和5年10月3日", "マイクロンメモリジャパン株式会社", "広島県東広島市（広島工場）：1γ世代DRAM", "1,670"),
    ("令和6年2月6日", "キオクシア株式会社・キオクシア岩手株式会社", "三重県四日市市・岩手県北上市：第8世代・第9世代3次元フラッシュメモリ", "1,500"),
    ("令和6年2月24日", "Japan Advanced Semiconductor Manufacturing株式会社", "熊本県菊陽町（第2工場）：6nm・12nm・40nmロジック半導体", "7,320"),
    ("令和7年9月12日", "マイクロンメモリジャパン株式会社", "広島県東広島市（広島工場）：先端DRAM（HBM）", "5,000"),
]


def plans_page(caption: str, rows: list[tuple[str, str, str, str]], heading: str = "認定計画一覧") -> str:
    body = "".join(f"<tr><td>{d}</td><td>{n}</td><td>{p}</td><td>{a}</td></tr>" for d, n, p, a in rows)
    return f"""<html><head><meta charset="utf-8"><title>特定半導体生産施設整備等計画の認定（METI/経済産業省）</title></head>
<body><div id="__main_contents"><h1>特定半導体生産施設整備等計画の認定</h1>
<h2>{heading}</h2>
<table><caption>{caption}（単位：億円）</caption>
<thead><tr><th scope="col">認定日</th><th scope="col">認定事業者</th><th scope="col">計画の概要</th><th scope="col">最大助成額</th></tr></thead>
<tbody>{body}</tbody></table></div>
<div id="__rdo_update">最終更新日：令和7年9月19日</div></body></html>"""


# ------------------------------------------------------------------ rule 1: which table


@pytest.mark.parametrize(("old", "new"), [
    ("令和7年度 認定計画一覧", "令和8年度 認定計画一覧"),
    ("認定計画一覧（令和7年3月31日現在・7件）", "認定計画一覧（令和7年9月19日現在）"),
    ("FY2025 認定計画一覧", "2026年度 認定計画一覧"),
])
def test_a_caption_whose_year_date_or_count_changed_while_rows_stay_gives_no_change(old: str, new: str) -> None:
    assert compare(doc(plans_page(old, PLANS)), doc(plans_page(new, PLANS))) == []


def test_a_caption_renamed_in_words_with_the_same_rows_is_the_same_table() -> None:
    before = doc(plans_page("認定計画一覧", PLANS))
    after = doc(plans_page("認定済み計画一覧", PLANS, heading="認定済みの計画"))
    assert {r.table for r in after.records} == {"認定済み計画一覧"}  # people see today's caption
    assert compare(before, after) == []


def test_renamed_table_with_six_amounts_changed_and_one_new_line() -> None:
    old = PLANS[:6]
    new = [(d, n, p, f"{float(a.replace(',', '')) + 10:,.1f}".removesuffix(".0")) for d, n, p, a in old]
    new.append(PLANS[6])
    changes = compare(doc(plans_page("令和6年度 認定計画一覧", old)),
                      doc(plans_page("令和7年度 認定済み計画一覧", new)))
    assert kinds(changes) == {"amount_changed": 6, "entry_added": 1}
    assert all(c.table == "令和7年度 認定済み計画一覧" for c in changes)
    assert all(c.nature == "approval" for c in changes)


def test_tables_pair_one_to_one_by_name_then_identity_then_row_overlap() -> None:
    def rec(table: str, key: str) -> Record:
        return Record(table=table, key=key, entity=key)

    old = {"令和6年度の認定": [rec("x", "a"), rec("x", "b")], "参考": [rec("y", "c")],
           "2．今後の予定": [rec("z", "d"), rec("z", "e")]}
    new = {"参考": [rec("y", "q")], "令和7年度の認定": [rec("x", "a"), rec("x", "b")],
           "スケジュール": [rec("z", "d"), rec("z", "e"), rec("z", "f")], "新設": [rec("w", "g")]}
    assert pair_tables(old, new) == {"参考": "参考", "令和7年度の認定": "令和6年度の認定",
                                     "スケジュール": "2．今後の予定"}


def test_title_identity_drops_years_periods_stages_counts_and_numbering() -> None:
    same = ["令和8年度 経済産業省関係 概算要求のポイント", "令和8年度経済産業省関係予算案の概要",
            "令和7年度 経済産業省関係 補正予算案のポイント", "FY2026 経済産業省関係 予算（案）"]
    assert {title_identity(t) for t in same} == {"経済産業省関係"}
    assert title_identity("1．AI・半導体") == title_identity("3. AI・半導体")
    assert title_identity("認定計画一覧") != title_identity("クラウドプログラムの認定")


# ------------------------------------------------------------------ rule 2: which grant


def test_ledger_columns_have_roles_and_the_entity_is_the_recipient_and_project() -> None:
    (first, *_) = doc(ledger_page(FY2024_H2)).records
    assert first.entity == "香川県 — 令和6年度電源立地地域対策交付金【香川県下期1:移出県】"
    assert first.identifiers == (("法人番号", "4000020370002"),)
    assert first.nature == "grant"
    assert (first.amount_yen, first.amount_text) == (12_480_000, "12,480,000")
    assert "非該当" not in first.key
    assert "4000020370002" not in first.key


def test_a_real_revision_same_decision_same_date_is_one_amount_changed() -> None:
    before = doc(ledger_page(FY2024_H2))
    after = doc(ledger_page(revised(FY2024_H2, 2, "99,100,000")))
    (change,) = compare(before, after)
    assert change.kind is ChangeKind.AMOUNT_CHANGED
    assert (change.previous_amount_yen, change.amount_yen) == (98_760_000, 99_100_000)
    assert change.entity == "坂出市 — 令和6年度電源立地地域対策交付金【坂出市下期:長期】"


def test_a_revised_decision_date_marked_as_a_revision_keeps_the_identity() -> None:
    row = FY2024_H2[0]
    moved = Grant(row.project, row.recipient, row.number, "13,000,000", "令和7年2月3日（変更交付決定）")
    (change,) = compare(doc(ledger_page((row,))), doc(ledger_page((moved,))))
    assert change.kind is ChangeKind.AMOUNT_CHANGED


@pytest.mark.parametrize("field", ["project", "decided", "number"])
def test_another_fiscal_year_date_or_corporate_number_is_another_grant(field: str) -> None:
    row = FY2024_H2[0]
    other = {
        "project": Grant(row.project.replace("令和6年度", "令和7年度"), row.recipient, row.number, "9,000,000", row.decided),
        "decided": Grant(row.project, row.recipient, row.number, "9,000,000", "令和7年1月20日"),
        "number": Grant(row.project, row.recipient, "4000020370019", "9,000,000", row.decided),
    }[field]
    changes = compare(doc(ledger_page((row,))), doc(ledger_page((other,))))
    assert [c.kind for c in changes] == [ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED]


def test_rows_reordered_and_renumbered_give_no_change() -> None:
    assert compare(doc(ledger_page(FY2024_H2)), doc(ledger_page(FY2024_H2[::-1]))) == []


def test_a_number_column_that_holds_codes_is_identity() -> None:
    def page(code: str, amount: str) -> str:
        return (f"<html><body><div id='__main_contents'><h2>採択結果</h2><table><tr><th>番号</th><th>採択事業者</th>"
                f"<th>補助金額</th></tr><tr><td>{code}</td><td>株式会社讃岐精工</td><td>{amount}</td></tr>"
                "</table></div></body></html>")

    assert [c.kind for c in compare(doc(page("R6-015", "1,000万円")), doc(page("R6-015", "1,200万円")))] == [
        ChangeKind.AMOUNT_CHANGED]
    assert [c.kind for c in compare(doc(page("R6-015", "1,000万円")), doc(page("R7-002", "1,200万円")))] == [
        ChangeKind.ENTRY_ADDED, ChangeKind.ENTRY_REMOVED]


def test_a_version_with_only_the_title_changed_gives_none() -> None:
    before = doc(ledger_page(FY2024_H2))
    after = doc(ledger_page(FY2024_H2, period="令和6年10月〜令和7年3月分", heading="四国経済産業局（令和6年度）"))
    assert compare(before, after) == []


# ------------------------------------------------------------------ both rules, one rollover


def test_a_ledger_in_its_next_period_is_one_rollover_never_an_amount_change() -> None:
    before = doc(ledger_page(FY2024_H2))
    after = doc(ledger_page(FY2025_H2, period="令和7年10月から令和8年3月"))
    changes = compare(before, after)
    assert kinds(changes) == {"list_replaced": 1, "entry_added": 4, "entry_removed": 5}
    alert = changes[0]
    assert alert.kind is ChangeKind.LIST_REPLACED
    assert alert.summary.startswith("The list now covers 令和7年10月〜令和8年3月: 4 grant decisions, total ")
    assert alert.summary.endswith(
        "; the 5 grant decisions of the previous period (令和6年10月〜令和7年3月) are no longer listed")
    assert alert.amount_yen == 11_902_000 + 3_785_606 + 101_300_000 + 286_270
    assert {c.group for c in changes} == {alert.group}


def test_a_new_period_that_keeps_most_old_decisions_is_no_rollover() -> None:
    grown = FY2024_H2 + FY2025_H2[:2]
    assert kinds(compare(doc(ledger_page(FY2024_H2)), doc(ledger_page(grown)))) == {"entry_added": 2}


# ------------------------------------------------------------------ stored snapshots


@pytest.mark.parametrize("name", ["ledger-fy2024-h2", "semiconductor-plans-2025-09-19"])
def test_a_snapshot_stored_in_the_earlier_format_compares_without_false_changes(name: str) -> None:
    """These documents were written by the extractor as it was before the identity rules
    (keys with 法人番号 and 公益法人区分 in them, no nature): they must still compare."""
    stored = json.loads((STORED / f"{name}.json").read_text(encoding="utf-8"))
    old = Document.from_json(stored["document"])
    assert all(r.nature is None for r in old.records)
    page = stored["page"]
    html = ledger_page(FY2024_H2) if page == "support.ledgers:FY2024_H2" else \
        (STORED.parents[2] / page).read_text(encoding="utf-8")
    new = doc(html)
    if name.startswith("ledger"):  # keys were built another way then; the rows still pair
        assert {r.key for r in new.records}.isdisjoint(r.key for r in old.records)
    assert compare(old, new) == []
    assert compare(new, old) == []

"""A budget overview through its stages (概算要求 → 予算案 → 補正予算): renamed title, moved
sections, the stage said beside each amount, and lines repeated in a 【参考】 breakdown.

The PDFs are drawn at test time with scripts/make_pdf_fixtures.py's renderer (reportlab,
non-embedded Japanese CID fonts, as METI's own); figures after /work/shared/DOMAIN.md.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from types import ModuleType

from watcher.changes import Change, ChangeKind
from watcher.diff import compare
from watcher.extract.document import Document, Page
from watcher.extract.pdf import extract_pdf

ROOT = Path(__file__).resolve().parents[2]
URL = "https://www.meti.go.jp/main/yosan/yosan_fy2026/pdf/point.pdf"


@cache
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_pdf_fixtures", ROOT / "scripts/make_pdf_fixtures.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_pdf_fixtures"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def request(reference: bool = False) -> tuple[object, ...]:
    s = script()
    blocks = [
        s.Title("令和8年度 経済産業省関係 概算要求のポイント"),
        s.Line("令和7年8月 経済産業省", right=True),
        s.Item("経済産業省 計", "2兆1,000億円"),
        s.Heading("1. AI・半導体 9,600億円"),
        s.Item("(1) AI基盤モデル・フィジカルAIの開発支援", "3,000億円"),
        s.Item("(2) 次世代半導体の量産に向けたRapidusへの出資", "事項要求"),
        s.Heading("2. 経済安全保障・エネルギー 1,500億円"),
        s.Item("(1) 次世代革新炉の開発・建設と脱炭素電源の確保", "1,200億円"),
        s.Item("(2) 重要鉱物の安定供給確保", "40億円"),
    ]
    if reference:
        blocks += [s.PageBreak(), s.Heading("【参考】主要事業の内訳"),
                   s.Item("重要鉱物の安定供給確保", "40億円")]
    return tuple(blocks)


def draft(title: str = "令和8年度 経済産業省関係 予算案の概要", reference: bool = False,
          semiconductors: str = "1兆2,390億円", fabs: str = "7,017億円", total: str = "3兆693億円") -> tuple[object, ...]:
    s = script()
    blocks = [
        s.Title(title),
        s.Line("令和7年12月 経済産業省", right=True),
        s.Item("経済産業省 計", total),
        # the sections moved: economic security first now
        s.Heading("1. 経済安全保障・エネルギー 1,270億円"),
        s.Item("(1) 重要鉱物の安定供給確保", "50億円"),
        s.Item("(2) 次世代革新炉の開発・建設と脱炭素電源の確保", "1,220億円"),
        s.Heading(f"2. AI・半導体 {semiconductors}"),
        s.Item("(1) AI基盤モデル・フィジカルAIの開発支援", "3,873億円"),
        s.Item("(2) 次世代半導体の量産に向けたRapidusへの出資", "1,500億円"),
        s.Item("(3) 先端半導体の国内生産拠点整備", fabs),
    ]
    if reference:
        blocks += [s.PageBreak(), s.Heading("【参考】主要事業の内訳"),
                   s.Item("重要鉱物の安定供給確保", "50億円"),
                   s.Item("先端半導体の国内生産拠点整備", fabs)]
    return tuple(blocks)


def supplementary() -> tuple[object, ...]:
    return draft(title="令和8年度 補正予算案のポイント（経済産業省関係）",
                 semiconductors="1兆4,000億円", fabs="8,627億円", total="3兆2,303億円")


def pdf(blocks: tuple[object, ...]) -> Document:
    s = script()
    body = s.render(blocks, s.Layout())
    document = extract_pdf(Page(url=URL, text="", body=body, content_type="application/pdf"))
    assert document.suspect_reason is None
    return document


def alerts(changes: list[Change]) -> list[Change]:
    """The changes that are alerted: not the members of a group."""
    heads: set[str] = set()
    out = []
    for change in changes:
        if change.group is None or change.group not in heads:
            out.append(change)
            if change.group:
                heads.add(change.group)
    return out


def test_each_stage_is_read_from_the_title() -> None:
    facts = [dict(pdf(b).meta) for b in (request(), draft(), supplementary())]
    assert [(f["stage"], f["fiscal_year"]) for f in facts] == [
        ("概算要求", "2026"), ("予算案", "2026"), ("補正予算", "2026")]


def test_request_to_draft_compares_line_by_line_and_says_each_amounts_stage() -> None:
    changes = compare(pdf(request()), pdf(draft()))
    assert Counter(c.kind.value for c in changes) == {"amount_changed": 7, "entry_added": 1}
    by_entity = {c.entity: c for c in changes}
    assert by_entity["AI・半導体"].summary.startswith("AI・半導体: 9,600億円 (概算要求) → 1兆2,390億円 (予算案)")
    assert by_entity["次世代半導体の量産に向けたRapidusへの出資"].summary.startswith(
        "次世代半導体の量産に向けたRapidusへの出資: 事項要求 (概算要求, no amount yet) → 1,500億円 (予算案)")
    added = by_entity["先端半導体の国内生産拠点整備"]
    assert (added.kind, added.amount_yen, added.nature) == (ChangeKind.ENTRY_ADDED, 701_700_000_000, "budget_line")
    # the line under the title is the same line although the title was renamed
    total = by_entity["経済産業省 計"]
    assert (total.previous_amount_yen, total.amount_yen) == (2_100_000_000_000, 3_069_300_000_000)
    assert {(c.previous_stage, c.stage) for c in changes if c.kind is ChangeKind.AMOUNT_CHANGED} == {
        ("概算要求", "予算案")}


def test_draft_to_supplementary_gives_exactly_the_revised_lines() -> None:
    changes = compare(pdf(draft()), pdf(supplementary()))
    assert [(c.kind.value, c.entity, c.amount_yen) for c in changes] == [
        ("amount_changed", "経済産業省 計", 3_230_300_000_000),
        ("amount_changed", "AI・半導体", 1_400_000_000_000),
        ("amount_changed", "先端半導体の国内生産拠点整備", 862_700_000_000),
    ]
    assert changes[1].summary.startswith("AI・半導体: 1兆2,390億円 (予算案) → 1兆4,000億円 (補正予算)")


def test_a_version_with_only_the_title_changed_gives_none() -> None:
    assert compare(pdf(draft()), pdf(draft(title="令和8年度 経済産業省関係 予算（案）のポイント"))) == []


def test_a_line_repeated_in_the_breakdown_is_one_alert_naming_both_sections() -> None:
    changes = compare(pdf(request(reference=True)), pdf(draft(reference=True)))
    shown = {c.entity: c for c in alerts(changes)}
    minerals = shown["重要鉱物の安定供給確保"]
    assert minerals.kind is ChangeKind.AMOUNT_CHANGED
    assert (minerals.table, minerals.also_in) == ("経済安全保障・エネルギー", ("【参考】主要事業の内訳",))
    assert minerals.summary.endswith("(also in 「【参考】主要事業の内訳」)")
    fabs = shown["先端半導体の国内生産拠点整備"]
    assert (fabs.kind, fabs.also_in) == (ChangeKind.ENTRY_ADDED, ("【参考】主要事業の内訳",))
    # the repeats are kept as members of the alert, not dropped
    members = [c for c in changes if c.group == fabs.group and c is not fabs]
    assert [(m.table, m.amount_yen) for m in members] == [("【参考】主要事業の内訳", 701_700_000_000)]
    assert len(alerts(changes)) == 8

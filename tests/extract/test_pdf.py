"""`pdf` extraction: METI budget overviews become line-item Records; bad PDFs become suspects."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.changes import ChangeKind
from watcher.diff.records import compare_records
from watcher.extract.document import Page, Record
from watcher.extract.pdf import MAX_PAGES, extract_pdf
from watcher.extract.pdf_items import TableRows, TextLine, label_key, line_items

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src/watcher/demo_data/pages/meti-budget-fy2026-pdf"
FIXTURES = ROOT / "tests/fixtures/pages/meti-budget"
EXPECTED = ROOT / "tests/fixtures/expected/meti-budget"
URL = "https://www.meti.go.jp/main/yosan/yosan_fy2026/pdf/01.pdf"
OKU = 10**8


def pdf(path: Path) -> Page:
    return Page(url=URL, text="", body=path.read_bytes(), content_type="application/pdf")


def records(path: Path) -> tuple[Record, ...]:
    doc = extract_pdf(pdf(path))
    assert doc.suspect_reason is None
    return doc.records


def by_key(recs: tuple[Record, ...]) -> dict[tuple[str, str], Record]:
    return {(r.table, r.key): r for r in recs}


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_pdf_fixtures", ROOT / "scripts/make_pdf_fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is built
    sys.modules["make_pdf_fixtures"] = module
    spec.loader.exec_module(module)
    return module


# -- the budget timeline -----------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(EXPECTED.glob("*.json")), ids=lambda p: p.stem)
def test_budget_pdfs_give_the_expected_line_items(case: Path) -> None:
    expected = json.loads(case.read_text(encoding="utf-8"))
    doc = extract_pdf(pdf(ROOT / expected["page"]))
    assert doc.kind == "pdf"
    assert doc.suspect_reason == expected["suspect_reason"]
    assert [r.to_json() for r in doc.records] == expected["records"]


def test_december_draft_headline_figures() -> None:
    recs = by_key(records(DEMO / "2025-12-26.pdf"))
    assert recs[("予算案の全体像", "経済産業省計")].amount_yen == 3_069_300_000_000
    assert recs[("予算案の全体像", "経済産業省計/うちAI・半導体")].amount_yen == 1_239_000_000_000
    assert recs[("AI・半導体", "AI基盤モデル・フィジカルAIの開発支援")].amount_yen == 3873 * OKU
    assert (
        recs[("AI・半導体", "次世代半導体の量産に向けたRapidusへの出資")].amount_yen == 1500 * OKU
    )
    minerals = recs[("経済安全保障・エネルギー", "重要鉱物の安定供給確保")]
    assert minerals.amount_yen == 50 * OKU
    assert ("備考", "(新規)") in minerals.cells


def test_million_yen_table_agrees_with_the_oku_summary() -> None:
    recs = by_key(records(DEMO / "2025-12-26.pdf"))
    detail = recs[("【参考】主要事業の内訳", "AI・半導体産業基盤強化")]
    summary = recs[("予算案の全体像", "経済産業省計/うちAI・半導体")]
    assert detail.amount_text == "1,239,000"
    assert detail.amount_yen == summary.amount_yen == 1_239_000_000_000


def test_august_request_lines_without_amount_are_jiko_yokyu() -> None:
    recs = by_key(records(DEMO / "2025-08-29.pdf"))
    rapidus = recs[("AI・半導体", "次世代半導体の量産に向けたRapidusへの出資")]
    assert (rapidus.amount_yen, rapidus.amount_text) == (None, "事項要求")


def test_sentences_that_mention_amounts_are_not_line_items() -> None:
    doc = extract_pdf(pdf(DEMO / "2025-12-26.pdf"))
    assert "3兆693億円" in doc.text
    assert "累計2,500億円" in doc.text
    assert 2500 * OKU not in {r.amount_yen for r in doc.records}
    assert not any("計上" in r.entity or "政府出資" in r.entity for r in doc.records)


def test_text_is_normalised_and_has_no_page_numbers() -> None:
    doc = extract_pdf(pdf(DEMO / "2025-12-26.pdf"))
    assert "(単位:億円)" in doc.text  # NFKC
    assert "- 1 -" not in doc.text
    assert dict(doc.meta)["pages"] == "2"


def test_request_to_draft_diff() -> None:
    changes = compare_records(records(DEMO / "2025-08-29.pdf"), records(DEMO / "2025-12-26.pdf"))
    summary = [(c.kind, c.table, c.entity, c.previous_amount_yen, c.amount_yen) for c in changes]
    assert summary == [
        (ChangeKind.ENTRY_ADDED, "予算案の全体像", "経済産業省 計", None, 3_069_300_000_000),
        (
            ChangeKind.ENTRY_ADDED,
            "予算案の全体像",
            "経済産業省 計 うち AI・半導体",
            None,
            1_239_000_000_000,
        ),
        (
            ChangeKind.ENTRY_ADDED,
            "予算案の全体像",
            "経済産業省 計 うち 次世代革新炉・脱炭素",
            None,
            1220 * OKU,
        ),
        # 事項要求 → an amount: amount_changed with no previous amount
        (
            ChangeKind.AMOUNT_CHANGED,
            "AI・半導体",
            "次世代半導体の量産に向けたRapidusへの出資",
            None,
            1500 * OKU,
        ),
        (
            ChangeKind.ENTRY_ADDED,
            "経済安全保障・エネルギー",
            "重要鉱物の安定供給確保",
            None,
            50 * OKU,
        ),
        (
            ChangeKind.AMOUNT_CHANGED,
            "【参考】主要事業の内訳",
            "AI・半導体産業基盤強化",
            None,
            1_239_000_000_000,
        ),
        (
            ChangeKind.AMOUNT_CHANGED,
            "【参考】主要事業の内訳",
            "AI・半導体産業基盤強化 うち Rapidus出資(情報処理推進機構)",
            None,
            1500 * OKU,
        ),
        (
            ChangeKind.ENTRY_ADDED,
            "【参考】主要事業の内訳",
            "重要鉱物安定供給確保事業",
            None,
            50 * OKU,
        ),
    ]


@pytest.mark.parametrize(
    "variant",
    ["b5", "letter-large-font", "wrapped", "metadata"],
)
def test_regenerated_pdf_with_same_items_gives_identical_records(variant: str) -> None:
    original = records(DEMO / "2025-12-26.pdf")
    regenerated = FIXTURES / f"2025-12-26-{variant}.pdf"
    assert regenerated.read_bytes() != (DEMO / "2025-12-26.pdf").read_bytes()
    assert records(regenerated) == original
    assert compare_records(original, records(regenerated)) == []


# -- unreadable PDFs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("2025-12-26-truncated.pdf", "PDF could not be read: truncated (no %%EOF at the end)"),
        ("2025-12-26-encrypted.pdf", "PDF could not be read: encrypted (password required)"),
        ("2025-12-26-not-a-pdf.pdf", "PDF could not be read: not a PDF but an HTML page"),
        ("2025-12-26-scanned.pdf", "PDF could not be read: no text layer (a scanned image?)"),
        (
            "2025-12-26-cid-unmapped.pdf",
            "PDF could not be read: text has no Unicode mapping (font without ToUnicode; (cid:N) glyphs)",
        ),
    ],
)
def test_unreadable_pdfs_are_suspect_with_a_reason(name: str, reason: str) -> None:
    doc = extract_pdf(pdf(FIXTURES / name))
    assert doc.kind == "pdf"
    assert doc.suspect_reason == reason
    assert doc.records == ()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "PDF could not be read: empty response"),
        (b"PK\x03\x04xlsx", "PDF could not be read: not a PDF (starts with b'PK\\x03\\x04xlsx')"),
        (
            b"%PDF-1.4\n%%EOF",
            "PDF could not be read: PdfminerException: No /Root object! - Is this really a PDF?",
        ),
    ],
)
def test_degenerate_bodies(body: bytes, reason: str) -> None:
    assert extract_pdf(Page(url=URL, text="", body=body)).suspect_reason == reason


def test_too_many_pages_is_suspect() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for _ in range(MAX_PAGES + 1):
        c.drawString(72, 720, "x")
        c.showPage()
    c.save()
    doc = extract_pdf(Page(url=URL, text="", body=buf.getvalue()))
    assert doc.suspect_reason == f"PDF could not be read: {MAX_PAGES + 1} pages (limit {MAX_PAGES})"


# -- line items from text lines and tables -------------------------------------------------


def lines(*texts: str) -> list[TextLine | TableRows]:
    return [TextLine(text=t) for t in texts]


def items(*blocks: TextLine | TableRows) -> list[tuple[str, str, int | None]]:
    return [(r.table, r.key, r.amount_yen) for r in line_items([list(blocks)])]


def test_title_names_lines_before_the_first_heading_and_headings_drop_numbering() -> None:
    recs = items(
        *lines(
            "令和7年度 経済産業省関係 補正予算案の概要",
            "半導体・AI 分野 1兆2,000億円",
            "Ⅱ．ＧＸ・エネルギー",
            "① 次世代革新炉 1,220億円",
        )
    )
    assert recs == [
        ("令和7年度 経済産業省関係 補正予算案の概要", "半導体・AI分野", 12_000 * OKU),
        ("GX・エネルギー", "次世代革新炉", 1220 * OKU),
    ]


def test_circled_and_parenthesised_numbers_are_stripped_before_nfkc() -> None:
    recs = items(
        *lines("概要", "① 重要鉱物 50億円", "（２）Rapidus 1,500億円", "ア．AI基盤 3,873億円")
    )
    assert [key for _, key, _ in recs] == ["重要鉱物", "Rapidus", "AI基盤"]
    assert [amount for _, _, amount in recs] == [50 * OKU, 1500 * OKU, 3873 * OKU]


def test_unit_note_applies_to_bare_numbers_until_the_next_heading() -> None:
    recs = items(
        *lines(
            "概要", "（単位：百万円）", "経済産業省 計 3,069,300", "2. 内訳", "AI・半導体 1,239,000"
        )
    )
    assert recs == [("概要", "経済産業省計", 3_069_300_000_000)]


def test_uchi_lines_are_keyed_under_their_parent() -> None:
    recs = line_items(
        [
            lines(
                "概要",
                "（単位：億円）",
                "一般会計 10,000",
                "うち AI・半導体 3,000",
                "特別会計 5,000",
                "うち AI・半導体 1,000",
            )
        ]
    )
    assert [(r.key, r.entity, r.amount_yen) for r in recs] == [
        ("一般会計", "一般会計", 10_000 * OKU),
        ("一般会計/うちAI・半導体", "一般会計 うち AI・半導体", 3_000 * OKU),
        ("特別会計", "特別会計", 5_000 * OKU),
        ("特別会計/うちAI・半導体", "特別会計 うち AI・半導体", 1_000 * OKU),
    ]


def test_wrapped_label_joins_with_the_amount_line() -> None:
    one = items(*lines("概要", "(2) 次世代半導体の量産に向けたRapidusへの出資 1,500億円"))
    two = items(*lines("概要", "(2) 次世代半導体の量産に向けた", "Rapidusへの出資 1,500億円"))
    three = items(*lines("概要", "(2) 次世代半導体の", "量産に向けたRapidusへの出資", "1,500億円"))
    assert (
        one == two == three == [("概要", "次世代半導体の量産に向けたRapidusへの出資", 1500 * OKU)]
    )


def test_prose_notes_and_page_numbers_are_not_line_items() -> None:
    recs = items(
        *lines(
            "概要",
            "経済産業省関係の予算案は3兆693億円。",
            "AI・半導体分野に1兆2,390億円を計上",
            "※1 計数は四捨五入のため一致しない 100億円",
            "- 3 -",
            "12",
        )
    )
    assert recs == []


def test_jiko_yokyu_line_has_no_amount() -> None:
    (rec,) = line_items([lines("概要", "(1) 先端半導体の量産支援 ・・・ 事項要求")])
    assert (rec.key, rec.amount_yen, rec.amount_text) == ("先端半導体の量産支援", None, "事項要求")


def test_duplicate_labels_in_one_section_are_kept_apart() -> None:
    recs = items(*lines("概要", "合計 100億円", "合計 200億円"))
    assert recs == [("概要", "合計", 100 * OKU), ("概要", "合計#2", 200 * OKU)]


def test_table_picks_the_request_column_and_keeps_the_others() -> None:
    table = TableRows(
        rows=(
            ("事項", "令和7年度\n当初予算額", "令和8年度\n予算案額", "増減", "備考"),
            ("AI・半導体", "3,100", "12,390", "9,290", None),
            ("重要鉱物", "－", "50", "50", "新規"),
            ("GX推進", "1,000", "900", "△100", ""),
        )
    )
    recs = line_items([[TextLine(text="概要"), TextLine(text="（単位：億円）"), table]])
    assert [(r.key, r.amount_yen, r.other_amounts_yen, r.cells) for r in recs] == [
        (
            "AI・半導体",
            12_390 * OKU,
            (3_100 * OKU, 9_290 * OKU),
            (("事項", "AI・半導体"), ("備考", "")),
        ),
        ("重要鉱物", 50 * OKU, (50 * OKU,), (("事項", "重要鉱物"), ("備考", "新規"))),
        ("GX推進", 900 * OKU, (1_000 * OKU, -100 * OKU), (("事項", "GX推進"), ("備考", ""))),
    ]


def test_unit_in_a_header_cell_and_continued_tables() -> None:
    first = TableRows(rows=(("事業名", "予算案額（百万円）"), ("AI・半導体", "1,239,000")))
    continued = TableRows(rows=(("重要鉱物", "5,000"),))
    recs = line_items([[TextLine(text="内訳"), first], [continued]])
    assert [(r.key, r.amount_yen, r.cells) for r in recs] == [
        ("AI・半導体", 1_239_000_000_000, (("事業名", "AI・半導体"),)),
        ("重要鉱物", 5_000_000_000, (("事業名", "重要鉱物"),)),
    ]


def test_table_of_bare_numbers_without_a_unit_gives_nothing() -> None:
    table = TableRows(rows=(("事業名", "金額"), ("AI・半導体", "12,390")))
    assert line_items([[TextLine(text="概要"), table]]) == ()


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("（１）　ＡＩ基盤モデル", "AI基盤モデル"),
        ("① 重要鉱物", "重要鉱物"),
        ("1. AI・半導体", "AI・半導体"),
        ("・次世代革新炉", "次世代革新炉"),
        ("経済産業省 計", "経済産業省計"),
        ("1.5GHz帯 実証", "1.5GHz帯実証"),
    ],
)
def test_label_key(label: str, key: str) -> None:
    assert label_key(label) == key


# -- fixtures and robustness ----------------------------------------------------------------


def test_fixture_script_is_deterministic_and_matches_the_committed_files() -> None:
    script = load_script()
    first = script.fixtures()
    assert first == script.fixtures()
    for relative, data in first.items():
        assert (ROOT / relative).read_bytes() == data, f"{relative} is stale: rerun the script"


def test_fixtures_use_non_embedded_japanese_cid_fonts() -> None:
    body = (DEMO / "2025-12-26.pdf").read_bytes()
    assert b"/Encoding /UniJIS-UCS2-H" in body
    assert b"/HeiseiKakuGo-W5" in body
    assert b"/FontFile" not in body  # FontFile, FontFile2, FontFile3: embedded programs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.booleans())
def test_extract_pdf_never_raises_on_random_bytes(body: bytes, framed: bool) -> None:
    if framed:  # past the header and %%EOF checks, into pdfminer's parser
        body = b"%PDF-1.4\n" + body + b"\n%%EOF\n"
    doc = extract_pdf(Page(url=URL, text="", body=body))
    assert doc.suspect_reason is None or doc.suspect_reason.startswith("PDF could not be read: ")


_DECEMBER = (DEMO / "2025-12-26.pdf").read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(_DECEMBER) - 64),
            st.integers(min_value=0, max_value=40),
            st.binary(max_size=24),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_extract_pdf_never_raises_on_mutated_fixture_bytes(
    edits: list[tuple[int, int, bytes]],
) -> None:
    body = bytearray(_DECEMBER)
    for position, length, replacement in edits:
        body[position : position + length] = replacement
    doc = extract_pdf(Page(url=URL, text="", body=bytes(body)))
    assert doc.kind == "pdf"
    assert doc.suspect_reason is None or doc.suspect_reason.startswith("PDF could not be read: ")


def test_numbered_heading_with_an_amount_opens_a_section() -> None:
    recs = items(
        *lines(
            "補正予算案の概要",
            "1. AI・半導体 1兆2,390億円",
            "(1) 研究開発 300億円",
            "2. GX 5,000億円",
            "(1) 研究開発 200億円",
        )
    )
    assert recs == [
        ("AI・半導体", "AI・半導体", 12_390 * OKU),
        ("AI・半導体", "研究開発", 300 * OKU),
        ("GX", "GX", 5_000 * OKU),
        ("GX", "研究開発", 200 * OKU),
    ]


def test_renumbered_table_rows_keep_their_cells() -> None:
    def table(number: str) -> tuple[Record, ...]:
        rows = (("事業名", "予算案額（億円）"), (f"{number} 重要鉱物安定供給確保", "50"))
        return line_items([[TextLine(text="内訳"), TableRows(rows=rows)]])

    first, second = table("(3)"), table("（４）")
    assert first == second
    assert first[0].cells == (("事業名", "重要鉱物安定供給確保"),)

"""`table` extraction: every row of every subsidy table as a Record with a stable identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.diff.records import compare_records
from watcher.extract.document import Page, Record
from watcher.extract.table import extract_tables

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src/watcher/demo_data/pages"
PAGES = ROOT / "tests/fixtures/pages"
EXPECTED = ROOT / "tests/fixtures/expected"
SOURCES = ("meti-semiconductor-plans", "meti-semiconductor-plans-en", "meti-cloud-program")
URL = "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html"


def read(path: Path) -> str:
    """Decode a fixture the way the fetcher would: UTF-8, else the Shift_JIS it declares."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp932")


def records_of(path: Path) -> tuple[Record, ...]:
    return extract_tables(Page(url=URL, text=read(path))).records


def extract(html: str) -> tuple[Record, ...]:
    return extract_tables(Page(url=URL, text=html)).records


def page(body: str) -> str:
    return f'<html><head><title>認定</title></head><body><div id="__main_contents">{body}</div></body></html>'


# ---------------------------------------------------------------- the real pages


SEED_FIGURES = [
    ("meti-semiconductor-plans/2022-06-20.html", "第1工場", 476_000_000_000),
    ("meti-semiconductor-plans/2022-07-29.html", "四日市工場", 92_930_000_000),
    ("meti-semiconductor-plans/2022-10-03.html", "1β世代DRAM", 46_470_000_000),
    ("meti-semiconductor-plans/2023-10-06.html", "1γ世代DRAM", 167_000_000_000),
    ("meti-semiconductor-plans/2024-02-08.html", "岩手県北上市", 150_000_000_000),
    ("meti-semiconductor-plans/2024-02-27.html", "第2工場", 732_000_000_000),
    ("meti-semiconductor-plans/2025-09-19.html", "HBM", 500_000_000_000),
    ("meti-semiconductor-plans-en/2022-06-20.html", "Fab 1", 476_000_000_000),
    ("meti-semiconductor-plans-en/2024-02-27.html", "Fab 2", 732_000_000_000),
    ("meti-semiconductor-plans-en/2024-02-27.html", "1-gamma", 167_000_000_000),
    ("meti-semiconductor-plans-en/2025-09-19.html", "HBM", 500_000_000_000),
    ("meti-cloud-program/2024-04-19.html", "さくらインターネット", 50_100_000_000),
    ("meti-cloud-program/2024-04-19.html", "KDDI", 10_240_000_000),
    ("meti-cloud-program/2024-04-19.html", "ハイレゾ香川", 7_700_000_000),
    ("meti-cloud-program/2024-04-19.html", "RUTILEA", 2_560_000_000),
    ("meti-cloud-program/2024-04-19.html", "GMOインターネットグループ", 1_930_000_000),
    ("meti-cloud-program/2024-04-19.html", "合計", 72_500_000_000),
]


@pytest.mark.parametrize(("path", "entity", "amount"), SEED_FIGURES)
def test_every_seed_figure_is_extracted_as_the_exact_integer(
    path: str, entity: str, amount: int
) -> None:
    matches = [r for r in records_of(DEMO / path) if entity in r.entity]
    assert len(matches) == 1, [r.entity for r in records_of(DEMO / path)]
    assert matches[0].amount_yen == amount


def expected_cases() -> list[Path]:
    return sorted(p for source in SOURCES for p in (EXPECTED / source).glob("*.json"))


@pytest.mark.parametrize("case", expected_cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_demo_versions_give_the_expected_records(case: Path) -> None:
    expected = json.loads(case.read_text(encoding="utf-8"))
    raw = (ROOT / expected["page"]).read_bytes()
    records = extract(raw.decode(expected["encoding"]))
    got = [
        {"table": r.table, "entity": r.entity, "amount_yen": r.amount_yen, "dates": list(r.dates)}
        for r in records
    ]
    assert got == expected["records"]


@pytest.mark.parametrize("source", SOURCES)
def test_every_demo_page_has_an_expected_file(source: str) -> None:
    pages = {p.stem for p in (DEMO / source).glob("*.html")}
    assert pages
    assert pages == {p.stem for p in (EXPECTED / source).glob("*.json")}


def test_2022_pages_are_shift_jis_declared_only_in_meta() -> None:
    raw = (DEMO / "meti-semiconductor-plans/2022-06-20.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b'content="text/html; charset=Shift_JIS"' in raw
    assert records_of(DEMO / "meti-semiconductor-plans/2022-06-20.html")[0].cells[3] == (
        "最大助成額※1",
        "4,760",
    )


def test_micron_plans_share_one_rowspan_cell_but_keep_their_own_identity() -> None:
    records = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    micron = [r for r in records if r.entity.startswith("マイクロンメモリジャパン株式会社")]
    assert [r.amount_yen for r in micron] == [46_470_000_000, 167_000_000_000, 500_000_000_000]
    assert len({r.key for r in micron}) == 3
    assert all(r.cells[1] == ("認定事業者", "マイクロンメモリジャパン株式会社") for r in micron)
    assert [r.dates for r in micron] == [("2022-09-30",), ("2023-10-03",), ("2025-09-17",)]


def test_identity_is_recipient_and_plan_headline_never_date_amount_or_position() -> None:
    jasm1 = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")[0]
    assert jasm1.table == "認定計画一覧"
    assert (
        jasm1.key
        == "japanadvancedsemiconductormanufacturing|熊本県菊陽町第1工場2228nm1216nmロジック半導体"
    )
    assert jasm1.entity == (
        "Japan Advanced Semiconductor Manufacturing株式会社 — 熊本県菊陽町(第1工場):22/28nm・12/16nmロジック半導体"
    )
    assert "2022" not in jasm1.key
    assert "4760" not in jasm1.key


def test_cells_are_kept_as_written_with_footnote_markers_for_display() -> None:
    kioxia = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")[2]
    assert kioxia.cells[0] == ("認定日", "令和4年7月26日")
    assert kioxia.cells[1] == ("認定事業者", "キオクシア株式会社 ウエスタンデジタル合同会社※3")
    assert kioxia.cells[3] == ("最大助成額(億円)※1", "929.3")
    assert kioxia.amount_text == "929.3"
    assert "※" not in kioxia.key
    assert "※" not in kioxia.entity


def test_cloud_total_row_is_a_record_keyed_by_its_label() -> None:
    records = records_of(DEMO / "meti-cloud-program/2024-04-19.html")
    total = records[-1]
    assert (total.key, total.entity, total.amount_yen) == ("合計", "合計", 72_500_000_000)
    assert total.amount_text == "約725億円"
    assert sum(r.amount_yen or 0 for r in records[:-1]) == 72_530_000_000  # METI rounds the total


def test_joint_applicants_read_as_one_entity() -> None:
    records = records_of(DEMO / "meti-cloud-program/2024-04-19.html")
    assert records[2].entity.startswith("株式会社ハイレゾ・株式会社ハイレゾ香川(共同申請) — 香川県")


def test_cloud_page_before_the_release_has_no_subsidy_table() -> None:
    doc = extract_tables(Page(url=URL, text=read(DEMO / "meti-cloud-program/2024-04-10.html")))
    assert doc.records == ()
    assert doc.suspect_reason is None
    assert "供給確保計画の認定" in doc.text


def test_document_text_is_the_main_text_without_navigation_or_footer() -> None:
    doc = extract_tables(
        Page(url=URL, text=read(DEMO / "meti-semiconductor-plans/2025-09-19.html"))
    )
    assert doc.kind == "table"
    assert "認定計画一覧" in doc.text
    assert "グローバルナビゲーション" not in doc.text
    assert "ニュースリリース" not in doc.text
    assert "最終更新日" not in doc.text
    assert "プライバシーポリシー" not in doc.text


# ---------------------------------------------------------------- noise: no change


NOISE = [
    "noise-footer-date",
    "noise-access-counter",
    "noise-csrf",
    "noise-markup",
    "noise-reordered",
    "noise-fullwidth",
    "noise-million-yen",
    "noise-company-forms",
    "noise-sjis-meta",
    "noise-sjis-undeclared",
]


def identity(records: tuple[Record, ...]) -> list[tuple[object, ...]]:
    return sorted((r.table, r.key, r.amount_yen, r.other_amounts_yen, r.dates) for r in records)


@pytest.mark.parametrize("variant", NOISE)
def test_noise_variants_extract_the_same_rows_and_give_no_change(variant: str) -> None:
    base = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    noisy = records_of(PAGES / f"meti-semiconductor-plans/{variant}.html")
    assert identity(noisy) == identity(base)
    assert compare_records(base, noisy) == []
    assert compare_records(noisy, base) == []


@pytest.mark.parametrize("variant", ["noise-footer-date", "noise-access-counter", "noise-csrf"])
def test_chrome_noise_leaves_the_main_text_unchanged(variant: str) -> None:
    base = read(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    noisy = read(PAGES / f"meti-semiconductor-plans/{variant}.html")
    assert (
        extract_tables(Page(url=URL, text=noisy)).text
        == extract_tables(Page(url=URL, text=base)).text
    )


@pytest.mark.parametrize("variant", ["noise-sjis-meta", "noise-sjis-undeclared"])
def test_shift_jis_reencoding_gives_identical_records(variant: str) -> None:
    raw = (PAGES / f"meti-semiconductor-plans/{variant}.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    base = records_of(DEMO / "meti-semiconductor-plans/2025-09-19.html")
    assert extract(raw.decode("cp932")) == base


def test_amounts_under_million_yen_header_read_as_the_same_integers() -> None:
    records = records_of(PAGES / "meti-semiconductor-plans/noise-million-yen.html")
    assert records[0].amount_text == "476,000"
    assert records[0].cells[3][0] == "最大助成額(百万円)※1"
    # The page still says （単位：億円） above the table: the column's own unit wins.
    assert records[0].amount_yen == 476_000_000_000


def test_cloud_rows_reordered_with_full_width_amounts_give_no_change() -> None:
    base = records_of(DEMO / "meti-cloud-program/2024-04-19.html")
    noisy = records_of(PAGES / "meti-cloud-program/noise-reordered-fullwidth.html")
    assert identity(noisy) == identity(base)
    assert compare_records(base, noisy) == []


def test_maintenance_page_is_suspect_and_has_no_records() -> None:
    doc = extract_tables(
        Page(url=URL, text=read(PAGES / "meti-semiconductor-plans/maintenance.html"))
    )
    assert doc.suspect_reason is not None
    assert doc.suspect_reason.startswith("maintenance page")
    assert doc.records == ()


def test_escaped_markup_in_a_company_cell_extracts_as_literal_text() -> None:
    literal = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    records = records_of(PAGES / "meti-cloud-program/xss-company-name.html")
    row = next(r for r in records if r.amount_yen == 1_930_000_000)
    assert row.cells[0] == ("認定事業者", literal)
    assert row.entity.startswith(literal + " — ")
    assert len(records) == 6


# ---------------------------------------------------------------- grid and header reading


def test_rowspan_copies_the_cell_into_every_row_it_covers() -> None:
    html = page(
        "<h2>認定計画</h2><table><tr><th>認定日</th><th>認定事業者</th><th>計画の概要</th><th>最大助成額</th></tr>"
        "<tr><td>令和4年9月30日</td><td rowspan='3'>マイクロンメモリジャパン株式会社</td><td>1β世代DRAM</td><td>464.7億円</td></tr>"
        "<tr><td>令和5年10月3日</td><td>1γ世代DRAM</td><td>1,670億円</td></tr>"
        "<tr><td>令和7年9月17日</td><td>HBM</td><td>5,000億円</td></tr></table>"
    )
    records = extract(html)
    assert [r.cells[1][1] for r in records] == ["マイクロンメモリジャパン株式会社"] * 3
    assert [r.cells[2][1] for r in records] == ["1β世代DRAM", "1γ世代DRAM", "HBM"]
    assert [r.amount_yen for r in records] == [46_470_000_000, 167_000_000_000, 500_000_000_000]


def test_rowspan_in_the_amount_column_is_read_once_per_row() -> None:
    html = page(
        "<table><tr><th>事業者名</th><th>事業所</th><th>補助額</th></tr>"
        "<tr><td>A株式会社</td><td>東京</td><td rowspan='2'>10億円</td></tr>"
        "<tr><td>B株式会社</td><td>大阪</td></tr></table>"
    )
    assert [r.amount_yen for r in extract(html)] == [1_000_000_000, 1_000_000_000]


def test_two_header_rows_are_joined_top_to_bottom() -> None:
    html = page(
        "<table><thead><tr><th rowspan='2'>事業者名</th><th colspan='2'>助成額</th></tr>"
        "<tr><th>当初</th><th>変更後（最大）</th></tr></thead>"
        "<tbody><tr><td>A株式会社</td><td>100億円</td><td>150億円</td></tr></tbody></table>"
    )
    (record,) = extract(html)
    assert [h for h, _ in record.cells] == ["事業者名", "助成額 当初", "助成額 変更後(最大)"]
    # The maximum column is the amount; the other amount column is kept beside it.
    assert record.amount_yen == 15_000_000_000
    assert record.other_amounts_yen == (10_000_000_000,)
    assert record.amount_text == "150億円"


def test_first_row_of_plain_labels_is_the_header_when_there_is_no_th() -> None:
    html = page(
        "<table><tr><td>交付先</td><td>事業名</td><td>交付額（千円）</td></tr>"
        "<tr><td>株式会社A</td><td>研究開発</td><td>12,345</td></tr></table>"
    )
    (record,) = extract(html)
    assert record.amount_yen == 12_345_000
    assert record.entity == "株式会社A — 研究開発"


def test_header_rows_classed_header_are_not_dropped_as_page_chrome() -> None:
    html = page(
        "<table class='list'><tr class='table-header'><th>事業者名</th><th>助成額</th></tr>"
        "<tr class='footer-row'><td>A株式会社</td><td>10億円</td></tr></table>"
    )
    (record,) = extract(html)
    assert record.cells == (("事業者名", "A株式会社"), ("助成額", "10億円"))


def test_colspan_total_row_is_read_once() -> None:
    html = page(
        "<table><caption>認定した計画</caption><tr><th>認定事業者</th><th>計画の概要</th><th>最大助成額</th></tr>"
        "<tr><td>KDDI株式会社</td><td>GPU計算基盤</td><td>約102.4億円</td></tr>"
        "<tr><th scope='row' colspan='2'>合　計</th><td>約102.4億円</td></tr></table>"
    )
    records = extract(html)
    assert records[1].key == "合計"
    assert records[1].cells == (("認定事業者", "合 計"), ("最大助成額", "約102.4億円"))
    assert records[1].table == "認定した計画"


def test_section_rows_spanning_the_table_are_not_records() -> None:
    html = page(
        "<table><tr><th>事業者名</th><th>計画</th><th>補助額</th></tr>"
        "<tr><td colspan='3'>現在、認定した計画はありません。</td></tr></table>"
    )
    assert extract(html) == ()


# ---------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("before", "header", "cell", "expected"),
    [
        ("<p>（単位：億円）</p>", "最大助成額", "4,760", 476_000_000_000),
        ("<p>単位：百万円</p>", "最大助成額", "476,000", 476_000_000_000),
        ("<p>（単位：千円）</p>", "交付額", "1,234", 1_234_000),
        ("<p>（単位：億円）</p>", "最大助成額（百万円）", "476,000", 476_000_000_000),
        ("<p>（単位：億円）</p>", "最大助成額（百万円）", "4,760億円", 476_000_000_000),
        ("", "最大助成額（億円）", "４，７６０", 476_000_000_000),
        ("", "最大助成額", "約4,760億円※2", 476_000_000_000),
        ("", "最大助成額", "4760", None),  # no unit anywhere: a bare number is no amount
    ],
)
def test_cell_unit_beats_column_unit_beats_table_unit(
    before: str, header: str, cell: str, expected: int | None
) -> None:
    html = page(
        f"<h2>認定</h2>{before}<table><tr><th>事業者名</th><th>{header}</th></tr>"
        f"<tr><td>A株式会社</td><td>{cell}</td></tr></table>"
    )
    (record,) = extract(html)
    assert record.amount_yen == expected


def test_unit_note_in_caption_and_in_a_title_row() -> None:
    caption = page(
        "<table><caption>認定計画一覧（単位：億円）</caption><tr><th>事業者名</th><th>最大助成額</th></tr>"
        "<tr><td>A株式会社</td><td>929.3</td></tr></table>"
    )
    title_row = page(
        "<table><tr><td colspan='2'>（単位：百万円）</td></tr><tr><th>事業者名</th><th>最大助成額</th></tr>"
        "<tr><td>A株式会社</td><td>92,930</td></tr></table>"
    )
    assert extract(caption)[0].amount_yen == 92_930_000_000
    assert extract(caption)[0].table == "認定計画一覧"  # the unit note is not part of the name
    assert extract(title_row)[0].amount_yen == 92_930_000_000


def test_unit_note_of_one_table_does_not_leak_into_the_next() -> None:
    html = page(
        "<h2>一</h2><p>（単位：億円）</p><table><tr><th>事業者名</th><th>助成額</th></tr>"
        "<tr><td>A株式会社</td><td>10</td></tr></table>"
        "<h2>二</h2><table><tr><th>事業者名</th><th>助成額</th></tr>"
        "<tr><td>B株式会社</td><td>20億円</td></tr></table>"
    )
    assert [r.amount_yen for r in extract(html)] == [1_000_000_000, 2_000_000_000]


# ---------------------------------------------------------------- which tables count


def test_layout_one_column_and_amountless_tables_are_skipped() -> None:
    inner = "<table><tr><th>事業者名</th><th>助成額</th></tr><tr><td>A株式会社</td><td>10億円</td></tr></table>"
    html = page(
        f"<table><tr><td>{inner}</td><td>サイドメニュー</td></tr></table>"  # layout around the real one
        "<table><tr><th>お知らせ</th></tr><tr><td>1,000億円の予算</td></tr></table>"  # one column
        "<table><tr><th>会議名</th><th>開催日</th></tr><tr><td>検討会</td><td>令和6年2月1日</td></tr></table>"
    )
    records = extract(html)
    assert [(r.entity, r.amount_yen) for r in records] == [("A株式会社", 1_000_000_000)]


def test_a_table_without_amount_words_counts_when_its_cells_are_yen() -> None:
    html = page(
        "<table><tr><th>事業者</th><th>内容</th><th>備考</th></tr>"
        "<tr><td>A株式会社</td><td>工場新設</td><td>100億円</td></tr>"
        "<tr><td>B株式会社</td><td>工場増設</td><td>50億円</td></tr></table>"
    )
    assert [r.amount_yen for r in extract(html)] == [10_000_000_000, 5_000_000_000]


# ---------------------------------------------------------------- table identity


def test_table_identity_is_caption_then_heading_then_header_labels() -> None:
    row = "<tr><th>事業者名</th><th>助成額</th></tr><tr><td>A株式会社</td><td>10億円</td></tr>"
    assert (
        extract(page(f"<h2>見出し</h2><table><caption>表題※1</caption>{row}</table>"))[0].table
        == "表題"
    )
    assert extract(page(f"<h2>令和6年度の認定</h2><p>説明</p><table>{row}</table>"))[0].table == (
        "令和6年度の認定"
    )
    assert extract(page(f"<table>{row}</table>"))[0].table == "事業者名 / 助成額"


def test_several_tables_keep_their_rows_apart_and_one_company_can_be_in_each() -> None:
    records = records_of(PAGES / "meti-semiconductor-plans/two-tables-by-fiscal-year.html")
    assert [r.table for r in records] == ["令和5年度の認定"] * 3 + ["令和4年度の認定(参考)"] * 3
    jasm = [r for r in records if r.entity.startswith("Japan Advanced")]
    assert {r.table for r in jasm} == {"令和5年度の認定", "令和4年度の認定(参考)"}


def test_table_identity_does_not_depend_on_position() -> None:
    table = (
        "<h2>認定一覧</h2><table><tr><th>事業者名</th><th>助成額</th></tr>"
        "<tr><td>A株式会社</td><td>10億円</td></tr></table>"
    )
    other = (
        "<h2>参考</h2><table><tr><th>事業者名</th><th>助成額</th></tr>"
        "<tr><td>B株式会社</td><td>20億円</td></tr></table>"
    )
    alone = extract(page(table))
    after_other = extract(page(other + table))
    assert alone[0].table == after_other[1].table == "認定一覧"
    assert alone[0].key == after_other[1].key


def test_two_tables_under_one_heading_are_told_apart_by_their_labels() -> None:
    html = page(
        "<h2>認定</h2><table><tr><th>事業者名</th><th>助成額</th></tr><tr><td>A株式会社</td><td>10億円</td></tr></table>"
        "<table><tr><th>出資先</th><th>出資額</th></tr><tr><td>A株式会社</td><td>20億円</td></tr></table>"
    )
    assert [r.table for r in extract(html)] == [
        "認定 / 事業者名 / 助成額",
        "認定 / 出資先 / 出資額",
    ]


# ---------------------------------------------------------------- row identity


@pytest.mark.parametrize(
    "name",
    [
        "株式会社ハイレゾ",
        "㈱ハイレゾ",
        "(株)ハイレゾ",
        "ハイレゾ株式会社",
        "ハイレゾ（株）",
        "株式会社　ハイレゾ※1",
        "株式会社 ハイレゾ",
    ],
)
def test_company_legal_form_and_its_position_do_not_change_identity(name: str) -> None:
    html = page(
        f"<table><tr><th>認定事業者</th><th>最大助成額</th></tr><tr><td>{name}</td><td>約77.0億円</td></tr></table>"
    )
    assert extract(html)[0].key == "ハイレゾ"


def test_footnote_markers_change_neither_values_nor_identity() -> None:
    plain = page(
        "<table><tr><th>認定事業者</th><th>計画の概要</th><th>最大助成額</th></tr>"
        "<tr><td>A株式会社</td><td>工場</td><td>100億円</td></tr></table>"
    )
    marked = page(
        "<table><tr><th>認定事業者※1</th><th>計画の概要注1</th><th>最大助成額*1</th></tr>"
        "<tr><td>A株式会社※2</td><td>工場<sup>※3</sup></td><td>100億円<sup>※4</sup></td></tr></table>"
    )
    a, b = extract(plain)[0], extract(marked)[0]
    assert (a.key, a.entity, a.amount_yen) == (b.key, b.entity, b.amount_yen)
    assert b.cells[0] == ("認定事業者※1", "A株式会社※2")


def test_a_small_edit_in_the_outline_details_keeps_the_identity() -> None:
    def outline(details: str) -> str:
        return page(
            "<table><tr><th>認定事業者</th><th>計画の概要</th><th>最大助成額</th></tr>"
            f"<tr><td>A株式会社</td><td>熊本県（第1工場）：ロジック半導体<br>{details}</td><td>100億円</td></tr></table>"
        )

    assert (
        extract(outline("月産5.5万枚"))[0].key
        == extract(outline("月産5.5万枚（12インチ換算）"))[0].key
    )


def test_duplicate_keys_are_told_apart_by_the_next_descriptive_cell_then_by_order() -> None:
    html = page(
        "<table><tr><th>認定事業者</th><th>計画の概要</th><th>備考</th><th>最大助成額</th></tr>"
        "<tr><td>A株式会社</td><td>工場</td><td>第1期</td><td>100億円</td></tr>"
        "<tr><td>A株式会社</td><td>工場</td><td>第2期</td><td>50億円</td></tr>"
        "<tr><td>B株式会社</td><td>工場</td><td>同</td><td>10億円</td></tr>"
        "<tr><td>B株式会社</td><td>工場</td><td>同</td><td>20億円</td></tr></table>"
    )
    assert [r.key for r in extract(html)] == ["a|工場|第1期", "a|工場|第2期", "b|工場", "b|工場#2"]


def test_date_and_number_columns_are_not_part_of_the_identity() -> None:
    def row(number: str, date: str) -> str:
        return page(
            "<table><tr><th>No.</th><th>認定日</th><th>認定事業者</th><th>最大助成額</th></tr>"
            f"<tr><td>{number}</td><td>{date}</td><td>A株式会社</td><td>100億円</td></tr></table>"
        )

    a = extract(row("1", "令和6年2月24日"))[0]
    b = extract(row("3", "R6.2.24"))[0]
    assert a.key == b.key == "a"
    assert a.entity == "A株式会社"
    assert a.dates == b.dates == ("2024-02-24",)


def test_english_amount_styles_read_as_yen() -> None:
    records = records_of(DEMO / "meti-semiconductor-plans-en/2024-02-27.html")
    by_text = {r.amount_text: r.amount_yen for r in records}
    assert by_text["JPY 476.0 billion"] == 476_000_000_000
    assert by_text["¥732 billion"] == 732_000_000_000
    assert by_text["JPY 92,930 million"] == 92_930_000_000
    assert records[0].dates == ("2022-06-17",)


# ---------------------------------------------------------------- robustness


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=400))
def test_extract_tables_never_raises_on_arbitrary_text(text: str) -> None:
    doc = extract_tables(Page(url=URL, text=text))
    assert doc.kind == "table"


_CELL_TEXT = st.sampled_from(
    [
        "",
        "認定事業者",
        "最大助成額",
        "A株式会社",
        "4,760",
        "約25.6億円",
        "令和6年2月24日",
        "※1",
        "合計",
        "x",
    ]
)


@st.composite
def table_markup(draw: st.DrawFn, depth: int = 0) -> str:
    """Random tables: th/td, rowspan/colspan (sometimes absurd), nesting, unclosed tags."""
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        cells = []
        for _ in range(draw(st.integers(0, 5))):
            tag = draw(st.sampled_from(["td", "th"]))
            attrs = ""
            if draw(st.booleans()):
                attrs += (
                    f" rowspan='{draw(st.sampled_from(['0', '1', '2', '3', '99999', 'x', '-1']))}'"
                )
            if draw(st.booleans()):
                attrs += f" colspan='{draw(st.sampled_from(['0', '2', '5', '1000', '']))}'"
            inner = draw(_CELL_TEXT)
            if depth < 2 and draw(st.integers(0, 9)) == 0:
                inner += draw(table_markup(depth + 1))
            close = "" if draw(st.integers(0, 5)) == 0 else f"</{tag}>"
            cells.append(f"<{tag}{attrs}>{inner}{close}")
        wrap = draw(st.sampled_from(["", "thead", "tbody", "tfoot"]))
        row = "<tr>" + "".join(cells) + "</tr>"
        rows.append(f"<{wrap}>{row}</{wrap}>" if wrap else row)
    caption = draw(
        st.sampled_from(["", "<caption>（単位：億円）</caption>", "<caption></caption>"])
    )
    return f"<table>{caption}{''.join(rows)}</table>"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(table_markup(), min_size=1, max_size=3),
    st.sampled_from(["", "<h2>認定</h2>", "<p>（単位：百万円）</p>"]),
)
def test_extract_tables_never_raises_on_random_table_markup(tables: list[str], before: str) -> None:
    doc = extract_tables(Page(url=URL, text=page(before + "".join(tables))))
    keys = [(r.table, r.key) for r in doc.records]
    assert len(keys) == len(set(keys))  # identities are unique whatever the markup

"""`links` extraction: the dated items of a news list as (date, title, absolute URL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.extract.document import Link, Page
from watcher.extract.links import canonical_url, clean_title, extract_links
from watcher.extract.text import main_text

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = ROOT / "tests/fixtures/expected/ipa-news"
DEMO = ROOT / "src/watcher/demo_data/pages"
IPA_URL = "https://www.ipa.go.jp/news/index.html"
METI_URL = "https://www.meti.go.jp/policy/mono_info_service/joho/news/index.html"


def load(path: Path, url: str) -> tuple[Link, ...]:
    return extract_links(Page(url=url, text=path.read_text(encoding="utf-8"))).links


def expected_cases() -> list[Path]:
    return sorted(EXPECTED.glob("*.json"))


@pytest.mark.parametrize("case", expected_cases(), ids=lambda p: p.stem)
def test_ipa_news_versions_give_the_expected_links(case: Path) -> None:
    expected = json.loads(case.read_text(encoding="utf-8"))
    links = load(ROOT / expected["page"], expected["page_url"])
    assert [link.to_json() for link in links] == expected["links"]


def test_every_ipa_news_page_has_an_expected_file() -> None:
    pages = {p.stem for p in (DEMO / "ipa-news").glob("*.html")}
    pages |= {p.stem for p in (ROOT / "tests/fixtures/pages/ipa-news").glob("*.html")}
    assert pages == {p.stem for p in expected_cases()}


@pytest.mark.parametrize(
    "variant",
    ["2025-11-25-utm-fragments", "2025-11-25-absolute-hrefs", "2025-11-25-table-markup"],
)
def test_noise_variants_extract_the_same_links_as_the_original(variant: str) -> None:
    original = load(DEMO / "ipa-news/2025-11-25.html", IPA_URL)
    noisy = load(ROOT / f"tests/fixtures/pages/ipa-news/{variant}.html", IPA_URL)
    assert noisy == original


def test_ipa_list_skips_navigation_important_box_more_link_and_footer() -> None:
    links = load(DEMO / "ipa-news/2025-11-14.html", IPA_URL)
    urls = {link.url for link in links}
    assert len(links) == 10
    assert "https://www.ipa.go.jp/news/archive/index.html" not in urls  # もっと見る
    assert "https://www.ipa.go.jp/about/info/madoguchi2025.html" not in urls  # 重要なお知らせ
    assert "https://www.ipa.go.jp/security/index.html" not in urls  # global navigation
    assert all(link.url.startswith("https://www.ipa.go.jp/") for link in links)


def test_ipa_rapidus_item_is_first_with_its_date_and_without_the_new_badge() -> None:
    first = load(DEMO / "ipa-news/2025-11-25.html", IPA_URL)[0]
    assert first == Link(
        url="https://www.ipa.go.jp/news/2025/press20251121.html",
        title="Rapidus株式会社への出資(1,000億円)について",
        date="2025-11-21",
    )


def test_document_carries_main_text_and_no_suspect_reason() -> None:
    html = (DEMO / "ipa-news/2025-11-25.html").read_text(encoding="utf-8")
    doc = extract_links(Page(url=IPA_URL, text=html))
    assert doc.kind == "links"
    assert doc.text == main_text(html)
    assert "サイトポリシー" not in doc.text
    assert doc.suspect_reason is None


def test_ignore_patterns_apply_to_the_text() -> None:
    html = (DEMO / "ipa-news/2025-11-25.html").read_text(encoding="utf-8")
    doc = extract_links(Page(url=IPA_URL, text=html), (re.compile(r"重要なお知らせ"),))
    assert "重要なお知らせ" not in doc.text
    assert len(doc.links) == 10


def test_meti_news_groups_several_releases_under_one_date() -> None:
    links = load(DEMO / "meti-news/2024-04-19.html", METI_URL)
    assert [(link.date, link.url) for link in links[:2]] == [
        ("2024-04-19", "https://www.meti.go.jp/press/2024/04/20240419002/20240419002.html"),
        ("2024-04-19", "https://www.meti.go.jp/press/2024/04/20240419004/20240419004.html"),
    ]
    assert (
        links[1].title
        == "経済安全保障推進法に基づく「クラウドプログラム」の供給確保計画を認定しました"
    )
    assert len(links) == 8


def test_meti_news_resolves_parent_relative_pdf_links_and_strips_the_size() -> None:
    links = load(DEMO / "meti-news/2024-04-18.html", METI_URL)
    pdf = next(link for link in links if link.url.endswith(".pdf"))
    assert pdf == Link(
        url="https://www.meti.go.jp/press/2023/12/20231215003/20231215003-1.pdf",
        title="半導体・デジタル産業戦略の改定について",
        date="2023-12-15",
    )


def test_meti_news_rapidus_selection_is_the_newest_item() -> None:
    links = load(DEMO / "meti-news/2025-11-21.html", METI_URL)
    assert links[0].date == "2025-11-21"
    assert "Rapidus" in links[0].title
    assert links[0].url == "https://www.meti.go.jp/press/2025/11/20251121001/20251121001.html"


def test_meti_last_updated_footer_is_not_a_list_item() -> None:
    links = load(DEMO / "meti-news/2025-11-21.html", METI_URL)
    assert all("最終更新日" not in link.title for link in links)


# -- list shapes -----------------------------------------------------------------

PAGE = "<html><body><main>{}</main></body></html>"


def links_of(
    body: str, url: str = "https://example.go.jp/news/index.html"
) -> list[tuple[str | None, str, str]]:
    doc = extract_links(Page(url=url, text=PAGE.format(body)))
    return [(link.date, link.title, link.url) for link in doc.links]


def test_list_with_most_dated_items_wins_over_a_bigger_undated_one() -> None:
    body = (
        "<ul>"
        + "".join(f'<li><a href="/p{i}.html">関連ページ{i}</a></li>' for i in range(8))
        + "</ul>"
        '<div><ul><li>2025.11.21 <a href="a.html">A</a></li><li>2025.11.20 <a href="b.html">B</a></li></ul></div>'
    )
    assert links_of(body) == [
        ("2025-11-21", "A", "https://example.go.jp/news/a.html"),
        ("2025-11-20", "B", "https://example.go.jp/news/b.html"),
    ]


def test_lists_split_by_month_are_one_list() -> None:
    body = (
        '<h2>2025年11月</h2><ul><li>2025年11月21日 <a href="a.html">A</a></li></ul>'
        '<h2>2025年10月</h2><ul><li>2025年10月3日 <a href="b.html">B</a></li>'
        '<li>2025年10月1日 <a href="c.html">C</a></li></ul>'
    )
    assert [title for _, title, _ in links_of(body)] == ["A", "B", "C"]


def test_reiwa_dates_in_table_header_cells() -> None:
    body = (
        "<table><tr><th>日付</th><th>件名</th></tr>"
        '<tr><th>令和7年11月21日</th><td><a href="/r.html">Rapidus</a> <a href="/r.pdf">PDF</a></td></tr>'
        '<tr><th>令和6年4月19日</th><td><a href="/c.html">クラウド</a></td></tr></table>'
    )
    assert links_of(body) == [
        ("2025-11-21", "Rapidus", "https://example.go.jp/r.html"),
        ("2024-04-19", "クラウド", "https://example.go.jp/c.html"),
    ]


def test_dl_with_the_link_in_dt_and_the_date_in_dd() -> None:
    body = (
        '<dl><dt><a href="a.html">A</a></dt><dd>掲載日：2025年11月21日</dd>'
        '<dt><a href="b.html">B</a></dt><dd>掲載日：2025年11月14日</dd></dl>'
    )
    assert [(d, t) for d, t, _ in links_of(body)] == [("2025-11-21", "A"), ("2025-11-14", "B")]


def test_repeated_div_blocks_form_a_list() -> None:
    body = (
        '<div class="list"><div class="item"><time datetime="2025-11-21">11/21</time>'
        '<a href="a.html">A</a></div><div class="item"><time datetime="2025-11-14">11/14</time>'
        '<a href="b.html">B</a></div></div>'
    )
    assert [(d, t) for d, t, _ in links_of(body)] == [("2025-11-21", "A"), ("2025-11-14", "B")]


def test_undated_items_and_duplicate_urls_are_skipped() -> None:
    body = (
        '<ul><li>2025.11.21 <a href="a.html">A</a></li><li><a href="more.html">もっと見る</a></li>'
        '<li>2025.11.20 <a href="a.html#x">A again</a></li><li>2025.11.19 <a href="b.html">B</a></li></ul>'
    )
    assert [t for _, t, _ in links_of(body)] == ["A", "B"]


def test_base_href_is_honoured() -> None:
    body = '<ul><li>2025.11.21 <a href="a.html">A</a></li></ul>'
    html = f'<html><head><base href="/archive/"></head><body><main>{body}</main></body></html>'
    doc = extract_links(Page(url="https://example.go.jp/news/index.html", text=html))
    assert doc.links[0].url == "https://example.go.jp/archive/a.html"


def test_a_page_without_a_dated_list_has_no_links() -> None:
    assert links_of('<p>お知らせはありません。</p><ul><li><a href="/">トップ</a></li></ul>') == []


def test_maintenance_page_is_suspect() -> None:
    html = "<html><head><title>メンテナンス中</title></head><body><p>ただいまメンテナンス中です。</p></body></html>"
    doc = extract_links(Page(url=IPA_URL, text=html))
    assert doc.suspect_reason is not None
    assert doc.suspect_reason.startswith("maintenance page")
    assert doc.links == ()


# -- URLs and titles -------------------------------------------------------------

BASE = "https://www.ipa.go.jp/news/index.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("a.html", "https://www.ipa.go.jp/news/a.html"),
        ("./a.html", "https://www.ipa.go.jp/news/a.html"),
        ("../news/a.html", "https://www.ipa.go.jp/news/a.html"),
        ("/news/a.html", "https://www.ipa.go.jp/news/a.html"),
        ("//www.ipa.go.jp/news/a.html", "https://www.ipa.go.jp/news/a.html"),
        ("HTTPS://WWW.IPA.GO.JP/news/a.html", "https://www.ipa.go.jp/news/a.html"),
        ("https://www.ipa.go.jp:443/news/a.html", "https://www.ipa.go.jp/news/a.html"),
        ("http://www.ipa.go.jp:8080/a.html", "http://www.ipa.go.jp:8080/a.html"),
        ("https://www.ipa.go.jp/x/../news/./a.html", "https://www.ipa.go.jp/news/a.html"),
        ("a.html#section2", "https://www.ipa.go.jp/news/a.html"),
        ("a.html?utm_source=x&utm_medium=mail", "https://www.ipa.go.jp/news/a.html"),
        ("a.html?b=2&utm_campaign=c&a=1", "https://www.ipa.go.jp/news/a.html?b=2&a=1"),
        ("a.html?UTM_Source=x&fbclid=abc", "https://www.ipa.go.jp/news/a.html"),
        (" a.html\n", "https://www.ipa.go.jp/news/a.html"),
        ("/files/資料.pdf", "https://www.ipa.go.jp/files/%E8%B3%87%E6%96%99.pdf"),
        ("/files/%e8%b3%87%e6%96%99.pdf", "https://www.ipa.go.jp/files/%E8%B3%87%E6%96%99.pdf"),
        ("https://www.ipa.go.jp", "https://www.ipa.go.jp/"),
        ("", None),
        ("   ", None),
        ("#top", None),
        ("javascript:void(0)", None),
        ("JavaScript:openWin('a.html')", None),
        ("mailto:info@ipa.go.jp", None),
        ("tel:03-5978-7600", None),
        ("ftp://ftp.ipa.go.jp/a", None),
        ("http://[::1", None),
    ],
)
def test_canonical_url(href: str, expected: str | None) -> None:
    assert canonical_url(href, BASE) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和8年度予算案の概要（PDF形式：1.2MB）", "令和8年度予算案の概要"),
        ("資料一覧（PDF：312KB）", "資料一覧"),
        ("報告書 [PDF 2.4MB]", "報告書"),
        ("別紙（Excel形式：45KB）", "別紙"),
        ("概要（PDF）", "概要"),
        ("Rapidus株式会社への出資について NEW", "Rapidus株式会社への出資について"),
        ("  ＤＸ白書\u30002025 ", "DX白書 2025"),
        ("NEWS2025", "NEWS2025"),
        ("「情報セキュリティ10大脅威 2026」", "「情報セキュリティ10大脅威 2026」"),
    ],
)
def test_clean_title(text: str, expected: str) -> None:
    assert clean_title(text) == expected


# -- robustness --------------------------------------------------------------------

_TAGS = st.sampled_from(
    ["ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "td", "th", "div", "a", "main", "base"]
)
_FRAGMENTS = st.one_of(
    _TAGS.map(lambda t: f"<{t}>"),
    _TAGS.map(lambda t: f"</{t}>"),
    st.sampled_from(
        [
            '<a href="a.html">',
            '<a href="javascript:x">',
            '<a href="http://[::1">',
            '<base href="//">',
            "2025年11月21日",
            "令和7年11月21日",
            "2025.13.45",
            "<!--",
            "&#0;",
        ]
    ),
    st.text(max_size=20),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS, max_size=40).map("".join))
def test_extract_links_never_raises_on_arbitrary_html(html: str) -> None:
    doc = extract_links(Page(url=IPA_URL, text=html))
    assert all(link.url.startswith(("http://", "https://")) for link in doc.links)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=60))
def test_canonical_url_never_raises(href: str, base: str) -> None:
    result = canonical_url(href, base)
    assert result is None or "#" not in result


def test_blocks_directly_in_main_form_a_list() -> None:
    body = "".join(
        f'<div class="item"><span>2025.11.{day}</span> <a href="/p{day}.html">t{day}</a></div>'
        for day in (21, 20, 19)
    )
    assert [title for _, title, _ in links_of(body)] == ["t21", "t20", "t19"]


def test_month_blocks_holding_lists_are_one_list() -> None:
    months = "".join(
        f'<div class="month"><h2>2025年{m}月</h2><ul>'
        + "".join(
            f'<li>2025年{m}月{d}日 <a href="/{m}/{d}.html">{m}-{d}</a></li>' for d in (3, 2, 1)
        )
        + "</ul></div>"
        for m in (11, 10, 9, 8)
    )
    titles = [title for _, title, _ in links_of(months)]
    # One list per month block is still one news list, never one item per month.
    assert titles == [f"{m}-{d}" for m in (11, 10, 9, 8) for d in (3, 2, 1)]


# -- download lists: undated files with their type and size ------------------------
#
# A `links` source also keeps the undated downloads of its main column (関連資料,
# 交付決定一覧のダウンロード, an index of 公募 files), each with title, absolute URL,
# file type and size where the page writes them. Chrome never counts.

PAGES = ROOT / "tests/fixtures/pages"
DOWNLOAD_SOURCES = (
    "meti-semiconductor-materials",
    "meti-news-with-downloads",
    "ipa-koubo-files",
    "meti-grant-decisions-download",
)
MATERIALS_URL = "https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor/shiryou.html"
MATERIALS = PAGES / "meti-semiconductor-materials"
# ../shared beside the clone (CI, /work/main), or the workplace's copy for a worktree.
SHIKOKU = next((p for p in (ROOT.parent / "shared/real-documents", Path("/work/shared/real-documents"))
                if p.is_dir()), ROOT.parent / "shared/real-documents")


def download_cases() -> list[Path]:
    return sorted(p for s in DOWNLOAD_SOURCES for p in (ROOT / "tests/fixtures/expected" / s).glob("*.json"))


@pytest.mark.parametrize("case", download_cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_download_pages_give_the_expected_links(case: Path) -> None:
    expected = json.loads(case.read_text(encoding="utf-8"))
    doc = extract_links(Page(url=expected["page_url"], text=(ROOT / expected["page"]).read_text(encoding="utf-8")))
    assert doc.suspect_reason is None
    assert [link.to_json() for link in doc.links] == expected["links"]


def test_every_download_page_has_an_expected_file() -> None:
    pages = {(p.parent.name, p.stem) for s in DOWNLOAD_SOURCES for p in (PAGES / s).glob("*.html")}
    pages -= {("meti-semiconductor-materials", "2025-06-02-table-markup")}  # compared, not listed
    assert pages == {(p.parent.name, p.stem) for p in download_cases()}


def materials() -> tuple[Link, ...]:
    return load(MATERIALS / "2025-06-02.html", MATERIALS_URL)


def test_meti_related_materials_are_the_files_of_the_main_column_in_page_order() -> None:
    links = materials()
    assert [(link.title, link.file_type, link.size_text) for link in links] == [
        ("半導体・デジタル産業戦略(令和5年6月改定)", "PDF", "2,345KB"),
        ("半導体・デジタル産業戦略(概要)", "PDF", "1.2MB"),
        ("Strategy for Semiconductors and the Digital Industry (Summary)", "PDF", "3.1MB"),
        ("資料1 議事次第", "PDF", "98KB"),
        ("資料2 半導体・デジタル産業戦略の現状と今後", "PDF", "4,512KB"),
        ("参考資料1 半導体関連支援策の執行状況", "PDF", "640KB"),
        ("委員名簿", "Excel", "18KB"),
        ("令和7年度予算の概要", "PDF", "7.8MB"),
    ]
    assert all(link.date is None for link in links)
    assert links[0].url == (
        "https://www.meti.go.jp/policy/mono_info_service/joho/conference/semicon_digital/0009/senryaku_2023.pdf"
    )
    assert links[1].size_bytes == 1_258_291  # 1.2 × 1,024 × 1,024


def test_chrome_links_of_the_main_column_are_never_items() -> None:
    html = (MATERIALS / "2025-06-02.html").read_text(encoding="utf-8")
    assert "javascript:window.print()" in html.replace(";", "")  # so the checks below bite
    assert "get.adobe.com" in html
    urls = {link.url for link in materials()}
    assert not any("adobe" in url or "sitemap" in url or url.endswith("/") for url in urls)
    assert not any(url.startswith(("mailto:", "javascript:")) or "#" in url for url in urls)
    # A page link in the list (検討会議のページ) is not a download.
    assert "https://www.meti.go.jp/policy/mono_info_service/joho/conference/semicon_digital.html" not in urls


def test_a_table_of_the_same_files_gives_the_same_links() -> None:
    table = load(MATERIALS / "2025-06-02-table-markup.html", MATERIALS_URL)
    assert "<table" in (MATERIALS / "2025-06-02-table-markup.html").read_text(encoding="utf-8")
    assert table == materials()


def test_a_bare_pdf_link_is_named_by_its_row_and_the_files_of_one_row_are_separate_items() -> None:
    links = load(PAGES / "meti-grant-decisions-download/2025-10-01.html",
                 "https://www.kanto.meti.go.jp/soshiki/kaikei/hojokin/index.html")
    assert [(link.title, link.file_type, link.size_text) for link in links[:2]] == [
        ("令和7年度上期(令和7年4月~令和7年9月)", "PDF", "123KB"),
        ("令和7年度上期(令和7年4月~令和7年9月)", "Excel", "45KB"),
    ]
    assert len({link.url for link in links}) == len(links) == 5  # the 「－」 cell is no file


def test_ipa_forms_are_named_by_their_item_or_dt_and_sizes_after_the_link_count() -> None:
    links = load(PAGES / "ipa-koubo-files/2025-04-01.html", "https://www.ipa.go.jp/choutatsu/koubo/2025/ai-semicon/index.html")
    by_name = {link.url.rsplit("/", 1)[-1]: link for link in links}
    assert (by_name["hyouka.xlsx"].title, by_name["hyouka.xlsx"].size_text) == ("評価基準表", "45KB")
    assert [(by_name[n].title, by_name[n].file_type, by_name[n].size_text) for n in ("youshiki1.docx", "youshiki1.pdf")] == [
        ("様式1 提案書", "Word", "45KB"),
        ("様式1 提案書", "PDF", "120KB"),
    ]
    assert by_name["ikkatsu.zip"].title == "提案書作成用ファイル一式"
    assert by_name["youryou.pdf"].title == "公募要領"
    assert "setsumeikai.html" not in by_name  # a page, not a file


def test_a_prose_link_called_kochira_is_named_by_the_sentence_before_it() -> None:
    (link,) = [link for link in materials() if link.url.endswith("/fy2025/pdf/05.pdf")]
    assert (link.title, link.size_text) == ("令和7年度予算の概要", "7.8MB")


def test_news_items_stay_as_they_were_and_downloads_follow_them() -> None:
    links = load(PAGES / "meti-news-with-downloads/2025-11-21.html",
                 "https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor/index.html")
    assert [link.date for link in links] == [
        "2025-11-21", "2025-10-31", "2025-09-19", "2025-08-29", "2025-06-06", None, None,
    ]
    assert all(link.file_type is None for link in links[:5])
    assert [(link.title, link.file_type) for link in links[5:]] == [
        ("半導体関連の主な支援制度一覧", "PDF"),
        ("交付決定一覧(令和7年度)", "Excel"),
    ]


def test_a_pdf_inside_a_news_item_is_not_a_download_of_its_own() -> None:
    body = (
        '<ul><li>2025.11.21 <a href="/r.html">Rapidus</a> <a href="/r.pdf">資料（PDF：1MB）</a></li>'
        '<li>2025.11.20 <a href="/c.html">クラウド</a></li></ul>'
    )
    assert [url for _, _, url in links_of(body)] == ["https://example.go.jp/r.html", "https://example.go.jp/c.html"]


def test_a_dated_list_mostly_of_files_carries_their_type_and_size() -> None:
    body = (
        '<table><tr><th>公表日</th><th>資料</th></tr>'
        '<tr><td>令和7年10月1日</td><td><a href="/k/r7k.pdf">交付決定一覧（令和7年度上期）（PDF：123KB）</a></td></tr>'
        '<tr><td>令和7年4月1日</td><td><a href="/k/r6s.xlsx">交付決定一覧（令和6年度下期）</a>（Excel：45KB）</td></tr>'
        '<tr><td>令和7年3月3日</td><td><a href="/k/info.html">公表方法の変更について</a></td></tr></table>'
    )
    doc = extract_links(Page(url="https://example.go.jp/k/index.html", text=PAGE.format(body)))
    assert [(link.date, link.title, link.file_type, link.size_text) for link in doc.links] == [
        ("2025-10-01", "交付決定一覧(令和7年度上期)", "PDF", "123KB"),
        ("2025-04-01", "交付決定一覧(令和6年度下期)", "Excel", "45KB"),
        ("2025-03-03", "公表方法の変更について", None, None),
    ]


@pytest.mark.parametrize(
    ("href", "text", "expected"),
    [
        ("a.pdf", "交付決定一覧（PDF形式：123KB）", ("交付決定一覧", "PDF", "123KB", 125_952)),
        ("a.pdf", "公募要領 PDF/1.2MB", ("公募要領", "PDF", "1.2MB", 1_258_291)),
        ("a.xlsx", "評価基準（Excel:45KB）", ("評価基準", "Excel", "45KB", 46_080)),
        ("a.xls", "様式（エクセル形式）", ("様式", "Excel", None, None)),
        ("a.csv", "交付決定一覧（CSV：８ＫＢ）", ("交付決定一覧", "CSV", "8KB", 8_192)),
        ("a.docx", "申請書", ("申請書", "Word", None, None)),
        ("a.zip", "様式一式 [ZIP 2.3MB]", ("様式一式", "ZIP", "2.3MB", 2_411_725)),
        ("a.PDF", "報告書（PDF形式：1,024KB）", ("報告書", "PDF", "1,024KB", 1_048_576)),
        ("download?id=3", "交付決定一覧（PDF形式：46KB）", ("交付決定一覧", "PDF", "46KB", 47_104)),
        ("a.pptx", "説明資料（PowerPoint：3MB）", ("説明資料", "PowerPoint", "3MB", 3_145_728)),
    ],
)
def test_file_type_and_size_as_written(
    href: str, text: str, expected: tuple[str, str, str | None, int | None]
) -> None:
    doc = extract_links(Page(url="https://example.go.jp/k/index.html",
                             text=PAGE.format(f'<ul><li><a href="{href}">{text}</a></li></ul>')))
    (link,) = doc.links
    assert (link.title, link.file_type, link.size_text, link.size_bytes) == expected


@pytest.mark.parametrize(
    "item",
    [
        '<a href="/files/a.html">Excelマクロの使い方</a>',  # a type word in a title names no file
        '<a href="#shiryou">関連資料（PDF）へ</a>',  # an in-page anchor
        '<a href="javascript:window.print()">印刷（PDF）</a>',
        '<a href="mailto:info@meti.go.jp">資料請求（PDF）</a>',
        '<a href="/sitemap/index.pdf">サイトマップ</a>',
        '<a href="https://get.adobe.com/jp/reader/">Adobe Acrobat Reader（無料）</a>',
        '<a href="/top.pdf">ページの先頭へ</a>',
    ],
)
def test_what_is_not_a_download(item: str) -> None:
    body = f'<ul><li>2025.11.21 <a href="/n.html">お知らせ</a></li></ul><ul><li>{item}</li></ul>'
    assert [url for _, _, url in links_of(body)] == ["https://example.go.jp/n.html"]


# -- a links page without items is a health problem ------------------------------------


def test_a_page_whose_links_are_neither_news_nor_files_is_suspect_with_a_reason() -> None:
    html = (PAGES / "meti-policy-index/2025-06-02.html").read_text(encoding="utf-8")
    doc = extract_links(Page(url="https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor.html", text=html))
    assert doc.links == ()
    assert doc.suspect_reason == (
        "no list items found: none of the 4 links in the main column is a dated news item or a file download"
    )


def test_one_stray_link_is_reported_in_the_singular() -> None:
    doc = extract_links(Page(url=IPA_URL, text=PAGE.format('<p>詳細は<a href="/a.html">こちら</a></p>')))
    assert doc.suspect_reason == (
        "no list items found: the one link in the main column is neither a dated news item nor a file download"
    )


def test_a_page_with_no_news_and_only_chrome_links_is_an_honest_empty_list() -> None:
    body = ('<p>現在、お知らせはありません。</p><ul class="pan"><li><a href="/">ホーム</a></li>'
            '<li><a href="/news/">お知らせ</a></li></ul><p><a href="#top">ページの先頭へ</a></p>'
            '<p><a href="/sitemap/">サイトマップ</a> <a href="mailto:a@ipa.go.jp">お問い合わせ</a></p>'
            '<p><a href="index.html?utm_source=mail">このページ</a> '
            '<a href="https://get.adobe.com/jp/reader/">無料のPDFビューア</a></p>')
    doc = extract_links(Page(url=IPA_URL, text=PAGE.format(body)))
    assert (doc.links, doc.suspect_reason) == ((), None)


def test_a_maintenance_page_keeps_its_own_reason() -> None:
    html = ("<html><head><title>メンテナンス中</title></head><body><p>ただいまメンテナンス中です。"
            '<a href="/news/">お知らせ一覧</a></p></body></html>')
    reason = extract_links(Page(url=IPA_URL, text=html)).suspect_reason
    assert reason is not None
    assert reason.startswith("maintenance page")


# -- the real pages (../shared/real-documents; skipped where absent) -------------------

REAL_PAGES = [
    ("shikoku-grants-fy2024-h2/202410_202503.html",
     "https://www.shikoku.meti.go.jp/02_soshikiinfos/04_kaikei/02_hojokin_202410_202503/202410_202503.html"),
    ("shikoku-grants-fy2025-h2/202510_202603.html",
     "https://www.shikoku.meti.go.jp/02_soshikiinfos/04_kaikei/02_hojokin_202510_202603/202510_202603.html"),
]


@pytest.mark.parametrize(("name", "url"), REAL_PAGES, ids=lambda v: v.split("/")[0])
def test_the_real_shikoku_ledgers_link_their_pdf_of_46_kb(name: str, url: str) -> None:
    path = SHIKOKU / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    html = path.read_text(encoding="utf-8")
    assert "ファイルダウンロード（PDF形式：46KB）" in html
    doc = extract_links(Page(url=url, text=html))
    assert doc.suspect_reason is None
    assert [link.to_json() for link in doc.links] == [{
        "url": url.removesuffix(".html") + ".pdf",
        "title": "ファイルダウンロード",
        "date": None,
        "file_type": "PDF",
        "size_text": "46KB",
        "size_bytes": 46 * 1024,
    }]


# -- the Link value --------------------------------------------------------------------


def test_a_link_stored_before_file_types_existed_loads_and_serialises_unchanged() -> None:
    stored = {"url": "https://www.ipa.go.jp/news/2025/press20251121.html",
              "title": "Rapidus株式会社への出資(1,000億円)について", "date": "2025-11-21"}
    link = Link.from_json(stored)
    assert (link.file_type, link.size_text, link.size_bytes) == (None, None, None)
    assert link.to_json() == stored


def test_a_download_round_trips_through_json() -> None:
    link = Link(url="https://www.meti.go.jp/a.pdf", title="交付決定一覧", file_type="PDF",
                size_text="123KB", size_bytes=125_952)
    assert Link.from_json(json.loads(json.dumps(link.to_json()))) == link

"""`links` diffs: new items are link_added; only items gone from the middle are link_removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.changes import ChangeKind
from watcher.diff import compare
from watcher.diff.links import compare_links, title_key
from watcher.extract.document import Document, Link, Page
from watcher.extract.links import extract_links

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src/watcher/demo_data/pages"
IPA_URL = "https://www.ipa.go.jp/news/index.html"
METI_URL = "https://www.meti.go.jp/policy/mono_info_service/joho/news/index.html"


def ipa(name: str) -> tuple[Link, ...]:
    path = DEMO / f"ipa-news/{name}.html"
    if not path.exists():
        path = ROOT / f"tests/fixtures/pages/ipa-news/{name}.html"
    return extract_links(Page(url=IPA_URL, text=path.read_text(encoding="utf-8"))).links


def meti(name: str) -> tuple[Link, ...]:
    path = DEMO / f"meti-news/{name}.html"
    return extract_links(Page(url=METI_URL, text=path.read_text(encoding="utf-8"))).links


def link(n: int, title: str | None = None, date: str | None = "2025-11-01") -> Link:
    return Link(
        url=f"https://www.ipa.go.jp/news/{n}.html", title=title or f"お知らせ{n}", date=date
    )


# -- the demo timelines ------------------------------------------------------------


def test_ipa_rapidus_item_is_the_one_change_and_the_scrolled_off_item_is_not_removed() -> None:
    changes = compare_links(ipa("2025-11-14"), ipa("2025-11-25"))
    assert [(c.kind, c.summary) for c in changes] == [
        (
            ChangeKind.LINK_ADDED,
            "New: 2025-11-21 「Rapidus株式会社への出資(1,000億円)について」 "
            "https://www.ipa.go.jp/news/2025/press20251121.html",
        )
    ]
    (change,) = changes
    assert change.url == change.entity_key == "https://www.ipa.go.jp/news/2025/press20251121.html"
    assert change.entity == "Rapidus株式会社への出資(1,000億円)について"


def test_ipa_budget_item_added_despite_the_switch_from_ul_to_dl_markup() -> None:
    changes = compare_links(ipa("2025-11-25"), ipa("2025-12-26"))
    assert [(c.kind, c.url) for c in changes] == [
        (ChangeKind.LINK_ADDED, "https://www.ipa.go.jp/news/2025/info20251226.html")
    ]
    assert "1,500億円" in changes[0].summary


@pytest.mark.parametrize(
    "variant",
    ["2025-11-25-utm-fragments", "2025-11-25-absolute-hrefs", "2025-11-25-table-markup"],
)
def test_noise_variants_give_no_change(variant: str) -> None:
    assert compare_links(ipa("2025-11-25"), ipa(variant)) == []
    assert compare_links(ipa(variant), ipa("2025-11-25")) == []


def test_item_removed_from_the_middle_is_one_link_removed() -> None:
    changes = compare_links(ipa("2025-11-25"), ipa("2025-11-25-middle-removed"))
    assert [(c.kind, c.summary) for c in changes] == [
        (
            ChangeKind.LINK_REMOVED,
            "Removed: 2025-10-31 「「中小企業の情報セキュリティ対策ガイドライン」第3.2版を公開」 "
            "https://www.ipa.go.jp/news/2025/press20251031.html",
        )
    ]


def test_meti_cloud_program_release_day_adds_two_items_without_removals() -> None:
    changes = compare_links(meti("2024-04-18"), meti("2024-04-19"))
    assert [c.kind for c in changes] == [ChangeKind.LINK_ADDED, ChangeKind.LINK_ADDED]
    assert "「クラウドプログラム」の供給確保計画を認定しました" in changes[1].summary
    assert changes[1].summary.startswith("New: 2024-04-19 ")


def test_meti_rapidus_selection_after_a_long_gap() -> None:
    changes = compare_links(meti("2024-04-19"), meti("2025-11-21"))
    assert [(c.kind, c.url) for c in changes] == [
        (
            ChangeKind.LINK_ADDED,
            "https://www.meti.go.jp/press/2025/11/20251121001/20251121001.html",
        ),
        (
            ChangeKind.LINK_ADDED,
            "https://www.meti.go.jp/press/2024/11/20241122001/20241122001.html",
        ),
    ]


# -- the rules, on small lists -----------------------------------------------------


def test_identical_lists_give_no_change() -> None:
    items = (link(3), link(2), link(1))
    assert compare_links(items, items) == []


def test_new_items_push_old_ones_off_the_end_silently() -> None:
    old = (link(5), link(4), link(3), link(2), link(1))
    new = (link(8), link(7), link(6), link(5), link(4))
    changes = compare_links(old, new)
    assert [c.url for c in changes] == [link(n).url for n in (8, 7, 6)]
    assert {c.kind for c in changes} == {ChangeKind.LINK_ADDED}


def test_complete_turnover_is_only_additions() -> None:
    old = (link(2), link(1))
    new = (link(4), link(3))
    assert [c.kind for c in compare_links(old, new)] == [ChangeKind.LINK_ADDED] * 2


def test_removal_before_the_last_kept_item_is_reported_and_scroll_off_is_not() -> None:
    old = (link(5), link(4), link(3), link(2), link(1))
    new = (link(6), link(5), link(3), link(2))  # 4 withdrawn, 1 scrolled off
    changes = compare_links(old, new)
    assert [(c.kind, c.url) for c in changes] == [
        (ChangeKind.LINK_ADDED, link(6).url),
        (ChangeKind.LINK_REMOVED, link(4).url),
    ]
    assert changes[1].before == (
        ("date", "2025-11-01"),
        ("title", "お知らせ4"),
        ("url", link(4).url),
    )


def test_moved_items_and_changed_dates_are_not_changes() -> None:
    old = (link(3), link(2, date="2025-11-02"), link(1))
    new = (link(2, date="2025-11-20"), link(3), link(1))
    assert compare_links(old, new) == []


@pytest.mark.parametrize(
    "new_title",
    [
        "Rapidus株式会社への出資について",
        "Ｒａｐｉｄｕｓ株式会社への出資について",
        "Rapidus 株式会社への 出資について",
        "Rapidus株式会社への出資について。",
        "「Rapidus株式会社への出資について」",
    ],
)
def test_cosmetic_title_edits_are_not_changes(new_title: str) -> None:
    old = (link(1, "Rapidus株式会社への出資について"),)
    assert compare_links(old, (link(1, new_title),)) == []


def test_a_reworded_title_is_entry_changed() -> None:
    old = (link(1, "Rapidus株式会社への出資について"),)
    new = (link(1, "Rapidus株式会社への出資について（追加出資）"),)
    (change,) = compare_links(old, new)
    assert change.kind == ChangeKind.ENTRY_CHANGED
    assert change.summary == (
        "Retitled: 「Rapidus株式会社への出資について」 → 「Rapidus株式会社への出資について（追加出資）」 "
        "https://www.ipa.go.jp/news/1.html"
    )


def test_undated_link_summary_has_no_date() -> None:
    (change,) = compare_links((), (link(1, "お知らせ", date=None),))
    assert change.summary == "New: 「お知らせ」 https://www.ipa.go.jp/news/1.html"


def test_duplicate_urls_count_once() -> None:
    assert compare_links((link(1),), (link(1), link(1))) == []


def test_order_is_added_then_retitled_then_removed() -> None:
    old = (link(4), link(3, "旧題"), link(2), link(1))
    new = (link(9), link(3, "新題"), link(1), link(8))
    kinds = [(c.kind, c.url) for c in compare_links(old, new)]
    assert kinds == [
        (ChangeKind.LINK_ADDED, link(9).url),
        (ChangeKind.LINK_ADDED, link(8).url),
        (ChangeKind.ENTRY_CHANGED, link(3).url),
        (ChangeKind.LINK_REMOVED, link(4).url),
        (ChangeKind.LINK_REMOVED, link(2).url),
    ]


def test_title_key_ignores_width_space_and_punctuation_only() -> None:
    assert title_key("ＤＸ白書 ２０２５。") == title_key("DX白書2025")
    assert title_key("DX白書2025") != title_key("DX白書2024")


# -- download lists ----------------------------------------------------------------
#
# Undated items (downloads) are a set, not a window: a file that disappears was taken
# down. A new size or type of the same URL is not a change (the file's own diff, #14,
# says whether its content changed); the new size is kept in the new snapshot.

PAGES = ROOT / "tests/fixtures/pages"
MATERIALS_URL = "https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor/shiryou.html"
SUPPORT_URL = "https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor/index.html"
FILES = "https://www.meti.go.jp/policy/mono_info_service/joho/conference/semicon_digital/0012"


def page(source: str, name: str, url: str) -> Document:
    return extract_links(Page(url=url, text=(PAGES / source / f"{name}.html").read_text(encoding="utf-8")))


def materials(name: str) -> tuple[Link, ...]:
    return page("meti-semiconductor-materials", name, MATERIALS_URL).links


def download(n: int, *, size: str | None = "120KB", title: str | None = None,
             file_type: str | None = "PDF") -> Link:
    return Link(url=f"https://www.meti.go.jp/shiryou/{n}.pdf", title=title or f"資料{n}",
                file_type=file_type, size_text=size, size_bytes=None)


def test_a_new_file_is_link_added_with_its_type_and_size_and_a_file_taken_down_is_removed() -> None:
    changes = compare_links(materials("2025-06-02"), materials("2025-07-01"))
    assert [(c.kind, c.summary) for c in changes] == [
        (ChangeKind.LINK_ADDED,
         f"New: 「資料3 令和8年度概算要求に向けた論点」 [PDF, 1,056 KB] {FILES}/shiryou3.pdf"),
        (ChangeKind.LINK_REMOVED,
         f"Removed: 「参考資料1 半導体関連支援策の執行状況」 [PDF, 640 KB] {FILES}/sankou1.pdf"),
    ]
    added = changes[0]
    assert (added.entity, added.url, added.entity_key) == (
        "資料3 令和8年度概算要求に向けた論点", f"{FILES}/shiryou3.pdf", f"{FILES}/shiryou3.pdf")
    assert added.after == (("date", ""), ("title", "資料3 令和8年度概算要求に向けた論点"),
                           ("url", f"{FILES}/shiryou3.pdf"), ("file", "PDF, 1,056 KB"))


def test_a_resaved_file_with_a_new_size_is_no_change() -> None:
    old, new = materials("2025-06-02"), materials("2025-07-01")
    resaved = f"{FILES}/shiryou2.pdf"
    before, after = ({link.url: link for link in links}[resaved] for links in (old, new))
    assert (before.size_text, after.size_text) == ("4,512KB", "4,630KB")  # so the check bites
    assert all(c.url != resaved for c in compare_links(old, new))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (download(1, size="46KB"), download(1, size="47KB")),
        (download(1, size="1.2MB"), download(1, size="1,229KB")),
        (download(1, size=None), download(1, size="46KB")),
        (download(1, size="46KB"), download(1, size=None)),
        (download(1, file_type="PDF"), download(1, file_type=None)),
    ],
    ids=["resaved", "rewritten-unit", "size-appears", "size-dropped", "type-dropped"],
)
def test_only_the_size_or_type_of_the_same_url_changing_is_no_change(before: Link, after: Link) -> None:
    assert compare_links((before,), (after,)) == []


def test_the_same_files_as_table_rows_give_no_change() -> None:
    assert compare_links(materials("2025-06-02"), materials("2025-06-02-table-markup")) == []
    assert compare_links(materials("2025-06-02-table-markup"), materials("2025-06-02")) == []


def test_a_retitled_file_is_entry_changed() -> None:
    (change,) = compare_links((download(1, title="交付決定一覧（令和7年度）"),),
                              (download(1, title="交付決定一覧（令和7年度・訂正版）"),))
    assert change.kind == ChangeKind.ENTRY_CHANGED
    assert change.summary.startswith("Retitled: 「交付決定一覧（令和7年度）」 → 「交付決定一覧（令和7年度・訂正版）」")


def test_a_file_taken_down_from_the_end_of_a_download_list_is_removed() -> None:
    old = (download(1), download(2), download(3))
    changes = compare_links(old, (download(1), download(2)))
    assert [(c.kind, c.url) for c in changes] == [(ChangeKind.LINK_REMOVED, download(3).url)]


def test_news_scrolling_off_stays_silent_when_downloads_follow_the_list() -> None:
    old = (link(5), link(4), link(3), download(1), download(2))
    new = (link(6), link(5), link(4), download(1), download(2))
    assert [(c.kind, c.url) for c in compare_links(old, new)] == [(ChangeKind.LINK_ADDED, link(6).url)]


def test_a_news_page_with_downloads_adds_the_new_release_and_the_new_file_only() -> None:
    old = page("meti-news-with-downloads", "2025-11-21", SUPPORT_URL)
    new = page("meti-news-with-downloads", "2025-11-25", SUPPORT_URL)
    changes = compare(old, new)
    assert [(c.kind, c.summary) for c in changes] == [
        (ChangeKind.LINK_ADDED,
         "New: 2025-11-25 「「AI・半導体産業基盤強化フレーム」の支援対象を公表します」 "
         "https://www.meti.go.jp/press/2025/11/20251125002/20251125002.html"),
        (ChangeKind.LINK_ADDED,
         "New: 「AI・半導体産業基盤強化フレームの概要」 [PDF, 1.8 MB] "
         "https://www.meti.go.jp/policy/mono_info_service/joho/semiconductor/pdf/frame_gaiyou.pdf"),
    ]  # 6月6日's release scrolled off; the Excel's 64KB → 66KB is no change


def test_the_first_document_read_with_downloads_makes_their_files_a_baseline() -> None:
    new = page("meti-news-with-downloads", "2025-11-25", SUPPORT_URL)
    # What the watcher stored before it read downloads: the same page, news items only.
    before = page("meti-news-with-downloads", "2025-11-21", SUPPORT_URL)
    stored = Document(kind="links", text=before.text,
                      links=tuple(link for link in before.links if link.date is not None))
    changes = compare(stored, new)
    assert [c.url for c in changes] == [
        "https://www.meti.go.jp/press/2025/11/20251125002/20251125002.html"
    ]  # the three files were always on the page: not new
    assert [c.kind for c in compare(before, new)].count(ChangeKind.LINK_ADDED) == 2


def test_a_stored_document_reloaded_from_json_still_compares_equal() -> None:
    doc = page("meti-semiconductor-materials", "2025-06-02", MATERIALS_URL)
    reloaded = Document.loads(doc.dumps())
    assert reloaded == doc
    assert compare(reloaded, doc) == []

"""Which source a capture belongs to: its URL (scheme and default port aside), or the one named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.errors import ConfigError
from watcher.importer.core import ImportItem, in_capture_order, match_captures, url_key
from watcher.importer.warc import Capture
from watcher.sources import load_config

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "sources.toml")


def capture(url: str, day: int = 1, body: bytes = b"x", content_type: str = "text/html") -> Capture:
    return Capture(url=url, captured_at=datetime(2024, 2, day, tzinfo=UTC), body=body,
                   content_type=content_type)


@pytest.mark.parametrize(
    ("archived", "watched"),
    [
        ("http://www.meti.go.jp/press/index.html", "https://www.meti.go.jp/press/index.html"),
        ("http://www.meti.go.jp:80/press/index.html", "https://www.meti.go.jp/press/index.html"),
        ("https://WWW.IPA.GO.JP/news/index.html#top", "https://www.ipa.go.jp/news/index.html"),
        ("https://www.ipa.go.jp", "https://www.ipa.go.jp/"),
    ],
)
def test_archived_addresses_match_the_watched_page(archived: str, watched: str) -> None:
    assert url_key(archived) == url_key(watched)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://www.meti.go.jp/press/index.html", "https://www.meti.go.jp/press/"),
        ("https://www.meti.go.jp/press/index.html?page=2", "https://www.meti.go.jp/press/index.html"),
        ("http://127.0.0.1:8080/a.html", "http://127.0.0.1:9090/a.html"),
        ("https://meti.go.jp/press/index.html", "https://www.meti.go.jp/press/index.html"),
    ],
)
def test_different_pages_do_not_match(one: str, other: str) -> None:
    assert url_key(one) != url_key(other)


def test_captures_go_to_the_sources_watching_their_url() -> None:
    news = capture("http://www.meti.go.jp/press/index.html")
    ipa = capture("https://www.ipa.go.jp/news/index.html")
    stray = capture("https://www.meti.go.jp/robots.txt")

    matched = match_captures([news, ipa, stray], CONFIG.sources)

    assert [(i.source.id, i.capture) for i in matched.items] == [("meti-news", news),
                                                                 ("ipa-news", ipa)]
    assert (matched.unmatched, matched.unmatched_urls) == (1, ("https://www.meti.go.jp/robots.txt",))


def test_a_named_source_takes_the_only_address_of_a_crawl_of_a_copy() -> None:
    copies = [capture("http://127.0.0.1:8123/news/index.html", day) for day in (1, 2)]

    matched = match_captures(copies, CONFIG.sources, source=CONFIG.source("ipa-news"))

    assert [(i.source.id, i.capture.captured_at.day) for i in matched.items] == [
        ("ipa-news", 1), ("ipa-news", 2)]


def test_a_named_source_prefers_its_own_url_and_else_needs_url_to_choose() -> None:
    own = capture("https://www.ipa.go.jp/news/index.html")
    page = capture("http://127.0.0.1:8123/news/index.html")
    extra = capture("http://127.0.0.1:8123/news/2025/press.html")
    source = CONFIG.source("ipa-news")

    assert [i.capture for i in match_captures([own, extra], CONFIG.sources, source=source).items] == [own]
    with pytest.raises(ConfigError, match=r"2 addresses .* source 'ipa-news': choose one with --url"):
        match_captures([page, extra], CONFIG.sources, source=source)
    chosen = match_captures([page, extra], CONFIG.sources, source=source, url=page.url)
    assert [i.capture for i in chosen.items] == [page]
    assert chosen.unmatched == 1


def test_a_crawl_with_page_requisites_gives_the_named_source_its_one_page() -> None:
    page = capture("http://127.0.0.1:8123/news/index.html", content_type="text/html; charset=utf-8")
    css = capture("http://127.0.0.1:8123/assets/css/style.css", content_type="text/css")
    logo = capture("http://127.0.0.1:8123/assets/img/logo.svg", content_type="image/svg+xml")

    matched = match_captures([css, page, logo], CONFIG.sources, source=CONFIG.source("ipa-news"))

    assert [i.capture for i in matched.items] == [page]
    assert matched.unmatched == 2


def test_captures_are_imported_oldest_first_and_ties_keep_file_order() -> None:
    plans, news = CONFIG.source("meti-semiconductor-plans"), CONFIG.source("meti-news")
    late = ImportItem(source=plans, capture=capture(plans.url, 9))
    early_a = ImportItem(source=news, capture=capture(news.url, 3, b"a"))
    early_b = ImportItem(source=news, capture=capture(news.url, 3, b"b"))

    assert in_capture_order([late, early_a, early_b]) == [early_a, early_b, late]

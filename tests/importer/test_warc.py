"""Reading WARC files: only HTTP 200 responses become captures, decoded as the fetch stage would."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.errors import ConfigError
from watcher.importer.warc import Capture, ReadStats, parse_warc_date, read_warc, write_warc

from .warcs import CrawlWriter, chunked, gzipped

DEMO = Path(__file__).resolve().parents[2] / "src/watcher/demo_data/pages"
PLANS = "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html"


def test_captures_written_as_a_warc_read_back_identically(tmp_path: Path) -> None:
    first = Capture(url=PLANS, captured_at=datetime(2022, 6, 20, tzinfo=UTC),
                    body=(DEMO / "meti-semiconductor-plans/2022-06-20.html").read_bytes(),
                    content_type="text/html", etag='"abc"')
    second = Capture(url="https://www.meti.go.jp/main/yosangaisan/fy2026/pdf/01.pdf",
                     captured_at=datetime(2025, 8, 29, tzinfo=UTC),
                     body=(DEMO / "meti-budget-fy2026-pdf/2025-08-29.pdf").read_bytes(),
                     content_type="application/pdf")
    path = tmp_path / "history.warc.gz"

    assert write_warc(path, [first, second]) == 2
    read = read_warc(path)

    assert [(c.url, c.captured_at, c.body, c.content_type) for c in read] == [
        (first.url, first.captured_at, first.body, "text/html"),
        (second.url, second.captured_at, second.body, "application/pdf"),
    ]
    assert read[0].etag == '"abc"'
    assert read[0].origin.startswith(f"{path}#")


def test_only_200_responses_count_and_other_records_are_tallied(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    date = "2024-02-27T00:00:00Z"
    with CrawlWriter(path) as crawl:
        crawl.request(PLANS, date)
        crawl.response(PLANS, date, b"<p>ok</p>")
        crawl.response("https://www.meti.go.jp/robots.txt", date, b"", status="404 Not Found")
        crawl.response("https://www.meti.go.jp/old.html", date, b"", status="301 Moved Permanently",
                       headers=[("Location", PLANS)])
        crawl.metadata(PLANS, date)
        crawl.revisit(PLANS, "2024-02-28T00:00:00Z")
    stats = ReadStats()

    captures = read_warc(path, stats=stats)

    assert [(c.url, c.body) for c in captures] == [(PLANS, b"<p>ok</p>")]
    assert (stats.responses, stats.not_ok) == (3, 2)
    assert stats.other_records == {"warcinfo": 1, "request": 1, "metadata": 1, "revisit": 1}


def test_chunked_and_gzipped_payloads_are_decoded_like_a_fetch(tmp_path: Path) -> None:
    page = (DEMO / "meti-semiconductor-plans/2024-02-27.html").read_bytes()
    path = tmp_path / "wire.warc"
    with CrawlWriter(path, gzip=False) as crawl:
        crawl.response(PLANS, "2024-02-27T00:00:00Z", page, raw_payload=chunked(gzipped(page)),
                       headers=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")])

    [capture] = read_warc(path)

    assert capture.body == page
    assert capture.content_hash == hashlib.sha256(page).hexdigest()


def test_unwanted_addresses_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    with CrawlWriter(path) as crawl:
        crawl.response(PLANS, "2024-02-27T00:00:00Z", b"a")
        crawl.response("https://example.org/", "2024-02-27T00:00:01Z", b"b")
    stats = ReadStats()

    captures = read_warc(path, want=lambda url: "meti" in url, stats=stats)

    assert [c.url for c in captures] == [PLANS]
    assert (stats.unwanted, stats.unwanted_urls) == (1, ["https://example.org/"])


def test_a_shift_jis_page_becomes_the_fetch_result_a_live_fetch_gives() -> None:
    body = (DEMO / "meti-semiconductor-plans/2022-06-20.html").read_bytes()
    capture = Capture(url=PLANS, captured_at=datetime(2022, 6, 20, tzinfo=UTC), body=body,
                      content_type="text/html", last_modified="Mon, 20 Jun 2022 00:00:00 GMT")

    result = capture.to_fetch_result()

    assert (result.status, result.http_status, result.url) == ("ok", 200, PLANS)
    assert result.encoding == "cp932"  # declared Shift_JIS, only in <meta>
    assert "特定半導体生産施設整備等計画" in result.text
    assert result.content_hash == hashlib.sha256(body).hexdigest()
    assert result.last_modified == "Mon, 20 Jun 2022 00:00:00 GMT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-06-20T00:00:00Z", datetime(2022, 6, 20, tzinfo=UTC)),
        ("2024-02-27T09:15:30.250Z", datetime(2024, 2, 27, 9, 15, 30, 250000, tzinfo=UTC)),
        ("2024-02-27T09:00:00+09:00", datetime(2024, 2, 27, 0, 0, tzinfo=UTC)),
        ("2024-02-27T00:00:00", datetime(2024, 2, 27, tzinfo=UTC)),  # WARC dates are UTC
    ],
)
def test_warc_dates_are_aware_utc(text: str, expected: datetime) -> None:
    assert parse_warc_date(text) == expected


def test_a_file_that_is_not_a_warc_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<html>not an archive</html>", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"page\.html: not a readable WARC file"):
        read_warc(path)
    with pytest.raises(ConfigError, match=r"missing\.warc\.gz: file not found"):
        read_warc(tmp_path / "missing.warc.gz")

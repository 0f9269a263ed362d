"""The pure helpers behind the pages: query parsing, amounts, diffs, cells, health, charts, feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest

from watcher.store.admin import AmountPoint, SourceOverview
from watcher.store.changes import StoredChange
from watcher.web.auth import is_loopback_host
from watcher.web.charts import step_chart
from watcher.web.feed import atom_feed
from watcher.web.views import (
    billions,
    cell_pairs,
    delta,
    diff_pieces,
    local_path,
    parse_list_query,
    safe_href,
    source_health,
)


@pytest.mark.parametrize(
    ("yen", "oku_text", "bn_text"),
    [
        (476_000_000_000, "4,760億円", "¥476.0bn"),
        (10_240_000_000, "102.4億円", "¥10.24bn"),
        (92_930_000_000, "929.3億円", "¥92.93bn"),
    ],
)
def test_amounts_read_as_oku_and_billions(yen: int, oku_text: str, bn_text: str) -> None:
    from watcher.web.views import oku

    assert oku(yen) == oku_text
    assert billions(yen) == bn_text


def test_trillions_are_abbreviated_too() -> None:
    assert billions(1_239_000_000_000).startswith("¥1.2")
    assert billions(1_239_000_000_000).endswith("tn")


def test_the_delta_of_an_amount_change() -> None:
    assert delta(192_000_000_000, 167_000_000_000) == "+250億円"
    assert delta(100_000_000_000, 150_000_000_000) == "−500億円"
    assert delta(None, 1) == ""
    assert delta(1, None) == ""


def test_list_query_dates_are_tokyo_days_inclusive() -> None:
    query = parse_list_query({"from": "2024-03-15", "to": "2024-03-15"})
    assert query.filters.since == datetime(2024, 3, 14, 15, 0, tzinfo=UTC)
    assert query.filters.until == datetime(2024, 3, 15, 15, 0, tzinfo=UTC)
    assert query.errors == ()


def test_list_query_reports_bad_values_and_ignores_them() -> None:
    query = parse_list_query({"from": "last week", "kind": "drop table", "ack": "maybe",
                              "page": "0", "per_page": "100000"})
    assert query.filters.since is None
    assert query.filters.kind is None
    assert query.filters.acknowledged is None
    assert (query.page, query.per_page) == (1, 200)
    assert len(query.errors) == 4


def test_list_query_reads_every_filter() -> None:
    query = parse_list_query({"agency": "METI", "source": "meti-news", "kind": "link_added",
                              "ack": "no", "q": " Rapidus ", "page": "3", "per_page": "20"})
    f = query.filters
    assert (f.agency, f.source, f.kind, f.acknowledged, f.text) == ("METI", "meti-news", "link_added", False, "Rapidus")
    assert (query.page, query.per_page) == (3, 20)


def test_long_unchanged_text_is_shortened_around_the_change() -> None:
    pieces = diff_pieces([[0, "あ" * 1000], [1, "令和7年11月21日、Rapidus株式会社の計画を選定"], [0, "い" * 1000]],
                         context=50)
    assert [p.op for p in pieces] == ["skip", "equal", "insert", "equal", "skip"]
    assert pieces[1].text == "あ" * 50
    assert pieces[3].text == "い" * 50
    assert pieces[0].text == "… 950 characters unchanged …"


def test_short_diffs_are_kept_whole() -> None:
    pieces = diff_pieces([[0, "最大助成額 "], [-1, "1,670"], [1, "1,920"], [0, "億円"]])
    assert [(p.op, p.text) for p in pieces] == [("equal", "最大助成額 "), ("delete", "1,670"),
                                                 ("insert", "1,920"), ("equal", "億円")]
    assert diff_pieces(None) == ()


def test_cells_are_aligned_by_header_and_changes_marked() -> None:
    before = [["認定日", "令和5年10月3日"], ["最大助成額", "1,670"], ["備考", "※1"]]
    after = [["認定日", "令和5年10月3日"], ["最大助成額", "1,920"]]
    pairs = cell_pairs(before, after)
    assert [(p.header, p.before, p.after, p.changed) for p in pairs] == [
        ("認定日", "令和5年10月3日", "令和5年10月3日", False),
        ("最大助成額", "1,670", "1,920", True),
        ("備考", "※1", None, True),
    ]
    assert [p.after for p in cell_pairs(None, after)] == ["令和5年10月3日", "1,920"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.meti.go.jp/press/2024/02/20240224001/20240224001.html", True),
        ("http://www.ipa.go.jp/news/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/", False),
        ("/relative/path", False),
        ("", False),
    ],
)
def test_only_absolute_http_links_become_links(url: str, expected: bool) -> None:
    assert (safe_href(url) is not None) is expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/changes/3", "/changes/3"), ("https://evil.example", "/x"), ("//evil.example", "/x"),
     ("/\\evil.example", "/x"), ("/a\r\nSet-Cookie: x", "/x"), ("", "/x")],
)
def test_redirects_stay_on_the_site(target: str, expected: str) -> None:
    assert local_path(target, "/x") == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1:8000", True), ("localhost", True), ("[::1]:8000", True), ("LOCALHOST:80", True),
     ("attacker.example", False), ("127.0.0.1.attacker.example", False), ("", False), (None, False)],
)
def test_loopback_host_names(host: str | None, expected: bool) -> None:
    assert is_loopback_host(host) is expected


OK_SOURCE = SourceOverview(
    id="meti-cloud-program", name="METI — クラウドプログラム", agency="METI", url="https://www.meti.go.jp/",
    extract="table", schedule="0 9 * * *", enabled=True, removed=False,
    last_check_at=datetime(2025, 12, 26, 0, tzinfo=UTC), last_status="ok", last_error=None,
    last_good_snapshot_id=3, last_good_at=datetime(2025, 12, 26, 0, tzinfo=UTC), next_due_at=None,
    failing_since=None, consecutive_failures=0, change_count=0, unacknowledged_count=0,
    failing_deliveries=0,
)


def test_source_health_in_words() -> None:
    assert source_health(OK_SOURCE).state == "ok"
    failing = replace(OK_SOURCE, last_status="failed", last_error="HTTP 503 Service Unavailable",
                      failing_since=datetime(2025, 12, 24, 0, tzinfo=UTC), consecutive_failures=3)
    assert source_health(failing).text == \
        "failing since 2025-12-24 09:00 JST (3 checks): HTTP 503 Service Unavailable"
    suspect = replace(OK_SOURCE, last_status="suspect", last_error="maintenance page: メンテナンス中")
    assert source_health(suspect).text == "suspect because maintenance page: メンテナンス中"
    assert source_health(replace(OK_SOURCE, last_status=None)).state == "never"
    assert source_health(replace(OK_SOURCE, enabled=False)).state == "disabled"
    assert source_health(replace(OK_SOURCE, removed=True)).state == "removed"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_the_chart_steps_from_one_amount_to_the_next() -> None:
    chart = step_chart([AmountPoint(at=at("2023-10-03"), amount_yen=167_000_000_000),
                        AmountPoint(at=at("2024-03-15"), amount_yen=192_000_000_000)],
                       start=at("2022-07-26"), end=at("2024-07-26"), width=100, height=40, pad=0)
    assert chart is not None
    assert [(m.amount_yen, m.y) for m in chart.marks] == [(167_000_000_000, 40.0), (192_000_000_000, 0.0)]
    assert chart.path.startswith("M59.")
    assert " V0.0 H100.0" in chart.path
    assert (chart.low_yen, chart.high_yen) == (167_000_000_000, 192_000_000_000)


def test_a_removed_row_breaks_the_line_and_no_amount_means_no_chart() -> None:
    points = [AmountPoint(at=at("2023-01-01"), amount_yen=5), AmountPoint(at=at("2024-01-01"), amount_yen=None)]
    chart = step_chart(points, end=at("2024-12-31"), width=100, height=40, pad=0)  # 365 + 365 days
    assert chart is not None
    assert chart.path == "M0.0 20.0 H50.0"
    assert step_chart([AmountPoint(at=at("2023-01-01"), amount_yen=None)], end=at("2024-01-01")) is None


def test_the_feed_escapes_and_strips_what_xml_cannot_hold() -> None:
    change = StoredChange(
        id=7, source="meti-semiconductor-plans", agency="METI", source_name="METI — 計画", kind="entry_added",
        entity="<b>x</b>\x0b", amount_yen=None, previous_amount_yen=None, url="javascript:alert(1)",
        detected_at=at("2024-03-15"), summary="New: <script>alert(1)</script> & \x00more",
        table=None, snapshot_id=1, previous_snapshot_id=None, acknowledged_at=None, imported=False,
        source_url="https://www.meti.go.jp/", details={},
    )
    body = atom_feed([change], base_url="https://w.example/", feed_url="https://w.example/feed.atom",
                     updated=at("2024-03-16"))
    feed = ET.fromstring(body)
    entry = feed.find("{http://www.w3.org/2005/Atom}entry")
    assert entry is not None
    assert entry.findtext("{http://www.w3.org/2005/Atom}summary") == "New: <script>alert(1)</script> & more"
    related = [link.get("href") for link in entry.findall("{http://www.w3.org/2005/Atom}link")]
    assert "javascript:alert(1)" not in related
    assert feed.findtext("{http://www.w3.org/2005/Atom}updated") == "2024-03-16T00:00:00+00:00"

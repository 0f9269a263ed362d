"""The admin pages over a database the real pipeline filled: list, detail, sources, snapshots, deliveries."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from watcher.store.models import ChangeRow, Delivery, Snapshot
from web.admin_seed import FRAMEWORK, HOSTILE, PAGES, PLANS, Seeded
from web.admin_support import TestClient, csrf_token

from support.pageserver import PageServer

HTML = {"accept": "text/html"}


def rows(page: str) -> list[str]:
    """The change ids listed on a page, in order."""
    return re.findall(r'data-change-id="(\d+)"', page)


def get(client: TestClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_the_list_shows_every_change_newest_first(client: TestClient, seeded: Seeded) -> None:
    page = get(client, "/changes")
    assert [int(i) for i in rows(page)] == sorted(seeded.change_ids, reverse=True)
    assert get(client, "/") == page
    assert f"{len(seeded.change_ids)} changes" in page


def test_amounts_read_in_oku_with_billions_beside_and_the_delta(client: TestClient, seeded: Seeded) -> None:
    page = get(client, "/changes?kind=amount_changed")
    assert rows(page) == [str(seeded.amount_change_id)]
    assert "1,920億円" in page
    assert "¥192.0bn" in page
    assert "+250億円" in page


def test_unacknowledged_changes_stand_out(client: TestClient, seeded: Seeded, admin_engine: Engine) -> None:
    acknowledge(client, seeded.amount_change_id)
    page = get(client, "/changes")
    assert re.search(rf'class="ack" data-change-id="{seeded.amount_change_id}"', page)
    assert page.count('class="unack"') == len(seeded.change_ids) - 1


@pytest.mark.parametrize(
    ("query", "expected_sources"),
    [
        ("agency=IPA", {"ipa-news"}),
        (f"source={PLANS}", {PLANS}),
        ("kind=text_changed", {FRAMEWORK}),
        ("from=2024-03-15&to=2024-03-15", {PLANS}),
        ("q=Rapidus", {"ipa-news", "meti-news", FRAMEWORK}),
        ("q=マイクロン&kind=entry_added", {PLANS}),
    ],
)
def test_filters_narrow_the_list(client: TestClient, query: str, expected_sources: set[str]) -> None:
    data = client.get(f"/api/changes?{query}").json()
    assert data["total"] == len(data["changes"]) > 0
    assert {c["source"] for c in data["changes"]} == expected_sources
    # The page lists the same changes as the API.
    assert rows(get(client, f"/changes?{query}")) == [str(c["id"]) for c in data["changes"]]


def test_the_date_range_is_japanese_days_inclusive(client: TestClient) -> None:
    # 2024-03-15 10:00 JST is 01:00 UTC: on the 15th in Tokyo, not the 14th.
    assert client.get("/api/changes?to=2024-03-14&from=2024-03-14").json()["total"] == 0
    assert client.get("/api/changes?from=2024-03-15&to=2024-03-15").json()["total"] == 2


def test_search_is_case_insensitive_and_treats_wildcards_literally(client: TestClient) -> None:
    assert client.get("/api/changes?q=rapidus").json()["total"] == client.get("/api/changes?q=RAPIDUS").json()["total"] > 0
    assert client.get("/api/changes?q=%25").json()["total"] == 0
    assert client.get("/api/changes?q=_").json()["total"] == 0


def test_the_acknowledged_filter(client: TestClient, seeded: Seeded) -> None:
    acknowledge(client, seeded.amount_change_id)
    assert [c["id"] for c in client.get("/api/changes?ack=yes").json()["changes"]] == [seeded.amount_change_id]
    assert client.get("/api/changes?ack=no").json()["total"] == len(seeded.change_ids) - 1


def test_pagination_walks_every_change_once(client: TestClient, seeded: Seeded) -> None:
    seen: list[str] = []
    path: str | None = "/changes?per_page=4"
    while path:
        page = get(client, path)
        seen += rows(page)
        link = re.search(r'<a rel="next" href="([^"]+)"', page)
        path = html.unescape(link.group(1)) if link else None
    assert sorted(map(int, seen)) == sorted(seeded.change_ids)
    assert len(seen) == len(set(seen))


def test_pagination_keeps_the_filters(client: TestClient) -> None:
    page = get(client, f"/changes?source={PLANS}&per_page=2")
    link = re.search(r'<a rel="next" href="([^"]+)"', page)
    assert link
    assert f"source={PLANS}" in link.group(1)
    assert "page=2" in link.group(1)


def test_bad_filter_values_are_reported_not_fatal(client: TestClient) -> None:
    page = get(client, "/changes?from=yesterday&kind=everything&page=-1")
    assert "must be a date" in page
    assert "unknown change kind" in page
    assert client.get("/api/changes?from=yesterday").status_code == 422


def test_the_detail_shows_before_and_after_cells_with_the_changed_ones_marked(
        client: TestClient, seeded: Seeded) -> None:
    page = get(client, f"/changes/{seeded.amount_change_id}")
    assert "1,670億円" in page
    assert "1,920億円" in page
    assert "+250億円" in page
    changed = re.findall(r'<tr class="changed">\s*<th scope="row">([^<]+)</th>', page)
    assert changed == ["認定日", "最大助成額"]
    assert re.search(r'<th scope="row">認定事業者</th>\s*<td class="before">マイクロンメモリジャパン株式会社</td>', page)
    assert 'href="/snapshots/' in page
    assert 'href="https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor/semiconductor_plan.html"' in page


def test_the_detail_renders_the_stored_text_diff(client: TestClient, admin_engine: Engine) -> None:
    with Session(admin_engine) as session:
        change = session.exec(select(ChangeRow).where(ChangeRow.kind == "text_changed")).first()
    assert change is not None
    page = get(client, f"/changes/{change.id}")
    assert re.search(r"<ins>\s*令和7年11月21日、Rapidus株式会社の計画を", page)
    assert "<span>AI・半導体産業基盤強化フレーム" in page  # the unchanged text around it


def test_acknowledge_and_unacknowledge_persist(client: TestClient, seeded: Seeded) -> None:
    cid = seeded.amount_change_id
    response = acknowledge(client, cid)
    assert response.status_code == 303
    assert response.headers["location"] == f"/changes/{cid}"
    assert client.get(f"/api/changes/{cid}").json()["acknowledged_at"] is not None
    assert "acknowledged 20" in get(client, f"/changes/{cid}")
    token = csrf_token(client)
    client.post(f"/changes/{cid}/unacknowledge", data={"csrf_token": token}, follow_redirects=False)
    assert client.get(f"/api/changes/{cid}").json()["acknowledged_at"] is None


def acknowledge(client: TestClient, change_id: int):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post(f"/changes/{change_id}/acknowledge", data={"csrf_token": token},
                       follow_redirects=False)


def test_unknown_ids_are_404(client: TestClient) -> None:
    for path in ("/changes/999999", "/sources/nope", "/snapshots/999999", "/api/changes/999999"):
        assert client.get(path).status_code == 404, path
    assert client.get("/changes/999999", headers=HTML).text.count("there is no change 999999") == 1


# --- hostile page text --------------------------------------------------------------------

def assert_inert(page: str) -> None:
    assert HOSTILE not in page  # never as markup
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert html.escape(HOSTILE, quote=False) in page or html.escape(HOSTILE) in page


def test_hostile_cell_text_is_escaped_on_every_page(client: TestClient, seeded: Seeded, admin_engine: Engine) -> None:
    with Session(admin_engine) as session:
        snapshot_id = session.exec(select(ChangeRow.snapshot_id)
                                   .where(ChangeRow.id == seeded.hostile_change_id)).one()
    for path in ("/changes", f"/changes/{seeded.hostile_change_id}",
                 f"/changes/{seeded.hostile_text_change_id}", f"/sources/{PLANS}",
                 f"/snapshots/{snapshot_id}", "/deliveries"):
        assert_inert(get(client, path))


def test_hostile_text_in_the_feed_is_text_not_markup(client: TestClient) -> None:
    feed = client.get("/feed.atom").text
    assert HOSTILE not in feed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in feed
    assert 'type="html"' not in feed
    assert 'type="xhtml"' not in feed


def test_a_javascript_link_from_a_page_never_becomes_a_link(client: TestClient, admin_engine: Engine,
                                                           seeded: Seeded) -> None:
    from sqlalchemy import update

    with Session(admin_engine) as session, session.begin():
        session.execute(update(ChangeRow).where(ChangeRow.id == seeded.hostile_change_id)
                        .values(url="javascript:alert(3)"))
    page = get(client, f"/changes/{seeded.hostile_change_id}")
    assert 'href="javascript:' not in page
    assert "javascript:alert(3)" in page  # shown as text


# --- sources, snapshots, deliveries -------------------------------------------------------

def test_sources_show_health_counts_and_failing_deliveries(client: TestClient) -> None:
    page = get(client, "/sources")
    cloud = page[page.index('data-source-id="meti-cloud-program"'):]
    assert "failing since 2025-12-24 09:00 JST (3 checks): HTTP 503 Service Unavailable" in cloud[:2000]
    ipa = page[page.index('data-source-id="ipa-news"'):]
    assert "suspect because maintenance page" in ipa[:2000]
    plans = page[page.index(f'data-source-id="{PLANS}"'):]
    assert ">6</a>" in plans[:3000]  # six changes
    sources = {s["id"]: s for s in client.get("/api/sources").json()}
    assert sources["ipa-news"]["failing_deliveries"] == 1
    assert sources[PLANS]["change_count"] == 6


def test_a_table_source_shows_current_records_and_amount_history(client: TestClient) -> None:
    page = get(client, f"/sources/{PLANS}")
    assert page.count("<svg class=\"chart\"") == 7  # one per current row
    assert "4,760億円" in page
    assert "¥476.0bn" in page
    # The revised Micron plan: a step from 1,670億円 up to 1,920億円.
    assert re.search(r"<title>2023-10-03 10:00: 1,670億円 \(¥167.0bn\)</title>", page)
    assert re.search(r"<title>2024-03-15 10:00: 1,920億円 \(¥192.0bn\)</title>", page)
    assert page.count('class="snap-ok"') == 6
    assert page.count('class="snap-unchanged"') == 6


def test_the_snapshot_page_shows_the_extraction_and_the_raw_body_downloads_as_text(
        client: TestClient, admin_engine: Engine) -> None:
    with Session(admin_engine) as session:
        snap = session.exec(select(Snapshot).where(Snapshot.source_id == PLANS, Snapshot.status == "ok")
                            .order_by(Snapshot.id.desc())).first()  # type: ignore[union-attr]
    assert snap is not None
    page = get(client, f"/snapshots/{snap.id}")
    assert "認定計画一覧" in page
    assert "7,320億円" in page
    raw = client.get(f"/snapshots/{snap.id}/raw")
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert raw.content == (PAGES / PLANS / "2024-03-15.html").read_bytes()


def test_a_snapshot_that_stored_no_body_has_no_download(client: TestClient, admin_engine: Engine) -> None:
    with Session(admin_engine) as session:
        snap = session.exec(select(Snapshot).where(Snapshot.status == "unchanged")).first()
    assert snap is not None
    assert "same as the last good snapshot" in get(client, f"/snapshots/{snap.id}")
    assert client.get(f"/snapshots/{snap.id}/raw").status_code == 404


def test_deliveries_list_failed_and_dead_with_errors_and_retry_one(client: TestClient, seeded: Seeded,
                                                                  admin_engine: Engine) -> None:
    page = get(client, "/deliveries")
    assert "Slack answered HTTP 500: internal_error" in page
    assert "Slack answered HTTP 404: no_service" in page
    assert page.count(">Retry</button>") == 2
    token = csrf_token(client)
    response = client.post(f"/deliveries/{seeded.dead_delivery_id}/retry", data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    with Session(admin_engine) as session:
        retried = session.get(Delivery, seeded.dead_delivery_id)
        assert retried is not None
        assert (retried.status, retried.attempts) == ("pending", 0)
    again = client.post(f"/deliveries/{seeded.dead_delivery_id}/retry", data={"csrf_token": token})
    assert again.status_code == 409  # pending now: nothing to retry


def test_check_now_runs_a_check_in_the_background(client: TestClient, admin_engine: Engine,
                                                 tmp_path: Path, page_server: PageServer) -> None:
    page_server.serve("/plans.html", (PAGES / PLANS / "2024-03-15.html").read_text(encoding="utf-8"))
    (tmp_path / "sources.toml").write_text(
        f'[[sources]]\nid = "{PLANS}"\nname = "METI — 特定半導体生産施設整備等計画の認定"\n'
        f'agency = "METI"\nurl = "{page_server.url("/plans.html")}"\nextract = "table"\n'
        'allow_private = true\n', encoding="utf-8")
    with Session(admin_engine) as session:
        before = len(session.exec(select(Snapshot.id).where(Snapshot.source_id == PLANS)).all())
    token = csrf_token(client)
    response = client.post(f"/sources/{PLANS}/check", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sources/{PLANS}?notice=check-queued"
    assert page_server.hits("/plans.html") == 1  # the test client waits for background tasks
    with Session(admin_engine) as session:
        after = session.exec(select(Snapshot).where(Snapshot.source_id == PLANS)
                             .order_by(Snapshot.id.desc())).first()  # type: ignore[union-attr]
        count = len(session.exec(select(Snapshot.id).where(Snapshot.source_id == PLANS)).all())
    assert count == before + 1
    assert after is not None
    assert after.status == "unchanged"
    assert "A check of this source is running" in get(client, response.headers["location"])


def test_check_now_of_a_source_not_in_sources_toml_is_404(client: TestClient, tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text("", encoding="utf-8")
    token = csrf_token(client)
    response = client.post(f"/sources/{PLANS}/check", data={"csrf_token": token})
    assert response.status_code == 404

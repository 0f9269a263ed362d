"""A range is shown and diffed as a range wherever people read changes: the CLI, Slack,
the digest email and the admin page (and `watcher changes --json`, the API, the feed)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from notify.factories import LINKS, T0, add_source, record_changes, stored
from watcher.changes import ChangeKind
from watcher.cli import app as cli_app
from watcher.diff.records import compare_records
from watcher.extract.document import Page, Record
from watcher.extract.table import extract_tables
from watcher.notify.digest import build_content, render_html, render_text
from watcher.notify.render import render_changes
from watcher.store import list_changes
from watcher.store.changes import StoredChange
from watcher.web import create_app
from web.admin_support import BASE_URL, TestClient, admin_settings, basic

PAGES = Path(__file__).resolve().parent / "fixtures/pages/meti-digital-subsidies"
SOURCE = {
    "id": "meti-digital-subsidies",
    "name": "METI — 半導体・デジタル産業基盤補助事業 採択結果",
    "agency": "METI",
    "url": "https://www.meti.go.jp/policy/mono_info_service/joho/koubo/kekka.html",
}
TOHOKU = "株式会社東北マイクロデバイス — 宮城県仙台市:パワー半導体の後工程"
OLD_RANGE = "500万円～1,000万円 (¥5.0 million to ¥10.0 million)"
NEW_RANGE = "500万円～1,500万円 (¥5.0 million to ¥15.0 million)"


def records(name: str) -> tuple[Record, ...]:
    page = Page(url=SOURCE["url"], text=(PAGES / name).read_text("utf-8"))
    return extract_tables(page).records


def stored_changes(engine: Engine) -> list[StoredChange]:
    """The July revision of the results page, recorded as the pipeline records it."""
    add_source(engine, SOURCE)
    changes = compare_records(records("2025-06-30.html"), records("2025-07-15.html"))
    record_changes(engine, SOURCE["id"], changes, at=T0)
    with Session(engine) as session:
        return list_changes(session=session, source_ids=(SOURCE["id"],))


def test_stored_changes_keep_both_ends_of_a_range(engine: Engine) -> None:
    raised = stored_changes(engine)[0]
    assert raised.entity == TOHOKU
    assert (raised.previous_amount_low_yen, raised.previous_amount_yen) == (5_000_000, 10_000_000)
    assert (raised.amount_low_yen, raised.amount_yen) == (5_000_000, 15_000_000)
    as_json = raised.to_json()
    assert (as_json["amount_low_yen"], as_json["amount_yen"]) == (5_000_000, 15_000_000)
    assert as_json["previous_amount_low_yen"] == 5_000_000


def test_slack_shows_the_range_and_how_each_end_moved(sqlite_engine: Engine) -> None:
    raised = stored_changes(sqlite_engine)[0]
    section = render_changes([raised], links=LINKS).blocks[1]["text"]["text"]
    assert f"{OLD_RANGE} → {NEW_RANGE}, upper +500万円" in section


def test_slack_shows_a_new_entry_with_a_range() -> None:
    added = replace(
        stored(21, kind=ChangeKind.ENTRY_ADDED, entity="株式会社九州シリコン — 熊本県合志市",
               amount_yen=200_000_000, source=SOURCE),
        details={"amount_low_yen": 100_000_000, "amount_text": "1億～2億円"},
    )
    section = render_changes([added], links=LINKS).blocks[1]["text"]["text"]
    assert "\n1億円～2億円 (¥100.0 million to ¥200.0 million)" in section


def test_the_digest_shows_the_range_in_text_and_html(sqlite_engine: Engine) -> None:
    changes = stored_changes(sqlite_engine)
    content = build_content(changes, [], digest_date=date(2025, 11, 21), since=None,
                            until=T0 + timedelta(hours=1))
    text = render_text(content, LINKS)
    assert f"  * Amount changed: {TOHOKU}\n    {OLD_RANGE} → {NEW_RANGE}, upper +500万円\n" in text
    assert "5億円～10億円 (¥500.0 million to ¥1.0 billion) → 5億円～12億円" in text
    html = render_html(content, LINKS)
    assert f"{OLD_RANGE} → <strong>{NEW_RANGE}</strong>" in html
    assert "upper +500万円</span>" in html


def test_the_cli_lists_the_range_change(sqlite_engine: Engine) -> None:
    stored_changes(sqlite_engine)
    env = {"WATCHER_DATABASE_URL": str(sqlite_engine.url), "COLUMNS": "400"}
    listed = CliRunner().invoke(cli_app, ["changes"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "補助上限額 500万円～1,000万円 → 500万円～1,500万円 (upper +500万円;" in listed.stdout
    as_json = CliRunner().invoke(cli_app, ["changes", "--json"], env=env)
    first = json.loads(as_json.stdout)[0]
    assert (first["amount_low_yen"], first["amount_yen"]) == (5_000_000, 15_000_000)


@pytest.fixture
def admin(sqlite_engine: Engine, tmp_path: Path) -> TestClient:
    stored_changes(sqlite_engine)
    app = create_app(admin_settings(sqlite_engine, tmp_path), sqlite_engine)
    return TestClient(app, base_url=BASE_URL, headers=basic())


def test_the_admin_page_shows_the_range_in_the_list_and_the_change(admin: TestClient) -> None:
    with admin:
        listing = admin.get("/changes", headers={"accept": "text/html"})
        assert listing.status_code == 200
        assert "500万円～1,500万円" in listing.text
        assert "upper +500万円" in listing.text
        change_id = json.loads(admin.get("/api/changes").text)["changes"][-1]["id"]
        detail = admin.get(f"/changes/{change_id}", headers={"accept": "text/html"})
        assert detail.status_code == 200
        assert "500万円～1,000万円" in detail.text
        assert "500万円～1,500万円" in detail.text
        assert "¥5.0m to ¥15.0m" in detail.text
        feed = admin.get("/feed.atom")
        assert feed.status_code == 200
        assert "Amount: 500万円～1,500万円 (¥5.0m to ¥15.0m), was 500万円～1,000万円, upper +500万円" \
            in feed.text

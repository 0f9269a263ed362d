"""A grant ledger that rolls over to its next period is one alert on every surface.

The page (the project's own ledger after the layout of a METI regional bureau's
補助金に関する情報開示) is served from a loopback server at one URL, first for
令和6年10月〜令和7年3月, then for 令和7年10月〜令和8年3月. The check records the new
decisions and the ones no longer listed as entry_added / entry_removed, grouped under one
list_replaced change; only that change is queued for Slack, and the digest, the admin
page, the Atom feed and `watcher changes` show it once, with its members on its page.
Then the real pages of ../shared/real-documents/ (read at test time, skipped when absent).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from watcher.notify.digest import build_content, render_text
from watcher.notify.render import Links, render_changes
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config
from watcher.store import list_changes
from watcher.store.models import Delivery
from watcher.store.outbox import changes_between
from watcher.web import create_app
from web.admin_support import BASE_URL, TestClient, admin_settings, basic

from support.ledgers import FY2024_H2, FY2025_H2, ledger_page
from support.pageserver import PageServer


def _real_documents() -> Path:
    """../shared/real-documents beside the repository (or beside a folder of worktrees)."""
    root = Path(__file__).resolve().parents[1]
    for folder in root.parents:
        if (folder / "shared" / "real-documents").is_dir():
            return folder / "shared" / "real-documents"
    return root.parent / "shared" / "real-documents"


REAL = _real_documents()
REAL_PAGES = (REAL / "shikoku-grants-fy2024-h2" / "202410_202503.html",
              REAL / "shikoku-grants-fy2025-h2" / "202510_202603.html")
PATH = "/02_soshikiinfos/04_kaikei/hojokin.html"


def ledger_config(url: str) -> Config:
    source = {"id": "shikoku-grant-decisions", "name": "四国経済産業局 — 補助金に関する情報開示",
              "agency": "METI", "url": url, "extract": "table"}
    return parse_config({"sources": [source]}, Path("sources.toml"))


def check(config: Config, engine: Engine) -> None:
    settings = Settings(database_url=str(engine.url), min_host_delay_s=0.0,
                        slack_webhook_url="http://127.0.0.1:9/never-sent")  # type: ignore[arg-type]
    (outcome,) = asyncio.run(run_check_pass(config, settings=settings, engine=engine))
    assert outcome.status == "ok", outcome.error


def roll_over(engine: Engine, server: PageServer, first: str, second: str) -> None:
    config = ledger_config(server.url(PATH))
    server.serve(PATH, first, validators=False)
    check(config, engine)
    server.serve(PATH, second, validators=False)
    check(config, engine)


@pytest.fixture
def rolled(engine: Engine, page_server: PageServer) -> Engine:
    roll_over(engine, page_server, ledger_page(FY2024_H2),
              ledger_page(FY2025_H2, period="令和7年10月から令和8年3月"))
    return engine


def test_the_rollover_is_stored_as_one_alert_with_its_rows_under_it(rolled: Engine) -> None:
    with Session(rolled) as session:
        changes = list_changes(session=session)
        deliveries = session.exec(select(Delivery)).all()
    (alert,) = [c for c in changes if c.group_id is None]
    assert (alert.kind, alert.nature) == ("list_replaced", "grant")
    assert alert.summary.startswith("The list now covers 令和7年10月〜令和8年3月: 4 grant decisions")
    members = [c for c in changes if c.group_id == alert.id]
    assert Counter(c.kind for c in members) == {"entry_added": 4, "entry_removed": 5}
    assert len(members) == len(changes) - 1
    assert [(d.channel, d.change_id) for d in deliveries] == [("slack", alert.id)]
    assert alert.to_json()["group_id"] is None
    assert all(m.to_json()["group_id"] == alert.id for m in members)


def test_slack_and_the_digest_say_it_once(rolled: Engine) -> None:
    with Session(rolled) as session:
        (alert,) = [c for c in list_changes(session=session) if c.group_id is None]
        day = changes_between(session=session, since=None, until=datetime.now(UTC) + timedelta(days=1))
    message = render_changes([alert], links=Links(public_url="https://watcher.example.jp"))
    assert message.blocks[0]["text"]["text"].startswith("*Grant list replaced* · ")
    assert "The list now covers 令和7年10月〜令和8年3月" in message.blocks[1]["text"]["text"]
    assert [c.id for c in day] == [alert.id]
    content = build_content(day, [], digest_date=datetime.now(UTC).date(), since=None,
                            until=datetime.now(UTC))
    assert content.subject.endswith(" — 1 replaced grant list")
    text = render_text(content, Links(public_url="https://watcher.example.jp"))
    assert "  * Grant list replaced: 四国経済産業局\n" in text
    assert "New grant decision" not in text


def test_the_admin_page_feed_and_cli_show_the_alert_with_its_members_on_its_page(
    rolled: Engine, tmp_path: Path,
) -> None:
    with Session(rolled) as session:
        (alert,) = [c for c in list_changes(session=session) if c.group_id is None]
        member = next(c for c in list_changes(session=session) if c.group_id == alert.id)
    app = create_app(admin_settings(rolled, tmp_path), rolled)
    with TestClient(app, base_url=BASE_URL, headers=basic()) as client:
        listing = client.get("/changes", headers={"accept": "text/html"}).text
        assert listing.count('href="/changes/') >= 1
        assert f'href="/changes/{member.id}"' not in listing
        assert "Grant list replaced" in listing
        page = client.get(f"/changes/{alert.id}", headers={"accept": "text/html"}).text
        assert "9 changes recorded under this one" in page
        assert "New grant decision" in page
        assert "Grant decision no longer listed" in page
        member_page = client.get(f"/changes/{member.id}", headers={"accept": "text/html"}).text
        assert f'href="/changes/{alert.id}"' in member_page
        feed = client.get("/feed.atom").text
        assert feed.count("<entry>") == 1
        assert "Grant list replaced" in feed


def test_watcher_changes_lists_the_alert_and_says_where_its_rows_are(rolled: Engine) -> None:
    if rolled.dialect.name != "sqlite":
        pytest.skip("the command opens its own engine; one backend is enough for its output")
    from watcher.cli import app as cli

    result = CliRunner().invoke(cli, ["changes"], env={"WATCHER_DATABASE_URL": str(rolled.url),
                                                       "COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "1 change(s)" in result.output
    assert "Grant list replaced" in result.output
    assert "9 more change(s) are recorded under the alerts above" in result.output


@pytest.mark.skipif(not all(p.exists() for p in REAL_PAGES), reason="../shared/real-documents is absent")
def test_the_real_shikoku_ledger_rolling_over_is_one_alert_and_no_amount_change(
    engine: Engine, page_server: PageServer,
) -> None:
    first, second = (p.read_text(encoding="utf-8") for p in REAL_PAGES)
    roll_over(engine, page_server, first, second)
    with Session(engine) as session:
        changes = list_changes(session=session)
        queued = session.exec(select(Delivery.change_id).where(col(Delivery.change_id).is_not(None))).all()
    (alert,) = [c for c in changes if c.group_id is None]
    assert alert.kind == "list_replaced"
    assert alert.summary.startswith("The list now covers 令和7年10月〜令和8年3月: 13 grant decisions, total ")
    assert alert.summary.endswith(
        "; the 14 grant decisions of the previous period (令和6年10月〜令和7年3月) are no longer listed")
    kinds = Counter(c.kind for c in changes if c.group_id == alert.id)
    assert kinds == {"entry_added": 13, "entry_removed": 14}
    assert not any(c.kind == "amount_changed" for c in changes)
    assert list(queued) == [alert.id]
    (ehime,) = [c for c in changes if c.kind == "entry_removed" and "愛媛県下期3" in (c.entity or "")]
    assert ehime.entity == "愛媛県 — 令和6年度電源立地地域対策交付金【愛媛県下期3:移出県】"
    assert ehime.amount_yen == 12_829_000

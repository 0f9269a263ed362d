"""The admin page in a real browser (Debian's Chromium through Playwright): log in, filter, acknowledge, stay safe.

Screenshots of the list and a change go to $WATCHER_SCREENSHOTS when it is set
(`WATCHER_SCREENSHOTS=docs pytest -m browser` refreshes the README's images).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.store import make_engine
from watcher.store.models import ChangeRow
from watcher.web import create_app
from web.admin_seed import HOSTILE, PLANS, Seeded
from web.admin_support import ADMIN_PASSWORD, ADMIN_USER, admin_settings

from support.browser import MISSING_CHROMIUM, LiveServer, chromium_available, launch_chromium

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason=MISSING_CHROMIUM)]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def server(admin_engine: Engine, tmp_path: Path) -> Iterator[LiveServer]:
    settings = admin_settings(admin_engine, tmp_path, public_url="http://127.0.0.1")
    with LiveServer(create_app(settings, admin_engine)) as live:
        yield live


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) that records any JavaScript dialog or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, base_url=server.base_url,
                                  locale="ja-JP")
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: tab.dialogs.append(f"pageerror: {error}"))
    yield tab
    context.close()


def log_in(page: Any, path: str = "/changes") -> None:
    page.goto(path)
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("input[name=username]", ADMIN_USER)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**{path}")


def test_log_in_filter_open_acknowledge_and_see_it_persist(page: Any, seeded: Seeded) -> None:
    log_in(page)
    assert page.locator("tr.unack").count() == len(seeded.change_ids)

    page.select_option("select[name=kind]", "amount_changed")
    page.fill("input[name=q]", "マイクロン")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**kind=amount_changed**")
    assert page.locator("tbody tr").count() == 1
    assert "1 change" in page.locator("#change-count").inner_text()

    page.click("tbody tr a.summary")
    page.wait_for_url(f"**/changes/{seeded.amount_change_id}")
    assert "1,670億円" in page.locator(".beforeafter").inner_text()
    assert page.locator("table.cells tr.changed").count() == 2
    page.click("#acknowledge")
    page.wait_for_load_state()
    assert page.locator("#ack-state").inner_text().startswith("acknowledged")

    page.reload()
    assert page.locator("#ack-state").inner_text().startswith("acknowledged")
    page.goto("/changes")
    assert page.locator(f"tr.ack[data-change-id='{seeded.amount_change_id}']").count() == 1
    assert page.locator("tr.unack").count() == len(seeded.change_ids) - 1

    page.goto(f"/changes/{seeded.amount_change_id}")
    page.click("#unacknowledge")
    page.wait_for_load_state()
    assert page.locator("#ack-state").text_content() == "not acknowledged"
    assert page.dialogs == []


def test_hostile_page_text_stays_inert_everywhere(page: Any, seeded: Seeded) -> None:
    log_in(page)
    for path in ("/changes", f"/changes/{seeded.hostile_change_id}",
                 f"/changes/{seeded.hostile_text_change_id}", f"/sources/{PLANS}", "/deliveries",
                 "/changes?q=%3Cscript%3E"):
        page.goto(path)
        assert page.locator("script").count() == 0, path
        assert page.locator("img").count() == 0, path
        assert page.get_by_text(HOSTILE, exact=False).first.is_visible(), path
    page.goto("/feed.atom")  # the browser shows the XML source: the text stays escaped in it
    assert page.locator("script").count() == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x" in page.locator("body").inner_text()
    assert page.dialogs == []


def test_screenshots_of_the_list_and_a_change(page: Any, seeded: Seeded, admin_engine: Engine,
                                              tmp_path: Path) -> None:
    # A realistic morning: yesterday's alerts seen, the newest not yet.
    with Session(admin_engine) as session, session.begin():
        session.execute(update(ChangeRow).where(ChangeRow.id <= 4)  # type: ignore[arg-type]
                        .values(acknowledged_at=ChangeRow.detected_at))
    log_in(page)
    page.goto("/changes?per_page=12")
    list_shot = tmp_path / "admin-changes.png"
    page.screenshot(path=str(list_shot), full_page=True)
    page.goto(f"/changes/{seeded.amount_change_id}")
    detail_shot = tmp_path / "admin-change-detail.png"
    page.screenshot(path=str(detail_shot), full_page=True)
    for shot in (list_shot, detail_shot):
        assert shot.read_bytes().startswith(b"\x89PNG")
    target = os.environ.get("WATCHER_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in (list_shot, detail_shot):
            shutil.copyfile(shot, Path(target) / shot.name)


def test_without_a_password_a_session_is_not_needed_on_loopback(browser: Any, admin_engine: Engine,
                                                                tmp_path: Path) -> None:
    engine = make_engine(str(admin_engine.url))
    settings = admin_settings(engine, tmp_path, admin_password=None, public_url="http://127.0.0.1")
    with LiveServer(create_app(settings, engine)) as live:
        context = browser.new_context(base_url=live.base_url)
        tab = context.new_page()
        tab.goto("/changes")
        assert tab.locator("h1").inner_text() == "Detected changes"
        assert "no password" in tab.locator(".who").inner_text()
        context.close()
    engine.dispose()

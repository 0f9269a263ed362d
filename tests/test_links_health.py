"""`links` sources through the pipeline: downloads are alerted, a page without items is unhealthy.

Rules (README "sources.toml" → `links`): the undated downloads of a page are items
like its news; a `links` page whose main column has links but none that is a news
item or a file is a suspect check with that reason, never a quiet empty list, and
after ``WATCHER_UNHEALTHY_AFTER`` such checks the source is reported unhealthy.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.pipeline import CheckOutcome
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config
from watcher.store import list_changes
from watcher.store.sources import load_source_states

from support.pageserver import PageServer

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
NO_ITEMS = "no list items found: none of the 4 links in the main column is a dated news item or a file download"


def fixture(source: str, name: str) -> str:
    return (PAGES / source / f"{name}.html").read_text(encoding="utf-8")


def links_config(url: str) -> Config:
    source = {"id": "meti-semiconductor-materials", "name": "METI — 半導体・デジタル産業戦略 関連資料",
              "agency": "METI", "url": url, "extract": "links"}
    return parse_config({"sources": [source]}, Path("sources.toml"))


def check(config: Config, engine: Engine) -> CheckOutcome:
    settings = Settings(database_url=str(engine.url), min_host_delay_s=0.0)
    (outcome,) = asyncio.run(run_check_pass(config, settings=settings, engine=engine))
    return outcome


def summaries(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [c.summary for c in list_changes(session=session)]


def test_a_new_file_in_a_download_list_is_alerted_with_its_type_and_size(
    page_server: PageServer, sqlite_engine: Engine
) -> None:
    page_server.serve("/shiryou.html", fixture("meti-semiconductor-materials", "2025-06-02"), validators=False)
    config = links_config(page_server.url("/shiryou.html"))
    assert (check(config, sqlite_engine).status, summaries(sqlite_engine)) == ("ok", [])

    page_server.serve("/shiryou.html", fixture("meti-semiconductor-materials", "2025-07-01"), validators=False)
    outcome = check(config, sqlite_engine)

    assert (outcome.status, outcome.changes) == ("ok", 2)
    files = page_server.url("/policy/mono_info_service/joho/conference/semicon_digital/0012")
    assert sorted(summaries(sqlite_engine)) == [
        f"New: 「資料3 令和8年度概算要求に向けた論点」 [PDF, 1,056 KB] {files}/shiryou3.pdf",
        f"Removed: 「参考資料1 半導体関連支援策の執行状況」 [PDF, 640 KB] {files}/sankou1.pdf",
    ]


def test_a_links_page_whose_links_are_not_items_is_suspect_and_then_unhealthy(
    page_server: PageServer, sqlite_engine: Engine
) -> None:
    page_server.serve("/policy.html", fixture("meti-policy-index", "2025-06-02"), validators=False)
    config = links_config(page_server.url("/policy.html"))

    outcomes = [check(config, sqlite_engine) for _ in range(3)]

    assert [(o.status, o.error) for o in outcomes] == [("suspect", NO_ITEMS)] * 3
    with Session(sqlite_engine) as session:
        state = load_source_states(session=session, source_ids=[config.sources[0].id])[config.sources[0].id]
    assert state.unhealthy_notified
    assert state.last_good_snapshot_id is None
    assert summaries(sqlite_engine) == []


def test_a_download_list_redesigned_away_is_suspect_not_a_removal_of_every_file(
    page_server: PageServer, sqlite_engine: Engine
) -> None:
    page_server.serve("/shiryou.html", fixture("meti-semiconductor-materials", "2025-06-02"), validators=False)
    config = links_config(page_server.url("/shiryou.html"))
    assert check(config, sqlite_engine).status == "ok"

    page_server.serve("/shiryou.html", fixture("meti-policy-index", "2025-06-02"), validators=False)
    outcome = check(config, sqlite_engine)

    assert (outcome.status, outcome.error, outcome.changes) == ("suspect", NO_ITEMS, 0)
    assert summaries(sqlite_engine) == []

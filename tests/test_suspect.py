"""Broken pages never raise false alerts, and a suspect state that persists is resolved.

Rules (README "When a page looks broken"): a table that loses half or more of its
rows at once is suspect; if the same shrunken page is seen 3 checks in a row it is
accepted as the new truth (its removals are then recorded); `watcher accept SOURCE`
accepts it at once; a maintenance/error page is never accepted.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.errors import WatcherError
from watcher.pipeline import CheckOutcome, accept_suspect, utc_now
from watcher.runner import pipeline_options, run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config
from watcher.store import list_changes

from support.pageserver import PageServer

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages" / "meti-semiconductor-plans"
TEN_ROWS = (PAGES / "change-ten-rows.html").read_text(encoding="utf-8")
ROW = re.compile(r"\n\s*<tr><td>令和.*?</tr>", re.DOTALL)


def keep_rows(html: str, keep: int) -> str:
    rows = ROW.findall(html)
    for row in rows[keep:]:
        html = html.replace(row, "", 1)
    return html


def table_config(url: str) -> Config:
    source = {"id": "meti-semiconductor-plans", "name": "METI — 特定半導体生産施設整備等計画の認定",
              "agency": "METI", "url": url, "extract": "table"}
    return parse_config({"sources": [source]}, Path("sources.toml"))


def check(config: Config, engine: Engine) -> CheckOutcome:
    settings = Settings(database_url=str(engine.url), min_host_delay_s=0.0)
    (outcome,) = asyncio.run(run_check_pass(config, settings=settings, engine=engine))
    return outcome


def kinds(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [c.kind for c in list_changes(session=session)]


@pytest.fixture
def plans(page_server: PageServer, sqlite_engine: Engine) -> tuple[Config, PageServer, Engine]:
    assert len(ROW.findall(TEN_ROWS)) == 10
    page_server.serve("/plans.html", TEN_ROWS, validators=False)
    config = table_config(page_server.url("/plans.html"))
    assert check(config, sqlite_engine).status == "ok"
    return config, page_server, sqlite_engine


def test_one_row_of_ten_removed_is_an_honest_removal(plans: tuple[Config, PageServer, Engine]) -> None:
    config, server, engine = plans
    server.serve("/plans.html", keep_rows(TEN_ROWS, 9), validators=False)
    outcome = check(config, engine)
    assert (outcome.status, outcome.changes) == ("ok", 1)
    assert kinds(engine) == ["entry_removed"]


def test_losing_half_the_rows_is_suspect_and_recovery_records_nothing(plans: tuple[Config, PageServer, Engine]) -> None:
    config, server, engine = plans
    server.serve("/plans.html", keep_rows(TEN_ROWS, 4), validators=False)
    suspect = check(config, engine)
    assert suspect.status == "suspect"
    assert suspect.error == "records dropped from 10 to 4"

    server.serve("/plans.html", TEN_ROWS, validators=False)
    healed = check(config, engine)
    assert (healed.status, healed.changes) == ("unchanged", 0)
    assert kinds(engine) == []


def test_a_shrunken_page_seen_three_times_in_a_row_becomes_the_truth(plans: tuple[Config, PageServer, Engine]) -> None:
    config, server, engine = plans
    server.serve("/plans.html", keep_rows(TEN_ROWS, 4), validators=False)
    assert [check(config, engine).status for _ in range(2)] == ["suspect", "suspect"]
    assert kinds(engine) == []

    third = check(config, engine)

    assert (third.status, third.changes) == ("ok", 6)
    assert "accepted after 3 identical checks" in (third.error or "")
    assert kinds(engine) == ["entry_removed"] * 6


def test_watcher_accept_takes_a_suspect_page_at_once(plans: tuple[Config, PageServer, Engine]) -> None:
    config, server, engine = plans
    server.serve("/plans.html", keep_rows(TEN_ROWS, 4), validators=False)
    assert check(config, engine).status == "suspect"

    settings = Settings(database_url=str(engine.url))
    outcome = accept_suspect(config.sources[0], engine=engine, options=pipeline_options(config, settings),
                             now=utc_now())

    assert outcome.changes == 6
    assert kinds(engine) == ["entry_removed"] * 6
    # The accepted page is now the last good one: the same bytes again are unchanged.
    assert check(config, engine).status == "unchanged"


def test_a_maintenance_page_is_never_accepted(plans: tuple[Config, PageServer, Engine]) -> None:
    config, server, engine = plans
    maintenance = (PAGES / "maintenance.html").read_text(encoding="utf-8")
    server.serve("/plans.html", maintenance, validators=False)
    assert [check(config, engine).status for _ in range(4)] == ["suspect"] * 4
    settings = Settings(database_url=str(engine.url))
    with pytest.raises(WatcherError, match="not the real page"):
        accept_suspect(config.sources[0], engine=engine, options=pipeline_options(config, settings),
                       now=utc_now())
    assert kinds(engine) == []


def test_a_first_page_without_a_table_is_an_empty_baseline(page_server: PageServer, sqlite_engine: Engine) -> None:
    """A programme page before its first approval: the approvals are alerted when they appear."""
    empty = ROW.sub("", TEN_ROWS)
    page_server.serve("/plans.html", empty, validators=False)
    config = table_config(page_server.url("/plans.html"))
    assert check(config, sqlite_engine).status == "ok"

    page_server.serve("/plans.html", TEN_ROWS, validators=False)
    outcome = check(config, sqlite_engine)

    assert (outcome.status, outcome.changes) == ("ok", 10)
    assert kinds(sqlite_engine) == ["entry_added"] * 10


def test_a_table_whose_every_row_vanished_waits_for_an_explicit_accept(plans: tuple[Config, PageServer, Engine]) -> None:
    config, server, engine = plans
    server.serve("/plans.html", ROW.sub("", TEN_ROWS), validators=False)
    statuses = [check(config, engine) for _ in range(4)]
    assert [o.status for o in statuses] == ["suspect"] * 4
    assert statuses[0].error == "records dropped from 10 to 0"
    assert kinds(engine) == []

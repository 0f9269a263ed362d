"""A check end to end: a real loopback server, the real fetcher, a real database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from watcher.pipeline import CheckOutcome
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config
from watcher.store import list_changes
from watcher.store.models import Blob, ChangeRow, Snapshot

from support.pageserver import PageServer

FRAMEWORK_V1 = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>AI・半導体産業基盤強化フレーム（METI/経済産業省）</title></head><body>
<div id="header"><ul><li><a href="/">ホーム</a></li><li><a href="/press/">ニュースリリース</a></li></ul></div>
<div class="topicpath"><a href="/">ホーム</a> &gt; 政策一覧 &gt; AI・半導体</div>
<div id="__main_contents">
<h1>AI・半導体産業基盤強化フレーム</h1>
<p>令和6年11月22日に閣議決定された「国民の安心・安全と持続的な成長に向けた総合経済対策」において、
AI・半導体分野に2030年度までに10兆円以上の公的支援を行うこととしました。</p>
<p>今後10年間で50兆円超の官民投資を誘発し、約160兆円の経済波及効果を目指します。</p>
</div>
<div id="__rdo_update"><p>最終更新日：令和7年11月21日</p></div>
<div id="footer">Copyright Ministry of Economy, Trade and Industry.</div>
</body></html>"""

FRAMEWORK_V2 = FRAMEWORK_V1.replace(
    "</p>\n</div>",
    "</p>\n<p>令和7年11月21日、Rapidus株式会社の計画を指定高速情報処理用半導体の生産計画として選定しました。</p>\n</div>",
)


def settings_for(engine: Engine) -> Settings:
    return Settings(database_url=str(engine.url), min_host_delay_s=0.0)


def text_config(url: str, **extra: object) -> Config:
    source = {"id": "meti-ai-semiconductor-framework", "name": "METI — AI・半導体産業基盤強化フレーム",
              "agency": "METI", "url": url, "extract": "text", **extra}
    return parse_config({"sources": [source]}, Path("sources.toml"))


def check(config: Config, engine: Engine) -> CheckOutcome:
    (outcome,) = asyncio.run(run_check_pass(config, settings=settings_for(engine), engine=engine))
    return outcome


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_changed_text_page_gives_exactly_one_text_changed(engine: Engine, page_server: PageServer) -> None:
    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    config = text_config(page_server.url("/frame.html"))

    baseline = check(config, engine)
    assert (baseline.status, baseline.changes) == ("ok", 0)  # the first good snapshot is the baseline

    page_server.serve("/frame.html", FRAMEWORK_V2, validators=False)
    changed = check(config, engine)
    assert (changed.status, changed.changes) == ("ok", 1)

    with Session(engine) as session:
        (change,) = list_changes(session=session)
    assert change.kind == "text_changed"
    assert change.source == "meti-ai-semiconductor-framework"
    assert "Rapidus" in change.summary
    inserted = "".join(text for op, text in change.details["diff"] if op == 1)
    assert "Rapidus株式会社の計画を指定高速情報処理用半導体の生産計画として選定しました。" in inserted
    assert change.detected_at.tzinfo is not None


def test_the_same_bytes_again_give_no_change_and_store_no_new_body(engine: Engine, page_server: PageServer) -> None:
    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    config = text_config(page_server.url("/frame.html"))
    check(config, engine)
    blobs_after_baseline = count(engine, Blob)

    again = check(config, engine)

    assert (again.status, again.changes) == ("unchanged", 0)
    assert count(engine, Blob) == blobs_after_baseline == 1
    assert count(engine, ChangeRow) == 0
    with Session(engine) as session:
        latest = session.exec(select(Snapshot).order_by(col(Snapshot.id).desc())).first()
    assert latest is not None
    assert latest.document is None
    assert latest.blob_hash is None


def test_a_304_gives_no_change_and_sends_the_validators(engine: Engine, page_server: PageServer) -> None:
    page_server.serve("/frame.html", FRAMEWORK_V1)
    config = text_config(page_server.url("/frame.html"))
    check(config, engine)

    again = check(config, engine)

    assert (again.status, again.changes) == ("not_modified", 0)
    _, headers = page_server.requests[-1]
    assert headers.get("If-None-Match", "").startswith('"')
    assert "If-Modified-Since" in headers
    assert count(engine, Blob) == 1
    assert count(engine, ChangeRow) == 0


def test_footer_date_and_boilerplate_changes_are_not_changes(engine: Engine, page_server: PageServer) -> None:
    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    config = text_config(page_server.url("/frame.html"))
    check(config, engine)

    page_server.serve("/frame.html", FRAMEWORK_V1.replace("令和7年11月21日", "令和7年12月1日")
                      .replace("ニュースリリース", "報道発表"), validators=False)
    outcome = check(config, engine)

    assert (outcome.status, outcome.changes) == ("ok", 0)


def test_a_failed_fetch_is_recorded_and_keeps_the_last_good_snapshot(engine: Engine, page_server: PageServer) -> None:
    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    config = text_config(page_server.url("/frame.html"))
    check(config, engine)

    page_server.serve("/frame.html", "<h1>Service Unavailable</h1>", status=503, validators=False)
    failed = check(config, engine)
    assert failed.status == "failed"
    assert "503" in (failed.error or "")

    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    healed = check(config, engine)
    assert (healed.status, healed.changes) == ("unchanged", 0)
    assert count(engine, ChangeRow) == 0


def test_a_maintenance_page_is_suspect_not_a_change(engine: Engine, page_server: PageServer) -> None:
    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    config = text_config(page_server.url("/frame.html"))
    check(config, engine)

    page_server.serve("/frame.html", "<html><head><title>メンテナンス</title></head><body>"
                      "<p>ただいまメンテナンス中です。しばらくお待ちください。</p></body></html>",
                      validators=False)
    suspect = check(config, engine)
    assert suspect.status == "suspect"
    assert "maintenance" in (suspect.error or "")

    page_server.serve("/frame.html", FRAMEWORK_V1, validators=False)
    assert check(config, engine).changes == 0
    assert count(engine, ChangeRow) == 0


@pytest.mark.parametrize("checks", [1, 3])
def test_a_check_of_an_unreachable_host_is_a_failure_with_a_reason(sqlite_engine: Engine, checks: int) -> None:
    config = text_config("http://127.0.0.1:9/closed.html")
    for _ in range(checks):
        outcome = check(config, sqlite_engine)
    assert outcome.status == "failed"
    assert "refused" in (outcome.error or "")
    assert count(sqlite_engine, Snapshot) == checks

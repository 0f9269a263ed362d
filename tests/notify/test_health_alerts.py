"""Source health alerts, the whole path: real checks of a loopback page, then a local Slack.

A source that fails or is suspect N times in a row sends one "unhealthy" alert and,
when it heals, one "recovered" alert — never one per failed check.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from watcher.notify import build_channels, dispatch
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config

from support.pageserver import PageServer
from support.slack import SlackStandIn

PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>クラウドプログラムの供給確保計画の認定（METI/経済産業省）</title></head><body>
<div id="__main_contents"><h1>クラウドプログラムの供給確保計画の認定</h1>
<p>経済安全保障推進法に基づき、クラウドプログラムの供給確保計画を認定しました。</p>
<p>認定した計画は5件、助成額の合計は最大約725億円です。</p></div>
</body></html>"""
# Not retried inside a fetch (a 503 is), which keeps this test fast; a failure all the same.
NOT_FOUND = "<h1>404 Not Found</h1><p>お探しのページは見つかりませんでした。</p>"
MAINTENANCE = ("<html><head><title>メンテナンス</title></head><body>"
               "<p>ただいまメンテナンス中です。しばらくお待ちください。</p></body></html>")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


def config_for(url: str) -> Config:
    source = {"id": "meti-cloud-program", "name": "METI — クラウドプログラムの供給確保計画の認定",
              "agency": "METI", "url": url, "extract": "text"}
    return parse_config({"sources": [source]}, Path("sources.toml"))


def check_and_notify(config: Config, engine: Engine, settings: Settings) -> str:
    (outcome,) = asyncio.run(run_check_pass(config, settings=settings, engine=engine))
    dispatch(engine, build_channels(settings))
    return outcome.status


def test_three_bad_checks_send_one_unhealthy_alert_and_healing_sends_one_recovered(
    engine: Engine, page_server: PageServer, slack: SlackStandIn,
) -> None:
    settings = Settings(database_url=str(engine.url), min_host_delay_s=0.0,
                        slack_webhook_url=slack.url, public_url="https://watcher.example.jp")
    config = config_for(page_server.url("/cloud.html"))
    page_server.serve("/cloud.html", PAGE, validators=False)
    assert check_and_notify(config, engine, settings) == "ok"

    page_server.serve("/cloud.html", NOT_FOUND, status=404, validators=False)
    statuses = [check_and_notify(config, engine, settings) for _ in range(2)]
    page_server.serve("/cloud.html", MAINTENANCE, validators=False)
    statuses.append(check_and_notify(config, engine, settings))
    page_server.serve("/cloud.html", NOT_FOUND, status=404, validators=False)
    statuses += [check_and_notify(config, engine, settings) for _ in range(3)]
    assert statuses == ["failed", "failed", "suspect", "failed", "failed", "failed"]

    (unhealthy,) = slack.accepted  # the third bad check, and only it
    text = unhealthy.body["blocks"][0]["text"]["text"]
    assert text.startswith(":warning: *Source unhealthy* · <http://127.0.0.1:")
    assert "|METI — クラウドプログラムの供給確保計画の認定>" in text
    assert "*Reason:* maintenance" in text  # the check that tipped it over was the maintenance page
    assert re.search(r"\*Failing since:\* \d{4}-\d\d-\d\d \d\d:\d\d JST \(3 failed or suspect checks\)", text)
    assert re.search(r"\*Last good check:\* \d{4}-\d\d-\d\d \d\d:\d\d JST \(snapshot #\d+\)", text)

    page_server.serve("/cloud.html", PAGE, validators=False)
    assert check_and_notify(config, engine, settings) == "unchanged"
    assert check_and_notify(config, engine, settings) == "unchanged"

    assert len(slack.accepted) == 2
    recovered = slack.accepted[1].body
    assert recovered["blocks"][0]["text"]["text"].startswith(":white_check_mark: *Source recovered*")
    assert recovered["text"] == ("METI — クラウドプログラムの供給確保計画の認定: source recovered "
                                 "after 6 failed or suspect checks")

"""kill -9 at the worst moments: a queued alert is never lost and is sent exactly once.

Each test runs the real `watcher` command in a subprocess, lets it claim a delivery, and
kills it (SIGKILL) at a test-only pause point. The one window where a duplicate is
possible — Slack accepted the message, the mark had not committed — is shown too.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from notify.factories import deliveries
from watcher.notify import build_channels, dispatch
from watcher.notify.outbox import PAUSE_AFTER_SEND, PAUSE_BEFORE_SEND, utc_now
from watcher.notify.render import JST
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import load_config
from watcher.store import make_engine, upgrade

from support.pageserver import PageServer
from support.slack import SlackStandIn
from support.smtp import SmtpStandIn

PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>AI・半導体産業基盤強化フレーム（METI/経済産業省）</title></head><body>
<div id="__main_contents"><h1>AI・半導体産業基盤強化フレーム</h1>
<p>AI・半導体分野に2030年度までに10兆円以上の公的支援を行うこととしました。</p>
</div></body></html>"""
CHANGED = PAGE.replace("</p>", "</p>\n<p>令和7年11月21日、Rapidus株式会社の計画を選定しました。</p>")
AFTER_LEASE = timedelta(minutes=6)  # the default lease is 5 minutes


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def site(tmp_path: Path, page_server: PageServer) -> Path:
    """sources.toml with one METI page on the loopback server, already checked once."""
    page_server.serve("/frame.html", PAGE, validators=False)
    config = tmp_path / "sources.toml"
    config.write_text(
        '[[sources]]\nid = "meti-ai-semiconductor-framework"\n'
        'name = "METI — AI・半導体産業基盤強化フレーム"\nagency = "METI"\n'
        f'url = "{page_server.url("/frame.html")}"\nextract = "text"\n', encoding="utf-8")
    return config


def environment(tmp_path: Path, config: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update({"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'watcher.db'}",
                "WATCHER_CONFIG": str(config), "WATCHER_MIN_HOST_DELAY_S": "0",
                "WATCHER_DIGEST_DIR": str(tmp_path / "digests"),
                "WATCHER_PUBLIC_URL": "https://watcher.example.jp"})
    env.update({f"WATCHER_{k.upper()}": v for k, v in settings.items()})
    return env


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(**{k.removeprefix("WATCHER_").lower(): v for k, v in env.items()
                       if k.startswith("WATCHER_")})


def check_in_process(env: dict[str, str]) -> Engine:
    settings = settings_from(env)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    asyncio.run(run_check_pass(load_config(settings.config), settings=settings, engine=engine))
    return engine


def watcher(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def kill_at_pause(args: list[str], *, env: dict[str, str], hook: str, cwd: Path) -> None:
    """Run `watcher <args>` until it reaches the pause point, then SIGKILL it."""
    marker = cwd / f"paused-{hook}"
    proc = subprocess.Popen([sys.executable, "-m", "watcher.cli", *args], cwd=cwd,
                            env={**env, hook: str(marker)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, errors = proc.communicate()
            pytest.fail(f"`watcher {' '.join(args)}` never reached {hook}:\n{out}\n{errors}")
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no cleanup, no rollback handler, nothing
    proc.communicate()
    assert proc.returncode == -9


def test_a_check_killed_between_queueing_and_sending_alerts_once_after_restart(
    tmp_path: Path, site: Path, page_server: PageServer, slack: SlackStandIn,
) -> None:
    env = environment(tmp_path, site, slack_webhook_url=slack.url)
    engine = check_in_process(env)  # the baseline
    page_server.serve("/frame.html", CHANGED, validators=False)

    kill_at_pause(["check"], env=env, hook=PAUSE_BEFORE_SEND, cwd=tmp_path)

    assert slack.requests == []
    (delivery,) = deliveries(engine)
    assert (delivery.status, delivery.attempts) == ("sending", 1)  # claimed, never sent
    channels = build_channels(settings_from(env))
    # Restarted at once: the dead worker's lease still runs, so nobody sends it yet.
    assert dispatch(engine, channels).messages_sent == 0
    # Once the lease is over, the alert goes out — once.
    assert dispatch(engine, channels, clock=lambda: utc_now() + AFTER_LEASE).messages_sent == 1
    again = watcher("notify", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "sent 0 message(s)" in again.stdout

    (message,) = slack.accepted
    assert "Rapidus株式会社の計画を選定しました" in str(message.body)
    assert [d.status for d in deliveries(engine)] == ["sent"]


def test_the_one_duplicate_window_is_after_slack_accepted_and_before_the_mark(
    tmp_path: Path, site: Path, page_server: PageServer, slack: SlackStandIn,
) -> None:
    env = environment(tmp_path, site, slack_webhook_url=slack.url)
    engine = check_in_process(env)
    page_server.serve("/frame.html", CHANGED, validators=False)

    kill_at_pause(["check"], env=env, hook=PAUSE_AFTER_SEND, cwd=tmp_path)

    assert len(slack.accepted) == 1  # Slack has it; our record of that died with the process
    assert deliveries(engine)[0].status == "sending"
    dispatch(engine, build_channels(settings_from(env)), clock=lambda: utc_now() + AFTER_LEASE)
    # Neither Slack nor SMTP can be asked "did you get this already?": this is the
    # documented duplicate (docs/NOTIFICATIONS.md), and the only one.
    first, second = slack.accepted
    assert first.body == second.body
    assert deliveries(engine)[0].status == "sent"


def test_a_digest_killed_before_sending_reaches_the_smtp_server_once(
    tmp_path: Path, site: Path, page_server: PageServer,
) -> None:
    with SmtpStandIn() as smtp:
        env = environment(tmp_path, site, smtp_url=smtp.url, digest_to="research@example.jp",
                          smtp_from="subsidy-watcher@watcher.example.jp")
        engine = check_in_process(env)
        page_server.serve("/frame.html", CHANGED, validators=False)
        check_in_process(env)  # a change to report
        day = (utc_now().astimezone(JST).date() + timedelta(days=1)).isoformat()

        kill_at_pause(["digest", "--date", day], env=env, hook=PAUSE_BEFORE_SEND, cwd=tmp_path)
        assert smtp.received == []

        restarted = watcher("digest", "--date", day, env=env, cwd=tmp_path)
        assert restarted.returncode == 0, restarted.stderr
        assert f"the digest for {day} already exists (1 change(s), delivery #1: sending)" in restarted.stdout
        assert smtp.received == []  # still leased by the killed process

        channels = build_channels(settings_from(env))
        assert dispatch(engine, channels, clock=lambda: utc_now() + AFTER_LEASE).messages_sent == 1
        assert dispatch(engine, channels, clock=lambda: utc_now() + 2 * AFTER_LEASE).messages_sent == 0

    (mail,) = smtp.received
    message = mail.message()
    assert message["Subject"] == f"[subsidy-watcher] {date.fromisoformat(day)} — 1 text change"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Rapidus株式会社の計画を選定しました" in body.get_content()

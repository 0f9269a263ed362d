"""`watcher demo`: on a fresh directory, offline, it replays 2022–2025 and shows every seed figure."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
from rich.console import Console
from sqlmodel import Session, select

from watcher.demo.run import DemoOptions, run_demo
from watcher.store.models import Delivery

from support.slack import SlackStandIn

# The figures of the seed articles, as the timeline prints them.
SEED_FIGURES = [
    "4,760億円",     # JASM fab 1, 2022
    "929.3億円",     # Kioxia / WD Yokkaichi
    "464.7億円",     # Micron 1β
    "1,670億円",     # Micron 1γ (EUV)
    "1,500億円",     # Kioxia Yokkaichi + Kitakami; Rapidus in the FY2026 budget
    "7,320億円",     # JASM fab 2, 2024
    "5,000億円",     # Micron HBM, 2025
    "約501億円",     # cloud programme: Sakura Internet
    "約102.4億円",   # KDDI
    "約725億円",     # the five cloud plans together
    "1,000億円",     # Rapidus via IPA, FY2025
    "1兆2,390億円",  # FY2026 AI and semiconductors
    "3兆693億円",    # METI FY2026 total
]


def demo_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def test_demo_without_serving_prints_the_timeline_and_writes_the_digest(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "watcher.cli", "demo", "--no-serve"],
                            cwd=tmp_path, env=demo_env(), capture_output=True, text=True,
                            timeout=120, check=False)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    missing = [figure for figure in SEED_FIGURES if figure not in out]
    assert not missing, out
    assert "imported 19 capture(s): 23 historical change(s)" in out
    assert re.search(r"live check: .* 9 new change\(s\)", out)
    [eml] = (tmp_path / "demo").glob("digest-*.eml")
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message["Subject"].startswith("[subsidy-watcher] ")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "1兆2,390億円" in text.get_content()  # the live check's budget changes
    assert "<html" in eml.with_suffix(".html").read_text(encoding="utf-8").lower()
    assert (tmp_path / "demo" / "demo-history-2022-2025.warc.gz").exists()


def test_with_a_webhook_every_message_reaches_slack(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        result = run_demo(DemoOptions(directory=tmp_path / "demo", serve=False,
                                      slack_webhook_url=slack.url),
                          console=Console(file=io.StringIO(), width=200))
        received = slack.accepted

    assert result.slack_messages == 14  # 12 checks with changes in the history, 2 live
    assert result.slack_sent == len(received) == 14
    assert all(r.body["blocks"] for r in received)
    with Session(result.engine) as session:
        live = session.exec(select(Delivery)).all()
    assert [d.status for d in live] == ["sent"] * 9  # the live alerts went through the outbox
    result.engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_demo_serves_the_admin_page_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    demo = subprocess.Popen([sys.executable, "-m", "watcher.cli", "demo", "--port", str(port)],
                            cwd=tmp_path, env=demo_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        login = None
        deadline = time.monotonic() + 90
        assert demo.stdout is not None
        while login is None and time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            login = re.search(r"login (\S+) / (\S+)", line)
        assert login is not None, demo.stderr.read() if demo.stderr else ""
        auth = (login.group(1), login.group(2))
        page = None
        for _ in range(50):  # uvicorn starts listening just after the line is printed
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/api/changes", auth=auth, timeout=5)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert page is not None
        assert page.status_code == 200
        assert page.json()["total"] == 32
        assert httpx.get(f"http://127.0.0.1:{port}/api/changes", timeout=5).status_code == 401
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=30)
    assert demo.returncode == 0


def test_slack_mrkdwn_is_drawn_as_terminal_text() -> None:
    from watcher.demo.show import mrkdwn

    text = mrkdwn("*New approval* · <https://www.meti.go.jp/a?x=1&amp;y=2|METI &amp; IPA> &lt;!channel&gt;")

    assert text.plain == "New approval · METI & IPA <!channel>"
    spans = {(text.plain[s.start:s.end], str(s.style)) for s in text.spans}
    assert ("New approval", "bold") in spans
    [link] = [s for s in text.spans if "link" in str(s.style)]
    assert text.plain[link.start:link.end] == "METI & IPA"
    assert "https://www.meti.go.jp/a?x=1&y=2" in str(link.style)


def test_amounts_read_as_meti_writes_them() -> None:
    from datetime import UTC, datetime

    from watcher.demo.show import amount_cell
    from watcher.store.changes import StoredChange

    def change(kind: str, amount: int | None, previous: int | None = None,
               entity: str = "x") -> StoredChange:
        return StoredChange(
            id=1, source="s", agency="METI", source_name="n", kind=kind, entity=entity,
            amount_yen=amount, previous_amount_yen=previous, url=None,
            detected_at=datetime(2025, 12, 26, tzinfo=UTC), summary="", table=None,
            snapshot_id=1, previous_snapshot_id=None, acknowledged_at=None, imported=True,
            source_url="https://www.meti.go.jp/", details={})

    assert amount_cell(change("entry_added", 732_000_000_000)) == "7,320億円"
    assert amount_cell(change("amount_changed", 1_239_000_000_000)) == "(none) → 1兆2,390億円"
    assert amount_cell(change("amount_changed", 150_000_000_000, 100_000_000_000)) == "1,000億円 → 1,500億円"
    assert amount_cell(change("link_added", None, entity="Rapidus株式会社への出資(1,000億円)について")) == "1,000億円"
    assert amount_cell(change("text_changed", None)) == ""

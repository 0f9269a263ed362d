"""Load: many sources on a local server, several check cycles with 10% of the pages changing
each cycle, alerts to local Slack and SMTP stand-ins.

Every change is detected once and delivered once, no check fails, and the worker's
memory stays flat from cycle to cycle (peak RSS per cycle is reported). The worker
is a child process (load_driver.py) so that its memory is its own.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from reliability.conftest import Figures
from reliability.harness import PLANS_V0, problems
from watcher.store import make_engine
from watcher.store.models import ChangeRow

from support.pageserver import PageServer
from support.slack import SlackStandIn
from support.smtp import SmtpStandIn

DRIVER = Path(__file__).resolve().parent / "load_driver.py"
MICRON = "1,670"  # the cell that changes: Micron's 1γ DRAM plan, in 億円


def page(amount_oku: int) -> str:
    return PLANS_V0.replace(f'<td class="right">{MICRON}</td>', f'<td class="right">{amount_oku:,}</td>')


def run_load(tmp_path: Path, figures: Figures, *, sources: int, cycles: int, seed: int) -> None:
    assert page(1671) != PLANS_V0  # the edit hits the table cell
    rng = random.Random(seed)
    amounts = dict.fromkeys(range(sources), 1670)
    expected: Counter[str] = Counter()
    with PageServer() as server, SlackStandIn() as slack, SmtpStandIn() as smtp:
        for i in range(sources):
            server.serve(f"/plans/{i}.html", page(amounts[i]))
        toml = "".join(f'[[sources]]\nid = "plans-{i}"\nname = "METI plans {i}"\nagency = "METI"\n'
                       f'url = "{server.url(f"/plans/{i}.html")}"\nextract = "table"\n\n'
                       for i in range(sources))
        config = tmp_path / "sources.toml"
        config.write_text(toml, encoding="utf-8")
        db_url = f"sqlite:///{tmp_path / 'load.db'}"
        driver = subprocess.Popen([sys.executable, str(DRIVER), str(config), db_url, slack.url,
                                   f"smtp://127.0.0.1:{smtp.port}?timeout=10"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        assert driver.stdin is not None
        assert driver.stdout is not None

        def ask(command: str) -> dict[str, Any]:
            assert driver.stdin is not None
            assert driver.stdout is not None
            driver.stdin.write(command + "\n")
            driver.stdin.flush()
            line = driver.stdout.readline()
            assert line, driver.stderr.read() if driver.stderr else "driver died"
            return json.loads(line)  # type: ignore[no-any-return]

        reports = []
        try:
            for cycle in range(cycles):
                if cycle:  # the first cycle is the baseline
                    for i in rng.sample(range(sources), sources // 10):
                        amounts[i] += rng.randint(1, 500)
                        server.serve(f"/plans/{i}.html", page(amounts[i]))
                        expected[f"plans-{i}"] += 1
                reports.append(ask("cycle"))
            digest = ask("digest")
            ask_quit = driver.communicate("quit\n", timeout=60)
        finally:
            if driver.poll() is None:
                driver.kill()
                driver.wait(timeout=10)
        assert "Traceback" not in ask_quit[1], ask_quit[1]
        arrived = slack.change_ids()
        mails = list(smtp.received)

    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = session.exec(select(ChangeRow).order_by(col(ChangeRow.id))).all()
    recorded = Counter(r.source_id for r in rows)
    detected = sum(expected.values())
    figures.note("load_runs", {
        "sources": sources, "cycles": cycles, "changes_expected": detected,
        "changes_recorded": len(rows), "alerts_delivered": sum(arrived.values()),
        "digest_emails": len(mails),
        "per_cycle": [{k: r[k] for k in ("cycle", "seconds", "changes", "sent", "rss_mb", "peak_mb")}
                      for r in reports]})
    figures.add("load_lost", sum((expected - recorded).values()))
    figures.add("load_false_alerts", sum((recorded - expected).values()))
    figures.add("load_duplicate_alerts", sum(n - 1 for n in arrived.values() if n > 1))

    for report in reports:
        assert set(report["statuses"]) <= {"ok", "unchanged", "not_modified"}, report
        assert not report["send_errors"], report
    assert [r["changes"] for r in reports[1:]] == [sources // 10] * (cycles - 1)
    assert recorded == expected  # every change detected, once, on the right source
    assert all(r.kind == "amount_changed" for r in rows)
    assert sorted(arrived.elements()) == sorted(r.id for r in rows)  # each alert exactly once
    assert digest["digest"] == 1
    assert len(mails) == 1
    body = mails[0].message().get_body(("plain",))
    assert body is not None
    assert f"{detected} " in str(mails[0].message()["Subject"]) + body.get_content()
    # Memory is flat: after the first changing cycle, RSS grows by less than 25 MB.
    settled = [r["rss_mb"] for r in reports[1:]]
    assert max(settled) - settled[0] < 25, [r["rss_mb"] for r in reports]
    assert problems(engine, alert_channels=("slack",)) == []
    engine.dispose()


def test_two_hundred_sources_three_cycles(tmp_path: Path, figures: Figures) -> None:
    run_load(tmp_path, figures, sources=200, cycles=3, seed=8)


@pytest.mark.slow
def test_a_thousand_sources_six_cycles(tmp_path: Path, figures: Figures) -> None:
    run_load(tmp_path, figures, sources=1000, cycles=6, seed=80)

"""`watcher check` killed with SIGKILL at random points of a check and of a delivery.

Each seed: a baseline database, then pages revised on some sources, then a real
`watcher check` process (fetch, store, Slack dispatch) killed after a delay drawn
from the seed. Then the watcher runs again (and dispatches once the killed
process's leases have run out), and:

* the database is consistent (harness.problems),
* the changes equal those of a clean run: none lost, none recorded twice,
* every change reached Slack at least once, and a change reached it twice only if
  its delivery was caught in the documented window (sent, not yet marked sent).

Two more kill points are exact: the test-only pauses just before and just after a
Slack send (docs/NOTIFICATIONS.md).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reliability.conftest import Figures
from reliability.harness import (
    PLANS_V0,
    PLANS_V1,
    change_facts,
    check_pass,
    count,
    problems,
)
from watcher.fetch import FetchPolicy
from watcher.notify import RetryPolicy, SlackChannel, dispatch
from watcher.notify.outbox import PAUSE_AFTER_SEND, PAUSE_BEFORE_SEND, utc_now
from watcher.notify.render import Links
from watcher.notify.slack import WebhookSender
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, load_config
from watcher.store import make_engine, upgrade
from watcher.store.models import ChangeRow, Delivery, Snapshot

from support.db import postgres_base_url, postgres_schema_url
from support.pageserver import PageServer
from support.slack import SlackStandIn

N_SOURCES = 10
QUICK_SEEDS = (3, 11)
SLOW_SEEDS = tuple(range(100, 140))
PG_SEEDS = (7,)
SLOW_PG_SEEDS = tuple(range(300, 310))
PUBLIC_URL = "http://watcher.test"
PATIENT = FetchPolicy(min_host_delay_s=0.0, per_host=20, max_connections=20)


@dataclass
class Scenario:
    server: PageServer
    slack: SlackStandIn
    config_path: Path
    config: Config
    template: Path  # a SQLite database holding the baseline
    run_seconds: float  # how long a whole `watcher check` takes here, start-up to exit
    first_commit_s: float  # when its first check is committed (start-up is mostly imports)


def toml_for(server: PageServer) -> str:
    return "".join(
        f'[[sources]]\nid = "plans-{i}"\nname = "METI 特定半導体 {i}"\nagency = "METI"\n'
        f'url = "{server.url(f"/plans-{i}.html")}"\nextract = "table"\n\n'
        for i in range(N_SOURCES))


def serve_pages(server: PageServer, changed: set[int], rng: random.Random) -> None:
    for i in range(N_SOURCES):
        # Spread the fetches so that the commits of one pass are spread too.
        server.serve(f"/plans-{i}.html", PLANS_V1 if i in changed else PLANS_V0,
                     validators=False, delay_s=rng.uniform(0.0, 0.5))


def cli_env(db_url: str, slack: SlackStandIn, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update({"WATCHER_DATABASE_URL": db_url, "WATCHER_SLACK_WEBHOOK_URL": slack.url,
                "WATCHER_MIN_HOST_DELAY_S": "0", "WATCHER_PER_HOST": "20",
                "WATCHER_PUBLIC_URL": PUBLIC_URL, **extra})
    return env


def watcher_check(config_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "watcher.cli", "--config", str(config_path),
                             "check"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("kill")
    with PageServer() as server, SlackStandIn(delay_s=0.05) as slack:
        config_path = tmp / "sources.toml"
        config_path.write_text(toml_for(server), encoding="utf-8")
        config = load_config(config_path)
        template = tmp / "baseline.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        serve_pages(server, set(), random.Random(0))
        check_pass(config, engine, policy=PATIENT)
        engine.dispose()  # checkpoints the WAL into the file
        # Calibrate: a whole run with every page revised, start-up to exit.
        calibration = tmp / "calibration.db"
        shutil.copyfile(template, calibration)
        serve_pages(server, set(range(N_SOURCES)), random.Random(0))
        watched = make_engine(f"sqlite:///{calibration}")
        before = count(watched, Snapshot)
        started = time.monotonic()
        proc = watcher_check(config_path, cli_env(f"sqlite:///{calibration}", slack))
        first_commit = None
        while proc.poll() is None:
            if first_commit is None and count(watched, Snapshot) > before:
                first_commit = time.monotonic() - started
            time.sleep(0.02)
        run_seconds = time.monotonic() - started
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        watched.dispose()
        slack.clear()
        yield Scenario(server=server, slack=slack, config_path=config_path, config=config,
                       template=template, run_seconds=run_seconds,
                       first_commit_s=first_commit or run_seconds / 2)


def landing(engine: Engine, snapshots_before: int) -> str:
    """Where the kill landed, read from what the killed process had committed."""
    with Session(engine) as session:
        snapshots = int(session.exec(select(sa.func.count()).select_from(Snapshot)).one())
        statuses = Counter(session.exec(select(Delivery.status)).all())
    if snapshots == snapshots_before:
        return "before the first check committed"
    if not statuses:
        return "during the checks (nothing queued yet)"
    if statuses.get("sent", 0) == 0 and statuses.get("sending", 0) == 0:
        return "after checks, before the first send"
    if statuses.get("pending", 0) or statuses.get("sending", 0):
        return "during Slack delivery"
    return "after every delivery was marked"


def deliver_after_leases(engine: Engine, slack: SlackStandIn) -> None:
    """Dispatch as a worker would once the killed process's leases (5 min) have run out."""
    channel = SlackChannel(WebhookSender(slack.url), links=Links(public_url=PUBLIC_URL))
    later = utc_now() + timedelta(minutes=6)
    for _ in range(5):
        report = dispatch(engine, {"slack": channel}, clock=lambda: later, worker="recovery",
                          policy=RetryPolicy())
        if not report.messages_sent and not report.failed:
            break


def sending_change_ids(engine: Engine) -> set[int]:
    with Session(engine) as session:
        rows = session.exec(select(Delivery.change_id).where(col(Delivery.status) == "sending")).all()
    return {r for r in rows if r is not None}


def run_seed(scenario: Scenario, db_url: str, seed: int, figures: Figures, *,
             pause: str | None = None, baseline: bool = False) -> None:
    rng = random.Random(seed)
    changed = set(rng.sample(range(N_SOURCES), rng.randint(1, N_SOURCES)))
    engine = make_engine(db_url)
    if baseline:
        upgrade(engine)
        serve_pages(scenario.server, set(), rng)
        check_pass(scenario.config, engine, policy=PATIENT)
    snapshots_before = count(engine, Snapshot)
    serve_pages(scenario.server, changed, rng)
    scenario.slack.clear()
    extra = {}
    marker = Path(str(scenario.template) + f".pause-{seed}")
    marker.unlink(missing_ok=True)
    if pause:
        extra[pause] = str(marker)
    proc = watcher_check(scenario.config_path, cli_env(db_url, scenario.slack, **extra))
    if pause:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the check ended before its pause point"
            assert time.monotonic() < deadline, "the pause point was never reached"
            time.sleep(0.02)
    else:
        # From just before the first commit to a little after a clean run would have ended.
        start = 0.9 * scenario.first_commit_s
        time.sleep(start + rng.uniform(0.0, 1.1) * (scenario.run_seconds - start))
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate(timeout=10)
    assert b"Traceback" not in stderr
    where = landing(engine, snapshots_before) if alive else "after the process had exited"
    in_window = sending_change_ids(engine)

    # The watcher runs again (a new process would do the same), then the leases run out.
    settings = Settings(database_url=db_url, min_host_delay_s=0.0, per_host=20,
                        slack_webhook_url=scenario.slack.url, public_url=PUBLIC_URL)  # type: ignore[arg-type]
    asyncio.run(run_check_pass(scenario.config, settings=settings, engine=engine))
    deliver_after_leases(engine, scenario.slack)

    reference = make_engine(f"sqlite:///{scenario.template}.ref-{seed}")
    shutil.copyfile(scenario.template, f"{scenario.template}.ref-{seed}")
    check_pass(scenario.config, reference, policy=PATIENT)
    expected, got = change_facts(reference), change_facts(engine)
    reference.dispose()
    arrived = scenario.slack.change_ids()
    with Session(engine) as session:
        change_ids = set(session.exec(select(ChangeRow.id)).all())
        unsent = session.exec(select(sa.func.count()).select_from(Delivery)
                              .where(col(Delivery.status) != "sent")).one()
    duplicates = {cid for cid, n in arrived.items() if n > 1}
    lost = sum((expected - got).values()) + len(change_ids - set(arrived))
    false_alerts = sum((got - expected).values())
    figures.add("kill_points_tried" if alive else "kill_points_after_exit")
    figures.note("kill_landings", where)
    figures.add("kill_lost", lost)
    figures.add("kill_false_alerts", false_alerts)
    figures.add("kill_duplicates_in_window", len(duplicates & in_window))
    figures.add("kill_duplicates_outside_window", len(duplicates - in_window))
    figures.add("kill_changes_checked", sum(expected.values()))

    assert problems(engine, alert_channels=("slack",)) == [], where
    assert got == expected, where
    assert unsent == 0, where
    assert change_ids <= set(arrived), where  # every alert arrived at least once
    assert duplicates <= in_window, where  # a second copy only from the documented window
    engine.dispose()


def sqlite_copy(scenario: Scenario, tmp_path: Path) -> str:
    path = tmp_path / "watcher.db"
    shutil.copyfile(scenario.template, path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("seed", QUICK_SEEDS)
def test_kill_at_a_random_point_loses_nothing(scenario: Scenario, tmp_path: Path, seed: int,
                                              figures: Figures) -> None:
    run_seed(scenario, sqlite_copy(scenario, tmp_path), seed, figures)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_kill_at_a_random_point_loses_nothing_many_seeds(scenario: Scenario, tmp_path: Path,
                                                         seed: int, figures: Figures) -> None:
    run_seed(scenario, sqlite_copy(scenario, tmp_path), seed, figures)


@pytest.mark.parametrize(("pause", "seed"), [(PAUSE_BEFORE_SEND, 21), (PAUSE_AFTER_SEND, 22)],
                         ids=["before-send", "after-send"])
def test_kill_just_before_or_after_a_send(scenario: Scenario, tmp_path: Path, pause: str,
                                          seed: int, figures: Figures) -> None:
    run_seed(scenario, sqlite_copy(scenario, tmp_path), seed, figures, pause=pause)
    if pause == PAUSE_AFTER_SEND:
        # The one documented window: that message arrives twice, and nothing else does.
        assert sum(n - 1 for n in scenario.slack.change_ids().values()) >= 1


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [*PG_SEEDS, *(pytest.param(s, marks=pytest.mark.slow)
                                               for s in SLOW_PG_SEEDS)])
def test_kill_at_a_random_point_on_postgres(scenario: Scenario, seed: int, figures: Figures) -> None:
    base = postgres_base_url()
    if base is None:
        pytest.skip("WATCHER_TEST_POSTGRES_URL is not set")
    with postgres_schema_url(base) as url:
        run_seed(scenario, url, seed, figures, baseline=True)

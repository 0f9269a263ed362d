"""The machine side: /api/changes is `watcher changes --json`, the Atom feed is valid, metrics parse."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from watcher.settings import Settings
from watcher.store import make_engine
from watcher.web import create_app
from web.admin_seed import FRAMEWORK, IPA_NEWS, PLANS, Seeded
from web.admin_support import BASE_URL, TestClient, basic

ATOM = "{http://www.w3.org/2005/Atom}"
CHANGE_KEYS = {"id", "source", "agency", "source_name", "kind", "entity", "amount_yen",
               "previous_amount_yen", "amount_low_yen", "previous_amount_low_yen", "delta_yen",
               "url", "source_url", "table", "detected_at", "summary", "snapshot_id",
               "previous_snapshot_id", "acknowledged_at", "imported", "nature", "group_id"}


def test_api_changes_are_the_objects_of_watcher_changes_json(client: TestClient, admin_engine: Engine,
                                                              tmp_path: Path) -> None:
    from watcher.cli import app

    result = CliRunner().invoke(app, ["changes", "--json"],
                                env={"WATCHER_DATABASE_URL": str(admin_engine.url)})
    assert result.exit_code == 0, result.output
    from_cli = {c["id"]: c for c in json.loads(result.stdout)}
    data = client.get("/api/changes?per_page=200").json()
    assert {c["id"]: c for c in data["changes"]} == from_cli
    assert all(set(c) == CHANGE_KEYS for c in data["changes"])


def test_api_changes_are_paginated_with_a_next_link(client: TestClient, seeded: Seeded) -> None:
    first = client.get(f"/api/changes?source={PLANS}&per_page=4").json()
    assert (first["total"], first["page"], first["per_page"], len(first["changes"])) == (6, 1, 4, 4)
    assert first["next"] == f"/api/changes?source={PLANS}&page=2&per_page=4"
    second = client.get(first["next"]).json()
    assert len(second["changes"]) == 2
    assert second["next"] is None
    ids = [c["id"] for c in first["changes"] + second["changes"]]
    assert ids == sorted(ids, reverse=True)


def test_an_amount_change_carries_its_delta(client: TestClient, seeded: Seeded) -> None:
    change = client.get(f"/api/changes/{seeded.amount_change_id}").json()
    assert (change["amount_yen"], change["previous_amount_yen"], change["delta_yen"]) == (
        192_000_000_000, 167_000_000_000, 25_000_000_000)
    headers = [cell[0] for cell in change["details"]["after"]]
    assert headers == ["認定日", "認定事業者", "計画の概要", "最大助成額"]


def test_api_sources_lists_every_source_with_health(client: TestClient) -> None:
    sources = client.get("/api/sources").json()
    assert [s["id"] for s in sources] == [IPA_NEWS, FRAMEWORK, "meti-cloud-program", "meti-news", PLANS]
    cloud = next(s for s in sources if s["id"] == "meti-cloud-program")
    assert cloud["last_status"] == "failed"
    assert cloud["consecutive_failures"] == 3
    assert cloud["failing_since"].startswith("2025-12-24T00:00:00")


def test_the_feed_is_valid_atom(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287 §4.1.1: a feed has exactly one id, title and updated, an author, a self link.
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{tag}")) == 1
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://watcher.example.org/feed.atom"  # type: ignore[union-attr]
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(seeded.change_ids)
    ids = []
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{tag}")) == 1
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(set(ids)) == len(ids)
    assert ids[0] == f"https://watcher.example.org/changes/{max(seeded.change_ids)}"


def test_the_feed_takes_the_list_filters(client: TestClient) -> None:
    feed = ET.fromstring(client.get("/feed.atom?kind=amount_changed").content)
    (entry,) = feed.findall(f"{ATOM}entry")
    content = entry.findtext(f"{ATOM}content") or ""
    assert "1,920億円 (¥192.0bn), was 1,670億円, +250億円" in content


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, float] = {}
    families = set()
    for line in response.text.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        match = re.fullmatch(r'([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\]|\\.)*",?)*\}) (-?[0-9.e+]+)', line)
        assert match, line
        samples[match.group(1) + match.group(2)] = float(match.group(3))
    assert families == {"watcher_checks_total", "watcher_check_failures_total", "watcher_changes_total",
                        "watcher_deliveries", "watcher_last_success_timestamp_seconds",
                        "watcher_source_consecutive_failures", "watcher_login_locked",
                        "watcher_login_delayed", "watcher_login_failures"}
    assert samples[f'watcher_checks_total{{source="{PLANS}",status="ok"}}'] == 6
    assert samples[f'watcher_checks_total{{source="{PLANS}",status="unchanged"}}'] == 6
    assert samples['watcher_check_failures_total{source="meti-cloud-program"}'] == 3
    assert samples[f'watcher_changes_total{{source="{PLANS}",kind="entry_added"}}'] == 5
    assert samples['watcher_deliveries{channel="slack",status="dead"}'] == 1
    assert samples[f'watcher_last_success_timestamp_seconds{{source="{PLANS}"}}'] == \
        datetime.fromisoformat("2024-03-15T07:00:00+00:00").timestamp()
    assert 'source="meti-cloud-program"' not in "".join(
        k for k in samples if k.startswith("watcher_last_success"))  # never succeeded


def test_healthz_says_when_the_database_is_gone(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'watcher.db'}")
    app = create_app(Settings(admin_password="x", session_secret="s" * 32), engine)
    with TestClient(app, base_url=BASE_URL) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}
    engine.dispose()


def test_api_errors_are_json(client: TestClient) -> None:
    response = client.get("/api/changes?kind=nonsense", headers=basic())
    assert response.status_code == 422
    assert "unknown change kind" in response.json()["detail"]

"""Hostile pages, leaked secrets and the internal network.

* One hostile fixture (markup, Slack mentions and links, Atom-breaking text, rich
  console markup, template syntax, control characters) goes through the real
  pipeline and must come out as inert text in the admin page, the digest email's
  HTML, Slack mrkdwn, the Atom feed and the command line.
* Configured secrets never appear in logs, error messages, the admin page or the
  database.
* Redirects into loopback, link-local and private addresses are refused unless the
  source opts in; the non-loopback ones are only ever answered by respx.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest
import respx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from reliability.harness import FAST, check_one, check_pass, config_of, table_source
from watcher.fetch import Fetcher
from watcher.notify.digest import build_email, load_content
from watcher.notify.outbox import utc_now
from watcher.notify.render import JST, Links, render_changes
from watcher.pipeline import PipelineOptions, run_pass
from watcher.settings import Settings
from watcher.sources import parse_config
from watcher.store import list_changes, make_engine, sync_sources, upgrade
from watcher.store.blobs import decompress
from watcher.store.models import ChangeRow, utcnow
from watcher.web import create_app

from support import faultserver as fs
from support.faultserver import FaultServer
from support.pageserver import PageServer
from support.slack import SlackReply, SlackStandIn
from support.smtp import SmtpStandIn

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", Warning)
    from fastapi.testclient import TestClient

ADMIN_USER, ADMIN_PASSWORD = "analyst", "Tr0ub4dor&3-admin-secret"
SESSION_SECRET = "session-secret-5c1b0e7a9d2f4e8b"
PUBLIC = "https://watcher.example.org"

# --- the hostile fixture -----------------------------------------------------------------

# What a compromised or careless page could put in a cell or a link title (as text).
HOSTILE = [
    '<script>alert("xss")</script>株式会社',
    "<img src=x onerror=alert(2)>合同会社",
    "<!channel> <@U0WATCHER> <https://evil.example/phish|METIからのお知らせ>株式会社",
    ']]></summary><entry><title>偽の認定</title></entry>株式会社',
    '"><svg onload=alert(3)> {{7*7}} ${7*7} {% raw %}株式会社',
    "[/bold][link=https://evil.example]ここをクリック[/link]株式会社",
    "\u202eＡＢＣ\u200b株式会社",
]
# Markup and mentions that must never reach any output unescaped.
LIVE_MARKUP = ["<script", "<img src=x", "<svg onload", "<!channel>", "<@U0WATCHER>",
               "<https://evil.example"]


def html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cloud_page(rows: list[tuple[str, str, str]]) -> str:
    body = "".join(f"<tr><td>{html_text(c)}</td><td>{html_text(o)}</td><td>{a}</td></tr>\n"
                   for c, o, a in rows)
    return f"""<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8">
<title>クラウドプログラムの供給確保計画を認定しました（METI/経済産業省）</title></head><body>
<div id="__main_contents"><h1>供給確保計画の認定</h1>
<p>経済産業省は、経済安全保障推進法に基づき、クラウドプログラムの供給確保計画を認定しました。</p>
<table><caption>認定した供給確保計画</caption>
<thead><tr><th scope="col">認定事業者</th><th scope="col">計画の概要</th><th scope="col">最大助成額</th></tr></thead>
<tbody>
{body}</tbody></table></div></body></html>"""


BASE_ROWS = [("さくらインターネット株式会社", "北海道石狩市：生成AI向けGPUクラウド", "約501億円"),
             ("KDDI株式会社", "GPU計算基盤を整備", "約102.4億円"),
             ("株式会社ハイレゾ", "香川県：GPUデータセンター", "約77.0億円")]
HOSTILE_ROWS = [(name, f"計画 {i}：{name}", f"約{i + 1}0億円") for i, name in enumerate(HOSTILE)]


def news_page(items: list[tuple[str, str, str]]) -> str:
    lis = "".join(f'<li><span class="date">{d}</span><a href="{html_text(h)}">{html_text(t)}</a></li>\n'
                  for d, h, t in items)
    return f"""<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>新着情報</title></head>
<body><div id="__main_contents"><h1>新着情報</h1><ul class="news">
{lis}</ul></div></body></html>"""


NEWS_BASE = [("2025年11月14日", "/press/2025/11/20251114001/20251114001.html", "半導体・デジタル産業戦略を改定しました"),
             ("2025年11月07日", "/press/2025/11/20251107001/20251107001.html", "AI・半導体産業基盤強化フレームの進捗"),
             ("2025年10月31日", "/press/2025/10/20251031001/20251031001.html", "クラウドプログラムの公募を開始しました")]
NEWS_HOSTILE = [("2025年11月21日", "javascript:alert(document.cookie)", HOSTILE[0]),
                ("2025年11月21日", "/press/2025/11/20251121002/20251121002.html", HOSTILE[2]),
                ("2025年11月21日", "/press/2025/11/20251121003/20251121003.html", HOSTILE[5])]


@dataclass(frozen=True)
class HostileStore:
    path: Path
    table_source: str
    news_source: str


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStore]:
    """A database whose changes carry the hostile text, produced by real checks of real pages."""
    path = tmp_path_factory.mktemp("hostile") / "watcher.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with PageServer() as server:
        server.serve("/cloud.html", cloud_page(BASE_ROWS), validators=False)
        server.serve("/news.html", news_page(NEWS_BASE), validators=False)
        config = parse_config({"sources": [
            {"id": "meti-cloud-program", "name": "METI — クラウドプログラム <b>認定</b>",
             "agency": "METI", "url": server.url("/cloud.html"), "extract": "table"},
            {"id": "meti-news", "name": "METI — 新着情報", "agency": "METI",
             "url": server.url("/news.html"), "extract": "links"},
        ]}, Path("sources.toml"))
        options = PipelineOptions(alert_channels=("slack",))
        check_pass(config, engine, options=options)
        server.serve("/cloud.html", cloud_page(BASE_ROWS + HOSTILE_ROWS), validators=False)
        server.serve("/news.html", news_page(NEWS_HOSTILE + NEWS_BASE), validators=False)
        outcomes = check_pass(config, engine, options=options)
    assert all(o.status == "ok" and o.changes for o in outcomes), outcomes
    engine.dispose()
    return HostileStore(path=path, table_source="meti-cloud-program", news_source="meti-news")


@pytest.fixture
def hostile_engine(hostile_store: HostileStore, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "watcher.db"
    shutil.copyfile(hostile_store.path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def stored_changes(engine: Engine) -> list:  # type: ignore[type-arg]
    with Session(engine) as session:
        return list_changes(session=session)


def test_the_hostile_text_reached_the_store_as_text(hostile_engine: Engine) -> None:
    entities = " ".join(c.entity or c.summary for c in stored_changes(hostile_engine))
    for marker in ("<script>alert", "<!channel>", "[/bold]", "]]></summary>", "{{7", "<svg"):
        assert marker in entities  # so every check below is a real test


# U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates).
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def test_bidi_controls_are_removed_when_the_page_is_read(hostile_engine: Engine) -> None:
    changes = stored_changes(hostile_engine)
    abc = [c for c in changes if "ＡＢＣ" in (c.entity or "") or "ABC" in (c.entity or "")]
    assert abc  # the row with U+202E in its name was recorded …
    assert not any(BIDI.search(f"{c.entity} {c.summary}") for c in changes)  # … without it


@pytest.fixture
def bidi_engine(hostile_engine: Engine) -> Engine:
    """Changes stored before extraction removed bidi controls (or imported from elsewhere)."""
    with Session(hostile_engine) as session, session.begin():
        for row in session.exec(select(ChangeRow)).all():
            row.entity = f"\u202e{row.entity or ''}\u2066取消\u2069"
            row.summary = f"\u202b{row.summary}\u202c"
            session.add(row)
    return hostile_engine


def test_text_stored_with_bidi_controls_is_shown_without_them_everywhere(
    bidi_engine: Engine, tmp_path: Path,
) -> None:
    from datetime import timedelta

    assert all(BIDI.search(c.summary) for c in stored_changes(bidi_engine))
    app = create_app(admin_settings(bidi_engine, tmp_path), bidi_engine)
    shown: dict[str, str] = {}
    with TestClient(app, base_url="https://testserver", headers=basic()) as client:
        for page in admin_pages(bidi_engine):
            shown[f"admin {page}"] = client.get(page, headers={"accept": "text/html"}).text
        shown["api /api/changes"] = json.dumps(client.get("/api/changes").json(), ensure_ascii=False)
        change_id = stored_changes(bidi_engine)[0].id
        shown["api one change"] = json.dumps(client.get(f"/api/changes/{change_id}").json(),
                                             ensure_ascii=False)
        shown["atom"] = client.get("/feed.atom").text
    changes = stored_changes(bidi_engine)
    for change in changes:
        payload = render_changes([change], links=Links(public_url=PUBLIC)).payload()
        shown[f"slack {change.id}"] = json.dumps(payload, ensure_ascii=False)
    now = utc_now()
    with Session(bidi_engine) as session:
        content = load_content(session, digest_date=now.astimezone(JST).date(),
                               since=now - timedelta(days=1), until=now, tz=JST)
    message = build_email(content, links=Links(public_url=PUBLIC), sender="watcher@example.jp",
                          recipients=["analyst@example.jp"], digest_id=1, now=now)
    for part in ("html", "plain"):
        body = message.get_body((part,))
        assert body is not None
        shown[f"email {part}"] = body.get_content()

    assert "取消" in shown["atom"]  # the text around the controls is all there
    assert "取消" in shown["email html"]
    assert {where for where, text in shown.items() if BIDI.search(text)} == set()


def assert_inert(text: str, where: str) -> None:
    for marker in LIVE_MARKUP:
        assert marker not in text, f"{marker!r} unescaped in {where}"


# --- the admin page and the feed ---------------------------------------------------------


def basic(user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def admin_settings(engine: Engine, tmp_path: Path, **extra: object) -> Settings:
    return Settings(database_url=str(engine.url), admin_user=ADMIN_USER,  # type: ignore[arg-type]
                    admin_password=ADMIN_PASSWORD, session_secret=SESSION_SECRET,
                    config=tmp_path / "sources.toml", public_url=PUBLIC, **extra)


@pytest.fixture
def admin(hostile_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(admin_settings(hostile_engine, tmp_path), hostile_engine)
    with TestClient(app, base_url="https://testserver", headers=basic()) as client:
        yield client


def admin_pages(engine: Engine) -> list[str]:
    changes = stored_changes(engine)
    pages = ["/", "/changes", "/sources", "/deliveries", "/sources/meti-cloud-program",
             "/sources/meti-news", "/changes?q=script", "/api/changes", "/api/sources"]
    pages += [f"/changes/{c.id}" for c in changes] + [f"/api/changes/{c.id}" for c in changes]
    pages += sorted({f"/snapshots/{c.snapshot_id}" for c in changes})
    return pages


def test_the_admin_page_shows_hostile_text_escaped(admin: TestClient, hostile_engine: Engine) -> None:
    shown = 0
    for page in admin_pages(hostile_engine):
        response = admin.get(page, headers={"accept": "text/html"})
        assert response.status_code == 200, page
        if response.headers["content-type"].startswith("text/html"):
            assert_inert(response.text, page)
            assert "default-src 'none'" in response.headers["content-security-policy"]
            shown += response.text.count("&lt;script&gt;alert")
    assert shown > 0  # the text is shown, escaped, not dropped


def test_the_api_returns_hostile_text_as_json_strings(admin: TestClient) -> None:
    response = admin.get("/api/changes")
    assert response.headers["content-type"].startswith("application/json")
    entities = [c["entity"] for c in response.json()["changes"]]
    assert any(e and "<script>" in e for e in entities)  # JSON is data, not markup
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_raw_snapshot_is_a_sandboxed_text_download(admin: TestClient, hostile_engine: Engine) -> None:
    change = stored_changes(hostile_engine)[-1]
    response = admin.get(f"/snapshots/{change.snapshot_id}/raw")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]


def test_the_atom_feed_is_well_formed_and_carries_the_text_as_text(
    admin: TestClient, hostile_engine: Engine,
) -> None:
    response = admin.get("/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # well-formed: nothing broke out of its element
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == len(stored_changes(hostile_engine))
    titles = " ".join(e.findtext("a:title", "", ns) for e in entries)
    assert '<script>alert("xss")</script>' in titles
    assert "]]></summary>" in titles
    hrefs = [link.get("href", "") for link in root.iter("{http://www.w3.org/2005/Atom}link")]
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    assert not BIDI.search(response.text)  # reordering controls are removed
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", response.text)


# --- email, Slack, the command line ------------------------------------------------------


def test_the_digest_email_html_escapes_and_headers_stay_intact(hostile_engine: Engine) -> None:
    from datetime import timedelta

    now = utc_now()
    with Session(hostile_engine) as session:
        content = load_content(session, digest_date=now.astimezone(JST).date(),
                               since=now - timedelta(days=1), until=now, tz=JST)
    message = build_email(content, links=Links(public_url=PUBLIC), sender="watcher@example.jp",
                          recipients=["analyst@example.jp"], digest_id=1, now=now)
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None
    assert text is not None
    assert_inert(html.get_content(), "digest HTML")
    assert "&lt;script&gt;alert" in html.get_content()
    assert "javascript:" not in html.get_content()
    assert sorted(message.keys()) == sorted(["Subject", "From", "To", "Date", "Message-ID",
                                             "X-Subsidy-Watcher-Digest", "MIME-Version",
                                             "Content-Type"])
    assert "\n" not in str(message["Subject"]).strip()


def mrkdwn_links(text: str) -> list[str]:
    return re.findall(r"<([^|>]+)\|", text)


def test_slack_messages_escape_mentions_and_links(hostile_engine: Engine) -> None:
    changes = stored_changes(hostile_engine)
    by_snapshot: dict[int, list] = {}  # type: ignore[type-arg]
    for change in changes:
        by_snapshot.setdefault(change.snapshot_id, []).append(change)
    for group in by_snapshot.values():
        payload = render_changes(group, links=Links(public_url=PUBLIC)).payload()
        texts = [payload["text"]] + [json.dumps(b, ensure_ascii=False) for b in payload["blocks"]]
        for text in texts:
            assert "<!channel>" not in text
            assert "<@U0WATCHER>" not in text
            for url in mrkdwn_links(text):
                # Only links we build: the admin page, the source page, the news item itself.
                assert url.startswith((PUBLIC, "http://127.0.0.1")), url
                assert "evil.example" not in url


def test_the_command_line_prints_hostile_text_without_interpreting_it(
    hostile_store: HostileStore, tmp_path: Path,
) -> None:
    path = tmp_path / "watcher.db"
    shutil.copyfile(hostile_store.path, path)
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{path}", "COLUMNS": "400"}
    result = subprocess.run([sys.executable, "-m", "watcher.cli", "changes"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "[/bold][link=https://evil.example]" in result.stdout  # printed as written
    assert "\x1b]8;" not in result.stdout  # and never turned into a terminal hyperlink


def test_check_and_sources_print_a_hostile_suspect_reason_as_written(
    tmp_path: Path, fault_server: FaultServer,
) -> None:
    """A maintenance page's first line becomes the suspect reason that `check` prints."""
    hostile = "ただいまメンテナンス中です [/bold][link=https://evil.example]詳細[/link] \x1b[31m"
    fault_server.set("/plans.html", fs.ok(cloud_page(BASE_ROWS)))
    toml = tmp_path / "sources.toml"
    toml.write_text(f'[[sources]]\nid = "plans"\nname = "METI plans"\nagency = "METI"\n'
                    f'url = "{fault_server.url("/plans.html")}"\nextract = "table"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update({"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "COLUMNS": "300",
                "WATCHER_MIN_HOST_DELAY_S": "0", "WATCHER_CONFIG": str(toml)})

    def watcher(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "watcher.cli", *args], env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    assert watcher("check").returncode == 0
    fault_server.set("/plans.html", fs.ok(
        f"<html><head><title>メンテナンス</title></head><body><p>{html_text(hostile)}</p></body></html>"))
    checked, listed = watcher("check"), watcher("sources")
    for result in (checked, listed):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert "[/bold][link=https://evil.example]" in result.stdout.replace("\n", "")
        assert "\x1b" not in result.stdout  # neither rich's codes nor the page's
    assert "plans: suspect: maintenance page" in checked.stdout


# --- the admin page's gates --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/metrics", "/api/changes", "/api/sources", "/feed.atom",
                                  "/changes", "/deliveries"])
def test_machine_endpoints_and_pages_need_credentials(
    hostile_engine: Engine, tmp_path: Path, path: str,
) -> None:
    app = create_app(admin_settings(hostile_engine, tmp_path), hostile_engine)
    with TestClient(app, base_url="https://testserver") as anonymous:
        assert anonymous.get(path).status_code == 401
        wrong = anonymous.get(path, headers=basic(password="wrong password"))
        assert wrong.status_code == 401
        assert ADMIN_PASSWORD not in wrong.text


def test_a_post_without_its_csrf_token_is_refused(admin: TestClient, hostile_engine: Engine) -> None:
    change = stored_changes(hostile_engine)[0]
    response = admin.post(f"/changes/{change.id}/acknowledge", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert stored_changes(hostile_engine)[0].acknowledged_at is None


def test_every_page_sends_the_security_headers(admin: TestClient, hostile_engine: Engine) -> None:
    for page in admin_pages(hostile_engine)[:6]:
        headers = admin.get(page).headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"


# --- secrets -----------------------------------------------------------------------------

SMTP_PASSWORD = "smtp-pa55-4f7c2e91"
SOURCE_TOKEN = "src-bearer-8d1e6b3a0c"


def test_secrets_never_reach_logs_errors_the_admin_page_or_the_database(
    tmp_path: Path, fault_server: FaultServer,
) -> None:
    """Every secret is configured, every path that could print one is driven to fail."""
    with SlackStandIn() as slack, SmtpStandIn(user="watcher", password="the-right-one") as smtp:
        secrets = [slack.url.rsplit("/", 1)[1], SMTP_PASSWORD, ADMIN_PASSWORD, SESSION_SECRET,
                   SOURCE_TOKEN]
        slack.script(SlackReply(500, "internal_error"), SlackReply(404, "no_service"))
        # A source that sends its token, and is redirected to another host with it.
        fault_server.set("/plans.html", fs.ok(cloud_page(BASE_ROWS)))
        fault_server.set("/moved.html", fs.redirect(f"http://localhost:{fault_server.port}/new.html"))
        fault_server.set("/new.html", fs.ok(cloud_page(BASE_ROWS)))
        toml = tmp_path / "sources.toml"
        toml.write_text(
            f'[[sources]]\nid = "plans"\nname = "METI plans"\nagency = "METI"\nextract = "table"\n'
            f'url = "{fault_server.url("/plans.html")}"\nheaders = {{ Authorization = "Bearer {SOURCE_TOKEN}" }}\n\n'
            f'[[sources]]\nid = "moved"\nname = "METI moved"\nagency = "METI"\nextract = "table"\n'
            f'allow_private = true\nurl = "{fault_server.url("/moved.html")}"\n'
            f'headers = {{ Authorization = "Bearer {SOURCE_TOKEN}" }}\n', encoding="utf-8")
        db = tmp_path / "watcher.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
        env.update({
            "WATCHER_DATABASE_URL": f"sqlite:///{db}", "WATCHER_CONFIG": str(toml),
            "WATCHER_SLACK_WEBHOOK_URL": slack.url,
            "WATCHER_SMTP_URL": f"smtp://watcher:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}?timeout=5",
            "WATCHER_DIGEST_TO": "analyst@example.jp", "WATCHER_DIGEST_TIME": "00:00",
            "WATCHER_DIGEST_EMPTY": "true",
            "WATCHER_ADMIN_PASSWORD": ADMIN_PASSWORD, "WATCHER_SESSION_SECRET": SESSION_SECRET,
            "WATCHER_MIN_HOST_DELAY_S": "0", "WATCHER_PUBLIC_URL": PUBLIC,
        })
        logs = []
        for args in (["check"], ["check"], ["notify"], ["digest"], ["deliveries", "--all"],
                     ["sources", "--json"], ["changes", "--json"], ["health"]):
            result = subprocess.run([sys.executable, "-m", "watcher.cli", "--log-level", "DEBUG",
                                     *args], env=env, capture_output=True, text=True, timeout=120,
                                    check=False)
            logs.append(f"$ watcher {' '.join(args)}\n{result.stdout}\n{result.stderr}")
            assert "Traceback" not in result.stderr, result.stderr
            # After the baseline, a new approval: a change to alert about.
            fault_server.set("/plans.html", fs.ok(cloud_page(BASE_ROWS + HOSTILE_ROWS[:1])))
        # The redirected request to the other host went without the source's token.
        other = [h for h in fault_server.hits if h.path == "/new.html"]
        assert other
        assert all("authorization" not in h.headers for h in other)

        engine = make_engine(f"sqlite:///{db}")
        app = create_app(Settings(database_url=f"sqlite:///{db}", config=toml, public_url=PUBLIC,  # type: ignore[arg-type]
                                  admin_user=ADMIN_USER, admin_password=ADMIN_PASSWORD,
                                  session_secret=SESSION_SECRET,
                                  slack_webhook_url=slack.url), engine)
        with TestClient(app, base_url="https://testserver", headers=basic()) as client:
            for page in [*admin_pages(engine), "/metrics", "/feed.atom", "/healthz"]:
                response = client.get(page)
                logs.append(f"GET {page}\n{response.text}")
        engine.dispose()

    dump = "\n".join(sqlite3.connect(db).iterdump())
    with sqlite3.connect(db) as conn:
        packed = [row[0] for row in conn.execute("SELECT data FROM blobs")]
        packed += [row[0] for row in conn.execute("SELECT document FROM snapshots WHERE document IS NOT NULL")]
    unpacked = "\n".join(decompress(p).decode("utf-8", "replace") for p in packed)
    everything = "\n".join(logs) + dump + unpacked
    (tmp_path / "everything.txt").write_text(everything, encoding="utf-8")  # for a failure's reader
    assert "Slack webhook: HTTP 500" in everything  # the failures did happen and were reported
    assert "authentication failed" in everything
    for secret in secrets:
        assert secret not in everything, f"secret {secret[:6]}… leaked"


# --- redirects into the internal network -------------------------------------------------


def test_a_redirect_to_another_loopback_path_is_refused_without_the_opt_in(
    fault_server: FaultServer, sqlite_engine: Engine,
) -> None:
    fault_server.set("/start.html", fs.redirect(fault_server.url("/internal/admin.html")))
    fault_server.set("/internal/admin.html", fs.ok(cloud_page(BASE_ROWS)))
    url = fault_server.url("/start.html")

    refused = check_one(config_of(table_source("plans", url)), sqlite_engine)
    followed = check_one(config_of(table_source("plans-opt-in", url, allow_private=True)),
                         sqlite_engine, source_ids=["plans-opt-in"])

    assert refused.status == "failed"
    assert refused.error == ("redirect to loopback address 127.0.0.1 refused "
                             "(set allow_private = true to allow)")
    assert fault_server.count("/internal/admin.html") == 1  # only the opted-in source went there
    assert (followed.status, followed.changes) == ("ok", 0)


METI_PAGE = "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html"
INTERNAL = ["http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://10.0.0.1/admin/", "http://[fd00::1]/", "http://100.100.100.200/latest/meta-data/",
            "http://metadata.internal.example/computeMetadata/v1/"]


async def internal_resolver(name: str) -> list[str]:
    """Only the names these tests use; nothing is looked up for real."""
    return {"metadata.internal.example": ["169.254.169.254"], "www.meti.go.jp": ["203.0.113.10"]}[name]


def mocked(target: str) -> tuple[respx.Router, respx.Route, httpx.MockTransport]:
    router = respx.Router(assert_all_mocked=True, assert_all_called=False)
    router.get(METI_PAGE).respond(302, headers={"Location": target})
    inside = router.get(target).respond(200, html=cloud_page(BASE_ROWS))
    return router, inside, httpx.MockTransport(router.handler)


def one_check(engine: Engine, target: str, *, allow_private: bool) -> tuple[str, str | None, bool]:
    _router, inside, transport = mocked(target)
    config = config_of(table_source("meti-semiconductor-plans", METI_PAGE, allow_private=allow_private))
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())

    async def go() -> tuple[str, str | None]:
        async with Fetcher(FAST, transport=transport, resolve=internal_resolver) as fetcher:
            (outcome,) = await run_pass(config, engine=engine, fetcher=fetcher,
                                        options=PipelineOptions())
            return outcome.status, outcome.error

    status, error = asyncio.run(go())
    return status, error, inside.called


@pytest.mark.parametrize("target", INTERNAL)
def test_a_redirect_into_the_internal_network_is_refused(sqlite_engine: Engine, target: str) -> None:
    status, error, reached = one_check(sqlite_engine, target, allow_private=False)
    assert status == "failed"
    assert error is not None
    assert re.search(
        r"^redirect to .*(loopback|link-local|private).* refused \(set allow_private = true to allow\)$", error)
    assert not reached  # not even the mock was asked


@pytest.mark.parametrize("target", INTERNAL[:2])
def test_a_source_that_opts_in_may_follow_an_internal_redirect(sqlite_engine: Engine, target: str) -> None:
    status, error, reached = one_check(sqlite_engine, target, allow_private=True)
    assert (status, error, reached) == ("ok", None, True)


def test_the_digest_time_and_settings_parse_at_the_edge() -> None:
    from watcher.notify.digest import parse_digest_time

    assert parse_digest_time("08:00") == time(8, 0)

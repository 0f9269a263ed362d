"""A realistic database for the admin page, produced by the real pipeline (fetch replaced by fixed pages).

Each page version goes through watcher.pipeline.process_result (extract → suspect
check → diff → store), at the time the page changed on METI's or IPA's site. The
last version of the semiconductor table adds a row whose operator cell is the
text ``<script>alert(1)</script><img src=x onerror=alert(2)>`` (written with
&lt; entities in the HTML, so it survives extraction as text), and the framework
page gets a paragraph with the same text, so it reaches a text diff too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from watcher.fetch import FetchResult
from watcher.pipeline import PipelineOptions, process_result
from watcher.sources import Config, parse_config
from watcher.store import sync_sources
from watcher.store.models import ChangeRow, Delivery

PAGES = Path(__file__).resolve().parent / "pages"
DEMO_PAGES = Path(__file__).resolve().parents[2] / "src" / "watcher" / "demo_data" / "pages"

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
PLANS = "meti-semiconductor-plans"
FRAMEWORK = "meti-ai-semiconductor-framework"
METI_NEWS = "meti-news"
IPA_NEWS = "ipa-news"
CLOUD = "meti-cloud-program"

SOURCES = [
    {"id": PLANS, "name": "METI — 特定半導体生産施設整備等計画の認定", "agency": "METI",
     "url": "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor/semiconductor_plan.html",
     "extract": "table", "schedule": "every 6h"},
    {"id": FRAMEWORK, "name": "METI — AI・半導体産業基盤強化フレーム", "agency": "METI",
     "url": "https://www.meti.go.jp/policy/mono_info_service/joho/ai_semiconductor_frame.html",
     "extract": "text", "schedule": "every 12h"},
    {"id": METI_NEWS, "name": "METI — 新着情報（半導体・デジタル産業）", "agency": "METI",
     "url": "https://www.meti.go.jp/policy/mono_info_service/joho/news.html",
     "extract": "links", "schedule": "every 1h"},
    {"id": IPA_NEWS, "name": "IPA — ニュース一覧", "agency": "IPA",
     "url": "https://www.ipa.go.jp/news/index.html", "extract": "links", "schedule": "every 1h"},
    {"id": CLOUD, "name": "METI — クラウドプログラムの供給確保計画", "agency": "METI",
     "url": "https://www.meti.go.jp/policy/economy/economic_security/cloud/index.html",
     "extract": "table", "schedule": "0 9 * * *"},
]

MAINTENANCE = ("<html><head><title>メンテナンスのお知らせ</title></head><body>"
               "<p>ただいまシステムメンテナンス中です。しばらくお待ちください。</p></body></html>")


@dataclass(frozen=True, slots=True, kw_only=True)
class Seeded:
    """Ids a test needs to find its way around the seeded database."""

    config: Config
    change_ids: tuple[int, ...]
    hostile_change_id: int  # the table row whose operator cell is HOSTILE
    hostile_text_change_id: int  # the text_changed whose diff inserts HOSTILE
    amount_change_id: int  # Micron 1γ: 1,670億円 → 1,920億円
    failed_delivery_id: int
    dead_delivery_id: int


def config() -> Config:
    return parse_config({"sources": SOURCES}, Path("sources.toml"))


def _at(day: str, hour: int = 1) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _ok(url: str, html: str) -> FetchResult:
    body = html.encode("utf-8")
    return FetchResult(status="ok", url=url, http_status=200, body=body, text=html,
                       encoding="utf-8", content_type="text/html; charset=utf-8",
                       content_hash=hashlib.sha256(body).hexdigest())


def _failed(url: str) -> FetchResult:
    return FetchResult(status="failed", url=url, http_status=503, error="HTTP 503 Service Unavailable")


def _timeline() -> list[tuple[str, datetime, str | None]]:
    """(source id, fetched at, page path or None for a failed fetch), in time order."""
    steps: list[tuple[str, datetime, str | None]] = []
    for page in sorted((PAGES / PLANS).glob("*.html")):
        day = _at(page.stem)
        steps += [(PLANS, day, str(page)), (PLANS, day + timedelta(hours=6), str(page))]
    for page in sorted((PAGES / FRAMEWORK).glob("*.html")):
        steps.append((FRAMEWORK, _at(page.stem, 3), str(page)))
    for source in (METI_NEWS, IPA_NEWS):
        for page in sorted((DEMO_PAGES / source).glob("*.html")):
            steps.append((source, _at(page.stem, 2), str(page)))
    last_ipa = max(at for sid, at, _ in steps if sid == IPA_NEWS)
    steps.append((IPA_NEWS, last_ipa + timedelta(hours=1), "maintenance"))
    for hours in (0, 24, 48):
        steps.append((CLOUD, _at("2025-12-24", 0) + timedelta(hours=hours), None))
    return sorted(steps, key=lambda step: step[1])


def seed(engine: Engine) -> Seeded:
    """Run every page version through the pipeline, then age a few deliveries."""
    cfg = config()
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=cfg, now=_at("2022-07-01"))
    options = PipelineOptions(alert_channels=("slack",), unhealthy_after=3)
    for source_id, fetched_at, page in _timeline():
        source = cfg.source(source_id)
        if page is None:
            result = _failed(source.url)
        elif page == "maintenance":
            result = _ok(source.url, MAINTENANCE)
        else:
            result = _ok(source.url, Path(page).read_text(encoding="utf-8"))
        process_result(source, result, engine=engine, options=options, fetched_at=fetched_at)
    return _finish(engine, cfg)


def _finish(engine: Engine, cfg: Config) -> Seeded:
    with Session(engine) as session, session.begin():
        changes = session.exec(select(ChangeRow).order_by(col(ChangeRow.id))).all()
        ids = tuple(c.id for c in changes if c.id is not None)
        hostile = next(c.id for c in changes if c.kind == "entry_added" and HOSTILE in (c.entity or ""))
        hostile_text = next(c.id for c in changes if c.kind == "text_changed" and HOSTILE in c.details)
        amount = next(c.id for c in changes if c.kind == "amount_changed")
        deliveries = session.exec(select(Delivery).where(col(Delivery.change_id).is_not(None))
                                  .order_by(col(Delivery.id))).all()
        # What the outbox dispatcher leaves behind: most sent, one failing, one given up.
        for delivery in deliveries[:-4]:
            session.execute(sa.update(Delivery).where(col(Delivery.id) == delivery.id)
                            .values(status="sent", attempts=1, sent_at=delivery.created_at))
        failed, dead = deliveries[-4].id, deliveries[-3].id
        session.execute(sa.update(Delivery).where(col(Delivery.id) == failed).values(
            status="failed", attempts=2, last_error="Slack answered HTTP 500: internal_error"))
        session.execute(sa.update(Delivery).where(col(Delivery.id) == dead).values(
            status="dead", attempts=8, last_error="Slack answered HTTP 404: no_service"))
    assert hostile
    assert hostile_text
    assert amount
    assert failed
    assert dead
    return Seeded(config=cfg, change_ids=ids, hostile_change_id=hostile,
                  hostile_text_change_id=hostile_text, amount_change_id=amount,
                  failed_delivery_id=failed, dead_delivery_id=dead)

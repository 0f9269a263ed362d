"""Factories for the notification tests: sources, recorded checks with changes, a fake clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from watcher.changes import Change, ChangeKind
from watcher.notify import Links
from watcher.store.changes import StoredChange
from watcher.store.checks import CheckRecord, HealthTransition, RecordedCheck, record_check
from watcher.store.models import Delivery, SourceRow

# 2025-11-21 09:00 JST: the morning METI selected Rapidus's plan.
T0 = datetime(2025, 11, 21, 0, 0, tzinfo=UTC)
LINKS = Links(public_url="https://watcher.example.jp")

PLANS = {
    "id": "meti-semiconductor-plans",
    "name": "METI — 特定半導体生産施設整備等計画の認定",
    "agency": "METI",
    "url": "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html",
}
CLOUD = {
    "id": "meti-cloud-program",
    "name": "METI — クラウドプログラムの供給確保計画の認定",
    "agency": "METI",
    "url": "https://www.meti.go.jp/policy/economy/economic_security/cloud/index.html",
}
IPA_NEWS = {
    "id": "ipa-news",
    "name": "IPA — ニュース（Rapidus 出資など）",
    "agency": "IPA",
    "url": "https://www.ipa.go.jp/news/index.html",
}


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def add_source(engine: Engine, source: dict[str, str], *, extract: str = "table") -> None:
    with Session(engine) as session, session.begin():
        session.add(SourceRow(id=source["id"], name=source["name"], agency=source["agency"],
                              url=source["url"], extract=extract, schedule="every 6h",
                              created_at=T0 - timedelta(days=30)))


def new_entry(entity: str, amount_yen: int | None) -> Change:
    return Change(kind=ChangeKind.ENTRY_ADDED, summary=f"New: {entity}", entity=entity,
                  entity_key=entity, table="認定計画", amount_yen=amount_yen)


def amount_change(entity: str, old: int, new: int) -> Change:
    return Change(kind=ChangeKind.AMOUNT_CHANGED, summary=f"{entity}: 最大助成額 changed",
                  entity=entity, entity_key=entity, table="認定計画", amount_yen=new,
                  previous_amount_yen=old)


def news_item(title: str, url: str) -> Change:
    return Change(kind=ChangeKind.LINK_ADDED, summary=f"New: 「{title}」 {url}", entity=title,
                  entity_key=url, url=url)


def record_changes(
    engine: Engine, source_id: str, changes: Sequence[Change], *, at: datetime,
    channels: Sequence[str] = ("slack",),
) -> RecordedCheck:
    """One good check of ``source_id`` at ``at`` that found ``changes`` (deliveries queued)."""
    check = CheckRecord(source_id=source_id, fetched_at=at, status="ok", changes=tuple(changes),
                        becomes_last_good=True, content_hash=f"{at.timestamp():.0f}")
    with Session(engine) as session, session.begin():
        return record_check(session=session, check=check, alert_channels=channels)


def record_failure(
    engine: Engine, source_id: str, *, at: datetime, error: str = "HTTP 503 Service Unavailable",
    failures: int, since: datetime, health: HealthTransition | None = None,
    channels: Sequence[str] = ("slack",),
) -> RecordedCheck:
    check = CheckRecord(source_id=source_id, fetched_at=at, status="failed", error=error,
                        http_status=503, consecutive_failures=failures, failing_since=since,
                        unhealthy_notified=health is not None or failures >= 3, health=health)
    with Session(engine) as session, session.begin():
        return record_check(session=session, check=check, alert_channels=channels)


def deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())


def stored(change_id: int, *, kind: str = ChangeKind.AMOUNT_CHANGED, entity: str | None = None,
           amount_yen: int | None = None, previous_amount_yen: int | None = None,
           summary: str = "", url: str | None = None, source: dict[str, str] = PLANS,
           at: datetime = T0) -> StoredChange:
    """A StoredChange as the store returns it (for the pure rendering tests)."""
    return StoredChange(
        id=change_id, source=source["id"], agency=source["agency"], source_name=source["name"],
        kind=str(kind), entity=entity, amount_yen=amount_yen,
        previous_amount_yen=previous_amount_yen, url=url, detected_at=at, summary=summary,
        table="認定計画", snapshot_id=7, previous_snapshot_id=6, acknowledged_at=None,
        imported=False, source_url=source["url"], details={},
    )


@dataclass
class SleepRecorder:
    """Stands in for time.sleep in the Slack retry handler: records, never waits."""

    waits: list[float]

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

"""What the reliability tests share: sources on a loopback server, one check pass, and the
database invariants that must hold after anything (a fault, a kill, a full disk).

`problems(engine)` is the consistency check every test ends with; it returns the
broken invariants as sentences, so an assertion failure says what is wrong.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from watcher.fetch import Fetcher, FetchPolicy
from watcher.pipeline import CheckOutcome, PipelineOptions, run_pass
from watcher.sources import Config, parse_config
from watcher.store import sync_sources
from watcher.store.blobs import decompress
from watcher.store.models import Blob, ChangeRow, Delivery, Snapshot, SourceRow, utcnow

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "watcher" / "demo_data" / "pages"
FIXTURES = REPO / "tests" / "fixtures" / "pages"

# The approved-plans page as METI published it, and the same page with Micron's
# 1γ DRAM plan revised from 1,670億円 to 1,920億円 (one amount_changed).
PLANS_V0 = (DEMO / "meti-semiconductor-plans" / "2025-09-19.html").read_text(encoding="utf-8")
PLANS_V1 = (FIXTURES / "meti-semiconductor-plans" / "change-amount-revised.html").read_text(
    encoding="utf-8")
MAINTENANCE = (FIXTURES / "meti-semiconductor-plans" / "maintenance.html").read_text(
    encoding="utf-8")

# Short timeouts and one quick retry, so that a fault costs a test well under a second.
FAST = FetchPolicy(connect_timeout_s=0.5, read_timeout_s=0.5, total_timeout_s=3.0, max_tries=2,
                   backoff_base_s=0.01, max_retry_wait_s=0.2, max_body_bytes=2 * 1024 * 1024,
                   min_host_delay_s=0.0, per_host=10, max_connections=20)
TRANSPORTS = ("aiohttp", "httpx")
GOOD = ("ok", "unchanged", "not_modified")


def table_source(sid: str, url: str, **extra: object) -> dict[str, object]:
    """A `table` source as sources.toml would hold it."""
    return {"id": sid, "name": f"METI — 特定半導体生産施設整備等計画の認定 ({sid})", "agency": "METI",
            "url": url, "extract": "table", **extra}


def config_of(*sources: dict[str, object]) -> Config:
    return parse_config({"sources": list(sources)}, Path("sources.toml"))


def make_transport(name: str) -> httpx.AsyncBaseTransport | None:
    """The production transport (aiohttp) or httpx's own (None)."""
    if name == "aiohttp":
        from watcher.fetch.aiohttp_transport import AiohttpTransport

        return AiohttpTransport(max_connections=20)
    return None


def check_pass(config: Config, engine: Engine, *, transport: str = "aiohttp",
               policy: FetchPolicy = FAST, options: PipelineOptions | None = None,
               mock: httpx.AsyncBaseTransport | None = None,
               source_ids: Sequence[str] = ()) -> list[CheckOutcome]:
    """Sync the config and run one pass, as `watcher check` does, with test timeouts."""
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())

    async def go() -> list[CheckOutcome]:
        async with Fetcher(policy, transport=mock or make_transport(transport)) as fetcher:
            return await run_pass(config, engine=engine, fetcher=fetcher,
                                  options=options or PipelineOptions(), source_ids=source_ids)

    return asyncio.run(go())


def check_one(config: Config, engine: Engine, **kwargs: Any) -> CheckOutcome:
    (outcome,) = check_pass(config, engine, **kwargs)
    return outcome


@dataclass(frozen=True)
class ChangeFact:
    """A change as a clean run would record it (ids and times left out)."""

    source: str
    kind: str
    entity_key: str | None
    amount_yen: int | None
    previous_amount_yen: int | None


def change_facts(engine: Engine) -> Counter[ChangeFact]:
    """Every recorded change as a multiset of facts (a duplicate counts twice)."""
    with Session(engine) as session:
        rows = session.exec(select(ChangeRow).order_by(col(ChangeRow.id))).all()
    return Counter(ChangeFact(r.source_id, r.kind, r.entity_key, r.amount_yen,
                              r.previous_amount_yen) for r in rows)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(sa.func.count()).select_from(model)).one())


def source_row(engine: Engine, source_id: str) -> SourceRow:
    with Session(engine) as session:
        row = session.get(SourceRow, source_id)
        assert row is not None
        session.expunge(row)
        return row


def problems(engine: Engine, *, alert_channels: Sequence[str] = ()) -> list[str]:
    """Every broken invariant of the store, as sentences (empty when consistent)."""
    found: list[str] = []
    with Session(engine) as session:
        snapshots = {s.id: s for s in session.exec(select(Snapshot)).all()}
        blobs = {b.hash: b for b in session.exec(select(Blob)).all()}
        changes = session.exec(select(ChangeRow)).all()
        sources = session.exec(select(SourceRow)).all()
        deliveries = session.exec(select(Delivery)).all()
    for blob in blobs.values():
        data = decompress(blob.data)
        if hashlib.sha256(data).hexdigest() != blob.hash or len(data) != blob.size:
            found.append(f"blob {blob.hash[:12]} does not hold the body its hash names")
    for snap in snapshots.values():
        if snap.blob_hash is not None and snap.blob_hash not in blobs:
            found.append(f"snapshot {snap.id} names blob {snap.blob_hash[:12]}, which is missing")
        if snap.status == "ok" and (snap.blob_hash is None or snap.document is None):
            found.append(f"ok snapshot {snap.id} has no stored body or document")
        if snap.status in ("failed", "not_modified", "unchanged") and snap.document is not None:
            found.append(f"{snap.status} snapshot {snap.id} carries a document")
        if snap.status in ("failed", "suspect") and not snap.error:
            found.append(f"{snap.status} snapshot {snap.id} has no reason")
    seen: Counter[tuple[str, str | None, str, int]] = Counter()
    for change in changes:
        snap = snapshots.get(change.snapshot_id)
        if snap is None:
            found.append(f"change {change.id} names snapshot {change.snapshot_id}, which is missing")
        elif snap.status != "ok":
            found.append(f"change {change.id} belongs to a {snap.status} snapshot")
        if change.previous_snapshot_id is not None and change.previous_snapshot_id not in snapshots:
            found.append(f"change {change.id} names a missing previous snapshot")
        seen[(change.source_id, change.entity_key, change.kind, change.snapshot_id)] += 1
    for key, n in seen.items():
        if n > 1:
            found.append(f"change {key} recorded {n} times")
    for source in sources:
        if source.last_good_snapshot_id is None:
            continue
        good = snapshots.get(source.last_good_snapshot_id)
        if good is None or good.status != "ok" or good.source_id != source.id:
            found.append(f"source {source.id}: last good snapshot {source.last_good_snapshot_id} "
                         "is not an ok snapshot of this source")
        elif good.content_hash != source.last_good_hash:
            found.append(f"source {source.id}: last_good_hash differs from its snapshot's")
    change_ids = {c.id for c in changes}
    per_change: Counter[tuple[int | None, str]] = Counter()
    for delivery in deliveries:
        if delivery.change_id is not None:
            if delivery.change_id not in change_ids:
                found.append(f"delivery {delivery.id} names a missing change")
            per_change[(delivery.change_id, delivery.channel)] += 1
    for change in changes:
        for channel in alert_channels:
            if not change.imported and per_change[(change.id, channel)] != 1:
                found.append(f"change {change.id} has {per_change[(change.id, channel)]} "
                             f"{channel} deliveries, not 1")
    return found

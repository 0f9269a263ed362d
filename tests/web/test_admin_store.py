"""watcher.store.admin on every backend: the list's filters in SQL, acknowledgement, histories, metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from watcher.store.admin import (
    ChangeFilter,
    collect_metrics,
    filter_options,
    get_change,
    list_change_page,
    list_deliveries,
    retry_delivery,
    set_acknowledged,
    snapshot_body,
    snapshot_detail,
    source_detail,
)
from watcher.store.models import Delivery
from web.admin_seed import FRAMEWORK, HOSTILE, IPA_NEWS, PLANS, seed

NOW = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def total(session: Session, **filters: object) -> int:
    return list_change_page(session=session, filters=ChangeFilter(**filters)).total  # type: ignore[arg-type]


def test_filters_and_pages_on_every_backend(engine: Engine) -> None:
    ids = seed(engine)
    with Session(engine) as session:
        everything = list_change_page(session=session, filters=ChangeFilter(), per_page=5)
        assert everything.total == len(ids.change_ids)
        assert everything.pages == 3
        assert [c.id for c in everything.items] == sorted(ids.change_ids, reverse=True)[:5]
        last = list_change_page(session=session, filters=ChangeFilter(), page=3, per_page=5)
        assert len(last.items) == len(ids.change_ids) - 10
        assert not last.has_next
        assert last.has_prev
        assert total(session, agency="IPA") == 2
        assert total(session, source=PLANS) == 6
        assert total(session, kind="amount_changed") == 1
        assert total(session, since=datetime(2024, 3, 15, tzinfo=UTC),
                     until=datetime(2024, 3, 16, tzinfo=UTC)) == 2
        assert total(session, text="rapidus") == total(session, text="RAPIDUS") > 0
        assert total(session, text="100%") == 0
        assert total(session, text="_") == 0
        assert total(session, text="<script>alert(1)</script>") == 2
        assert total(session, acknowledged=True) == 0
        options = filter_options(session=session)
        assert options.agencies == ("IPA", "METI")
        assert "amount_changed" in options.kinds


def test_acknowledge_keeps_the_first_time_and_unacknowledge_clears_it(engine: Engine) -> None:
    ids = seed(engine)
    first, later = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        assert set_acknowledged(session=session, change_id=ids.amount_change_id, acknowledged=True, now=first)
        assert set_acknowledged(session=session, change_id=ids.amount_change_id, acknowledged=True, now=later)
        assert not set_acknowledged(session=session, change_id=999_999, acknowledged=True, now=first)
    with Session(engine) as session:
        change = get_change(session=session, change_id=ids.amount_change_id)
        assert change is not None
        assert change.acknowledged_at == first
        assert total(session, acknowledged=True) == 1
        assert total(session, acknowledged=False) == len(ids.change_ids) - 1
    with Session(engine) as session, session.begin():
        set_acknowledged(session=session, change_id=ids.amount_change_id, acknowledged=False, now=later)
    with Session(engine) as session:
        assert total(session, acknowledged=True) == 0


def test_a_table_source_has_records_and_each_rows_amount_history(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        detail = source_detail(session=session, source_id=PLANS)
    assert detail is not None
    assert detail.baseline_at == datetime(2022, 7, 26, 1, tzinfo=UTC)
    assert len(detail.snapshots) == 12
    assert detail.snapshots[0].fetched_at > detail.snapshots[-1].fetched_at
    assert detail.gone == ()
    histories = {row.record.entity.split(" — ")[0] + row.record.amount_text: row.history for row in detail.records}
    micron = histories["マイクロンメモリジャパン株式会社1,920"]
    assert micron is not None
    assert [(p.at.date().isoformat(), p.amount_yen) for p in micron.points] == [
        ("2023-10-03", 167_000_000_000), ("2024-03-15", 192_000_000_000)]
    jasm = histories["Japan Advanced Semiconductor Manufacturing株式会社(JASM)4,760"]
    assert jasm is not None
    assert [(p.at, p.amount_yen) for p in jasm.points] == [
        (detail.baseline_at, 476_000_000_000)]
    with Session(engine) as session:
        text_source = source_detail(session=session, source_id=FRAMEWORK)
    assert text_source is not None
    assert text_source.records == ()


def test_snapshots_bodies_deliveries_and_metrics(engine: Engine) -> None:
    ids = seed(engine)
    with Session(engine) as session:
        change = get_change(session=session, change_id=ids.hostile_change_id)
        assert change is not None
        snap = snapshot_detail(session=session, snapshot_id=change.snapshot_id)
        assert snap is not None
        assert snap.document is not None
        assert any(HOSTILE in r.entity for r in snap.document.records)
        assert [c.id for c in snap.changes] == [ids.amount_change_id, ids.hostile_change_id]
        body = snapshot_body(session=session, snapshot_id=change.snapshot_id)
        assert body is not None
        assert b"&lt;script&gt;" in body.data
        assert body.encoding == "utf-8"
        deliveries = list_deliveries(session=session)
        assert {d.status for d in deliveries} == {"pending", "failed", "dead"}
        assert any(d.about == "source meti-cloud-program: unhealthy" for d in deliveries)
        metrics = collect_metrics(session=session)
        assert (PLANS, "ok", 6) in metrics.checks
        assert ("slack", "sent", 10) in metrics.deliveries
        assert dict(metrics.last_success)[IPA_NEWS] == datetime(2025, 12, 26, 2, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        assert retry_delivery(session=session, delivery_id=ids.failed_delivery_id, now=NOW)
        assert not retry_delivery(session=session, delivery_id=ids.failed_delivery_id, now=NOW)
    with Session(engine) as session:
        row = session.exec(select(Delivery).where(Delivery.id == ids.failed_delivery_id)).one()
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NOW)

"""Checks that found nothing new are written a group at a time, and none is lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from watcher.pipeline import QuietChecks
from watcher.runner import run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config
from watcher.store import CheckRecord, load_source_states, record_check, sync_sources
from watcher.store.checks import record_quiet_checks
from watcher.store.models import Snapshot, SourceRow

from support.pageserver import PageServer

NOW = datetime(2025, 11, 21, 9, 0, tzinfo=UTC)
PAGE = """<html><body><div id="__main_contents"><h1>AI・半導体産業基盤強化フレーム</h1>
<p>AI・半導体分野に2030年度までに10兆円以上の公的支援を行います。</p></div></body></html>"""


def config_for(urls: list[str]) -> Config:
    sources = [{"id": f"meti-page-{i}", "name": f"METI {i}", "agency": "METI", "url": url,
                "extract": "text"} for i, url in enumerate(urls)]
    return parse_config({"sources": sources}, Path("sources.toml"))


def unchanged(source_id: str, *, status: str = "not_modified") -> CheckRecord:
    return CheckRecord(source_id=source_id, fetched_at=NOW, status=status, http_status=304,
                       etag='"r7-1121"', last_modified="Fri, 21 Nov 2025 00:00:00 GMT",
                       next_due_at=NOW + timedelta(hours=6))


def snapshots(engine: Engine) -> list[Snapshot]:
    with Session(engine) as session:
        return list(session.exec(select(Snapshot).order_by(col(Snapshot.id))).all())


@pytest.fixture
def two_sources(sqlite_engine: Engine) -> Engine:
    with Session(sqlite_engine) as session, session.begin():
        sync_sources(session=session, config=config_for(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]),
                     now=NOW)
    return sqlite_engine


def test_a_pass_over_unchanged_pages_records_every_check(engine: Engine, page_server: PageServer) -> None:
    for name in ("a", "b", "c"):
        page_server.serve(f"/{name}.html", PAGE)
    config = config_for([page_server.url(f"/{name}.html") for name in ("a", "b", "c")])
    settings = Settings(database_url=str(engine.url), min_host_delay_s=0.0)
    asyncio.run(run_check_pass(config, settings=settings, engine=engine))

    outcomes = asyncio.run(run_check_pass(config, settings=settings, engine=engine))

    assert sorted(o.status for o in outcomes) == ["not_modified"] * 3
    rows = snapshots(engine)
    assert [r.status for r in rows] == ["ok"] * 3 + ["not_modified"] * 3
    assert all(r.blob_hash is None and r.document is None for r in rows[3:])
    with Session(engine) as session:
        states = load_source_states(session=session, source_ids=[s.id for s in config.sources])
        last = session.exec(select(SourceRow.last_status, SourceRow.last_check_at)).all()
    assert {status for status, _ in last} == {"not_modified"}
    assert all(s.last_good_snapshot_id is not None and s.etag for s in states.values())


def test_a_full_group_is_written_without_waiting_for_the_end_of_the_pass(two_sources: Engine) -> None:
    quiet = QuietChecks(two_sources, group=2)

    quiet.add(unchanged("meti-page-0"))
    assert snapshots(two_sources) == []
    quiet.add(unchanged("meti-page-1"))

    assert [r.source_id for r in snapshots(two_sources)] == ["meti-page-0", "meti-page-1"]
    with Session(two_sources) as session:
        state = load_source_states(session=session, source_ids=["meti-page-1"])["meti-page-1"]
    assert (state.etag, state.last_modified) == ('"r7-1121"', "Fri, 21 Nov 2025 00:00:00 GMT")


def test_one_unwritable_check_does_not_lose_the_rest_of_its_group(two_sources: Engine) -> None:
    quiet = QuietChecks(two_sources)
    quiet.add(unchanged("meti-page-0"))
    quiet.add(unchanged("no-such-source"))  # the foreign key refuses it
    quiet.add(unchanged("meti-page-1", status="unchanged"))

    quiet.flush()

    assert [(r.source_id, r.status) for r in snapshots(two_sources)] == [
        ("meti-page-0", "not_modified"), ("meti-page-1", "unchanged")]
    assert list(quiet.failed) == ["no-such-source"]


def test_only_checks_without_body_changes_or_health_are_written_in_bulk(two_sources: Engine) -> None:
    with_body = CheckRecord(source_id="meti-page-0", fetched_at=NOW, status="ok", body=b"<html>",
                            content_hash="0" * 64, becomes_last_good=True)

    with Session(two_sources) as session, pytest.raises(ValueError, match="without body"):
        record_quiet_checks(session=session, checks=[unchanged("meti-page-1"), with_body])


def test_a_check_written_alone_and_in_bulk_leave_the_same_source_state(two_sources: Engine) -> None:
    with Session(two_sources) as session, session.begin():
        record_check(session=session, check=unchanged("meti-page-0"))
        record_quiet_checks(session=session, checks=[unchanged("meti-page-1")])
    with Session(two_sources) as session:
        alone, bulk = (session.get(SourceRow, sid) for sid in ("meti-page-0", "meti-page-1"))
    assert alone is not None
    assert bulk is not None
    fields = ("last_check_at", "last_status", "last_error", "etag", "last_modified", "next_due_at",
              "consecutive_failures", "last_good_snapshot_id", "claimed_by")
    assert [getattr(alone, f) for f in fields] == [getattr(bulk, f) for f in fields]

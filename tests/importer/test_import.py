"""Importing the fixture timeline records exactly what `check` would have, once, in capture order."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from watcher.demo.fixtures import build_demo_warc, demo_config, fixture_captures
from watcher.importer.core import ImportItem, import_captures, import_warc_files
from watcher.pipeline import CheckOutcome, PipelineOptions
from watcher.store import list_changes, sync_sources
from watcher.store.imports import count_rows, snapshot_lines
from watcher.store.models import SourceRow

CONFIG = demo_config()
OPTIONS = PipelineOptions(alert_channels=("slack",))  # even with Slack on, history is not alerted
OKU = 10**8

# (capture date, source) → the changes that capture brings, as (kind, amount in 億円).
EXPECTED: dict[tuple[str, str], list[tuple[str, float | None]]] = {
    ("2022-07-29", "meti-semiconductor-plans"): [("entry_added", 929.3)],   # Kioxia Yokkaichi
    ("2022-10-03", "meti-semiconductor-plans"): [("entry_added", 464.7)],   # Micron 1β
    ("2023-10-06", "meti-semiconductor-plans"): [("entry_added", 1670)],    # Micron 1γ EUV
    ("2024-02-08", "meti-semiconductor-plans"): [("entry_added", 1500)],    # Yokkaichi + Kitakami
    ("2024-02-27", "meti-semiconductor-plans"): [("entry_added", 7320)],    # JASM fab 2
    ("2024-02-27", "meti-semiconductor-plans-en"): [
        ("entry_added", 7320), ("entry_added", 929.3), ("entry_added", 1500),
        ("entry_added", 464.7), ("entry_added", 1670)],
    ("2024-04-19", "meti-news"): [("link_added", None), ("link_added", None)],
    ("2024-04-19", "meti-cloud-program"): [                                   # the five cloud plans
        ("entry_added", 501), ("entry_added", 102.4), ("entry_added", 77.0),
        ("entry_added", 25.6), ("entry_added", 19.3), ("amount_changed", 725)],  # and their total
    ("2025-09-19", "meti-semiconductor-plans"): [("entry_added", 5000)],    # Micron HBM
    ("2025-09-19", "meti-semiconductor-plans-en"): [("entry_added", 5000)],
    ("2025-11-21", "meti-news"): [("link_added", None), ("link_added", None)],  # Rapidus selected
    ("2025-11-25", "ipa-news"): [("link_added", None)],                     # IPA ¥100bn
    ("2025-12-26", "ipa-news"): [("link_added", None)],
}
BUDGET_DAY = ("2025-12-26", "meti-budget-fy2026-pdf")


def items() -> list[ImportItem]:
    return [ImportItem(source=CONFIG.source(f.source_id), capture=f.capture)
            for f in fixture_captures(CONFIG)]


def synced(engine: Engine) -> Engine:
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=CONFIG, now=datetime(2022, 1, 1, tzinfo=UTC))
    return engine


def history(engine: Engine) -> list[tuple[Any, ...]]:
    """Everything an import writes, without database ids."""
    with Session(engine) as session:
        snaps = [(s.source_id, s.fetched_at, s.status, s.error, s.imported)
                 for s in snapshot_lines(session=session)]
        changes = [(c.source, c.detected_at, c.kind, c.entity, c.amount_yen,
                    c.previous_amount_yen, c.imported) for c in list_changes(session=session)]
        sources = [(r.id, r.last_good_hash, r.last_status, r.consecutive_failures, r.next_due_at)
                   for r in session.exec(select(SourceRow).order_by(SourceRow.id)).all()]
    return [*snaps, *changes, *sources]


def test_the_timeline_gives_each_seed_change_on_its_capture_date(engine: Engine) -> None:
    report = import_captures(items(), engine=synced(engine), options=OPTIONS)

    with Session(engine) as session:
        changes = list_changes(session=session)
        counts = count_rows(session=session)
    found: dict[tuple[str, str], list[tuple[str, float | None]]] = {}
    for c in changes:
        day = c.detected_at.date().isoformat()
        amount = c.amount_yen / OKU if c.amount_yen is not None else None
        found.setdefault((day, c.source), []).append((c.kind, amount))
    budget = found.pop(BUDGET_DAY)
    assert found == EXPECTED
    # The FY2026 draft budget: the AI/semiconductor line and Rapidus's 1,500億円 appear.
    assert ("amount_changed", 12390) in budget
    assert ("amount_changed", 1500) in budget
    assert report.imported == len(items()) == counts["snapshots"]
    assert all(c.imported for c in changes)
    assert counts["deliveries"] == 0  # nothing queued for Slack: this is history
    # The cloud page had no table before the approvals: an empty baseline, so the
    # approvals are changes when they appear.
    assert Counter(o.status for o in report.outcomes) == Counter({"ok": 21})


def test_snapshots_and_changes_are_dated_at_their_capture(sqlite_engine: Engine) -> None:
    import_captures(items(), engine=synced(sqlite_engine), options=OPTIONS)

    with Session(sqlite_engine) as session:
        snaps = snapshot_lines(session=session)
        changes = list_changes(session=session)
    captured = sorted((f.source_id, f.capture.captured_at) for f in fixture_captures(CONFIG))
    assert sorted((s.source_id, s.fetched_at) for s in snaps) == captured
    kioxia = next(c for c in changes if c.amount_yen == 92_930_000_000)
    assert kioxia.detected_at == datetime(2022, 7, 29, 0, 0, tzinfo=UTC)  # 09:00 JST


def test_importing_the_demo_warc_twice_changes_nothing_the_second_time(
    engine: Engine, tmp_path: Path,
) -> None:
    warc = tmp_path / "demo.warc.gz"
    build_demo_warc(warc, fixture_captures(CONFIG))
    first = import_warc_files([warc], config=CONFIG, engine=engine, options=OPTIONS,
                              now=datetime(2026, 1, 5, tzinfo=UTC))
    before = history(engine)
    with Session(engine) as session:
        rows = count_rows(session=session)

    again = import_warc_files([warc], config=CONFIG, engine=engine, options=OPTIONS,
                              now=datetime(2026, 1, 6, tzinfo=UTC))

    assert (first.imported, first.already) == (21, 0)
    assert (again.imported, again.already, again.changes) == (0, 21, 0)
    assert history(engine) == before
    with Session(engine) as session:
        assert count_rows(session=session) == rows


class Interrupted(Exception):
    pass


def test_an_interrupted_import_resumes_to_the_same_history(sqlite_engine: Engine, tmp_path: Path) -> None:
    from watcher.store import make_engine, upgrade

    straight = make_engine(f"sqlite:///{tmp_path / 'straight.db'}")
    upgrade(straight)
    import_captures(items(), engine=synced(straight), options=OPTIONS)
    done: list[str] = []

    def stop_after_nine(item: ImportItem, outcome: CheckOutcome | None, what: str) -> None:
        done.append(what)
        if len(done) == 9:
            raise Interrupted  # as Ctrl-C after the ninth capture's commit

    with pytest.raises(Interrupted):
        import_captures(items(), engine=synced(sqlite_engine), options=OPTIONS,
                        on_done=stop_after_nine)
    resumed = import_captures(items(), engine=sqlite_engine, options=OPTIONS)

    assert (resumed.already, resumed.imported) == (9, len(items()) - 9)
    assert history(sqlite_engine) == history(straight)
    straight.dispose()


def test_a_capture_older_than_the_stored_history_is_skipped(sqlite_engine: Engine) -> None:
    plans = [i for i in items() if i.source.id == "meti-semiconductor-plans"]
    import_captures(plans[3:], engine=synced(sqlite_engine), options=OPTIONS)
    with Session(sqlite_engine) as session:
        before = count_rows(session=session)

    report = import_captures(plans[:3], engine=sqlite_engine, options=OPTIONS)

    assert (report.imported, report.older) == (0, 3)
    with Session(sqlite_engine) as session:
        assert count_rows(session=session) == before


def test_the_same_moment_with_a_different_body_is_a_new_capture(sqlite_engine: Engine) -> None:
    first, second = [i for i in items() if i.source.id == "meti-news"][:2]
    same_time = ImportItem(source=second.source,
                           capture=replace(second.capture, captured_at=first.capture.captured_at))

    report = import_captures([first, same_time], engine=synced(sqlite_engine), options=OPTIONS)

    assert (report.imported, report.changes) == (2, 2)

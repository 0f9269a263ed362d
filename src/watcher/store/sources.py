"""Sources in the database: sources.toml synced in, each source's state for the pipeline, and
its schedule and health for `watcher sources` and the admin page."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from watcher.sources import Config
from watcher.store.models import SourceRow


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    """What the pipeline needs to know about a source before checking it."""

    source_id: str
    last_good_snapshot_id: int | None
    last_good_hash: str | None
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    failing_since: datetime | None
    unhealthy_notified: bool
    suspect_hash: str | None
    suspect_count: int
    last_error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceStatus:
    """A source's schedule and health, for `watcher sources` and the admin page."""

    id: str
    name: str
    agency: str
    url: str
    extract: str
    schedule: str
    enabled: bool
    removed: bool
    last_check_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_good_at: datetime | None
    next_due_at: datetime | None
    failing_since: datetime | None
    consecutive_failures: int

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "name": self.name, "agency": self.agency, "url": self.url,
            "extract": self.extract, "schedule": self.schedule, "enabled": self.enabled,
            "removed": self.removed, "last_check_at": iso(self.last_check_at),
            "last_status": self.last_status, "last_error": self.last_error,
            "last_good_at": iso(self.last_good_at), "next_due_at": iso(self.next_due_at),
            "failing_since": iso(self.failing_since),
            "consecutive_failures": self.consecutive_failures,
        }


def sync_sources(*, session: Session, config: Config, now: datetime) -> None:
    """Upsert sources.toml into the sources table; sources no longer listed are marked removed."""
    rows = {row.id: row for row in session.exec(select(SourceRow)).all()}
    for source in config.sources:
        row = rows.pop(source.id, None)
        config_json = json.dumps(source.config_json(), ensure_ascii=False, sort_keys=True)
        if row is None:
            row = SourceRow(id=source.id, name=source.name, agency=source.agency, url=source.url,
                            extract=source.extract, schedule=source.schedule.text,
                            enabled=source.enabled, config_json=config_json, created_at=now,
                            next_due_at=now)
            session.add(row)
            continue
        wanted = (source.name, source.agency, source.url, source.extract, source.schedule.text,
                  source.enabled, config_json, None)
        if wanted == (row.name, row.agency, row.url, row.extract, row.schedule, row.enabled,
                      row.config_json, row.removed_at):
            continue  # untouched, so the flush has nothing to compare (every pass syncs)
        if row.schedule != source.schedule.text or row.removed_at is not None:
            row.next_due_at = now
        row.name, row.agency, row.url = source.name, source.agency, source.url
        row.extract, row.schedule, row.enabled = source.extract, source.schedule.text, source.enabled
        row.config_json, row.removed_at = config_json, None
        session.add(row)
    for row in rows.values():
        if row.removed_at is None:
            row.removed_at = now
            session.add(row)


def load_source_states(*, session: Session, source_ids: Iterable[str]) -> dict[str, SourceState]:
    ids = list(source_ids)
    rows = session.exec(select(SourceRow).where(col(SourceRow.id).in_(ids))).all()
    return {row.id: _state(row) for row in rows}


def _state(row: SourceRow) -> SourceState:
    return SourceState(
        source_id=row.id, last_good_snapshot_id=row.last_good_snapshot_id,
        last_good_hash=row.last_good_hash, etag=row.etag, last_modified=row.last_modified,
        consecutive_failures=row.consecutive_failures, failing_since=row.failing_since,
        unhealthy_notified=row.unhealthy_notified, suspect_hash=row.suspect_hash,
        suspect_count=row.suspect_count, last_error=row.last_error,
    )


def list_source_statuses(*, session: Session, include_removed: bool = False) -> list[SourceStatus]:
    query = select(SourceRow).order_by(col(SourceRow.id))
    if not include_removed:
        query = query.where(col(SourceRow.removed_at).is_(None))
    return [
        SourceStatus(
            id=row.id, name=row.name, agency=row.agency, url=row.url, extract=row.extract,
            schedule=row.schedule, enabled=row.enabled, removed=row.removed_at is not None,
            last_check_at=row.last_check_at, last_status=row.last_status,
            last_error=row.last_error, last_good_at=row.last_good_at,
            next_due_at=row.next_due_at, failing_since=row.failing_since,
            consecutive_failures=row.consecutive_failures,
        )
        for row in session.exec(query).all()
    ]

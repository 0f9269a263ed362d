"""Recorded changes as read back: the StoredChange value (the JSON contract of
`watcher changes --json` and the API) and the plain listing query."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from watcher.store.models import ChangeRow, SourceRow


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredChange:
    """A change as read back: the JSON contract of `watcher changes --json` and the API."""

    id: int
    source: str
    agency: str
    source_name: str
    kind: str
    entity: str | None
    amount_yen: int | None
    previous_amount_yen: int | None
    url: str | None
    detected_at: datetime
    summary: str
    table: str | None
    snapshot_id: int
    previous_snapshot_id: int | None
    acknowledged_at: datetime | None
    imported: bool
    source_url: str
    details: dict[str, Any]
    group_id: int | None = None  # the change this one is a member of (listed under it)

    @property
    def amount_text(self) -> str | None:
        """The amount after the change as the page wrote it (kept in the details)."""
        value = self.details.get("amount_text")
        return value if isinstance(value, str) else None

    @property
    def previous_amount_text(self) -> str | None:
        value = self.details.get("previous_amount_text")
        return value if isinstance(value, str) else None

    @property
    def amount_low_yen(self) -> int | None:
        """The lower end when the amount after the change is a range (amount_yen its upper end)."""
        value = self.details.get("amount_low_yen")
        return value if isinstance(value, int) else None

    @property
    def previous_amount_low_yen(self) -> int | None:
        value = self.details.get("previous_amount_low_yen")
        return value if isinstance(value, int) else None

    @property
    def nature(self) -> str | None:
        """What the changed record is: approval, grant, budget_line, item (None: not recorded)."""
        value = self.details.get("nature")
        return value if isinstance(value, str) else None

    @property
    def also_in(self) -> tuple[str, ...]:
        """The other sections a repeated line stands in."""
        value = self.details.get("also_in")
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    def to_json(self) -> dict[str, Any]:
        delta = (
            self.amount_yen - self.previous_amount_yen
            if self.amount_yen is not None and self.previous_amount_yen is not None
            else None
        )
        return {
            "id": self.id,
            "source": self.source,
            "agency": self.agency,
            "source_name": self.source_name,
            "kind": self.kind,
            "entity": self.entity,
            "amount_yen": self.amount_yen,
            "previous_amount_yen": self.previous_amount_yen,
            "amount_low_yen": self.amount_low_yen,
            "previous_amount_low_yen": self.previous_amount_low_yen,
            "delta_yen": delta,
            "url": self.url,
            "source_url": self.source_url,
            "table": self.table,
            "detected_at": self.detected_at.isoformat(),
            "summary": self.summary,
            "snapshot_id": self.snapshot_id,
            "previous_snapshot_id": self.previous_snapshot_id,
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "imported": self.imported,
            "nature": self.nature,
            "group_id": self.group_id,
        }


def list_changes(
    *,
    session: Session,
    source_ids: Sequence[str] = (),
    since: datetime | None = None,
    kinds: Sequence[str] = (),
    limit: int | None = None,
    newest_first: bool = False,
    group_id: int | None = None,
) -> list[StoredChange]:
    """Recorded changes, members included (oldest first); ``group_id``: only its members."""
    query = select(ChangeRow, SourceRow).join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
    if group_id is not None:
        query = query.where(col(ChangeRow.group_id) == group_id)
    if source_ids:
        query = query.where(col(ChangeRow.source_id).in_(source_ids))
    if since is not None:
        query = query.where(col(ChangeRow.detected_at) >= since)
    if kinds:
        query = query.where(col(ChangeRow.kind).in_(kinds))
    order = [col(ChangeRow.detected_at), col(ChangeRow.id)]
    query = query.order_by(*(o.desc() for o in order) if newest_first else order)
    if limit is not None:
        query = query.limit(limit)
    return [to_stored_change(change, source) for change, source in session.exec(query).all()]


def to_stored_change(row: ChangeRow, source: SourceRow) -> StoredChange:
    assert row.id is not None
    return StoredChange(
        id=row.id, source=row.source_id, agency=source.agency, source_name=source.name,
        kind=row.kind, entity=row.entity, amount_yen=row.amount_yen,
        previous_amount_yen=row.previous_amount_yen, url=row.url, detected_at=row.detected_at,
        summary=row.summary, table=row.table_name, snapshot_id=row.snapshot_id,
        previous_snapshot_id=row.previous_snapshot_id, acknowledged_at=row.acknowledged_at,
        imported=row.imported, source_url=source.url, details=json.loads(row.details or "{}"),
        group_id=row.group_id,
    )

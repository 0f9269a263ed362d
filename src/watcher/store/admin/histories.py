"""Amount histories of a source's rows, drawn from the changes that set each amount.

Pure over the rows it reads: one query per source page, no document but the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from watcher.extract.document import Document, Record
from watcher.store.models import ChangeRow

# Kinds whose amount_yen belongs to a table row, so they draw an entity's amount history.
_AMOUNT_KINDS = ("entry_added", "entry_removed", "amount_changed", "entry_changed")


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountPoint:
    """An entity's amount from ``at`` on (None: the row was removed)."""

    at: datetime
    amount_yen: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountSeries:
    """How one table row's amount moved, from its changes."""

    table: str | None
    entity_key: str
    entity: str
    points: tuple[AmountPoint, ...]

    @property
    def current_yen(self) -> int | None:
        return self.points[-1].amount_yen if self.points else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordHistory:
    """A current table row and how its amount got there."""

    record: Record
    history: AmountSeries | None


def _identities(record: Record) -> tuple[str, str]:
    # Changes name a row by table and key joined by U+001F (watcher.diff.records.entity_key).
    return (f"{record.table}\x1f{record.key}", record.key)


def amount_histories(
    *, session: Session, source_id: str, baseline_at: datetime | None, document: Document | None,
) -> tuple[tuple[RecordHistory, ...], tuple[AmountSeries, ...]]:
    """Each current row with its amount over time, and the rows that have left the page.

    A row's history is the baseline (the first good snapshot), then every change that
    set its amount; a row no change ever touched has held its amount since the baseline.
    """
    rows = session.exec(
        select(ChangeRow).where(col(ChangeRow.source_id) == source_id)
        .where(col(ChangeRow.kind).in_(_AMOUNT_KINDS))
        .where(col(ChangeRow.entity_key).is_not(None))
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    ).all()
    points: dict[str, list[AmountPoint]] = {}
    tables: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for row in rows:
        key = row.entity_key or ""
        series = points.setdefault(key, [])
        tables[key], names[key] = row.table_name, row.entity or key
        if row.kind == "entry_removed":
            series.append(AmountPoint(at=row.detected_at, amount_yen=None))
            continue
        if not series and row.kind != "entry_added" and row.previous_amount_yen is not None \
                and baseline_at is not None:
            series.append(AmountPoint(at=baseline_at, amount_yen=row.previous_amount_yen))
        if row.amount_yen is not None and (not series or series[-1].amount_yen != row.amount_yen):
            series.append(AmountPoint(at=row.detected_at, amount_yen=row.amount_yen))
    current: list[RecordHistory] = []
    matched: set[str] = set()
    for record in document.records if document else ():
        found = next((k for k in _identities(record) if k in points), None)
        history: AmountSeries | None = None
        if found is not None and points[found]:
            matched.add(found)
            history = AmountSeries(table=record.table, entity_key=found, entity=record.entity,
                                   points=tuple(points[found]))
        elif record.amount_yen is not None and baseline_at is not None:
            history = AmountSeries(table=record.table, entity_key=_identities(record)[0],
                                   entity=record.entity,
                                   points=(AmountPoint(at=baseline_at, amount_yen=record.amount_yen),))
        current.append(RecordHistory(record=record, history=history))
    gone = tuple(AmountSeries(table=tables[k], entity_key=k, entity=names[k], points=tuple(v))
                 for k, v in points.items() if v and k not in matched)
    return tuple(current), gone

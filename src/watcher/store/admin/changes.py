"""The admin page's change list: filters in SQL, pagination, one change, acknowledgement.

Filtered and paginated in SQL (the ``changes`` indexes on ``detected_at``, ``(source_id,
detected_at)``, ``(kind, detected_at)`` and ``acknowledged_at``), never by loading rows into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from watcher.store.changes import StoredChange, to_stored_change
from watcher.store.models import ChangeRow, SourceRow


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeFilter:
    """What the change list is narrowed to; None means "any"."""

    agency: str | None = None
    source: str | None = None
    kind: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    acknowledged: bool | None = None
    text: str | None = None  # substring of entity or summary, case-insensitive
    group_id: int | None = None  # the members of this change; None: changes not in a group


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePage:
    """One page of the change list, newest first."""

    items: tuple[StoredChange, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterOptions:
    """The values the list's filter menus offer."""

    agencies: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (id, name)
    kinds: tuple[str, ...]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_clauses(filters: ChangeFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of ``filters`` on the changes table (all but the text search use an index)."""
    clauses: list[sa.ColumnElement[bool]] = []
    # A group's members are listed on its change's page, not among the changes.
    if filters.group_id is None:
        clauses.append(col(ChangeRow.group_id).is_(None))
    else:
        clauses.append(col(ChangeRow.group_id) == filters.group_id)
    if filters.agency:
        agency_sources = select(SourceRow.id).where(col(SourceRow.agency) == filters.agency)
        clauses.append(col(ChangeRow.source_id).in_(agency_sources))
    if filters.source:
        clauses.append(col(ChangeRow.source_id) == filters.source)
    if filters.kind:
        clauses.append(col(ChangeRow.kind) == filters.kind)
    if filters.since is not None:
        clauses.append(col(ChangeRow.detected_at) >= filters.since)
    if filters.until is not None:
        clauses.append(col(ChangeRow.detected_at) < filters.until)
    if filters.acknowledged is True:
        clauses.append(col(ChangeRow.acknowledged_at).is_not(None))
    elif filters.acknowledged is False:
        clauses.append(col(ChangeRow.acknowledged_at).is_(None))
    if filters.text and filters.text.strip():
        pattern = _like(filters.text.strip())
        clauses.append(sa.or_(col(ChangeRow.entity).ilike(pattern, escape="\\"),
                              col(ChangeRow.summary).ilike(pattern, escape="\\")))
    return clauses


def list_change_page(
    *, session: Session, filters: ChangeFilter, page: int = 1, per_page: int = 50,
) -> ChangePage:
    """One page of changes matching ``filters``, newest first, with the total count."""
    page, per_page = max(1, page), max(1, per_page)
    clauses = filter_clauses(filters)
    total = session.exec(select(func.count()).select_from(ChangeRow).where(*clauses)).one()
    query = (
        select(ChangeRow, SourceRow)
        .join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
        .where(*clauses)
        .order_by(col(ChangeRow.detected_at).desc(), col(ChangeRow.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = tuple(to_stored_change(c, s) for c, s in session.exec(query).all())
    return ChangePage(items=items, total=int(total), page=page, per_page=per_page)


def filter_options(*, session: Session) -> FilterOptions:
    """Agencies, sources and change kinds to offer in the list's filters."""
    from watcher.changes import ChangeKind

    sources = session.exec(select(SourceRow.id, SourceRow.name, SourceRow.agency)
                           .order_by(col(SourceRow.agency), col(SourceRow.id))).all()
    return FilterOptions(agencies=tuple(sorted({agency for _, _, agency in sources})),
                         sources=tuple((sid, name) for sid, name, _ in sources),
                         kinds=tuple(str(kind) for kind in ChangeKind))


def get_change(*, session: Session, change_id: int) -> StoredChange | None:
    """One change with its source, or None."""
    row = session.exec(select(ChangeRow, SourceRow)
                       .join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
                       .where(col(ChangeRow.id) == change_id)).first()
    return to_stored_change(row[0], row[1]) if row else None


def group_members(*, session: Session, change_id: int) -> tuple[StoredChange, ...]:
    """The members of a change's group (a replaced list's rows), in the order recorded."""
    rows = session.exec(select(ChangeRow, SourceRow)
                        .join(SourceRow, col(SourceRow.id) == ChangeRow.source_id)
                        .where(col(ChangeRow.group_id) == change_id)
                        .order_by(col(ChangeRow.id))).all()
    return tuple(to_stored_change(c, s) for c, s in rows)


def set_acknowledged(*, session: Session, change_id: int, acknowledged: bool, now: datetime) -> bool:
    """Acknowledge (or un-acknowledge) a change; False when there is no such change."""
    found = session.exec(select(ChangeRow.id, ChangeRow.acknowledged_at)
                         .where(col(ChangeRow.id) == change_id)).first()
    if found is None:
        return False
    if acknowledged and found[1] is not None:
        return True  # keep the first acknowledgement time
    session.execute(sa.update(ChangeRow).where(col(ChangeRow.id) == change_id)
                    .values(acknowledged_at=now if acknowledged else None))
    return True

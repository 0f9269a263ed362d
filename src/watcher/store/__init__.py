"""The store: SQLModel tables, the engine, and repository functions (the only SQL)."""

from watcher.store.changes import StoredChange, list_changes
from watcher.store.checks import CheckRecord, load_document, record_check
from watcher.store.db import ensure_schema, make_engine, redact_url, upgrade
from watcher.store.sources import (
    SourceState,
    SourceStatus,
    list_source_statuses,
    load_source_states,
    sync_sources,
)

__all__ = [
    "CheckRecord",
    "SourceState",
    "SourceStatus",
    "StoredChange",
    "ensure_schema",
    "list_changes",
    "list_source_statuses",
    "load_document",
    "load_source_states",
    "make_engine",
    "record_check",
    "redact_url",
    "sync_sources",
    "upgrade",
]

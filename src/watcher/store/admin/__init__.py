"""Reads and writes of the admin page and its API, one module per page; every one an indexed query.

The names are re-exported here so the web layer imports ``watcher.store.admin`` only.
"""

from watcher.store.admin.changes import (
    ChangeFilter,
    ChangePage,
    FilterOptions,
    filter_clauses,
    filter_options,
    get_change,
    group_members,
    list_change_page,
    set_acknowledged,
)
from watcher.store.admin.deliveries import (
    DeliveryView,
    delivery_counts,
    list_deliveries,
    retry_delivery,
)
from watcher.store.admin.histories import (
    AmountPoint,
    AmountSeries,
    RecordHistory,
    amount_histories,
)
from watcher.store.admin.metrics import MetricsData, collect_metrics, database_ok
from watcher.store.admin.sources import (
    RawBody,
    SnapshotDetail,
    SnapshotSummary,
    SourceDetail,
    SourceOverview,
    list_snapshots,
    list_source_overviews,
    snapshot_body,
    snapshot_detail,
    source_detail,
)

__all__ = [
    "AmountPoint",
    "AmountSeries",
    "ChangeFilter",
    "ChangePage",
    "DeliveryView",
    "FilterOptions",
    "MetricsData",
    "RawBody",
    "RecordHistory",
    "SnapshotDetail",
    "SnapshotSummary",
    "SourceDetail",
    "SourceOverview",
    "amount_histories",
    "collect_metrics",
    "database_ok",
    "delivery_counts",
    "filter_clauses",
    "filter_options",
    "get_change",
    "group_members",
    "list_change_page",
    "list_deliveries",
    "list_snapshots",
    "list_source_overviews",
    "retry_delivery",
    "set_acknowledged",
    "snapshot_body",
    "snapshot_detail",
    "source_detail",
]

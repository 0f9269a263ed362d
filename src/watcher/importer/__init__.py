"""History import: archived captures (WARC files, the Wayback Machine) → snapshots and changes.

    WARC / Wayback ──▶ Capture ──match by URL──▶ (Source, Capture) ──process_result──▶ store

Each capture is checked exactly as `check` would have checked it at its capture time,
marked imported so that no alert goes out for history. Names are imported on first
use, so registering the commands does not load the store for `watcher --help`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.importer.core import (
        ImportItem,
        ImportReport,
        Matched,
        import_captures,
        import_warc_files,
        match_captures,
        url_key,
    )
    from watcher.importer.warc import Capture, ReadStats, parse_warc_date, read_warc, write_warc

_EXPORTS = {
    "ImportItem": "core", "ImportReport": "core", "Matched": "core",
    "import_captures": "core", "import_warc_files": "core", "match_captures": "core",
    "url_key": "core", "Capture": "warc", "ReadStats": "warc", "parse_warc_date": "warc",
    "read_warc": "warc", "write_warc": "warc",
}

__all__ = [
    "Capture",
    "ImportItem",
    "ImportReport",
    "Matched",
    "ReadStats",
    "import_captures",
    "import_warc_files",
    "match_captures",
    "parse_warc_date",
    "read_warc",
    "url_key",
    "write_warc",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'watcher.importer' has no attribute {name!r}")
    return getattr(importlib.import_module(f"watcher.importer.{module}"), name)

"""In-process CLI runs reconfigure the root logger (watcher.logs.setup_logging): undo that after each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    watcher_level = logging.getLogger("watcher").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("watcher").setLevel(watcher_level)

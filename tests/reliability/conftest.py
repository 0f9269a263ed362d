"""Fixtures of the reliability suite, and the figures it reports.

Tests add what they did to `figures` (faults injected, kill points tried, fuzz
examples run, lost changes, false alerts, peak RSS …). With
WATCHER_RELIABILITY_REPORT=path the totals are written there as JSON when the
run ends; RELIABILITY.md quotes such a file.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.faultserver import FaultServer

REPORT_ENV = "WATCHER_RELIABILITY_REPORT"


class Figures:
    """Counters and lists shared by every test of one run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.lists: dict[str, list[Any]] = {}

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def note(self, name: str, value: Any) -> None:
        with self._lock:
            self.lists.setdefault(name, []).append(value)

    def as_json(self) -> dict[str, Any]:
        return {"counts": dict(sorted(self.counts.items())), "lists": self.lists}


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get(REPORT_ENV)
    if target and (_FIGURES.counts or _FIGURES.lists):
        Path(target).write_text(json.dumps(_FIGURES.as_json(), ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server

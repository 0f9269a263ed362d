"""The pool's public values: its limits and figures, the Extraction protocol, its error."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Protocol

from watcher.errors import ExtractError
from watcher.extract import Document, Page, extract

Ignore = tuple[re.Pattern[str], ...]
CLOSED = "the extraction pool is shut down"


class PoolClosedError(ExtractError):
    """The extraction pool was shut down before the document was extracted."""


class Extraction(Protocol):
    """Where a check has its page extracted: the pool, or in-process for trusted fixtures."""

    async def extract(self, kind: str, page: Page, ignore: Ignore = (), *,
                      source_id: str = "") -> Document: ...

    def extract_sync(self, kind: str, page: Page, ignore: Ignore = (), *,
                     source_id: str = "") -> Document: ...


class InlineExtraction:
    """Extraction in this process, without limits (tests, the demo's own fixtures)."""

    async def extract(self, kind: str, page: Page, ignore: Ignore = (), *,
                      source_id: str = "") -> Document:
        return extract(kind, page, ignore)

    def extract_sync(self, kind: str, page: Page, ignore: Ignore = (), *,
                     source_id: str = "") -> Document:
        return extract(kind, page, ignore)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolLimits:
    """Size and limits of the pool (from settings)."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    timeout_s: float = 20.0
    memory_mb: int = 512
    max_tasks: int = 100


@dataclass(slots=True, kw_only=True)
class PoolStats:
    """What the pool did, for the benchmark and the logs."""

    documents: int = 0
    timeouts: int = 0
    over_memory: int = 0
    deaths: int = 0
    retries: int = 0
    workers_started: int = 0
    peak_worker_rss_mb: float = 0.0

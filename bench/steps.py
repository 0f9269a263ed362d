"""The in-process mode's measured steps: what a step records, how, and the report.

bench/run.py measures each step with ``measured()`` and prints ``table()`` and ``verdicts()``.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Step:
    """One measured step of the run."""

    name: str
    wall_s: float
    cpu_s: float
    rss_mb: float
    pages: int
    db_bytes: int | None = None
    db_delta: int | None = None
    blob_bytes: int | None = None
    document_bytes: int | None = None
    changes: int | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)
    runs: list[float] = field(default_factory=list)

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu_s * 1000 / self.pages if self.pages else 0.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def forkserver_rss_mb() -> float:
    """Peak RSS of this process's multiprocessing forkserver (the extraction workers' parent)."""
    for task in Path("/proc/self/task").glob("*/children"):
        for pid in task.read_text().split():
            try:
                if b"forkserver" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    continue
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
            except OSError:
                continue
    return 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(fn: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall seconds, CPU seconds) of one call, after a full garbage collection."""
    gc.collect()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    result = fn()
    return result, time.perf_counter() - wall0, cpu_seconds() - cpu0


# --- report ----------------------------------------------------------------------------------


def mb(value: int | None) -> str:
    return "" if value is None else f"{value / 1e6:.2f}"


def table(steps: list[Step], httpx_wall: float, aiohttp_wall: float) -> str:
    lines = [
        "| step | wall s | × httpx floor | × aiohttp floor | CPU s | CPU ms/page | peak RSS MB "
        "| DB MB (Δ) | Δ bytes/source | changes | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in steps:
        db = f"{mb(s.db_bytes)} ({mb(s.db_delta)})" if s.db_bytes is not None else ""
        per_source = f"{s.db_delta / s.pages:,.0f}" if s.db_delta is not None and s.pages else ""
        statuses = ", ".join(f"{v} {k}" for k, v in sorted(s.statuses.items()))
        lines.append(
            f"| {s.name} | {s.wall_s:.2f} | {s.wall_s / httpx_wall:.2f} | {s.wall_s / aiohttp_wall:.2f} "
            f"| {s.cpu_s:.2f} | {s.cpu_ms_per_page:.2f} | {s.rss_mb:.0f} | {db} | {per_source} "
            f"| {'' if s.changes is None else s.changes} | {statuses} |"
        )
    return "\n".join(lines)


CYCLES = ("baseline", "unchanged (304)", "unchanged, no validators (200)", "changed")


def verdicts(steps: dict[str, Step], stats: dict[str, Any]) -> list[tuple[bool, str]]:
    floor = steps["floor: bare httpx"].wall_s
    parse = steps["parse: lxml, every table"].wall_s
    base = steps["baseline"]
    raw = stats["bytes_v1"]
    out: list[tuple[bool, str]] = []
    for name, target in (("unchanged (304)", 0.3), ("unchanged, no validators (200)", 0.3),
                         ("changed", 0.7)):
        ratio = steps[name].wall_s / floor
        out.append((ratio <= target,
                    f"{name}: {ratio:.2f}× the bare-httpx floor (target ≤ {target}×)"))
    limit = 1.5 * (floor + parse)
    out.append((base.wall_s <= limit,
                f"baseline: {base.wall_s:.2f} s vs 1.5 × (floor {floor:.2f} s + lxml parse "
                f"{parse:.2f} s) = {limit:.2f} s ({base.wall_s / (floor + parse):.2f}×)"))
    for name in ("unchanged (304)", "unchanged, no validators (200)"):
        per = steps[name].cpu_ms_per_page
        out.append((per < 1.0, f"{name}: {per:.2f} ms CPU per check (target < 1 ms)"))
    peak = max(steps[name].rss_mb for name in CYCLES)
    out.append((peak < 150, f"peak RSS of the watcher's main process over the cycles {peak:.0f} MB "
                "(target < 150 MB)"))
    stored = base.db_delta or 0
    out.append((stored < raw / 4, f"stored after the baseline: {stored / 1e6:.2f} MB = "
                f"{stored / raw:.1%} of {raw / 1e6:.1f} MB of pages (target < 25%)"))
    for name in ("unchanged (304)", "unchanged, no validators (200)"):
        per = (steps[name].db_delta or 0) / steps[name].pages
        out.append((per < 300, f"{name}: {per:.0f} bytes stored per source (target < 300)"))
    expected = stats["expected_changes"]
    found = steps["changed"].changes
    out.append((found == expected, f"changed: {found} changes detected, {expected} expected "
                f"({stats['amount_changed']} amounts, {stats['row_added']} added rows)"))
    return out

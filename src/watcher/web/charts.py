"""A small step chart of an entity's amount over time, as numbers for an inline SVG (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from watcher.store.admin import AmountPoint


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartMark:
    """A point where the amount was set: position and its value for the tooltip."""

    x: float
    y: float
    at: datetime
    amount_yen: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StepChart:
    """An SVG path (steps: an amount holds until it changes) with its marks and range."""

    width: int
    height: int
    path: str
    marks: tuple[ChartMark, ...]
    low_yen: int
    high_yen: int


def step_chart(points: Sequence[AmountPoint], *, start: datetime | None = None, end: datetime,
               width: int = 220, height: int = 44, pad: int = 5) -> StepChart | None:
    """The chart of ``points`` on a time axis from ``start`` to ``end`` (shared by a page's charts).

    None when there is no amount to draw.
    """
    amounts = [p.amount_yen for p in points if p.amount_yen is not None]
    if not amounts:
        return None
    start = min(start or points[0].at, points[0].at)
    end = max(end, points[-1].at)
    span = (end - start).total_seconds() or 1.0
    low, high = min(amounts), max(amounts)

    def x(at: datetime) -> float:
        return round(pad + (width - 2 * pad) * (at - start).total_seconds() / span, 1)

    def y(amount: int) -> float:
        if high == low:
            return height / 2
        return round(height - pad - (height - 2 * pad) * (amount - low) / (high - low), 1)

    commands: list[str] = []
    marks: list[ChartMark] = []
    current: float | None = None  # y of the line being drawn, None while the row is absent
    for point in points:
        px = x(point.at)
        if current is not None:
            commands.append(f"H{px}")
        if point.amount_yen is None:
            current = None
            continue
        py = y(point.amount_yen)
        commands.append(f"V{py}" if current is not None else f"M{px} {py}")
        current = py
        marks.append(ChartMark(x=px, y=py, at=point.at, amount_yen=point.amount_yen))
    if current is not None:
        commands.append(f"H{x(end)}")
    return StepChart(width=width, height=height, path=" ".join(commands), marks=tuple(marks),
                     low_yen=low, high_yen=high)

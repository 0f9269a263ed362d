"""Integer yen written back for people: 4,760億円 the way METI writes it, ¥476.0 billion the
way the English press does, signed deltas, and ranges (500万円～1,000万円)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from watcher.extract.yen.numerals import CHO, MAN, OKU

__all__ = [
    "RANGE_MARK",
    "format_billions",
    "format_billions_range",
    "format_delta_oku",
    "format_ends_delta",
    "format_oku",
    "format_oku_as_written",
    "format_oku_range",
]

RANGE_MARK = "～"  # between the ends of a range, as METI writes it
_APPROXIMATE = re.compile(r"約|およそ|概ね|approx|about|around", re.IGNORECASE)
_APPROXIMATE_AFTER = re.compile(r"程度|前後")


def _plain_decimal(value: Decimal) -> str:
    """A Decimal with thousands separators and no trailing zeros (102.4, 4,760)."""
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return f"{int(normalized):,}"
    integer, _, fraction = f"{normalized:f}".partition(".")
    return f"{int(integer):,}.{fraction}"


def format_oku(yen: int) -> str:
    """Integer yen written the way METI writes it: 4,760億円, 102.4億円, 1兆2,390億円.

    >>> format_oku(476_000_000_000)
    '4,760億円'
    >>> format_oku(10_240_000_000)
    '102.4億円'
    >>> format_oku(1_239_000_000_000)
    '1兆2,390億円'
    >>> format_oku(-5_000_000_000)
    '△50億円'
    >>> format_oku(50_000_000)
    '5,000万円'
    >>> format_oku(1_234)
    '1,234円'
    """
    sign = "△" if yen < 0 else ""
    magnitude = abs(yen)
    if magnitude < OKU:
        if magnitude >= MAN and magnitude % MAN == 0:
            return f"{sign}{magnitude // MAN:,}万円"
        return f"{sign}{magnitude:,}円"
    cho, rest = divmod(magnitude, CHO)
    oku = Decimal(rest) / OKU
    if cho and rest == 0:
        return f"{sign}{cho:,}兆円"
    cho_text = f"{cho:,}兆" if cho else ""
    return f"{sign}{cho_text}{_plain_decimal(oku)}億円"


def format_oku_range(low: int, high: int) -> str:
    """A range with each end written out in full, as METI writes it.

    >>> format_oku_range(5_000_000, 10_000_000)
    '500万円～1,000万円'
    """
    return f"{format_oku(low)}{RANGE_MARK}{format_oku(high)}"


def _scaled(magnitude: int, unit: int) -> str:
    """magnitude / unit with one decimal at least and up to four, so 億-exact figures stay
    exact (1兆2,390億円 is ¥1.239 trillion, not a rounded ¥1.24)."""
    value = (Decimal(magnitude) / unit).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    text = f"{value:,.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def format_billions(yen: int) -> str:
    """Integer yen in English-press style: ¥476.0 billion, ¥1.23 trillion, −¥5.0 billion."""
    sign = "−" if yen < 0 else ""
    magnitude = abs(yen)
    if magnitude >= CHO:
        body = f"¥{_scaled(magnitude, CHO)} trillion"
    elif magnitude >= 10**9:
        body = f"¥{_scaled(magnitude, 10**9)} billion"
    elif magnitude >= 10**6:
        body = f"¥{_scaled(magnitude, 10**6)} million"
    else:
        body = f"¥{magnitude:,}"
    return sign + body


def format_billions_range(low: int, high: int) -> str:
    """A range in English-press style, both ends written in full.

    >>> format_billions_range(500_000_000, 1_000_000_000)
    '¥500.0 million to ¥1.0 billion'
    """
    return f"{format_billions(low)} to {format_billions(high)}"


def format_oku_as_written(yen: int, written: str | None, *, low_yen: int | None = None) -> str:
    """format_oku() (or format_oku_range() when low_yen is set) keeping the page's 約 (about)
    or 程度 when the amount was written as approximate.

    >>> format_oku_as_written(50_100_000_000, "約501億円")
    '約501億円'
    >>> format_oku_as_written(476_000_000_000, "4,760億円※1")
    '4,760億円'
    >>> format_oku_as_written(1_000_000_000, "5億～10億円程度", low_yen=500_000_000)
    '5億円～10億円程度'
    """
    body = format_oku(yen) if low_yen is None else format_oku_range(low_yen, yen)
    if written is None:
        return body
    normalised = unicodedata.normalize("NFKC", written)
    if _APPROXIMATE.search(normalised):
        return "約" + body
    after = _APPROXIMATE_AFTER.search(normalised)
    return body + after.group() if after else body


def format_delta_oku(delta: int) -> str:
    """A signed change in 億円 style: +3,330億円, −1,000億円, ±0円."""
    if delta == 0:
        return "±0円"
    body = format_oku(abs(delta))
    return ("+" if delta > 0 else "−") + body


def format_ends_delta(old: int, new: int, *, old_low: int | None, new_low: int | None) -> str:
    """How an amount moved: the delta of two single amounts, a range's move end by end.

    >>> format_ends_delta(167_000_000_000, 192_000_000_000, old_low=None, new_low=None)
    '+250億円'
    >>> format_ends_delta(10_000_000, 15_000_000, old_low=5_000_000, new_low=5_000_000)
    'upper +500万円'
    >>> format_ends_delta(10_000_000, 10_000_000, old_low=None, new_low=5_000_000)
    'now a range'
    """
    if old_low is None and new_low is None:
        return format_delta_oku(new - old)
    if old_low is None:
        return "now a range"
    if new_low is None:
        return "no longer a range"
    moved = [
        f"{name} {format_delta_oku(after - before)}"
        for name, before, after in (("lower", old_low, new_low), ("upper", old, new))
        if after != before
    ]
    return ", ".join(moved) or format_delta_oku(0)

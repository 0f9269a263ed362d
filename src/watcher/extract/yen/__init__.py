"""Yen amounts as METI/IPA pages write them, parsed to integer yen and formatted back;
this module owns the package's public API and re-exports it from the modules below.

The public face of the package: ``from watcher.extract.yen import parse_yen`` and friends.
numerals (the numeral grammar) → figures (numerals across spaces) → context (what stands
around a figure) and units (unit notes, scale words) → search (amounts, ranges, refusals);
format writes integer yen back. Pure functions, Decimal arithmetic, NFKC-normalised input.
"""

from __future__ import annotations

from watcher.extract.yen.format import (
    format_billions,
    format_billions_range,
    format_delta_oku,
    format_ends_delta,
    format_oku,
    format_oku_as_written,
    format_oku_range,
)
from watcher.extract.yen.numerals import CHO, MAN, OKU
from watcher.extract.yen.search import (
    Refusal,
    YenAmount,
    YenReading,
    find_yen_amounts,
    find_yen_values,
    normalize_text,
    parse_yen,
    read_yen,
)
from watcher.extract.yen.units import unit_multiplier

__all__ = [
    "CHO",
    "MAN",
    "OKU",
    "Refusal",
    "YenAmount",
    "YenReading",
    "find_yen_amounts",
    "find_yen_values",
    "format_billions",
    "format_billions_range",
    "format_delta_oku",
    "format_ends_delta",
    "format_oku",
    "format_oku_as_written",
    "format_oku_range",
    "normalize_text",
    "parse_yen",
    "read_yen",
    "unit_multiplier",
]

"""Cell values as text: numbers as stored (no float noise), Excel dates as ISO dates.

Both workbook formats store a number and a display format apart. The text of a
number is the number as stored: ``1234567`` stays ``1234567`` under ``#,##0``
(no grouping added, and never ``1234567.0``), and a float is read to Excel's
15 significant digits, so ``0.1 + 0.2`` reads ``0.3``. Three parts of the format
change what the number *means* and are applied: scaling commas (``#,##0,`` shows
1234567 as 1,235 in a 千円 column: the text is the exact ``1234.567``), percent
(``0.0%`` shows 0.125 as 12.5%), and literal text around the number
(``#,##0"円"``, ``[$¥-411]#,##0``), because a unit in the cell outranks the column's.

Dates (cells whose format is a date format) are written ISO, ``2025-04-01``, with
the time only when there is one: the watcher's date parser reads ISO and 令和
alike, and one spelling for every workbook keeps a re-saved file from differing.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

__all__ = ["date_text", "number_text"]

_PLACEHOLDER = frozenset("0#?")
_TOKEN_CHARS = frozenset("0#?.,")
_GENERAL = re.compile(r"general", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """What a number format does to the meaning of a number (not its look)."""

    scale: int = 0  # powers of 1,000 the shown number is divided by
    percent: int = 0  # how many % signs multiply it by 100
    prefix: str = ""
    suffix: str = ""


_PLAIN = NumberFormat()


def number_text(value: int | float, number_format: str | None = None) -> str:
    """A stored number as text, with the format's scaling, percent and unit text applied.

    >>> number_text(1234567, "#,##0"), number_text(1234567.0, "#,##0"), number_text(929.3)
    ('1234567', '1234567', '929.3')
    >>> number_text(0.1 + 0.2), number_text(-1500, "#,##0;△#,##0")
    ('0.3', '-1500')
    >>> number_text(1234567, '#,##0,"千円"'), number_text(0.125, "0.0%")
    ('1234.567千円', '12.5%')
    """
    fmt = parse_number_format(number_format) if number_format else _PLAIN
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            number = Decimal(int(value))
        else:
            number = Decimal(f"{value:.15g}")  # Excel keeps 15 significant digits
    else:
        number = Decimal(value)
    if fmt.scale:
        number = number.scaleb(-3 * fmt.scale)
    if fmt.percent:
        number = number.scaleb(2 * fmt.percent)
    return f"{fmt.prefix}{_plain(number)}{'%' * fmt.percent}{fmt.suffix}"


def _plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 1234.5670 → 1234.567, 1E+3 → 1000."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


@lru_cache(maxsize=512)
def parse_number_format(code: str) -> NumberFormat:
    """The scaling, percent and literal text of a format's first (positive) section.

    >>> parse_number_format('#,##0,,"百万円"')
    NumberFormat(scale=2, percent=0, prefix='', suffix='百万円')
    >>> parse_number_format('[$¥-411]#,##0;[Red]-#,##0')
    NumberFormat(scale=0, percent=0, prefix='¥', suffix='')
    """
    if _GENERAL.fullmatch(code.strip()):
        return _PLAIN
    before: list[str] = []
    after: list[str] = []
    token = ""
    percent = 0
    seen_number = False
    i = 0
    while i < len(code):
        ch = code[i]
        literal = ""
        if ch == ";":
            break
        if ch == '"':
            end = code.find('"', i + 1)
            end = len(code) if end < 0 else end
            literal, i = code[i + 1 : end], end + 1
        elif ch == "\\" and i + 1 < len(code):
            literal, i = code[i + 1], i + 2
        elif ch in "_*":
            i += 2  # padding / fill: a space the width of the next char, or a repeated char
            continue
        elif ch == "[":
            end = code.find("]", i + 1)
            end = len(code) if end < 0 else end
            inside = code[i + 1 : end]
            i = end + 1
            if inside.startswith("$"):  # [$¥-411]: a currency symbol and a locale
                literal = inside[1:].split("-", 1)[0]
            else:
                continue  # [Red], [>=1000], [DBNum1]: colour, condition, numeral style
        elif ch in _TOKEN_CHARS and (ch in _PLACEHOLDER or (seen_number and not after)):
            if after:  # a second number (000"-"0000): keep the text, it is the same value
                after.clear()
            token += ch
            seen_number = True
            i += 1
            continue
        elif ch == "%":
            percent += 1
            i += 1
            continue
        elif ch in "Ee" and seen_number:
            i += 1  # scientific: the stored value is already the value
            while i < len(code) and code[i] in "+-0#?":
                i += 1
            continue
        else:
            literal, i = ch, i + 1
        (after if seen_number else before).append(literal)
    if not seen_number:
        return _PLAIN  # "@", a date format read as a number, or text alone: nothing to apply
    # Commas right after the last digit of the integer or the decimals divide by 1,000 each.
    integer, point, decimals = token.partition(".")
    scale = len(integer) - len(integer.rstrip(","))
    if point:
        scale += len(decimals) - len(decimals.rstrip(","))
    return NumberFormat(
        scale=scale,
        percent=percent,
        prefix="".join(before).strip(),
        suffix="".join(after).strip(),
    )


def date_text(value: datetime.datetime | datetime.date | datetime.time | datetime.timedelta) -> str:
    """An Excel date or time as text: ISO date, with HH:MM only when there is a time of day.

    >>> date_text(datetime.datetime(2025, 4, 1)), date_text(datetime.datetime(2025, 4, 1, 9, 30))
    ('2025-04-01', '2025-04-01 09:30')
    >>> date_text(datetime.timedelta(hours=26, minutes=5))
    '26:05'
    """
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_clock(value.time())}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return _clock(value)
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _clock(value: datetime.time) -> str:
    if value.second or value.microsecond:
        return value.strftime("%H:%M:%S")
    return value.strftime("%H:%M")

"""Japanese numerals to Decimal: arabic and kanji digits, 十百千 inside a group, 万億兆 between;
owns the numeral grammar of one figure: groups below 万 joined by 兆/億/万 in descending order."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "BIG_UNITS",
    "CHO",
    "KANJI_DIGITS",
    "MAN",
    "NUMERAL_CHARS",
    "OKU",
    "SMALL_UNITS",
    "groups",
    "numeral_value",
    "small_number",
    "to_yen",
]

MAN = 10**4
OKU = 10**8
CHO = 10**12

KANJI_DIGITS = "〇一二三四五六七八九"
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": MAN, "億": OKU, "兆": CHO}
# Every character a numeral run is made of (commas and points are allowed between digits).
NUMERAL_CHARS = "0-9" + KANJI_DIGITS + "十百千万億兆"

_DIGIT_VALUE = {**{str(i): i for i in range(10)}, **{c: i for i, c in enumerate(KANJI_DIGITS)}}
_ARABIC = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_ARABIC_TIMES_SMALL = re.compile(
    r"(?P<n>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<f>[0-9]+))?(?P<u>[十百千])"
)
_D = f"[0-9{KANJI_DIGITS}]"
_KANJI_SMALL = re.compile(rf"(?:(?P<k>{_D})?千)?(?:(?P<h>{_D})?百)?(?:(?P<t>{_D})?十)?(?P<o>{_D})?")
_BIG_SPLIT = re.compile(r"([万億兆])")


def small_number(part: str, *, allow_fraction: bool) -> Decimal | None:
    """A number below 万 written in arabic or kanji numerals, or None if malformed.

    >>> small_number("4,760", allow_fraction=False), small_number("四千七百六十", allow_fraction=False)
    (Decimal('4760'), Decimal('4760'))
    >>> small_number("102.4", allow_fraction=False) is None
    True
    """
    if not part:
        return None
    if _ARABIC.fullmatch(part):
        if "." in part and not allow_fraction:
            return None
        return Decimal(part.replace(",", ""))
    match = _ARABIC_TIMES_SMALL.fullmatch(part)
    if match is not None:  # 2千, 476,000百 (as in 476,000百万円)
        if match.group("f") is not None and not allow_fraction:
            return None
        number = match.group("n").replace(",", "")
        if match.group("f") is not None:
            number += "." + match.group("f")
        return Decimal(number) * SMALL_UNITS[match.group("u")]
    if "," in part or "." in part:
        return None
    if all(c in KANJI_DIGITS for c in part):  # positional: 四七六〇
        return Decimal("".join(str(_DIGIT_VALUE[c]) for c in part))
    if any(c in KANJI_DIGITS for c in part) and any(c in "0123456789" for c in part):
        return None
    kanji = _KANJI_SMALL.fullmatch(part)
    if kanji is None:
        return None
    value = 0
    for group, unit_char in (("k", "千"), ("h", "百"), ("t", "十")):
        if unit_char in part:  # 千 alone means 一千
            digit = kanji.group(group)
            value += SMALL_UNITS[unit_char] * (1 if digit is None else _DIGIT_VALUE[digit])
    if kanji.group("o") is not None:
        value += _DIGIT_VALUE[kanji.group("o")]
    return Decimal(value)


def groups(numerals: str) -> list[tuple[str, int]]:
    """The (number, unit) groups of a numeral run, the unit 1 for a trailing number.

    >>> groups("1兆2,390億"), groups("億1,234")
    ([('1', 1000000000000), ('2,390', 100000000)], [('', 100000000), ('1,234', 1)])
    """
    pieces = _BIG_SPLIT.split(numerals)
    # pieces alternate number, unit, number, unit, ..., trailing number (maybe empty)
    pairs = [(pieces[i], BIG_UNITS[pieces[i + 1]]) for i in range(0, len(pieces) - 1, 2)]
    if pieces[-1]:
        pairs.append((pieces[-1], 1))
    return pairs


def numeral_value(numerals: str) -> Decimal | None:
    """The value of a numeral run such as 1兆2,390億, 102.4億, 四千七百六十億, or None.

    >>> numeral_value("1兆2,390億"), numeral_value("1,234万5,678")
    (Decimal('1239000000000'), Decimal('12345678'))
    >>> numeral_value("2,000億1兆") is None, numeral_value("1万20,000") is None
    (True, True)
    """
    pairs = groups(numerals)
    total = Decimal(0)
    previous_unit: int | None = None
    for index, (number_text, unit) in enumerate(pairs):
        if previous_unit is not None and unit >= previous_unit:
            return None  # units must descend: 1兆2,000億, never 2,000億1兆
        number = small_number(number_text, allow_fraction=index == len(pairs) - 1)
        if number is None:
            return None
        if previous_unit is not None and number * unit >= previous_unit:
            return None  # 1兆12,000億 is malformed
        total += number * unit
        previous_unit = unit
    return total if pairs else None


def to_yen(value: Decimal) -> int:
    """Decimal yen rounded half up to integer yen."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))

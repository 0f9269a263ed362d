"""Finding yen amounts in text: owns the search (find_yen_amounts, find_yen_values, read_yen,
parse_yen) over the figures figures.py finds, and the ranges two figures make (500万～1,000万円).

Each figure is read with its sign, qualifiers, unit and currency. Pure, Decimal, NFKC.
A figure is a yen amount when 円, ¥, JPY or yen says so, or when it is a bare number under
a table's unit note; dates, counts, footnote markers and other currencies are not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from watcher.extract.dates import date_spans
from watcher.extract.yen.context import (
    SUFFIX_APPROXIMATE,
    SUFFIX_OTHER_CURRENCY,
    SUFFIX_SCALE,
    SUFFIX_YEN,
    SUFFIX_YEN_WORD,
    YEN_CURRENCIES,
    bare_number_allowed,
    read_prefix,
)
from watcher.extract.yen.figures import Figure, find_figures, in_spans
from watcher.extract.yen.numerals import (
    BIG_UNITS,
    NUMERAL_CHARS,
    SMALL_UNITS,
    groups,
    numeral_value,
    to_yen,
)
from watcher.extract.yen.units import SCALE_ABBREVIATIONS, SCALE_WORDS, UNIT_NOTE_NUMERALS

__all__ = [
    "Refusal",
    "YenAmount",
    "YenReading",
    "find_yen_amounts",
    "find_yen_values",
    "normalize_text",
    "parse_yen",
    "read_yen",
]

# Circled and superscript numbers become bare digits under NFKC (①4,760億円 → 14,760億円),
# so they are rewritten as footnote markers first: ① → (※1).
_FOOTNOTE_NUMBERS = re.compile(
    "[\u00b2\u00b3\u00b9\u2070-\u2079\u2460-\u2473\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"
)
# A thin space between digit groups of three is a thousands separator (12 345 678円);
# NFKC would make it a plain space, which says nothing, so it becomes a comma first.
_THIN_THOUSANDS = re.compile("(?<=[0-9０-９])[\u2009\u202f](?=[0-9０-９]{3}(?![0-9０-９]))")
# "500～1,000万円", "3,000-4,000億円": the marker between the two ends of a range.
_RANGE_TO = re.compile(r"[ \t]{0,8}[~〜–-][ \t]{0,8}")
_ANY_NUMERAL = re.compile(f"[{NUMERAL_CHARS}]")
_ARABIC_DIGITS = frozenset("0123456789")
_SAYS_YEN_AFTER = re.compile(r"\s{0,8}(?:円|[A-Za-z])")


@dataclass(frozen=True, slots=True, kw_only=True)
class YenAmount:
    """One yen amount found in a text; start/end index normalize_text(text) (NFKC).

    A range (500万～1,000万円) is one amount with ``low_yen`` set: ``yen`` is its upper
    end, ``low_yen`` its lower end. find_yen_amounts gives the two ends as amounts of
    their own; find_yen_values gives the range.
    """

    yen: int
    text: str
    approximate: bool
    maximum: bool
    start: int
    end: int
    low_yen: int | None = None

    @property
    def is_range(self) -> bool:
        return self.low_yen is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Numerals that look like an amount but are not read, and why (spans as YenAmount)."""

    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class YenReading:
    """Everything read from one text: figures (range ends apart), values, and refusals."""

    amounts: tuple[YenAmount, ...]
    values: tuple[YenAmount, ...]
    refusals: tuple[Refusal, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Lend:
    """What the upper end of a range lends a lower end written without it (500～1,000万円)."""

    multiplier: int | None  # None: the upper end's unit cannot be lent (500～1億2,000万円)
    explicit: bool  # the upper end says 円 / ¥ / yen


@dataclass(frozen=True, slots=True, kw_only=True)
class _Read:
    amount: YenAmount
    numerals: str
    multiplier: int
    explicit: bool

    def lend(self) -> _Lend:
        """What this amount lends the lower end of a range it closes (worked out on demand)."""
        return _lend_of(self.numerals, self.multiplier, self.explicit)


def normalize_text(text: str) -> str:
    """The text YenAmount spans index: NFKC, circled/superscript numbers written as (※N),
    thin spaces between groups of three digits written as commas."""
    text = _FOOTNOTE_NUMBERS.sub(
        lambda m: "(※" + unicodedata.normalize("NFKC", m.group()) + ")", text
    )
    return unicodedata.normalize("NFKC", _THIN_THOUSANDS.sub(",", text))


def _lend_of(numerals: str, multiplier: int, explicit: bool) -> _Lend:
    """The unit this upper end lends: 1,000万円 lends 万; 1億2,000万円 or 5千万円 lends none."""
    pairs = groups(numerals)
    if not any(c in BIG_UNITS or c in SMALL_UNITS for c in numerals):
        return _Lend(multiplier=multiplier, explicit=explicit)
    if len(pairs) == 1 and pairs[0][1] > 1 and not any(c in "百千" for c in pairs[0][0]):
        return _Lend(multiplier=pairs[0][1] * multiplier, explicit=explicit)
    return _Lend(multiplier=None, explicit=explicit)


def _read_figure(
    text: str,
    figure: Figure,
    default_unit: int | None,
    spans: tuple[tuple[int, int], ...],
    lent: _Lend | None,
    before: Figure | None = None,
) -> _Read | None:
    """The yen amount the figure is, or None; `lent` is what a range's upper end lends it,
    `before` the figure before it (¥5–10 billion: the ¥ of the lower end is the range's)."""
    start, end, numerals = figure.start, figure.end, figure.numerals
    if default_unit is None and lent is None and not _may_say_yen(text, start, end):
        return None  # a bare number in prose: most numbers on a page are not amounts
    value = numeral_value(numerals)
    if value is None:
        return None
    chars = frozenset(numerals)
    has_kanji = chars.isdisjoint(_ARABIC_DIGITS)
    has_big_unit = not chars.isdisjoint(BIG_UNITS)
    can_borrow = lent is not None and lent.multiplier is not None
    if has_kanji and (numerals in UNIT_NOTE_NUMERALS or not (has_big_unit or can_borrow)):
        # 千円, 百万円 are unit notes; 関東一円 means "all over Kanto". Kanji amounts on
        # these pages always have 万, 億 or 兆 in them (or borrow one: 五～十億円).
        return None
    has_own_unit = has_big_unit or not chars.isdisjoint(SMALL_UNITS)

    # What follows: 円, a scale word (billion), the word yen, or another currency.
    stop = end
    explicit_yen = False
    scale = 1
    has_scale_word = False
    suffix = SUFFIX_YEN.match(text, stop)
    if suffix is not None:
        explicit_yen = True
        stop = suffix.end()
    else:
        scale_match = SUFFIX_SCALE.match(text, stop)
        if scale_match is not None and not has_own_unit:
            scale = SCALE_WORDS[scale_match.group("w").lower()]
            has_scale_word = True
            stop = scale_match.end()
        yen_word = SUFFIX_YEN_WORD.match(text, stop)
        if yen_word is not None:
            explicit_yen = True
            stop = yen_word.end()
        elif SUFFIX_OTHER_CURRENCY.match(text, stop) is not None:
            return None  # 79億ドル, 7.9 billion dollars

    prefix = read_prefix(text, start)
    if prefix.currency is not None:
        if prefix.currency not in YEN_CURRENCIES:
            return None  # $7.9 billion, US$ amounts
        explicit_yen = True
    if has_scale_word and not explicit_yen and before is not None:  # ¥5–10 billion
        explicit_yen = _range_between(text, before, figure) \
            and read_prefix(text, before.start).currency in YEN_CURRENCIES

    if has_scale_word and not explicit_yen:
        abbreviation = text[end:stop].strip().lower() in SCALE_ABBREVIATIONS
        if abbreviation or default_unit is None:
            return None  # 476 billion of what? 5m could be metres
    if lent is not None and stop == end:
        # The lower end of a range: it takes the unit (or just the 円) of the upper end.
        if has_own_unit:
            if not lent.explicit and default_unit is None:
                return None
            multiplier = 1
        elif lent.multiplier is None:
            return None
        else:
            multiplier = lent.multiplier
        explicit_yen = explicit_yen or lent.explicit
    elif explicit_yen or has_scale_word:
        multiplier = scale
    elif default_unit is not None and not has_own_unit and not has_kanji:
        if not bare_number_allowed(text, start, end):
            return None
        multiplier = default_unit
    elif default_unit is not None and has_own_unit and not has_kanji:
        multiplier = 1  # 4,760億 in a table that has a unit note: the cell's own unit wins
    else:
        return None
    if in_spans(start, spans):
        return None
    yen = to_yen(value * multiplier)
    if prefix.negative:
        yen = -yen
    amount = YenAmount(
        yen=yen,
        text=text[prefix.start : stop],
        approximate=prefix.approximate or SUFFIX_APPROXIMATE.match(text, stop) is not None,
        maximum=prefix.maximum,
        start=prefix.start,
        end=stop,
    )
    return _Read(amount=amount, numerals=numerals, multiplier=multiplier, explicit=explicit_yen)


def _may_say_yen(text: str, start: int, end: int) -> bool:
    """Cheaply: whether anything right after (円, yen, a scale word) or before (¥, JPY) the
    numerals can make them a yen amount when there is no unit note to go by."""
    if _SAYS_YEN_AFTER.match(text, end) is not None:
        return True
    before = text[max(0, start - 3) : start].rstrip(" \t\u3000△▲−+-")
    return bool(before) and before[-1] in "¥Yy"


def _from_first_digit(text: str, figure: Figure) -> Figure | None:
    """統一1,000億円: a kanji word ran into the numerals; the figure from its first digit."""
    if text[figure.start] in _ARABIC_DIGITS:
        return None
    first = next((i for i in range(figure.start, figure.end) if text[i] in _ARABIC_DIGITS), None)
    if first is None:
        return None
    numerals = "".join(c for c in text[first : figure.end] if c not in " \t")
    return Figure(start=first, end=figure.end, numerals=numerals)


def _range_between(text: str, low: Figure | YenAmount, high: Figure | YenAmount) -> bool:
    return _RANGE_TO.fullmatch(text, low.end, high.start) is not None


def read_yen(text: str, *, default_unit: int | None = None) -> YenReading:
    """Every amount, range and refused figure in the text; bare numbers need a default_unit."""
    normalised = normalize_text(text)
    spans = date_spans(normalised) if _ANY_NUMERAL.search(normalised) else ()
    figures = list(find_figures(normalised, spans))
    reads: list[_Read | None] = [None] * len(figures)
    refusals: dict[int, Refusal] = {}

    def refuse(index: int, reason: str) -> None:
        figure = figures[index]
        found = reads[index]
        end = found.amount.end if found else figure.end
        reads[index] = None
        refusals.setdefault(index, Refusal(
            start=figure.start, end=end, text=normalised[figure.start : end], reason=reason))

    # Right to left, so the upper end of a range is read before the lower end it lends to.
    for index in range(len(figures) - 1, -1, -1):
        figure = figures[index]
        if figure.refusal is not None:
            refuse(index, figure.refusal)
            continue
        after = reads[index + 1] if index + 1 < len(figures) else None
        if after is None and default_unit is None and figure.numerals[0] in _ARABIC_DIGITS \
                and not _may_say_yen(normalised, figure.start, figure.end):
            continue  # the common case, kept cheap: a number in prose that nothing calls yen
        lent = after.lend() if after and _range_between(normalised, figure, after.amount) else None
        before = figures[index - 1] if index else None
        found = _read_figure(normalised, figure, default_unit, spans, lent, before)
        if found is None and (retry := _from_first_digit(normalised, figure)) is not None:
            found = _read_figure(normalised, retry, default_unit, spans, lent, before)
        reads[index] = found
        if found is None and lent is not None and lent.multiplier is None and after is not None:
            refuse(index, "the lower end of a range cannot take the unit of its upper end")
            refuse(index + 1, "the lower end of a range cannot take the unit of its upper end")

    values: list[YenAmount] = []
    index = 0
    while index < len(figures):
        low, high = reads[index], reads[index + 1] if index + 1 < len(figures) else None
        if low is not None and high is not None \
                and _range_between(normalised, low.amount, high.amount):
            if low.amount.yen > high.amount.yen:
                refuse(index, "the lower end of a range is above its upper end")
                refuse(index + 1, "the lower end of a range is above its upper end")
            else:
                values.append(_range(normalised, low.amount, high.amount))
            index += 2
            continue
        if low is not None:
            values.append(low.amount)
        index += 1
    amounts = tuple(r.amount for r in reads if r is not None)
    return YenReading(
        amounts=amounts,
        values=tuple(values),
        refusals=tuple(refusals[i] for i in sorted(refusals)),
    )


def _range(text: str, low: YenAmount, high: YenAmount) -> YenAmount:
    return replace(
        high,
        low_yen=low.yen,
        text=text[low.start : high.end],
        start=low.start,
        approximate=low.approximate or high.approximate,
        maximum=low.maximum or high.maximum,
    )


def find_yen_amounts(text: str, *, default_unit: int | None = None) -> tuple[YenAmount, ...]:
    """All yen amounts in the text, in order, a range's two ends apart; bare numbers count
    only under a default_unit."""
    return read_yen(text, default_unit=default_unit).amounts


def find_yen_values(text: str, *, default_unit: int | None = None) -> tuple[YenAmount, ...]:
    """All yen values in the text, in order: single amounts and ranges (low_yen set).

    >>> [(v.low_yen, v.yen) for v in find_yen_values("補助上限額：500万～1,000万円")]
    [(5000000, 10000000)]
    """
    return read_yen(text, default_unit=default_unit).values


def parse_yen(text: str, *, default_unit: int | None = None) -> int | None:
    """The first yen value in the text as integer yen, or None (also when it is a range:
    one end of a range is not the amount; find_yen_values reads both).

    >>> parse_yen("最大4,760億円")
    476000000000
    >>> parse_yen("１兆２，３９０億円")
    1239000000000
    >>> parse_yen("四千七百六十億円")
    476000000000
    >>> parse_yen("△50億円"), parse_yen("前年度比マイナス12億円")
    (-5000000000, -1200000000)
    >>> parse_yen("1,234 万 5,678円")
    12345678
    >>> parse_yen("¥476.0 billion")
    476000000000
    >>> parse_yen("476,000", default_unit=10**6)
    476000000000
    >>> parse_yen("approximately $7.9 billion") is None
    True
    >>> parse_yen("令和6年度") is None
    True
    """
    values = find_yen_values(text, default_unit=default_unit)
    if not values or values[0].is_range:
        return None
    return values[0].yen

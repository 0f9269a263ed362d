"""Figures: the numerals of one amount, found in text where spaces may stand inside them;
owns the rule that joins runs of numerals across spaces (PDF text, hand-typed tables).

**A number that does not account for every digit of its figure is not an amount**: a figure
is digits, then 兆/億/万 in descending order, then an optional remainder, then 円 (or 千円,
百万円); spaces may stand between any of these. ``1,234 万 5,678円`` is one figure,
12,345,678 yen, never the 5,678 yen of its tail. Where the spaces leave it open whether
runs are one figure or several (``1万 20,000円``, ``12 345 678円`` with plain spaces), the
figure is refused with a reason and none of its runs is an amount. Runs that cannot be
one figure (``4,760億 1,000億``: the second unit does not descend) are separate figures.
Thin spaces between groups of three digits (``12 345 678円``) are thousands separators;
normalize_text has already turned them into commas.

One regex finds the runs of numeral characters, and plain code decides the joins, looking
one run ahead at most: linear in the text, so no input can make a regex backtrack.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from watcher.extract.yen.numerals import (
    BIG_UNITS,
    KANJI_DIGITS,
    NUMERAL_CHARS,
    SMALL_UNITS,
    groups,
    small_number,
)

__all__ = ["MAX_FIGURE", "Figure", "find_figures", "in_spans"]

# A run of numeral characters; "," and "." only between digits. The possessive `*+`
# never gives characters back, and every run matches, so finditer never rescans a run.
_RUN = re.compile(rf"[{NUMERAL_CHARS}](?:[{NUMERAL_CHARS}]|[,.](?=[0-9]))*+")
# Spaces (after NFKC: ASCII, full-width, thin, several) that may stand inside one figure.
_GAP = re.compile(r"[ \t]{1,8}")
_YEN_AFTER = re.compile(r"[ \t]{0,8}円")
_SI_GROUP = re.compile(r"[0-9]{3}(?![0-9,.])")
# No real amount is longer than this; longer figures (a megabyte of 億億億) are skipped.
MAX_FIGURE = 40
_DIGITS = frozenset("0123456789" + KANJI_DIGITS)
_ARABIC = frozenset("0123456789")
_NOT_A_REMAINDER_AFTER = frozenset("%/:°‰")
# Digits right after these are a label or an ordinal (第2, No.1, R6), never an amount's start.
_LABEL_BEFORE = frozenset("※*#/.第注号")


class Figure(NamedTuple):
    """The numerals of one would-be amount: text[start:end], spaces dropped in ``numerals``.

    ``refusal`` says why the figure is not read when its spaces leave it ambiguous. A
    NamedTuple rather than a dataclass: one is made for every run of numerals in a page.
    """

    start: int
    end: int
    numerals: str
    refusal: str | None = None


def in_spans(position: int, spans: tuple[tuple[int, int], ...]) -> bool:
    """Whether position falls in one of the sorted, non-overlapping spans."""
    index = bisect.bisect_right(spans, (position, sys.maxsize)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


@dataclass(slots=True)
class _Building:
    """The figure being built: its numerals so far (spaces dropped) and where it ends."""

    numerals: str
    end: int
    si: bool = False  # only plain groups of digits so far: "12", "12 345"


_JOIN, _SEPARATE, _AMBIGUOUS = "join", "separate", "ambiguous"


def _last_unit(numerals: str) -> int | None:
    """The 万/億/兆 the numerals end with, or None when they end with a number."""
    return BIG_UNITS.get(numerals[-1])


def _smallest_unit(numerals: str) -> int | None:
    units = [BIG_UNITS[c] for c in numerals if c in BIG_UNITS]
    return min(units) if units else None


def _join(
    text: str,
    current: _Building,
    run: re.Match[str],
    after: re.Match[str] | None,
    spans: tuple[tuple[int, int], ...],
) -> tuple[str, str | None]:
    """Whether `run` continues the figure being built, and the reason when it is ambiguous."""
    gap = _GAP.fullmatch(text, current.end, run.start())
    if gap is None:
        return _SEPARATE, None
    word = run.group()
    head = word[0]
    ends_with_unit = _last_unit(current.numerals) is not None
    if head in BIG_UNITS:  # "4,760 億円": the unit of the digits before the space
        return (_SEPARATE, None) if ends_with_unit else (_JOIN, None)
    if head in SMALL_UNITS:  # "5,000 千円", "476,000 百万円"
        joins = (
            current.numerals[-1] in _ARABIC
            and all(c in SMALL_UNITS or c in BIG_UNITS for c in word)
            and _YEN_AFTER.match(text, run.end()) is not None
        )
        return (_JOIN, None) if joins else (_SEPARATE, None)
    if head not in _DIGITS:
        return _SEPARATE, None
    if not ends_with_unit:
        # Two numbers side by side: "2,000 3,000" are two; "12 345 678円" could be one.
        if current.si and _SI_GROUP.match(word) is not None and not in_spans(run.start(), spans):
            return _AMBIGUOUS, f"digits separated by spaces may be one figure or several: {current.numerals}"
        return _SEPARATE, None
    if in_spans(run.start(), spans):
        return _SEPARATE, None
    smallest = _smallest_unit(current.numerals)
    assert smallest is not None
    first = groups(word)[0]
    number_text, unit = first
    if unit == 1 and len(groups(word)) == 1 and after is not None and after.group()[0] in BIG_UNITS \
            and _GAP.fullmatch(text, run.end(), after.start()) is not None:
        unit = BIG_UNITS[after.group()[0]]  # "1兆 2,390 億円": the unit stands after a space
    if unit >= smallest:
        return _SEPARATE, None  # "4,760億 1,000億": a list of two amounts
    number = small_number(number_text, allow_fraction=True)
    if number is None:
        return _SEPARATE, None
    if number * unit >= smallest:
        return _AMBIGUOUS, f"{number_text} cannot follow {current.numerals} in one figure"
    if unit > 1 or _YEN_AFTER.match(text, run.end()) is not None:
        return _JOIN, None  # "3億 2,456 万", "1,234 万 5,678円"
    following = text[run.end()] if run.end() < len(text) else ""
    if following.isalpha() or following in _NOT_A_REMAINDER_AFTER:
        return _SEPARATE, None  # "500万 3件": a count, not the remainder of the amount
    return _AMBIGUOUS, f"{word} after {current.numerals} without 円 may be its remainder or another figure"


def find_figures(text: str, spans: tuple[tuple[int, int], ...]) -> Iterator[Figure]:
    """Every figure of the (normalised) text, in order; `spans` are its date spans.

    >>> [f.numerals for f in find_figures("1,234 万 5,678円、4,760億 1,000億", ())]
    ['1,234万5,678', '4,760億', '1,000億']
    >>> [f.refusal for f in find_figures("1万 20,000円", ())]
    ['20,000 cannot follow 1万 in one figure']
    """
    runs = _RUN.finditer(text)
    ahead: re.Match[str] | None = next(runs, None)
    # The figure being built, as plain locals: this loop runs once per run of numerals.
    start = end = -1
    numerals = ""
    refusal: str | None = None
    si = False
    while ahead is not None:
        run, ahead = ahead, next(runs, None)
        word = run.group()
        if numerals and text[end] in " \t":  # else there is no gap, so no join
            # Fast path: number, space, number ("2,000 3,000", a megabyte of "1 1 1"): two
            # figures unless they may be groups of three digits.
            if numerals[-1] in BIG_UNITS or word[0] not in _ARABIC \
                    or (si and _SI_GROUP.match(word) is not None):
                current = _Building(numerals=numerals, end=end, si=si)
                decision, reason = _join(text, current, run, ahead, spans)
                if decision != _SEPARATE:
                    numerals += word
                    end = run.end()
                    si = si and _SI_GROUP.fullmatch(word) is not None
                    if decision == _AMBIGUOUS and refusal is None:
                        refusal = reason
                    if len(numerals) > MAX_FIGURE:
                        refusal = refusal or "too long to be an amount"
                    continue
        if numerals:
            yield Figure(start, end, numerals, refusal)
        start, end, numerals = run.start(), run.end(), word
        before = text[start - 1] if start else ""
        labelled = before in _LABEL_BEFORE or (before.isascii() and before.isalnum())
        si = len(word) <= 3 and word.isascii() and word.isdigit() and not labelled
        refusal = "too long to be an amount" if len(word) > MAX_FIGURE else None
    if numerals:
        yield Figure(start, end, numerals, refusal)

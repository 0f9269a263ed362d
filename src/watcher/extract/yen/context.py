"""What is written around a figure: sign, qualifiers and currency before it; 円, scale and
other currencies after it; and when a bare number may stand for a table value."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "SPACES",
    "SUFFIX_APPROXIMATE",
    "SUFFIX_OTHER_CURRENCY",
    "SUFFIX_SCALE",
    "SUFFIX_YEN",
    "SUFFIX_YEN_WORD",
    "YEN_CURRENCIES",
    "Prefix",
    "bare_number_allowed",
    "read_prefix",
]

# Spaces as they stand in NFKC text: full-width and thin spaces have become " ".
SPACES = " \t"
_SPACES_AND_IDEOGRAPHIC = " \t\u3000"

# Words written just before an amount, read backwards from the numerals by read_prefix.
# Longest first, so 上限額 wins over 上限 and "approx." over "approx".
_MAXIMUM_WORDS = ("a maximum of", "maximum of", "maximum", "max.", "max", "up to")
_MAXIMUM_WORDS_JA = ("最大助成額", "上限額", "限度額", "最大", "上限", "限度")
_APPROXIMATE_WORDS = ("approximately", "approx.", "approx", "roughly", "around", "nearly")
_APPROXIMATE_WORDS_MORE = ("almost", "about", "some")
_APPROXIMATE_WORDS_JA = ("およそ", "概ね", "約")
_QUALIFIERS: tuple[tuple[str, bool], ...] = tuple(  # (word, is_maximum), longest first
    sorted(
        [(w, True) for w in (*_MAXIMUM_WORDS, *_MAXIMUM_WORDS_JA)]
        + [(w, False) for w in (*_APPROXIMATE_WORDS, *_APPROXIMATE_WORDS_MORE)]
        + [(w, False) for w in _APPROXIMATE_WORDS_JA],
        key=lambda item: -len(item[0]),
    )
)
YEN_CURRENCIES = ("jp¥", "jpy", "¥")
_OTHER_CURRENCIES = ("usd", "eur", "gbp", "cny", "rmb", "krw", "$", "€", "£", "₩")
# Signs: △ ▲ (budget tables), − (U+2212), - (also －, after NFKC), +; and the words.
_SIGNS = "△▲−+-"
_SIGN_WORDS = (("マイナス", True), ("プラス", False))  # 前年度比マイナス12億円


def _by_last_char(
    words: Iterable[tuple[str, bool]],
) -> dict[str, tuple[tuple[str, bool], ...]]:
    """Group (word, flag) pairs by the word's last character, keeping their order."""
    grouped: dict[str, tuple[tuple[str, bool], ...]] = {}
    for word, flag in words:
        grouped[word[-1]] = (*grouped.get(word[-1], ()), (word, flag))
    return grouped


# Prefix words by their last character: reading backwards, one dict lookup picks the
# two or three words worth comparing, and rules most numbers out at once.
_CURRENCIES_BY_LAST = _by_last_char((word, False) for word in YEN_CURRENCIES + _OTHER_CURRENCIES)
_QUALIFIERS_BY_LAST = _by_last_char(_QUALIFIERS)
_MAX_QUALIFIERS = 3

# After the numerals. Several spaces may stand before 円 in text taken from a PDF.
SUFFIX_YEN = re.compile(r"\s{0,8}円")
SUFFIX_SCALE = re.compile(
    r"\s?(?P<w>trillion|billion|million|thousand|tn|bn|mn|mil|m|k)\b", re.IGNORECASE
)
SUFFIX_YEN_WORD = re.compile(r"\s?(?:yen|JPY)\b", re.IGNORECASE)
SUFFIX_OTHER_CURRENCY = re.compile(
    r"\s?(?:米ドル|豪ドル|ドル|ユーロ|人民元|元|ウォン|ポンド|ルピー"
    r"|(?:(?:US\s)?dollars?|USD|euros?|EUR|pounds?|GBP|yuan|RMB|won|rupees?)\b)",
    re.IGNORECASE,
)
# "10億円程度", "5億～10億円前後": about, said after the amount (not part of its text).
SUFFIX_APPROXIMATE = re.compile(r"[ \t]?(?:程度|前後)")
# A bare number after one of these is a footnote, clause or ordinal, never an amount.
_BARE_BAD_BEFORE = frozenset("※*#/:.第注号円")
_BARE_BAD_AFTER = frozenset("%/:°‰")


@dataclass(frozen=True, slots=True, kw_only=True)
class Prefix:
    """What read_prefix found before a figure; ``start`` is where the amount's text begins."""

    start: int
    approximate: bool
    maximum: bool
    negative: bool
    currency: str | None


def _ends_with_word(text: str, end: int, word: str) -> bool:
    """Whether text[:end] ends with word (case-insensitive), an English word not mid-word."""
    begin = end - len(word)
    if begin < 0 or text[begin:end].lower() != word:
        return False
    return not (word[0].isascii() and word[0].isalpha() and begin > 0 and text[begin - 1].isalpha())


def _skip_back(text: str, end: int, chars: str, limit: int) -> int:
    while limit and end > 0 and text[end - 1] in chars:
        end -= 1
        limit -= 1
    return end


def read_prefix(text: str, start: int) -> Prefix:
    """Qualifiers, sign and currency written just before the numerals at `start`.

    Read backwards token by token (sign, currency, sign, qualifiers) rather than with a
    regex search, so the cost per number is a handful of comparisons whatever precedes it.

    >>> prefix = read_prefix("前年度比マイナス12億円", 8)
    >>> prefix.negative, prefix.start
    (True, 4)
    >>> prefix = read_prefix("最大約4,760億円", 3)
    >>> prefix.maximum, prefix.approximate, prefix.start
    (True, True, 0)
    """
    begin = start
    negative = False
    currency: str | None = None
    approximate = maximum = False

    def take_sign(position: int) -> int:
        nonlocal negative
        spaced = _skip_back(text, position, _SPACES_AND_IDEOGRAPHIC, 1)
        for word, is_negative in _SIGN_WORDS:  # マイナス12億円, マイナス 12億円
            if text.endswith(word, 0, spaced):
                negative = negative or is_negative
                return spaced - len(word)
        if spaced < position and spaced > 0 and text[spaced - 1] in "△▲":
            position = spaced  # "▲ 1,000": budget tables pad the accounting minus
        if position == 0 or text[position - 1] not in _SIGNS:
            return position
        sign = text[position - 1]
        # "2024-02" or "3,000-4,000" is a date or a range, not a minus sign
        if sign in "-−" and position > 1 and text[position - 2].isalnum():
            return position
        negative = negative or sign != "+"
        return position - 1

    begin = take_sign(begin)
    at = _skip_back(text, begin, _SPACES_AND_IDEOGRAPHIC, 1)
    for word, _ in _CURRENCIES_BY_LAST.get(text[at - 1].lower(), ()) if at else ():
        if _ends_with_word(text, at, word):
            currency = word
            begin = take_sign(_skip_back(text, at - len(word), _SPACES_AND_IDEOGRAPHIC, 1))
            break
    for _ in range(_MAX_QUALIFIERS):
        at = _skip_back(text, begin, _SPACES_AND_IDEOGRAPHIC + ":", 2)
        if at == 0:
            break
        for word, is_maximum in _QUALIFIERS_BY_LAST.get(text[at - 1].lower(), ()):
            if _ends_with_word(text, at, word):
                maximum = maximum or is_maximum
                approximate = approximate or not is_maximum
                begin = at - len(word)
                break
        else:
            break
    return Prefix(
        start=begin,
        approximate=approximate,
        maximum=maximum,
        negative=negative,
        currency=currency,
    )


def bare_number_allowed(text: str, start: int, end: int) -> bool:
    """Whether a number with no unit of its own reads as a table value, not a count or code."""
    if (
        end - start <= 2
        and end < len(text)
        and text[end] in ".)"
        and (start == 0 or text[start - 1] in " (\n\t")
    ):
        return False  # "1." or "2)" numbering a list
    if start > 0:
        before = text[start - 1]
        if before in _BARE_BAD_BEFORE or (before.isascii() and before.isalnum()):
            return False
        if before in "-−" and start > 1 and text[start - 2].isalnum():
            return False  # 2024-02-24, 3-4
    if end < len(text):
        after = text[end]
        if after in _BARE_BAD_AFTER or after.isalpha():
            return False
        if after in "-−" and end + 1 < len(text) and text[end + 1].isdigit():
            return False
        if after == " " and end + 1 < len(text) and text[end + 1].isalpha():
            return False  # 22 nm, 5 件
    return True

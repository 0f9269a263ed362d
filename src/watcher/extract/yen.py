"""Yen amounts as METI/IPA pages write them, parsed to integer yen and formatted back.

Pure functions, Decimal arithmetic, NFKC-normalised input. Reading works in two linear
passes so no input can make a regex backtrack: one regex picks out every run of numeral
characters (a "candidate"), then plain code looks at the few characters either side to
decide whether the run is a yen amount (円, ¥, JPY, yen, or a bare number under a
table's unit note) or something else (a date, a count, a footnote marker, dollars).
"""

from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from watcher.extract.dates import date_spans

__all__ = [
    "YenAmount",
    "find_yen_amounts",
    "format_billions",
    "format_delta_oku",
    "format_oku",
    "normalize_text",
    "parse_yen",
    "unit_multiplier",
]

MAN = 10**4
OKU = 10**8
CHO = 10**12

_KANJI_DIGITS = "〇一二三四五六七八九"
_DIGIT_VALUE = {**{str(i): i for i in range(10)}, **{c: i for i, c in enumerate(_KANJI_DIGITS)}}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": MAN, "億": OKU, "兆": CHO}

# A run of numeral characters; "," and "." only between digits. The possessive `*+`
# never gives characters back, and every run matches, so finditer never rescans a run.
_NUMERALS = "0-9" + _KANJI_DIGITS + "十百千万億兆"
# A space before 万/億/兆 is allowed because text taken from PDFs often has one (4,760 億円).
_CANDIDATE = re.compile(
    rf"[{_NUMERALS}](?:[{_NUMERALS}]|[,.](?=[0-9])| (?=[万億兆])"
    r"|(?<=兆) (?=[0-9][0-9,.]{0,8} ?[億万])|(?<=億) (?=[0-9][0-9,.]{0,8} ?万))*+"
)
# "3,000～4,000億円": the first figure of a range takes the unit of the second.
_RANGE_TO = re.compile(r"\s?[～〜~–-]\s?")
_RANGE_END = re.compile(r"[0-9][0-9,.]{0,20}(?P<u>[万億兆])円")
# Circled and superscript numbers become bare digits under NFKC (①4,760億円 → 14,760億円),
# so they are rewritten as footnote markers first: ① → (※1).
_FOOTNOTE_NUMBERS = re.compile(
    "[\u00b2\u00b3\u00b9\u2070-\u2079\u2460-\u2473\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"
)
# Kanji numerals that, before 円, are a unit note (（百万円）) rather than an amount.
_UNIT_NOTE_NUMERALS = frozenset({"千", "百", "十", "万", "十万", "百万", "千万", "億", "兆"})
# No real amount is longer than this; longer runs (a megabyte of 億億億) are rejected outright.
_MAX_CANDIDATE = 40

_ARABIC = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_ARABIC_TIMES_SMALL = re.compile(
    r"(?P<n>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<f>[0-9]+))?(?P<u>[十百千])"
)
_D = f"[0-9{_KANJI_DIGITS}]"
_KANJI_SMALL = re.compile(rf"(?:(?P<k>{_D})?千)?(?:(?P<h>{_D})?百)?(?:(?P<t>{_D})?十)?(?P<o>{_D})?")
_BIG_SPLIT = re.compile(r"([万億兆])")

# Words written just before an amount, read backwards from the numerals by _read_prefix.
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
_YEN_CURRENCIES = ("jp¥", "jpy", "¥")
_OTHER_CURRENCIES = ("usd", "eur", "gbp", "cny", "rmb", "krw", "$", "€", "£", "₩")
_SIGNS = "△▲−+-"
_SPACES = " \t\u3000"


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
_CURRENCIES_BY_LAST = _by_last_char((word, False) for word in _YEN_CURRENCIES + _OTHER_CURRENCIES)
_QUALIFIERS_BY_LAST = _by_last_char(_QUALIFIERS)
_MAX_QUALIFIERS = 3

_SCALE_WORDS = {
    "trillion": CHO,
    "tn": CHO,
    "billion": 10**9,
    "bn": 10**9,
    "million": 10**6,
    "mn": 10**6,
    "mil": 10**6,
    "m": 10**6,
    "thousand": 10**3,
    "k": 10**3,
}
_SCALE_ABBREVIATIONS = frozenset({"tn", "bn", "mn", "mil", "m", "k"})
_SUFFIX_YEN = re.compile(r"\s?円")
_SUFFIX_SCALE = re.compile(
    r"\s?(?P<w>trillion|billion|million|thousand|tn|bn|mn|mil|m|k)\b", re.IGNORECASE
)
_SUFFIX_YEN_WORD = re.compile(r"\s?(?:yen|JPY)\b", re.IGNORECASE)
_SUFFIX_OTHER_CURRENCY = re.compile(
    r"\s?(?:米ドル|豪ドル|ドル|ユーロ|人民元|元|ウォン|ポンド|ルピー"
    r"|(?:(?:US\s)?dollars?|USD|euros?|EUR|pounds?|GBP|yuan|RMB|won|rupees?)\b)",
    re.IGNORECASE,
)
# A bare number after one of these is a footnote, clause or ordinal, never an amount.
_BARE_BAD_BEFORE = frozenset("※*#/:.第注号円")
_BARE_BAD_AFTER = frozenset("%/:°‰")

_UNIT_WORDS = {
    "兆円": CHO,
    "億円": OKU,
    "千万円": 10**7,
    "百万円": 10**6,
    "万円": MAN,
    "千円": 10**3,
    "円": 1,
    "trillion": CHO,
    "billion": 10**9,
    "million": 10**6,
    "thousand": 10**3,
    "yen": 1,
}
_JA_UNIT = r"(?P<ja>兆円|億円|千万円|百万円|万円|千円|円)"
_UNIT_NOTE = re.compile(
    rf"単位\s?:?\s?{_JA_UNIT}"
    rf"|\(\s?{_JA_UNIT.replace('ja', 'ja2')}\s?\)"
    r"|(?P<en>trillion|billion|million|thousand)s\s{1,3}of\s{1,3}(?:yen|JPY)\b"
    r"|\(\s?(?:¥|JPY|yen)\s?(?P<en2>trillion|billion|million|thousand)s?\s?\)"
    r"|(?:unit\s?:\s?|in\s{1,3})(?P<en3>trillion|billion|million|thousand)s?\s{1,3}(?:of\s{1,3})?(?:yen|JPY)\b"
    r"|\(\s?(?P<en4>yen)\s?\)|\(\s?(?P<en5>¥)\s?\)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class YenAmount:
    """One yen amount found in a text; start/end index normalize_text(text) (NFKC)."""

    yen: int
    text: str
    approximate: bool
    maximum: bool
    start: int
    end: int


def unit_multiplier(note: str) -> int | None:
    """The yen multiplier of the first unit note in the text (（単位：億円） → 10**8), or None.

    >>> unit_multiplier("（単位：百万円）")
    1000000
    >>> unit_multiplier("(millions of yen)")
    1000000
    >>> unit_multiplier("令和6年度") is None
    True
    """
    match = _UNIT_NOTE.search(unicodedata.normalize("NFKC", note))
    if match is None:
        return None
    word = next(value for value in match.groupdict().values() if value is not None)
    if word == "¥":
        return 1
    return _UNIT_WORDS[word.lower()]


def _small_number(part: str, *, allow_fraction: bool) -> Decimal | None:
    """A number below 万 written in arabic or kanji numerals, or None if malformed."""
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
        return Decimal(number) * _SMALL_UNITS[match.group("u")]
    if "," in part or "." in part:
        return None
    if all(c in _KANJI_DIGITS for c in part):  # positional: 四七六〇
        return Decimal("".join(str(_DIGIT_VALUE[c]) for c in part))
    if any(c in _KANJI_DIGITS for c in part) and any(c in "0123456789" for c in part):
        return None
    kanji = _KANJI_SMALL.fullmatch(part)
    if kanji is None:
        return None
    value = 0
    for group, unit_char in (("k", "千"), ("h", "百"), ("t", "十")):
        if unit_char in part:  # 千 alone means 一千
            digit = kanji.group(group)
            value += _SMALL_UNITS[unit_char] * (1 if digit is None else _DIGIT_VALUE[digit])
    if kanji.group("o") is not None:
        value += _DIGIT_VALUE[kanji.group("o")]
    return Decimal(value)


def _numeral_value(candidate: str) -> Decimal | None:
    """The value of a numeral run such as 1兆2,390億, 102.4億, 四千七百六十億, or None."""
    pieces = _BIG_SPLIT.split(candidate.replace(" ", ""))
    # pieces alternate number, unit, number, unit, ..., trailing number (maybe empty)
    total = Decimal(0)
    previous_unit: int | None = None
    pairs = [(pieces[i], pieces[i + 1]) for i in range(0, len(pieces) - 1, 2)]
    trailing = pieces[-1]
    if trailing:
        pairs.append((trailing, ""))
    for index, (number_text, unit_char) in enumerate(pairs):
        unit = _BIG_UNITS[unit_char] if unit_char else 1
        if previous_unit is not None and unit >= previous_unit:
            return None  # units must descend: 1兆2,000億, never 2,000億1兆
        is_last = index == len(pairs) - 1
        number = _small_number(number_text, allow_fraction=is_last)
        if number is None:
            return None
        if previous_unit is not None and number * unit >= previous_unit:
            return None  # 1兆12,000億 is malformed
        total += number * unit
        previous_unit = unit
    return total


@dataclass(frozen=True, slots=True, kw_only=True)
class _Prefix:
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


def _read_prefix(text: str, start: int) -> _Prefix:
    """Qualifiers, sign and currency written just before the numerals at `start`.

    Read backwards token by token (sign, currency, sign, qualifiers) rather than with a
    regex search, so the cost per number is a handful of comparisons whatever precedes it.
    """
    begin = start
    negative = False
    currency: str | None = None
    approximate = maximum = False

    def take_sign(position: int) -> int:
        nonlocal negative
        spaced = _skip_back(text, position, _SPACES, 1)
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
    at = _skip_back(text, begin, _SPACES, 1)
    for word, _ in _CURRENCIES_BY_LAST.get(text[at - 1].lower(), ()) if at else ():
        if _ends_with_word(text, at, word):
            currency = word
            begin = take_sign(_skip_back(text, at - len(word), _SPACES, 1))
            break
    for _ in range(_MAX_QUALIFIERS):
        at = _skip_back(text, begin, _SPACES + ":", 2)
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
    return _Prefix(
        start=begin,
        approximate=approximate,
        maximum=maximum,
        negative=negative,
        currency=currency,
    )


def _bare_number_allowed(text: str, start: int, end: int) -> bool:
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


def _to_yen(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _in_spans(position: int, spans: tuple[tuple[int, int], ...]) -> bool:
    """Whether position falls in one of the sorted, non-overlapping spans."""
    index = bisect.bisect_right(spans, (position, sys.maxsize)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _range_unit(text: str, end: int) -> int | None:
    """The 万/億/兆 of the amount that closes a range starting just before `end`, if any."""
    dash = _RANGE_TO.match(text, end)
    if dash is None:
        return None
    closing = _RANGE_END.match(text, dash.end())
    return None if closing is None else _BIG_UNITS[closing.group("u")]


def normalize_text(text: str) -> str:
    """The text YenAmount spans index: NFKC, circled/superscript numbers written as (※N)."""
    text = _FOOTNOTE_NUMBERS.sub(
        lambda m: "(※" + unicodedata.normalize("NFKC", m.group()) + ")", text
    )
    return unicodedata.normalize("NFKC", text)


def _amount_at(
    text: str,
    start: int,
    candidate: str,
    default_unit: int | None,
    spans: tuple[tuple[int, int], ...],
) -> YenAmount | None:
    """The yen amount whose numerals are `candidate` at `start`, or None if it is none."""
    end = start + len(candidate)
    value = _numeral_value(candidate)
    if value is None:
        return None
    has_kanji = not any(c in "0123456789" for c in candidate)
    if has_kanji and (
        candidate in _UNIT_NOTE_NUMERALS or not any(c in _BIG_UNITS for c in candidate)
    ):
        # 千円, 百万円 are unit notes; 関東一円 means "all over Kanto". Kanji amounts on
        # these pages always have 万, 億 or 兆 in them.
        return None
    has_own_unit = any(c in _BIG_UNITS or c in _SMALL_UNITS for c in candidate)

    # What follows: 円, a scale word (billion), the word yen, or another currency.
    stop = end
    explicit_yen = False
    scale = 1
    has_scale_word = False
    suffix = _SUFFIX_YEN.match(text, stop)
    if suffix is not None:
        explicit_yen = True
        stop = suffix.end()
    else:
        scale_match = _SUFFIX_SCALE.match(text, stop)
        if scale_match is not None and not has_own_unit:
            scale = _SCALE_WORDS[scale_match.group("w").lower()]
            has_scale_word = True
            stop = scale_match.end()
        yen_word = _SUFFIX_YEN_WORD.match(text, stop)
        if yen_word is not None:
            explicit_yen = True
            stop = yen_word.end()
        elif _SUFFIX_OTHER_CURRENCY.match(text, stop) is not None:
            return None  # 79億ドル, 7.9 billion dollars

    prefix = _read_prefix(text, start)
    if prefix.currency is not None:
        if prefix.currency not in _YEN_CURRENCIES:
            return None  # $7.9 billion, US$ amounts
        explicit_yen = True

    if has_scale_word and not explicit_yen:
        abbreviation = text[end:stop].strip().lower() in _SCALE_ABBREVIATIONS
        if abbreviation or default_unit is None:
            return None  # 476 billion of what? 5m could be metres
    if explicit_yen or has_scale_word:
        multiplier = scale
    elif (range_unit := _range_unit(text, end)) is not None and not has_own_unit:
        multiplier = range_unit
        if _in_spans(start, spans):
            return None
    elif default_unit is not None and not has_own_unit and not has_kanji:
        if not _bare_number_allowed(text, start, end) or _in_spans(start, spans):
            return None
        multiplier = default_unit
    elif default_unit is not None and has_own_unit and not has_kanji:
        multiplier = 1  # 4,760億 in a table that has a unit note: the cell's own unit wins
    else:
        return None
    if _in_spans(start, spans):
        return None
    yen = _to_yen(value * multiplier)
    if prefix.negative:
        yen = -yen
    return YenAmount(
        yen=yen,
        text=text[prefix.start : stop],
        approximate=prefix.approximate,
        maximum=prefix.maximum,
        start=prefix.start,
        end=stop,
    )


def find_yen_amounts(text: str, *, default_unit: int | None = None) -> tuple[YenAmount, ...]:
    """All yen amounts in the text, in order; bare numbers count only under a default_unit."""
    normalised = normalize_text(text)
    spans: tuple[tuple[int, int], ...] | None = None
    found: list[YenAmount] = []
    for match in _CANDIDATE.finditer(normalised):
        candidate = match.group()
        start = match.start()
        if len(candidate) > _MAX_CANDIDATE:
            continue
        if spans is None:
            spans = date_spans(normalised)
        amount = _amount_at(normalised, start, candidate, default_unit, spans)
        if amount is None and candidate[0] not in "0123456789":
            # 統一1,000億円: a kanji word ran into the numerals; read from the first digit
            first_digit = next((i for i, c in enumerate(candidate) if c in "0123456789"), None)
            if first_digit is not None:
                amount = _amount_at(
                    normalised, start + first_digit, candidate[first_digit:], default_unit, spans
                )
        if amount is not None:
            found.append(amount)
    return tuple(found)


def parse_yen(text: str, *, default_unit: int | None = None) -> int | None:
    """The first yen amount in the text as integer yen, or None.

    >>> parse_yen("最大4,760億円")
    476000000000
    >>> parse_yen("１兆２，３９０億円")
    1239000000000
    >>> parse_yen("四千七百六十億円")
    476000000000
    >>> parse_yen("△50億円")
    -5000000000
    >>> parse_yen("¥476.0 billion")
    476000000000
    >>> parse_yen("476,000", default_unit=10**6)
    476000000000
    >>> parse_yen("approximately $7.9 billion") is None
    True
    >>> parse_yen("令和6年度") is None
    True
    """
    amounts = find_yen_amounts(text, default_unit=default_unit)
    return amounts[0].yen if amounts else None


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


_APPROXIMATE = re.compile(r"約|およそ|概ね|approx|about|around", re.IGNORECASE)


def format_oku_as_written(yen: int, written: str | None) -> str:
    """format_oku() keeping the page's 約 (about) when the amount was written as approximate.

    >>> format_oku_as_written(50_100_000_000, "約501億円")
    '約501億円'
    >>> format_oku_as_written(476_000_000_000, "4,760億円※1")
    '4,760億円'
    """
    approximate = written is not None and _APPROXIMATE.search(unicodedata.normalize("NFKC", written))
    return ("約" if approximate else "") + format_oku(yen)


def format_delta_oku(delta: int) -> str:
    """A signed change in 億円 style: +3,330億円, −1,000億円, ±0円."""
    if delta == 0:
        return "±0円"
    body = format_oku(abs(delta))
    return ("+" if delta > 0 else "−") + body

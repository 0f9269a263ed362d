"""Units around a yen figure: table unit notes (（単位：百万円）) and English scale words;
owns what a unit is worth in yen (the figure grammar and the search live elsewhere)."""

from __future__ import annotations

import re
import unicodedata

from watcher.extract.yen.numerals import CHO, MAN, OKU

__all__ = [
    "SCALE_ABBREVIATIONS",
    "SCALE_WORDS",
    "UNIT_NOTE_NUMERALS",
    "unit_multiplier",
]

SCALE_WORDS = {
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
SCALE_ABBREVIATIONS = frozenset({"tn", "bn", "mn", "mil", "m", "k"})
# Kanji numerals that, before 円, are a unit note (（百万円）) rather than an amount.
UNIT_NOTE_NUMERALS = frozenset({"千", "百", "十", "万", "十万", "百万", "千万", "億", "兆"})

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

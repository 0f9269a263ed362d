"""Date parsing for METI/IPA pages: 和暦 (令和/平成), western, dotted and English dates.

Pure functions. Input is NFKC-normalised first, so full-width digits (令和６年２月２４日)
and era ligatures (㋿, ㍻) parse like their ASCII forms. Every pattern uses bounded
repetition and digit look-behinds so a megabyte of digits scans in linear time.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["date_spans", "find_dates", "fiscal_year", "parse_date"]

# 令和 N = 2018 + N, 平成 N = 1988 + N, 昭和 N = 1925 + N; 元年 is year 1.
_ERA_OFFSET = {
    "令和": 2018,
    "R": 2018,
    "平成": 1988,
    "H": 1988,
    "昭和": 1925,
    "S": 1925,
}

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_SP = r"\s{0,2}"
_MONTH_NAME = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ERA_YEAR = r"(?P<era>令和|平成|昭和|(?<![A-Za-z])[RHS])" + _SP + r"(?P<y>元|[0-9]{1,2})(?![0-9])"

_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 令和6年2月24日, R6年2月24日
    re.compile(
        rf"{_ERA_YEAR}{_SP}年{_SP}(?P<m>[0-9]{{1,2}}){_SP}月{_SP}(?P<d>[0-9]{{1,2}}){_SP}日"
    ),
    # R6.2.24, R6/2/24, H30.3.31, 令和6.2.24
    re.compile(rf"{_ERA_YEAR}(?P<sep>[./])(?P<m>[0-9]{{1,2}})(?P=sep)(?P<d>[0-9]{{1,2}})(?![0-9])"),
    # 2024年2月24日
    re.compile(
        rf"(?<![0-9])(?P<y>[0-9]{{4}}){_SP}年{_SP}(?P<m>[0-9]{{1,2}}){_SP}月{_SP}"
        rf"(?P<d>[0-9]{{1,2}}){_SP}日"
    ),
    # 2024/2/24, 2024.2.24, 2024-02-24 (one separator throughout)
    re.compile(
        r"(?<![0-9.,/-])(?P<y>[0-9]{4})(?P<sep>[/.-])(?P<m>[0-9]{1,2})(?P=sep)"
        r"(?P<d>[0-9]{1,2})(?![0-9])"
    ),
    # February 24, 2024 · Feb. 24, 2024 · Feb 24th 2024
    re.compile(
        rf"\b{_MONTH_NAME}\.?\s{{0,3}}(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![0-9]),?\s{{1,3}}"
        r"(?P<y>[0-9]{4})(?![0-9])",
        re.IGNORECASE,
    ),
    # 24 February 2024 · 24 Feb. 2024
    re.compile(
        rf"(?<![0-9])(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\s{{1,3}}{_MONTH_NAME}\b\.?,?\s{{1,3}}"
        r"(?P<y>[0-9]{4})(?![0-9])",
        re.IGNORECASE,
    ),
)

_FISCAL_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"{_ERA_YEAR}{_SP}年度"),
    re.compile(rf"(?<![0-9])(?P<y>[0-9]{{4}}){_SP}年度"),
    re.compile(rf"(?<![A-Za-z])FY{_SP}'?(?P<y>[0-9]{{4}}|[0-9]{{2}})(?![0-9])", re.IGNORECASE),
    re.compile(r"\bfiscal(?:\s+year)?\s{1,2}(?P<y>[0-9]{4})(?![0-9])", re.IGNORECASE),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _DateMatch:
    start: int
    end: int
    date: datetime.date | None  # None for date-shaped text that is no real day (2月30日)


def _year(match: re.Match[str]) -> int:
    """The western year of a match with a `y` group and maybe an `era` group."""
    groups = match.groupdict()
    raw = groups["y"]
    number = 1 if raw == "元" else int(raw)
    era = groups.get("era")
    if era is not None:
        return _ERA_OFFSET[era] + number
    if len(raw) == 2:  # FY26
        return 2000 + number
    return number


def _month(match: re.Match[str]) -> int:
    groups = match.groupdict()
    name = groups.get("mon")
    if name is not None:
        return _MONTHS[name[:3].lower()]
    return int(groups["m"])


def _matches(normalised: str) -> Iterator[_DateMatch]:
    """Date-shaped matches in reading order, overlaps dropped (earliest, then longest wins)."""
    found: list[_DateMatch] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(normalised):
            try:
                date: datetime.date | None = datetime.date(
                    _year(match), _month(match), int(match.group("d"))
                )
            except ValueError:  # 2024年2月30日: date-shaped but not a day
                date = None
            found.append(_DateMatch(start=match.start(), end=match.end(), date=date))
    found.sort(key=lambda m: (m.start, -m.end))
    last_end = -1
    for item in found:
        if item.start >= last_end:
            last_end = item.end
            yield item


def date_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans (in the NFKC-normalised text) of everything shaped like a date, valid or not."""
    normalised = unicodedata.normalize("NFKC", text)
    return tuple((m.start, m.end) for m in _matches(normalised))


def find_dates(text: str) -> tuple[datetime.date, ...]:
    """All valid dates in the text, in reading order.

    >>> find_dates("認定日 令和4年6月17日、変更 R6.2.24")
    (datetime.date(2022, 6, 17), datetime.date(2024, 2, 24))
    """
    normalised = unicodedata.normalize("NFKC", text)
    return tuple(m.date for m in _matches(normalised) if m.date is not None)


def parse_date(text: str) -> datetime.date | None:
    """The first valid date in the text, or None.

    >>> parse_date("令和６年２月２４日")
    datetime.date(2024, 2, 24)
    >>> parse_date("2024年2月30日") is None
    True
    """
    dates = find_dates(text)
    return dates[0] if dates else None


def fiscal_year(text: str) -> int | None:
    """The first fiscal year named in the text (令和8年度, 2026年度, FY2026), or None.

    >>> fiscal_year("令和8年度予算案")
    2026
    """
    normalised = unicodedata.normalize("NFKC", text)
    best: tuple[int, int] | None = None
    for pattern in _FISCAL_PATTERNS:
        match = pattern.search(normalised)
        if match is not None and (best is None or match.start() < best[0]):
            best = (match.start(), _year(match))
    return None if best is None else best[1]

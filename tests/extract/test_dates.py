"""Dates as METI/IPA pages and the press write them: 和暦, western, dotted, English."""

from __future__ import annotations

import datetime
import doctest
import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.extract import dates as dates_module
from watcher.extract.dates import date_spans, find_dates, fiscal_year, parse_date

D = datetime.date

DATE_CASES: list[tuple[str, datetime.date]] = [
    ("令和6年2月24日", D(2024, 2, 24)),
    ("令和６年２月２４日", D(2024, 2, 24)),
    ("令和 6 年 2 月 24 日", D(2024, 2, 24)),
    ("令和元年5月1日", D(2019, 5, 1)),
    ("令和4年6月17日", D(2022, 6, 17)),
    ("R6年2月24日", D(2024, 2, 24)),
    ("R6.2.24", D(2024, 2, 24)),
    ("R6/2/24", D(2024, 2, 24)),
    ("Ｒ６．２．２４", D(2024, 2, 24)),
    ("R元.5.1", D(2019, 5, 1)),
    ("令和6.2.24", D(2024, 2, 24)),
    ("2024年2月24日", D(2024, 2, 24)),
    ("２０２４年２月２４日", D(2024, 2, 24)),
    ("2024/2/24", D(2024, 2, 24)),
    ("2024/02/24", D(2024, 2, 24)),
    ("2024.2.24", D(2024, 2, 24)),
    ("2024-02-24", D(2024, 2, 24)),
    ("平成31年4月1日", D(2019, 4, 1)),
    ("平成元年1月8日", D(1989, 1, 8)),
    ("H30.3.31", D(2018, 3, 31)),
    ("昭和64年1月7日", D(1989, 1, 7)),
    ("㋿6年2月24日", D(2024, 2, 24)),  # the one-character era sign
    ("㍻31年4月1日", D(2019, 4, 1)),
    ("February 24, 2024", D(2024, 2, 24)),
    ("Feb. 24, 2024", D(2024, 2, 24)),
    ("Feb 24, 2024", D(2024, 2, 24)),
    ("February 24th, 2024", D(2024, 2, 24)),
    ("24 February 2024", D(2024, 2, 24)),
    ("24 Feb. 2024", D(2024, 2, 24)),
    ("Sept. 30, 2022", D(2022, 9, 30)),
    ("september 30, 2022", D(2022, 9, 30)),
    ("2 May 2025", D(2025, 5, 2)),
    # in context, as pages write them
    ("認定日：令和4年6月17日（金）", D(2022, 6, 17)),
    ("最終更新日：2025年12月26日", D(2025, 12, 26)),
    ("2024年4月19日 ニュースリリース", D(2024, 4, 19)),
    ("On June 17, 2022, METI approved", D(2022, 6, 17)),
    ("（R4.6.17認定）", D(2022, 6, 17)),
]


@pytest.mark.parametrize(("text", "expected"), DATE_CASES)
def test_parse_date_reads_every_notation(text: str, expected: datetime.date) -> None:
    assert parse_date(text) == expected
    assert find_dates(text) == (expected,)


NOT_DATES = [
    "",
    "4,760",
    "4,760億円",
    "1,234,567",
    "2024年2月30日",  # no such day: skipped, never raised
    "令和6年13月1日",
    "2023/2/29",
    "February 30, 2024",
    "2024年",
    "2024年2月",
    "令和6年度",
    "22/28nm",
    "12/16",
    "10:30",
    "第9条第4項",
    "55,000枚/月",
    "v1.2.3",
    "192.168.1.1",
    "May I help",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_text_without_a_valid_date(text: str) -> None:
    assert parse_date(text) is None
    assert find_dates(text) == ()


def test_find_dates_in_reading_order() -> None:
    text = (
        "令和4年6月17日 JASM 認定、2022/7/26 キオクシア、R4.9.30 マイクロン、"
        "2023年10月3日 マイクロン、February 6, 2024 Kioxia, 24 February 2024 JASM"
    )
    assert find_dates(text) == (
        D(2022, 6, 17),
        D(2022, 7, 26),
        D(2022, 9, 30),
        D(2023, 10, 3),
        D(2024, 2, 6),
        D(2024, 2, 24),
    )


def test_invalid_date_is_skipped_and_the_next_is_found() -> None:
    assert parse_date("2024年2月30日、訂正 2024年3月1日") == D(2024, 3, 1)


def test_date_spans_include_invalid_dates() -> None:
    """Spans mark date-shaped text so the amount parser can ignore it, valid or not."""
    text = "2024年2月30日 / R6.2.24"
    spans = date_spans(text)
    assert [text[a:b] for a, b in spans] == ["2024年2月30日", "R6.2.24"]


def test_date_spans_index_the_normalised_text() -> None:
    text = "認定日 令和６年２月２４日"
    normalised = unicodedata.normalize("NFKC", text)
    ((start, end),) = date_spans(text)
    assert normalised[start:end] == "令和6年2月24日"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和8年度", 2026),
        ("令和８年度予算案", 2026),
        ("令和元年度", 2019),
        ("平成31年度", 2019),
        ("R8年度", 2026),
        ("2026年度", 2026),
        ("FY2026", 2026),
        ("FY 2026", 2026),
        ("fy2025", 2025),
        ("FY26", 2026),
        ("fiscal 2025", 2025),
        ("fiscal year 2025", 2025),
        ("令和6年度補正予算、令和7年度当初予算", 2024),
        ("the FY2025 budget and the 2026年度 request", 2025),
        ("令和6年2月24日", None),
        ("2024年", None),
        ("", None),
        ("4,760億円", None),
    ],
)
def test_fiscal_year(text: str, expected: int | None) -> None:
    assert fiscal_year(text) == expected


def test_doctests_pass() -> None:
    results = doctest.testmod(dates_module)
    assert results.attempted >= 4
    assert results.failed == 0


@pytest.mark.parametrize(
    "text",
    ["1,234," * 170_000, "2" * 1_000_000, "年月日" * 300_000, "R6." * 300_000],
)
def test_pathological_megabyte_lines_finish(text: str) -> None:
    assert find_dates(text) == ()
    assert fiscal_year(text) is None


# --- properties -------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(1989, 1, 8), max_value=D(2099, 12, 31)))
def test_round_trip_every_notation(day: datetime.date) -> None:
    y, m, d = day.year, day.month, day.day
    forms = [
        f"{y}年{m}月{d}日",
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        day.isoformat(),
        f"{day:%B} {d}, {y}",
        f"{day:%b}. {d}, {y}",
        f"{d} {day:%B} {y}",
    ]
    if y >= 2019:
        era = "元" if y == 2019 else str(y - 2018)
        forms += [f"令和{era}年{m}月{d}日", f"R{era}.{m}.{d}", f"R{era}/{m}/{d}"]
    if y <= 2019:
        era = "元" if y == 1989 else str(y - 1988)
        forms += [f"平成{era}年{m}月{d}日", f"H{era}.{m}.{d}"]
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    for form in forms:
        assert parse_date(form) == day, form
        assert parse_date(form.translate(full_width)) == day, form
        assert parse_date(f"認定日：{form}（※1）") == day, form


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=2019, max_value=2099))
def test_round_trip_fiscal_years(year: int) -> None:
    era = "元" if year == 2019 else str(year - 2018)
    for form in (f"令和{era}年度", f"{year}年度", f"FY{year}", f"R{era}年度"):
        assert fiscal_year(form) == year, form


_DATEISH = st.lists(
    st.sampled_from(
        [
            *"0123456789０１２/.-年月日度元 ,※",
            *("令和", "平成", "R", "H", "FY", "Feb", "February", "May", "th"),
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), _DATEISH))
def test_never_raises(text: str) -> None:
    found = find_dates(text)
    assert all(isinstance(day, datetime.date) for day in found)
    assert parse_date(text) == (found[0] if found else None)
    year = fiscal_year(text)
    assert year is None or type(year) is int
    spans = date_spans(text)
    assert all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))

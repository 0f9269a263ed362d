"""Amounts as they are written in the wild: spaced figures, ranges and マイナス.

A number that does not account for every digit of its figure is not an amount: a spaced
figure is read whole or not at all (with a reason), never as the fragment after its
last space.
"""

from __future__ import annotations

import pytest

from watcher.extract.yen import (
    find_yen_amounts,
    find_yen_values,
    format_billions_range,
    format_ends_delta,
    format_oku_as_written,
    format_oku_range,
    normalize_text,
    parse_yen,
    read_yen,
)

MAN = 10**4
OKU = 10**8
CHO = 10**12
MILLION = 10**6

# ---------------------------------------------------------------- spaces inside a figure

# (text, default_unit, yen): PDF text extraction and hand-typed tables put spaces
# between digit groups, units and 円 — ASCII, full-width (U+3000), thin (U+2009), several.
SPACED: list[tuple[str, int | None, int]] = [
    ("1,234 万 5,678円", None, 12_345_678),
    ("1,234万 5,678円", None, 12_345_678),
    ("3億 2,456 万 7,890 円", None, 324_567_890),
    ("9 億 8,765 万 4,321円", None, 987_654_321),
    ("5,678 億 1,234 万 321円", None, 567_812_340_321),
    ("1,234 億 3,456円", None, 123_400_003_456),
    ("1,234\u3000万\u30005,678円", None, 12_345_678),
    ("１，２３４　万　５，６７８円", None, 12_345_678),
    ("1,234\u2009万\u20095,678円", None, 12_345_678),
    ("1,234   万    5,678  円", None, 12_345_678),
    ("1億\t2,000万円", None, 120_000_000),
    ("1兆 2,390 億円", None, 1_239_000_000_000),
    ("3兆 693億円", None, 3_069_300_000_000),
    ("4,760 億円", None, 476_000_000_000),
    ("5,000 千円", None, 5_000_000),
    ("476,000 百万円", None, 476_000_000_000),
    ("一億 二千万円", None, 120_000_000),
    ("12\u2009345\u2009678円", None, 12_345_678),  # thin spaces as thousands separators
    ("最大 1,234 万 5,678 円", None, 12_345_678),
    ("交付決定額 3億 2,456 万円（予定）", None, 324_560_000),
    ("1億 2,000万", MILLION, 120_000_000),  # the cell's own units win over the note
]


@pytest.mark.parametrize(("text", "default_unit", "expected"), SPACED)
def test_a_spaced_figure_is_read_whole(text: str, default_unit: int | None, expected: int) -> None:
    (amount,) = find_yen_amounts(text, default_unit=default_unit)
    assert amount.yen == expected
    normalised = normalize_text(text)
    digits = [i for i, c in enumerate(normalised) if c.isdigit() or c in "一二"]
    assert all(amount.start <= i < amount.end for i in digits), amount.text
    assert parse_yen(text, default_unit=default_unit) == expected


def test_the_fragment_after_the_last_space_is_never_the_amount() -> None:
    """The failure issue 18 was filed for: 5,678 yen for 12,345,678."""
    for text in ("1,234 万 5,678円", "3億 2,456 万 7,890 円", "9 億 8,765 万 4,321円"):
        assert all(a.yen not in (5_678, 7_890, 4_321) for a in find_yen_amounts(text))


# (text, default_unit, what the spaces leave open)
AMBIGUOUS: list[tuple[str, int | None, str]] = [
    ("1万 20,000円", None, "cannot follow"),  # 20,000 is no remainder of 万
    ("1億 20,000万円", None, "cannot follow"),
    ("12 345 678円", None, "one figure or several"),  # plain spaces: 12,345,678 or three numbers?
    ("2 500億円", None, "one figure or several"),
    ("1,234 万 5,678", MILLION, "remainder or another figure"),  # no 円 to close it
    ("1 500", MILLION, "one figure or several"),
]


@pytest.mark.parametrize(("text", "default_unit", "reason"), AMBIGUOUS)
def test_an_ambiguous_spaced_figure_is_no_amount_with_a_reason(
    text: str, default_unit: int | None, reason: str
) -> None:
    reading = read_yen(text, default_unit=default_unit)
    assert reading.amounts == ()
    assert reading.values == ()
    (refusal,) = reading.refusals
    assert reason in refusal.reason
    assert refusal.text.startswith(normalize_text(text)[:2])
    assert parse_yen(text, default_unit=default_unit) is None


@pytest.mark.parametrize(
    ("text", "default_unit", "expected"),
    [
        ("4,760億 1,000億", OKU, [476_000_000_000, 100_000_000_000]),  # units do not descend
        ("2,000 3,000", MILLION, [2_000_000_000, 3_000_000_000]),  # two table values
        ("500万 3件", None, []),  # a count after the figure is not its remainder
        ("令和6年度 1,000億円", None, [100_000_000_000]),
        ("第2 500億円", None, [50_000_000_000]),  # an ordinal, then the amount
        ("1億 2024年度", OKU, [100_000_000]),  # a year after the figure is not its remainder
        ("R6.2.24 500億円", None, [50_000_000_000]),
    ],
)
def test_figures_that_cannot_be_one_stay_apart(
    text: str, default_unit: int | None, expected: list[int]
) -> None:
    reading = read_yen(text, default_unit=default_unit)
    assert [a.yen for a in reading.amounts] == expected
    assert reading.refusals == ()


# ---------------------------------------------------------------- ranges

# (text, default_unit, low, high): the upper end lends its unit (or just its 円) to a
# lower end written without it.
RANGES: list[tuple[str, int | None, int, int]] = [
    ("補助上限額：500万～1,000万円", None, 5_000_000, 10_000_000),
    ("500～1,000万円", None, 5_000_000, 10_000_000),
    ("500万円～1,000万円", None, 5_000_000, 10_000_000),
    ("500万円 〜 1,000万円", None, 5_000_000, 10_000_000),
    ("1億～2億円", None, 100_000_000, 200_000_000),
    ("5億～10億円程度", None, 500_000_000, 1_000_000_000),
    ("年収：800万～2000万円", None, 8_000_000, 20_000_000),
    ("3,000～4,000億円", None, 300_000_000_000, 400_000_000_000),
    ("3〜4兆円", None, 3 * CHO, 4 * CHO),
    ("五～十億円", None, 5 * OKU, 10 * OKU),
    ("1,000～2,000", OKU, 1_000 * OKU, 2_000 * OKU),
    ("1億 5,000万～2億円", None, 150_000_000, 200_000_000),
    ("¥5–10 billion", None, 5 * 10**9, 10 * 10**9),
]


@pytest.mark.parametrize(("text", "default_unit", "low", "high"), RANGES)
def test_a_range_is_one_value_with_both_ends(
    text: str, default_unit: int | None, low: int, high: int
) -> None:
    (value,) = find_yen_values(text, default_unit=default_unit)
    assert (value.low_yen, value.yen) == (low, high)
    assert value.is_range
    assert [a.yen for a in find_yen_amounts(text, default_unit=default_unit)] == [low, high]
    # one end of a range is not "the" amount
    assert parse_yen(text, default_unit=default_unit) is None


def test_a_range_keeps_its_qualifiers_and_its_text() -> None:
    (upper_limit,) = find_yen_values("補助上限額：500万～1,000万円")
    assert upper_limit.maximum
    assert upper_limit.text == "上限額:500万~1,000万円"
    (about,) = find_yen_values("5億～10億円程度")
    assert about.approximate


def test_ranges_and_single_amounts_in_one_sentence() -> None:
    text = "中小企業枠は500万～1,000万円、大規模枠は1億～2億円、総額は約50億円を予定。"
    values = find_yen_values(text)
    assert [(v.low_yen, v.yen) for v in values] == [
        (5_000_000, 10_000_000),
        (100_000_000, 200_000_000),
        (None, 5_000_000_000),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("500～1億2,000万円", "cannot take the unit"),  # 500万? 500億? the page does not say
        ("1億-2万円", "above its upper end"),
    ],
)
def test_a_range_that_cannot_be_read_gives_neither_end(text: str, reason: str) -> None:
    reading = read_yen(text)
    assert reading.amounts == ()
    assert reading.values == ()
    assert reading.refusals
    assert all(reason in refusal.reason for refusal in reading.refusals)


@pytest.mark.parametrize(
    ("low", "high", "written", "expected"),
    [
        (5_000_000, 10_000_000, "500～1,000万円", "500万円～1,000万円"),
        (100_000_000, 200_000_000, "1億～2億円", "1億円～2億円"),
        (500_000_000, 1_000_000_000, "5億～10億円程度", "5億円～10億円程度"),
        (300_000_000_000, 400_000_000_000, "約3,000～4,000億円", "約3,000億円～4,000億円"),
    ],
)
def test_a_range_is_shown_end_to_end(low: int, high: int, written: str, expected: str) -> None:
    assert format_oku_as_written(high, written, low_yen=low) == expected
    shown = find_yen_values(expected)
    assert [(v.low_yen, v.yen) for v in shown] == [(low, high)]  # and reads back


def test_range_formatting_in_both_styles() -> None:
    assert format_oku_range(5_000_000, 10_000_000) == "500万円～1,000万円"
    assert format_billions_range(5 * OKU, 10 * OKU) == "¥500.0 million to ¥1.0 billion"


@pytest.mark.parametrize(
    ("old", "new", "old_low", "new_low", "expected"),
    [
        (10_000_000, 15_000_000, 5_000_000, 5_000_000, "upper +500万円"),
        (10_000_000, 10_000_000, 5_000_000, 3_000_000, "lower −200万円"),
        (10_000_000, 15_000_000, 5_000_000, 3_000_000, "lower −200万円, upper +500万円"),
        (10_000_000, 10_000_000, None, 5_000_000, "now a range"),
        (10_000_000, 12_000_000, 5_000_000, None, "no longer a range"),
        (167 * 10**9, 192 * 10**9, None, None, "+250億円"),
    ],
)
def test_how_an_amount_moved(
    old: int, new: int, old_low: int | None, new_low: int | None, expected: str
) -> None:
    assert format_ends_delta(old, new, old_low=old_low, new_low=new_low) == expected


# ---------------------------------------------------------------- マイナス and other minus signs

MINUS: list[tuple[str, int | None, int]] = [
    ("前年度比マイナス12億円", None, -1_200_000_000),
    ("前年度比 マイナス 12億円", None, -1_200_000_000),
    ("マイナス12,345円", None, -12_345),
    ("増減 マイナス50億円", None, -5_000_000_000),
    ("ﾏｲﾅｽ12億円", None, -1_200_000_000),  # half-width katakana, NFKC
    ("前年度比△12億円", None, -1_200_000_000),
    ("前年度比▲12億円", None, -1_200_000_000),
    ("前年度比プラス300億円", None, 30_000_000_000),
    ("マイナス 1,000", MILLION, -1_000_000_000),  # a 前年度比 cell under （単位：百万円）
    ("▲ 1,000", MILLION, -1_000_000_000),
    ("△1,000", MILLION, -1_000_000_000),
    ("−1,000", MILLION, -1_000_000_000),
    ("－1,000", MILLION, -1_000_000_000),
    ("-1,000", MILLION, -1_000_000_000),
    ("マイナス 1,234 万 5,678円", None, -12_345_678),
]


@pytest.mark.parametrize(("text", "default_unit", "expected"), MINUS)
def test_minus_in_words_and_signs(text: str, default_unit: int | None, expected: int) -> None:
    assert parse_yen(text, default_unit=default_unit) == expected


def test_minus_sign_reaches_the_lower_end_of_a_range() -> None:
    (value,) = find_yen_values("△5～△3億円")
    assert (value.low_yen, value.yen) == (-5 * OKU, -3 * OKU)


@pytest.mark.parametrize(
    "text",
    [
        "マイナス千二百三十四円",  # kanji without 万/億/兆 stays no amount, as before
        "マイナス思考",
        "2024-02-24",
        "3-4",
    ],
)
def test_minus_words_and_dashes_that_are_not_negative_amounts(text: str) -> None:
    assert parse_yen(text) is None

"""Yen amounts: every notation the product spec lists, what must not be read, and formatting."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import unicodedata
from decimal import Decimal
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.extract import yen as yen_package
from watcher.extract.yen import (
    YenAmount,
    find_yen_amounts,
    find_yen_values,
    format_billions,
    format_delta_oku,
    format_oku,
    normalize_text,
    parse_yen,
    unit_multiplier,
)

YEN_MODULES = [
    importlib.import_module(f"watcher.extract.yen.{info.name}")
    for info in pkgutil.iter_modules(yen_package.__path__)
]
OKU = 10**8
CHO = 10**12
MILLION = 10**6

# (text, default_unit, expected yen) — the product spec's table, one row per notation.
SPEC_CASES: list[tuple[str, int | None, int]] = [
    ("4,760億円", None, 476_000_000_000),
    ("4760億円", None, 476_000_000_000),
    ("４，７６０億円", None, 476_000_000_000),
    ("４,７６０億円", None, 476_000_000_000),
    ("最大4,760億円", None, 476_000_000_000),
    ("約4,760億円", None, 476_000_000_000),
    ("上限4,760億円", None, 476_000_000_000),
    ("1兆2,000億円", None, 1_200_000_000_000),
    ("1兆2000億円", None, 1_200_000_000_000),
    ("1.2兆円", None, 1_200_000_000_000),
    ("102.4億円", None, 10_240_000_000),
    ("476,000", 10**6, 476_000_000_000),
    ("476,000", unit_multiplier("（単位：百万円）"), 476_000_000_000),
    ("476,000", unit_multiplier("（百万円）"), 476_000_000_000),
    ("4,760億円", 10**6, 476_000_000_000),  # the cell's own unit wins over the note
    ("476,000百万円", 10**3, 476_000_000_000),
    ("5,000", 10**3, 5_000_000),
    ("5,000", unit_multiplier("単位：千円"), 5_000_000),
    ("5,000千円", None, 5_000_000),
    ("四千七百六十億円", None, 476_000_000_000),
    ("一兆二千三百九十億円", None, 1_239_000_000_000),
    ("五十億円", None, 5_000_000_000),
    ("百億円", None, 10_000_000_000),
    ("一千億円", None, 100_000_000_000),
    ("約五十億円", None, 5_000_000_000),
    ("△50億円", None, -5_000_000_000),
    ("▲50億円", None, -5_000_000_000),
    ("¥476 billion", None, 476_000_000_000),
    ("¥476.0 billion", None, 476_000_000_000),
    ("￥476 billion", None, 476_000_000_000),
    ("JPY 476 billion", None, 476_000_000_000),
    ("JPY476 billion", None, 476_000_000_000),
    ("476 billion yen", None, 476_000_000_000),
    ("up to ¥476bn", None, 476_000_000_000),
    ("¥476 bn", None, 476_000_000_000),
    ("¥476,000 million", None, 476_000_000_000),
    ("JPY 476,000 million", None, 476_000_000_000),
    ("476,000 million yen", None, 476_000_000_000),
    ("¥1.23 trillion", None, 1_230_000_000_000),
    ("3兆693億円", None, 3_069_300_000_000),
    ("1兆2,390億円", None, 1_239_000_000_000),
    ("3,873億円", None, 387_300_000_000),
    ("929.3億円", None, 92_930_000_000),
    ("464.7億円", None, 46_470_000_000),
    ("約501億円", None, 50_100_000_000),
    ("約77.0億円", None, 7_700_000_000),
    ("25.6億円", None, 2_560_000_000),
    ("19.3億円", None, 1_930_000_000),
    ("1,000億円", None, 100_000_000_000),
    ("「1,000億円」", None, 100_000_000_000),
    ("5,000万円", None, 50_000_000),
    ("123円", None, 123),
    ("1億2,345万円", None, 123_450_000),
    ("約725億円", None, 72_500_000_000),
    ("4,760億円※1", None, 476_000_000_000),
    ("4,760億円(※2)", None, 476_000_000_000),
    ("4,760億円（※2）", None, 476_000_000_000),
    ("※1 4,760億円", None, 476_000_000_000),
    ("※1　4,760億円", 10**8, 476_000_000_000),
    ("4,760億円（うち2024年度 1,000億円）", None, 476_000_000_000),
    # seen on METI and IPA pages and in the press
    ("最大助成額：4,760億円", None, 476_000_000_000),
    ("7,320億円", None, 732_000_000_000),
    ("1,670億円", None, 167_000_000_000),
    ("10兆円以上", None, 10_000_000_000_000),
    ("50兆円超", None, 50_000_000_000_000),
    ("約160兆円", None, 160_000_000_000_000),
    ("統一1,000億円", None, 100_000_000_000),
    ("−¥5.0 billion", None, -5_000_000_000),
    ("+3,330億円", None, 333_000_000_000),
    ("−1,000億円", None, -100_000_000_000),
    ("△1,000", 10**6, -1_000_000_000),
    ("▲ 1,000", 10**6, -1_000_000_000),
    ("-500", 10**6, -500_000_000),
    ("4,760億", 10**8, 476_000_000_000),
    ("0", 10**6, 0),
    ("1,234円", None, 1_234),
    ("¥1,234", None, 1_234),
    ("5千万円", None, 50_000_000),
    ("2千億円", None, 200_000_000_000),
    ("about ¥476 billion", None, 476_000_000_000),
    ("JPY 732 billion", None, 732_000_000_000),
    ("Kioxia: ¥92.93 billion", None, 92_930_000_000),
]


@pytest.mark.parametrize(("text", "default_unit", "expected"), SPEC_CASES)
def test_parse_yen_reads_every_notation_in_the_spec(
    text: str, default_unit: int | None, expected: int
) -> None:
    assert parse_yen(text, default_unit=default_unit) == expected


NOT_AMOUNTS = [
    "approximately $7.9 billion",
    "US$7.9 billion",
    "USD 7.9 billion",
    "7.9 billion dollars",
    "7.9 billion US dollars",
    "79億ドル",
    "79億米ドル",
    "€5 billion",
    "令和6年度",
    "2024年",
    "2024年度",
    "第9条第4項",
    "55,000枚/月",
    "22/28nm",
    "22nm",
    "12/16 nm",
    "86.5%",
    "５G",
    "3件",
    "5社",
    "100名",
    "1,000人",
    "令和6年2月24日",
    "2024年2月30日",
    "R6.2.24",
    "R6/2/24",
    "H30.3.31",
    "2024/2/24",
    "2024.2.24",
    "2024-02-24",
    "February 24, 2024",
    "Feb. 24, 2024",
    "24 February 2024",
    "FY2026",
    "※1",
    "(※2)",
    "注1",
    "10:30",
    "（単位：億円）",
    "単位：百万円",
    "（百万円）",
    "(千円)",
    "百万円",
    "千円",
    "関東一円",
    "一部",
    "",
    "該当なし",
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_text_that_is_not_a_yen_amount_gives_none(text: str) -> None:
    assert parse_yen(text) is None


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_not_an_amount_even_under_a_unit_note(text: str) -> None:
    """A default_unit turns bare table values into amounts, never dates, counts or codes."""
    assert parse_yen(text, default_unit=10**6) is None


@pytest.mark.parametrize(
    "text",
    ["476,000", "5,000", "1,234", "-500"],
)
def test_bare_numbers_need_a_unit_note(text: str) -> None:
    assert parse_yen(text) is None
    assert find_yen_amounts(text) == ()


@pytest.mark.parametrize("text", ["476 billion", "¥476m", "476m"])
def test_english_scale_without_currency(text: str) -> None:
    """'476 billion' is yen only in a yen column; '476m' could be metres, unless ¥ says so."""
    expected = 476_000_000_000 if "billion" in text else 476_000_000
    assert parse_yen(text) == (expected if "¥" in text else None)


def test_a_cell_with_two_amounts_gives_both_in_order() -> None:
    amounts = find_yen_amounts("4,760億円（うち2024年度 1,000億円）")
    assert [a.yen for a in amounts] == [476_000_000_000, 100_000_000_000]
    assert [a.text for a in amounts] == ["4,760億円", "1,000億円"]


def test_cloud_programme_rows_read_with_qualifiers() -> None:
    text = (
        "さくらインターネット株式会社 約501億円、KDDI株式会社 約102.4億円、"
        "株式会社ハイレゾ・株式会社ハイレゾ香川（共同申請） 約77.0億円、"
        "株式会社RUTILEA・株式会社AI福島（共同申請） 約25.6億円、"
        "GMOインターネットグループ株式会社 約19.3億円（合計 約725億円）"
    )
    amounts = find_yen_amounts(text)
    assert [a.yen for a in amounts] == [
        50_100_000_000,
        10_240_000_000,
        7_700_000_000,
        2_560_000_000,
        1_930_000_000,
        72_500_000_000,
    ]
    assert all(a.approximate and not a.maximum for a in amounts)


def test_budget_headline_reads_all_figures() -> None:
    text = (
        "令和8年度予算案 経済産業省 3兆693億円。うちAI・半導体 1兆2,390億円、"
        "AI基盤モデル・フィジカルAI 3,873億円、重要鉱物 50億円（新規）"
    )
    assert [a.yen for a in find_yen_amounts(text)] == [
        3_069_300_000_000,
        1_239_000_000_000,
        387_300_000_000,
        5_000_000_000,
    ]


def test_english_press_paragraph() -> None:
    text = (
        "Japan approved up to ¥476 billion for JASM on June 17, 2022, "
        "and JPY 732 billion in February 2024; Micron (US$1.5 billion) got ¥46.47 billion."
    )
    amounts = find_yen_amounts(text)
    assert [a.yen for a in amounts] == [476_000_000_000, 732_000_000_000, 46_470_000_000]
    assert amounts[0].maximum
    assert amounts[0].text == "up to ¥476 billion"


@pytest.mark.parametrize(
    ("text", "approximate", "maximum", "matched"),
    [
        ("4,760億円", False, False, "4,760億円"),
        ("約4,760億円", True, False, "約4,760億円"),
        ("最大4,760億円", False, True, "最大4,760億円"),
        ("上限4,760億円", False, True, "上限4,760億円"),
        ("上限額 4,760億円", False, True, "上限額 4,760億円"),
        ("最大約4,760億円", True, True, "最大約4,760億円"),
        ("およそ4,760億円", True, False, "およそ4,760億円"),
        ("approximately ¥476 billion", True, False, "approximately ¥476 billion"),
        ("up to ¥476bn", False, True, "up to ¥476bn"),
        ("a maximum of JPY 476 billion", False, True, "a maximum of JPY 476 billion"),
        ("△50億円", False, False, "△50億円"),
        ("４，７６０億円", False, False, "4,760億円"),
    ],
)
def test_amount_flags_and_matched_text(
    text: str, approximate: bool, maximum: bool, matched: str
) -> None:
    (amount,) = find_yen_amounts(text)
    assert amount.approximate is approximate
    assert amount.maximum is maximum
    assert amount.text == matched


@pytest.mark.parametrize(
    "text",
    [
        "JASMに最大４，７６０億円（※1）を助成",
        "※1 約4,760億円、※2 △50億円",
        "Up to ¥476.0 billion (approx.)",
        "令和4年6月17日 4,760億円",
    ],
)
def test_span_indexes_the_normalised_text(text: str) -> None:
    normalised = normalize_text(text)
    assert normalised == unicodedata.normalize("NFKC", text)
    amounts = find_yen_amounts(text)
    assert amounts
    for amount in amounts:
        assert normalised[amount.start : amount.end] == amount.text


def test_footnote_marker_digits_are_not_picked_up() -> None:
    for text in ("4,760億円※1", "4,760億円(※2)", "※1 4,760億円", "4,760億円※12"):
        assert [a.yen for a in find_yen_amounts(text, default_unit=OKU)] == [476_000_000_000]


@pytest.mark.parametrize(
    ("text", "default_unit", "expected"),
    [
        ("①4,760億円", None, [476_000_000_000]),  # NFKC alone would make this 14,760億円
        ("4,760億円①", OKU, [476_000_000_000]),
        ("¹4,760億円", None, [476_000_000_000]),
        ("4,760億円²", None, [476_000_000_000]),
        ("4,760 億円", None, [476_000_000_000]),  # text taken from a PDF
        ("1兆 2,390 億円", None, [1_239_000_000_000]),
        ("4,760億 1,000億", OKU, [476_000_000_000, 100_000_000_000]),
        ("3,000～4,000億円", None, [300_000_000_000, 400_000_000_000]),
        ("3〜4兆円", None, [3 * CHO, 4 * CHO]),
        ("1. 500", MILLION, [500_000_000]),  # a numbered list, then the value
        ("2) 500", MILLION, [500_000_000]),
        ("2,000 3,000", MILLION, [2_000_000_000, 3_000_000_000]),
        ("令和6年2月24日 4,760", OKU, [476_000_000_000]),
        ("(単位：億円) 4,760", OKU, [476_000_000_000]),
    ],
)
def test_markers_ranges_and_spacing(
    text: str, default_unit: int | None, expected: list[int]
) -> None:
    amounts = find_yen_amounts(text, default_unit=default_unit)
    assert [a.yen for a in amounts] == expected
    normalised = normalize_text(text)
    assert all(normalised[a.start : a.end] == a.text for a in amounts)


def test_unit_note_cell_is_not_an_amount_itself() -> None:
    assert find_yen_amounts("金額（単位：百万円）", default_unit=10**6) == ()


def test_yen_amount_is_frozen() -> None:
    (amount,) = find_yen_amounts("4,760億円")
    assert isinstance(amount, YenAmount)
    with pytest.raises(AttributeError):
        amount.yen = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("（単位：億円）", OKU),
        ("(単位:億円)", OKU),
        ("単位：百万円", MILLION),
        ("（単位 百万円）", MILLION),
        ("（百万円）", MILLION),
        ("金額（百万円）", MILLION),
        ("単位：千円", 10**3),
        ("（千円）", 10**3),
        ("（円）", 1),
        ("単位：円", 1),
        ("（単位：兆円）", CHO),
        ("（万円）", 10**4),
        ("(millions of yen)", MILLION),
        ("(Millions of yen)", MILLION),
        ("(billions of yen)", 10**9),
        ("(thousands of yen)", 10**3),
        ("(¥ million)", MILLION),
        ("(JPY billion)", 10**9),
        ("Unit: million yen", MILLION),
        ("in billions of yen", 10**9),
        ("(yen)", 1),
        ("最大助成額", None),
        ("令和6年度", None),
        ("4,760億円", None),
        ("", None),
    ],
)
def test_unit_multiplier(note: str, expected: int | None) -> None:
    assert unit_multiplier(note) == expected


@pytest.mark.parametrize(
    ("yen", "expected"),
    [
        (476_000_000_000, "4,760億円"),
        (10_240_000_000, "102.4億円"),
        (1_239_000_000_000, "1兆2,390億円"),
        (3_069_300_000_000, "3兆693億円"),
        (92_930_000_000, "929.3億円"),
        (46_470_000_000, "464.7億円"),
        (100_000_000_000, "1,000億円"),
        (3_000_000_000_000, "3兆円"),
        (160_000_000_000_000, "160兆円"),
        (1_000_500_000_000, "1兆5億円"),
        (100_000_000, "1億円"),
        (123_450_000, "1.2345億円"),
        (-5_000_000_000, "△50億円"),
        (-1_239_000_000_000, "△1兆2,390億円"),
        (50_000_000, "5,000万円"),
        (10_000, "1万円"),
        (1_234, "1,234円"),
        (12_345_678, "12,345,678円"),
        (0, "0円"),
    ],
)
def test_format_oku(yen: int, expected: str) -> None:
    assert format_oku(yen) == expected


@pytest.mark.parametrize(
    ("yen", "expected"),
    [
        (476_000_000_000, "¥476.0 billion"),
        (732_000_000_000, "¥732.0 billion"),
        (1_230_000_000_000, "¥1.23 trillion"),
        (1_239_000_000_000, "¥1.239 trillion"),
        (3_069_300_000_000, "¥3.0693 trillion"),
        (3_000_000_000_000, "¥3.0 trillion"),
        (10_240_000_000, "¥10.24 billion"),
        (92_930_000_000, "¥92.93 billion"),
        (46_470_000_000, "¥46.47 billion"),
        (7_700_000_000, "¥7.7 billion"),
        (1_000_000_000, "¥1.0 billion"),
        (1_000_000_000_000_000, "¥1,000.0 trillion"),
        (-5_000_000_000, "−¥5.0 billion"),
        (50_000_000, "¥50.0 million"),
        (1_234, "¥1,234"),
        (0, "¥0"),
    ],
)
def test_format_billions(yen: int, expected: str) -> None:
    assert format_billions(yen) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (333_000_000_000, "+3,330億円"),
        (-100_000_000_000, "−1,000億円"),
        (10_240_000_000, "+102.4億円"),
        (-50_000_000, "−5,000万円"),
        (0, "±0円"),
    ],
)
def test_format_delta_oku(delta: int, expected: str) -> None:
    assert format_delta_oku(delta) == expected


@pytest.mark.parametrize("module", YEN_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests_pass(module: ModuleType) -> None:
    results = doctest.testmod(module)
    assert results.attempted >= 1
    assert results.failed == 0


@pytest.mark.parametrize(
    "text",
    [
        "1,234," * 170_000,  # a megabyte of digits and commas on one line
        "1" * 1_000_000,
        "億" * 1_000_000,
        "１，" * 500_000,
        "1." * 500_000,
        "約" * 1_000_000,
        "一" * 1_000_000,
    ],
)
def test_pathological_megabyte_lines_finish_and_find_nothing(text: str) -> None:
    assert find_yen_amounts(text, default_unit=10**6) == ()


def test_megabyte_of_real_amounts_is_read_through() -> None:
    text = "約4,760億円、" * 20_000
    amounts = find_yen_amounts(text)
    assert len(amounts) == 20_000
    assert {a.yen for a in amounts} == {476_000_000_000}


# --- properties -------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
_KANJI = "〇一二三四五六七八九"


def _kanji_below_man(n: int) -> str:
    """1 ≤ n < 10,000 in kanji numerals: 4760 → 四千七百六十."""
    out = []
    for place, mark in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, place)
        if digit:
            out.append(("" if digit == 1 else _KANJI[digit]) + mark)
    if n:
        out.append(_KANJI[n])
    return "".join(out)


def _kanji_oku(oku: int) -> str:
    """A whole number of 億 in kanji numerals: 12390 → 一兆二千三百九十億円."""
    cho, rest = divmod(oku, 10**4)
    text = (_kanji_below_man(cho) + "兆") if cho else ""
    if rest:
        text += _kanji_below_man(rest) + "億"
    return text + "円"


def _oku_forms(oku: int) -> list[str]:
    forms = [f"{oku:,}億円", f"{oku}億円", f"約{oku:,}億円", f"最大{oku:,}億円"]
    forms.append(f"{oku:,}億円".translate(_FULL_WIDTH))
    cho, rest = divmod(oku, 10**4)
    if cho:
        forms.append(f"{cho}兆{rest:,}億円" if rest else f"{cho}兆円")
        forms.append(f"{cho}兆{rest}億円" if rest else f"{cho:,}兆円")
    forms.append(format_oku(oku * OKU))
    forms.append(_kanji_oku(oku))
    return forms


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999))
def test_round_trip_oku_notations(oku: int) -> None:
    yen = oku * OKU
    for form in _oku_forms(oku):
        assert parse_yen(form) == yen, form
        assert parse_yen("△" + form.removeprefix("約").removeprefix("最大")) == -yen, form


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**7))
def test_round_trip_tenths_of_oku(tenths: int) -> None:
    """102.4億円 and the like: amounts with one decimal of 億."""
    yen = tenths * 10**7
    text = f"{Decimal(tenths) / 10:,}億円"
    assert parse_yen(text) == yen
    assert parse_yen(f"約{text}".translate(_FULL_WIDTH)) == yen


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**8))
def test_round_trip_english_billions(hundredths: int) -> None:
    yen = hundredths * 10**7  # ¥0.01 billion steps
    billions = Decimal(hundredths) / 100
    forms = [
        f"¥{billions} billion",
        f"¥{billions:,.2f} billion",
        f"JPY {billions} billion",
        f"{billions} billion yen",
        f"up to ¥{billions}bn",
        f"¥{billions} bn",
    ]
    if yen < CHO:
        forms.append(format_billions(yen))
    for form in forms:
        assert parse_yen(form) == yen, form


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**6))
def test_round_trip_trillions(hundredths: int) -> None:
    yen = hundredths * 10**10
    assert parse_yen(format_billions(yen)) == yen
    assert parse_yen(f"¥{Decimal(hundredths) / 100} trillion") == yen


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_round_trip_millions_and_unit_notes(millions: int) -> None:
    yen = millions * MILLION
    for form in (
        f"¥{millions:,} million",
        f"JPY {millions:,} million",
        f"{millions:,} million yen",
    ):
        assert parse_yen(form) == yen, form
    assert parse_yen(f"{millions:,}", default_unit=unit_multiplier("（単位：百万円）")) == yen
    assert parse_yen(f"{millions:,}".translate(_FULL_WIDTH), default_unit=MILLION) == yen
    assert parse_yen(f"△{millions:,}", default_unit=MILLION) == -yen
    assert parse_yen(f"{millions:,}", default_unit=10**3) == millions * 10**3


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**16), max_value=10**16))
def test_format_oku_and_delta_read_back_exactly(yen: int) -> None:
    assert parse_yen(format_oku(yen)) == yen
    assert parse_yen(format_delta_oku(yen)) == yen


# Text made of the pieces amounts are made of, so the parser's corners get exercised.
_AMOUNTISH = st.lists(
    st.sampled_from(
        [
            *"0123456789０１２,，..億兆万千百十円¥$△▲-−+ 約最大上限年月日度※()（）一二五七①²",
            *("billion", "million", "yen", "JPY", "US$", "令和", "R", "FY", "/", "ドル", "\n"),
            *("～", "〜", "~", "マイナス", "程度", "\u3000", "\u2009", "  ", "\t"),
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), _AMOUNTISH), st.sampled_from([None, 1, 10**3, 10**6, 10**8]))
def test_never_raises_and_gives_ints(text: str, default_unit: int | None) -> None:
    amounts = find_yen_amounts(text, default_unit=default_unit)
    normalised = normalize_text(text)
    for amount in amounts:
        assert type(amount.yen) is int
        assert normalised[amount.start : amount.end] == amount.text
    assert [a.start for a in amounts] == sorted(a.start for a in amounts)
    values = find_yen_values(text, default_unit=default_unit)
    first = parse_yen(text, default_unit=default_unit)
    assert first == (values[0].yen if values and not values[0].is_range else None)
    # a range's two ends are amounts of their own; every other value is one amount
    assert sum(2 if v.is_range else 1 for v in values) == len(amounts)
    for value in values:
        assert normalised[value.start : value.end] == value.text
        assert value.low_yen is None or value.low_yen <= value.yen
    assert unit_multiplier(text) in {None, 1, 10**3, 10**4, 10**6, 10**7, 10**8, 10**9, CHO}

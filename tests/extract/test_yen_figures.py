"""Property: no parsed amount leaves digits of its figure unread.

Figures are generated the way pages write them — groups of 兆/億/万 and a remainder, with
or without commas, full-width digits, and any spacing (ASCII, full-width, thin, tabs,
several) between groups, units and 円 — inside a sentence. Some are then spoiled the way
hand-typed text spoils them (a remainder too large for its 万, plain spaces between groups
of three digits, a trailing number without 円). Whatever the spelling, an amount that
touches the figure covers every digit of it; a well-formed figure is read, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.extract.yen import find_yen_amounts, find_yen_values, normalize_text, read_yen

SPACES = ["", "", " ", "  ", "\u3000", "\u2009", "\t", " \u3000"]
UNITS = (("兆", 10**12), ("億", 10**8), ("万", 10**4))
_FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")
CONTEXT = [
    ("補助額は", "とする。"),
    ("最大助成額：", ""),
    ("", "（予定）"),
    ("交付決定額 ", "、"),
    ("・", " ※1"),
]


@dataclass(frozen=True)
class Written:
    text: str
    start: int  # the figure is text[start:end]
    end: int
    yen: int | None  # None: spoiled, no value may be read from it


def _number(draw: st.DrawFn, n: int) -> str:
    style = draw(st.sampled_from(["comma", "plain", "full"]))
    if style == "plain":
        return str(n)
    text = f"{n:,}"
    return text.translate(_FULL_WIDTH) if style == "full" else text


@st.composite
def figures(draw: st.DrawFn) -> Written:
    parts = {unit: draw(st.integers(0, 9_999)) for unit, _ in UNITS}
    rest = draw(st.integers(0, 9_999))
    if not any(parts.values()):
        parts["万"] = draw(st.integers(1, 9_999))
    spoil = draw(st.sampled_from([None, None, None, "big_remainder", "si_spaces", "no_yen"]))
    if spoil == "big_remainder" and not parts["万"]:
        parts["万"] = draw(st.integers(1, 9_999))  # 20,000 is too large a remainder for 万
    pieces: list[str] = []
    for unit, _ in UNITS:
        if parts[unit]:
            pieces += [_number(draw, parts[unit]), draw(st.sampled_from(SPACES)), unit]
            pieces.append(draw(st.sampled_from(SPACES)))
    yen: int | None = sum(parts[u] * v for u, v in UNITS) + rest
    if spoil == "big_remainder":
        pieces += [" ", f"{draw(st.integers(10_000, 99_999)):,}"]
        yen = None
    elif spoil == "si_spaces":
        pieces = [str(draw(st.integers(1, 999))), " ", f"{draw(st.integers(0, 999)):03d}"]
        yen = None
    elif rest:
        pieces += [" " if pieces and not pieces[-1] else "", _number(draw, rest)]
    figure = "".join(pieces).rstrip(" \t\u3000\u2009")
    closing = "" if spoil == "no_yen" else draw(st.sampled_from(SPACES)) + "円"
    if spoil == "no_yen" and not rest:
        yen = None  # "1,234万" without 円 is no yen amount on its own (no unit note here)
    elif spoil == "no_yen":
        yen = None  # "1,234万 5,678": remainder or another figure?
    before, after = draw(st.sampled_from(CONTEXT))
    text = before + figure + closing + after
    return Written(text=text, start=len(before), end=len(before) + len(figure), yen=yen)


def _digits(text: str, start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if text[i].isdigit()]


@settings(max_examples=400, deadline=None)
@given(figures())
def test_no_parsed_amount_leaves_digits_of_its_figure_unread(written: Written) -> None:
    normalised = normalize_text(written.text)
    assert len(normalised) == len(written.text)  # every character here maps to one
    digits = _digits(normalised, written.start, written.end)
    for amount in find_yen_amounts(written.text):
        touches = amount.start < written.end and written.start < amount.end
        if touches:
            unread = [i for i in digits if not amount.start <= i < amount.end]
            assert not unread, f"{amount.text!r} leaves {normalised[unread[0]]!r} of {normalised!r}"


@settings(max_examples=400, deadline=None)
@given(figures())
def test_a_well_formed_figure_is_read_exactly_and_a_spoiled_one_not_at_all(written: Written) -> None:
    reading = read_yen(written.text)
    inside = [a for a in reading.amounts if a.start < written.end and written.start < a.end]
    if written.yen is None:
        assert inside == []
    else:
        assert [a.yen for a in inside] == [written.yen], written.text


@settings(max_examples=200, deadline=None)
@given(figures(), figures(), st.sampled_from(["～", "〜", "~", " ～ "]))
def test_a_range_of_two_figures_reads_both_ends_or_neither(
    low: Written, high: Written, mark: str
) -> None:
    if low.yen is None or high.yen is None:
        return
    low_figure = low.text[low.start : low.end] + "円"
    high_figure = high.text[high.start : high.end] + "円"
    values = find_yen_values(f"補助上限額：{low_figure}{mark}{high_figure}")
    if low.yen <= high.yen:
        assert [(v.low_yen, v.yen) for v in values] == [(low.yen, high.yen)]
    else:
        assert values == ()  # ends out of order: neither end is an amount

"""What a title says about time: a budget document's stage, its fiscal year, a list's period,
and the title without them (a table's identity; watcher.diff.matching states the rule).

>>> title_identity("令和8年度 経済産業省関係 概算要求のポイント") == title_identity("令和8年度経済産業省関係予算案のポイント")
True
>>> document_stage("令和7年度 補正予算案の概要"), document_stage("認定計画一覧")
('補正予算', None)
>>> list_period("補助金に関する情報開示（令和7年10月から令和8年3月）")
'令和7年10月〜令和8年3月'
"""

from __future__ import annotations

import re
import unicodedata

from watcher.extract.dates import fiscal_year
from watcher.extract.identity import norm_text, strip_footnotes, strip_unit_note

__all__ = ["STAGES", "document_stage", "list_period", "title_facts", "title_identity"]

# The stages of a budget, each with the words that name it, most specific first.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("補正予算", ("補正予算", "補正")),
    ("概算要求", ("概算要求",)),
    ("予算案", ("予算案", "予算(案)", "政府案")),
    ("当初予算", ("当初予算",)),
    ("決定", ("予算成立", "成立予算", "予算決定", "決定")),
)

_ERA = r"(?:令和|平成|R|H)\s?(?:元|[0-9]{1,2})"
_YEAR = rf"(?:{_ERA}|[0-9]{{4}})\s?年"
# 令和6年10月から令和7年3月, 令和6年10月～7年3月, 2024年10月-2025年3月
_PERIOD = re.compile(
    rf"(?P<a>{_YEAR}\s?[0-9]{{1,2}}\s?月)\s?(?:から|より|~|〜|～|-|–|—|―)\s?"
    rf"(?P<b>(?:{_YEAR}\s?)?[0-9]{{1,2}}\s?月)(?:まで|分)?"
)
_HALF = re.compile(rf"(?P<a>{_YEAR}度?\s?(?:上期|下期|上半期|下半期|第[1-4一二三四]四半期))")
_FY = rf"(?:{_YEAR}度|FY\s?'?[0-9]{{2,4}}|fiscal\s+(?:year\s+)?[0-9]{{4}})"
_DATE = rf"{_YEAR}\s?[0-9]{{1,2}}\s?月(?:\s?[0-9]{{1,2}}\s?日)?(?:現在|時点|更新)?"
_DROP = re.compile(
    "|".join([
        re.sub(r"\?P<\w+>", "?:", _PERIOD.pattern), re.sub(r"\?P<\w+>", "?:", _HALF.pattern),
        _FY, _DATE, rf"{_YEAR}",
        r"[0-9,]+\s?件", r"(?:上期|下期|上半期|下半期)",
        *(rf"{re.escape(w)}(?:\(案\)|案)?" for _, words in STAGES for w in words),
        r"予算", r"のポイント", r"ポイント", r"の概要", r"概要", r"\(案\)", r"(?<=\S)案$",
        r"閣議決定", r"要求",
    ]),
    re.IGNORECASE,
)
_NUMBERING = re.compile(r"^\s*(?:[0-9]{1,2}|[IVXⅠ-Ⅹ]{1,4}|第[0-9一二三四五六七八九十]{1,3}[章節部]?)\s*[.．、]\s*")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def title_identity(name: str) -> str:
    """A table name with its years, periods, dates, counts, stage and title words dropped.

    >>> title_identity("令和6年度の認定（14件）"), title_identity("1．認定した供給確保計画の概要")
    ('の認定', '認定した供給確保計画')
    """
    text = strip_unit_note(strip_footnotes(_nfkc(name)))
    text = _NUMBERING.sub("", text)
    return norm_text(_DROP.sub(" ", text))


def document_stage(text: str) -> str | None:
    """The budget stage a title names (補正予算, 概算要求, 予算案, 当初予算, 決定), or None."""
    normalised = _nfkc(text)
    for stage, words in STAGES:
        if any(_nfkc(word) in normalised for word in words):
            return stage
    return None


def list_period(text: str) -> str | None:
    """The period a list's title names: 令和7年10月〜令和8年3月, 令和7年度下期, or 令和7年度."""
    normalised = _nfkc(text)
    match = _PERIOD.search(normalised)
    if match:
        return f"{_tidy(match.group('a'))}〜{_tidy(match.group('b'))}"
    half = _HALF.search(normalised)
    if half:
        return _tidy(half.group("a"))
    year = re.search(rf"{_YEAR}度|FY\s?[0-9]{{4}}", normalised, re.IGNORECASE)
    return _tidy(year.group()) if year else None


def _tidy(text: str) -> str:
    return re.sub(r"\s+", "", text)


def title_facts(title: str, *, budget: bool = False) -> tuple[tuple[str, str], ...]:
    """Document.meta entries from a document's title: title, fiscal_year, period (and the
    stage, for a budget document)."""
    title = " ".join(_nfkc(title).split())
    if not title:
        return ()
    facts = [("title", title)]
    stage = document_stage(title) if budget else None
    if stage:
        facts.append(("stage", stage))
    year = fiscal_year(title)
    if year:
        facts.append(("fiscal_year", str(year)))
    period = list_period(title)
    if period:
        facts.append(("period", period))
    return tuple(facts)

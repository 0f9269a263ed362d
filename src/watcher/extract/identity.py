"""Row identity for subsidy tables: which cells name a row, and how to compare them.

A row is the same row in the next snapshot when the same recipient has the same
plan, whatever its position, its amount or the way its name is typed. So the key
is built from the recipient and the plan/site cells only, normalised so that
cosmetic edits do not matter:

* NFKC (``㈱`` → ``(株)``, full-width → half-width), ※/*/注 footnote markers
  removed, lowercase, and every space, punctuation mark and symbol dropped;
* company forms (株式会社, (株), 合同会社, Inc., K.K., ...) stripped wherever they
  stand, so 前株 and 後株 spellings of one name are one name;
* the plan/outline contributes only its headline: the first line (or first
  sentence) of the cell, cut at ``PLAN_PREFIX`` normalised characters. METI's
  outlines put the site and product first ("広島県東広島市（広島工場）：1γ世代DRAM")
  and capacity, shareholders and prose after, so an edit of the details keeps
  the identity; an edit of the headline itself is caught by the diff's
  similarity pairing instead. (A plain 40-character prefix of the whole cell was
  tried and rejected: English outlines spend 40 characters on the site alone,
  so two plans at one plant collided.)

Columns have roles (``classify_label``): a 法人番号 or a decision code (採択番号, 交付番号, …)
is an ``identifier`` — kept on the Record, never in the readable name; 公益法人の区分,
会計区分, 目名称 and other 区分 columns are ``attribute`` s — compared as cells, told apart
by, but neither name nor key. A cell under 番号 / No. that holds a plain number of at most
four digits is a running number: the row's position (``is_running_number``). Which cells
make two rows of two snapshots one record is stated in watcher.diff.matching.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Literal

from watcher.bidi import strip_bidi

__all__ = [
    "PLAN_PREFIX",
    "ColumnKind",
    "classify_label",
    "display_text",
    "is_amount_text",
    "is_running_number",
    "is_total",
    "norm_company",
    "norm_text",
    "plan_headline",
    "row_identity",
    "short_plan",
    "strip_footnotes",
    "strip_unit_note",
    "unique_keys",
    "unique_names",
]

PLAN_PREFIX = 64
# How much of the plan the readable entity shows, in display columns (a CJK
# character is two columns, ASCII one: English needs about twice the letters).
ENTITY_PLAN_WIDTH = 100

ColumnKind = Literal["recipient", "plan", "date", "index", "identifier", "attribute", "other"]

# Footnote markers: ※, ※1, *1, 注1, (注), (注2). A digit run is taken only when no
# further digit, comma or point follows, so "※ 4,760億円" keeps its amount.
_FOOTNOTE = re.compile(r"[※*](?:\d{1,2}(?![\d,.]))?|\(注\d{0,2}\)|(?<![A-Za-z])注\d{1,2}(?![\d,.])")
# Unit notes inside a label or caption: (単位:億円), (億円), 単位:百万円, (JPY billion).
_UNIT_NOTE = re.compile(
    r"\(\s*(?:単位\s*[:：]?\s*)?[兆億千百万]*円\s*\)|単位\s*[:：]?\s*[兆億千百万]*円"
    r"|\(\s*(?:unit\s*:\s*)?(?:¥|jpy|yen)?\s*(?:trillion|billion|million|thousand)s?"
    r"(?:\s+of\s+(?:yen|jpy))?\s*\)",
    re.IGNORECASE,
)
_COMPANY_FORMS = re.compile(
    r"株式会社|合同会社|有限会社|合資会社|合名会社|\((?:株|同|有|資|名)\)"
    r"|\b(?:co\.?,?\s*ltd\.?|inc\.?|corp(?:oration)?\.?|k\.\s?k\.?|g\.\s?k\.?|llc|limited|ltd\.?)"
    r"(?![a-z])",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")

_RECIPIENT = re.compile(
    r"事業者|申請者|会社|企業|社名|法人|受給者|交付先|出資先|"
    r"recipient|company|companies|operator|applicant|grantee|beneficiar|firm",
    re.IGNORECASE,
)
_PLAN = re.compile(
    r"計画|概要|所在地|工場|事業所|拠点|立地|場所|内容|名称|品目|製品|事業名|件名|"
    r"project|site|plan|outline|location|facility|facilities|product|description|summary|title",
    re.IGNORECASE,
)
_DATE = re.compile(r"日$|日付|年月日|年月$|時期|date|\bwhen\b", re.IGNORECASE)
_INDEX = re.compile(r"^(?:no\.?|番号|項番|通し番号|整理番号|#|順|順番|number)$", re.IGNORECASE)
_IDENTIFIER = re.compile(
    r"法人番号|採択番号|交付番号|認定番号|管理番号|受付番号|決定番号|事業番号|承認番号|登録番号|"
    r"(?<![a-z])id$|コード|corporate\s*number|reference\s*(?:no|number)",
    re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"区分|会計|目名称|\(目\)名称|所管|該当|種別|category|account", re.IGNORECASE)
_RUNNING_NUMBER = re.compile(r"[0-9]{1,4}")
_TOTALS = frozenset({"合計", "総計", "計", "小計", "総額", "total", "grandtotal", "subtotal"})


def strip_footnotes(text: str) -> str:
    """Remove ※/*/注 footnote markers (the text must be NFKC-normalised).

    >>> strip_footnotes("4,760億円※1")
    '4,760億円'
    >>> strip_footnotes("※ 4,760億円")
    ' 4,760億円'
    """
    return _FOOTNOTE.sub("", text)


def strip_unit_note(text: str) -> str:
    """Remove a unit note from a label or caption: 最大助成額（億円） → 最大助成額."""
    normalised = unicodedata.normalize("NFKC", text)
    return _WS.sub(" ", _UNIT_NOTE.sub("", normalised)).strip()


def display_text(text: str) -> str:
    """Text for people: NFKC, footnote markers and bidi controls removed, whitespace collapsed."""
    normalised = strip_bidi(unicodedata.normalize("NFKC", text))
    return _WS.sub(" ", strip_footnotes(normalised)).strip()


class _PunctuationTable(dict[int, int | None]):
    """str.translate table that deletes punctuation, symbols, separators and controls.

    Filled lazily, one entry per character seen: a character's Unicode category is
    looked up once, then translate() runs at C speed.
    """

    def __missing__(self, codepoint: int) -> int | None:
        drop = unicodedata.category(chr(codepoint))[0] in ("P", "S", "Z", "C")
        value = None if drop else codepoint
        self[codepoint] = value
        return value


_DROP_PUNCTUATION = _PunctuationTable()


def norm_text(text: str) -> str:
    """Comparison form: NFKC, no footnote markers, lowercase, no spaces, punctuation or symbols.

    >>> norm_text("熊本県菊池郡菊陽町（第１工場）※2")
    '熊本県菊池郡菊陽町第1工場'
    """
    normalised = strip_footnotes(unicodedata.normalize("NFKC", text)).lower()
    return normalised.translate(_DROP_PUNCTUATION)


def norm_company(text: str) -> str:
    """Comparison form of a company name, legal form stripped wherever it is written.

    >>> norm_company("㈱ハイレゾ") == norm_company("株式会社 ハイレゾ") == norm_company("ハイレゾ株式会社")
    True
    >>> norm_company("Micron Memory Japan, K.K.")
    'micronmemoryjapan'
    """
    normalised = strip_footnotes(unicodedata.normalize("NFKC", text))
    return norm_text(_COMPANY_FORMS.sub(" ", normalised))


@functools.lru_cache(maxsize=4096)
def classify_label(label: str) -> ColumnKind:
    """What a descriptive column holds, judged by its header label."""
    normalised = strip_unit_note(strip_footnotes(unicodedata.normalize("NFKC", label))).strip()
    if _INDEX.match(normalised):
        return "index"
    if _IDENTIFIER.search(normalised):
        return "identifier"
    if _ATTRIBUTE.search(normalised):
        return "attribute"
    if _RECIPIENT.search(normalised):
        return "recipient"
    if _DATE.search(normalised):
        return "date"
    if _PLAN.search(normalised):
        return "plan"
    return "other"


def is_running_number(text: str) -> bool:
    """Whether a 番号/No. cell is a running number (position), not a code (identity).

    >>> is_running_number("１２"), is_running_number("R6-015"), is_running_number("20240153")
    (True, False, False)
    """
    return bool(_RUNNING_NUMBER.fullmatch(unicodedata.normalize("NFKC", text).strip().rstrip(".")))


def is_total(text: str) -> bool:
    """Whether a cell marks a total row (合計, 総 計, Total)."""
    return norm_text(text) in _TOTALS


def _first_sentence(lines: tuple[str, ...]) -> str:
    first = display_text(lines[0]) if lines else ""
    for stop in ("。", ". "):
        if stop in first:
            first = first.split(stop, 1)[0]
    return first


def plan_headline(lines: tuple[str, ...]) -> str:
    """The identity part of a plan/outline cell: its first line or sentence, normalised and cut.

    >>> plan_headline(("広島県東広島市（広島工場）：1γ世代DRAM", "EUV露光装置を導入"))
    '広島県東広島市広島工場1γ世代dram'
    """
    return norm_text(_first_sentence(lines))[:PLAN_PREFIX]


def short_plan(lines: tuple[str, ...]) -> str:
    """The first line of a plan/outline cell for people, cut at a sentence end or ENTITY_PLAN_WIDTH."""
    first = _first_sentence(lines)
    width = 0
    for index, ch in enumerate(first):
        width += 1 if ch.isascii() else 2
        if width > ENTITY_PLAN_WIDTH:
            cut = first[:index]
            if cut.isascii() and " " in cut:
                cut = cut.rsplit(" ", 1)[0]  # English: end on a word
            return cut.rstrip(" ,;:") + "…"
    return first


# Everything an amount-only cell may hold besides its digits: qualifiers, units,
# currency marks, signs and brackets. Kanji numerals cover 四千七百六十億円.
_AMOUNT_FILLER = re.compile(
    r"最大|上限|限度額?|約|およそ|概ね|総額|マイナス|プラス|程度|前後|[億兆万千百十円¥〇一二三四五六七八九〜]"
    r"|jpy|yen|trillion|billion|million|thousand|approx(?:imately|\.)?|about|up\s+to|"
    r"maximum|max\.?|[\d,.\s△▲+\-−()\[\]:~]",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"[\d〇一二三四五六七八九十]")


def is_amount_text(text: str) -> bool:
    """Whether a cell holds an amount and nothing else (4,760億円, 約25.6億円, JPY 476.0 billion).

    >>> is_amount_text("約 ４，７６０億円※1"), is_amount_text("月産5.5万枚")
    (True, False)
    """
    normalised = strip_footnotes(unicodedata.normalize("NFKC", text))
    if not _DIGIT.search(normalised):
        return False
    return not _AMOUNT_FILLER.sub("", normalised).strip()


def row_identity(
    cells: Sequence[tuple[ColumnKind | None, tuple[str, ...]]],
) -> tuple[str, tuple[str, ...], str]:
    """(key, disambiguating extras, readable entity) from a row's descriptive cells.

    ``cells`` are (column kind, cell lines) in column order, amount cells left out.
    The key is recipient + plan headline; date, number, identifier and attribute
    columns never count. ``extras`` (the full plan, each "other" column, then the
    identifiers, attributes and dates) tell apart rows whose keys collide; they always
    have one slot per column so that levels line up.
    """
    for _, lines in cells:
        if is_total(" ".join(lines)):
            text = " ".join(lines)
            return norm_text(text), (), display_text(text)
    recipients = [lines for kind, lines in cells if kind == "recipient"]
    plans = [lines for kind, lines in cells if kind == "plan"]
    others = [" ".join(lines) for kind, lines in cells if kind == "other"]

    recipient_key = "/".join(k for k in (norm_company(" ".join(x)) for x in recipients) if k)
    plan_key = "/".join(k for k in (plan_headline(x) for x in plans) if k)
    parts = [p for p in (recipient_key, plan_key) if p]
    other_keys = [norm_text(text) for text in others]
    if not parts:
        parts = [k[:PLAN_PREFIX] for k in other_keys if k][:2]
    tie_breakers = [
        norm_text(" ".join(lines)) for kind, lines in cells
        if kind in ("identifier", "attribute", "date")
    ]
    extras = (norm_text(" ".join(" ".join(x) for x in plans)), *other_keys, *tie_breakers)

    names = " / ".join(n for n in (_recipient_display(x) for x in recipients) if n)
    plan = short_plan(plans[0]) if plans else ""
    if names and plan:
        entity = f"{names} — {plan}"
    else:
        entity = names or plan or next((display_text(t) for t in others if t), "(unnamed row)")
    return "|".join(parts), extras, entity


def _recipient_display(lines: tuple[str, ...]) -> str:
    """Joint applicants on separate lines read "A・B(共同申請)", or "A / B" in English."""
    out = ""
    for line in (display_text(line) for line in lines):
        if not line:
            continue
        if not out or line.startswith(("(", "（")):
            out += line
        else:
            out += (" / " if out.isascii() and line.isascii() else "・") + line
    return out


def unique_keys(rows: Sequence[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Keys made unique within a table: by the rows' extras level by level, then by order.

    >>> unique_keys([("a", ("x",)), ("a", ("y",)), ("b", ("z",)), ("b", ("z",))])
    ['a|x', 'a|y', 'b', 'b#2']
    """
    keys = [key for key, _ in rows]
    depth = max((len(extras) for _, extras in rows), default=0)
    for level in range(depth):
        groups: dict[str, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            groups[key].append(i)
        for members in groups.values():
            if len(members) < 2:
                continue
            values = [rows[i][1][level] if level < len(rows[i][1]) else "" for i in members]
            if len(set(values)) > 1:
                for i, value in zip(members, values, strict=True):
                    keys[i] = f"{keys[i]}|{value}"
    # Last resort: occurrence order among rows that are otherwise indistinguishable.
    seen: Counter[str] = Counter()
    unique: list[str] = []
    for key in keys:
        seen[key] += 1
        unique.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return unique


def unique_names(tables: Sequence[tuple[str, str]]) -> list[str]:
    """Table identities (name, joined labels) made unique on a page: by labels, then by order."""
    counts = Counter(name for name, _ in tables)
    names = [
        f"{name} / {labels}" if counts[name] > 1 and labels else name for name, labels in tables
    ]
    seen: Counter[str] = Counter()
    unique: list[str] = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return unique

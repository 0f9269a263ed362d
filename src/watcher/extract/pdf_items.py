"""PDF budget line items: the blocks a PDF's pages were read into → Records.

Tracks the section heading, the unit note, the うち parent line and labels wrapped over several
lines; ruled tables are read by their header and the column that holds the document's own amount.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from watcher.extract.dates import find_dates, fiscal_year
from watcher.extract.document import Record
from watcher.extract.yen import YenAmount, find_yen_amounts, find_yen_values, unit_multiplier

JIKO = "事項要求"  # requested without an amount; the figure is settled in December
# Item numbering and bullets before a label: (1) （１） ① ア． a) ・ ○. Section numbering
# (1. Ⅱ． 第3) is _HEADING_MARKER; 【…】 and ■ open a section without numbering.
_ITEM_MARKER = re.compile(
    r"^\s*(?:[(（]\s*(?:[0-9０-９]{1,2}|[a-zａ-ｚア-ンｱ-ﾝ])\s*[)）]|[①-⑳㉑-㉟㊱-㊿]"
    r"|[ア-ン][.．、)）]|[・･○●◯◎◆◇▪▸►□-]|[a-z][.．)）])\s*"
)
_HEADING_MARKER = re.compile(
    r"^\s*(?:[0-9０-９]{1,2}\s*[.．、]|[IVXⅠ-Ⅹ]{1,4}\s*[.．、]|第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*[章節部]?)\s*(?=\D)"
)
_BRACKET_HEADING = re.compile(r"^\s*(?:【[^】]{1,30}】|■|◆|\[[^\]]{1,30}\])")
PAGE_NUMBER = re.compile(r"[-‐−—–\s]*[0-9]{1,4}\s*(?:/\s*[0-9]{1,4})?[-‐−—–\s]*")
_UNIT_NOTE = re.compile(r"[(（\[]?\s*単位\s*[:：]?\s*[^\s)）\]]{1,5}\s*[)）\]]?")
_UCHI = re.compile(r"^[(（]?\s*うち\s*[、,:：]?\s*")
_LEADERS = re.compile(r"[\s.…‥・･:：─―-]+$")
_BRACKETS = re.compile(r"[(（\[【][^)）\]】]{0,40}[)）\]】]")
# Words that follow an amount in a budget line's note, not in a sentence.
_NOTE_WORDS = re.compile(r"新規|皆増|増|減|※[0-9]*|[+＋]|→|⇒|~|〜")
_PARTICLE_END = re.compile(r"[はがをにでともへや、,]$")
_PARTICLE_START = re.compile(r"^[をがはにでともへ]")
_AMOUNT_HEADER = re.compile(r"額|要求|予算案|計上")
_OWN_AMOUNT_HEADER = re.compile(r"要求|予算案|補正|決定")
_OTHER_HEADER = re.compile(r"前年|増減|差|比|伸")
_DASH_CELL = re.compile(r"[-‐−—–―ー－]*")
MAX_WRAPPED_LINES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class TextLine:
    """One line of text outside any table."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRows:
    """One ruled table, as rows of cell texts (None for spanned cells)."""

    rows: tuple[tuple[str | None, ...], ...]


Block = TextLine | TableRows


def norm_line(text: str) -> str:
    """A line as compared and shown: NFKC, whitespace runs collapsed to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def label_key(label: str) -> str:
    """The identity of a label: NFKC, no whitespace, leading numbering stripped.

    >>> label_key("（１）　ＡＩ基盤モデル・フィジカルＡＩの開発支援")
    'AI基盤モデル・フィジカルAIの開発支援'
    >>> label_key("経済産業省 計")
    '経済産業省計'
    """
    body = _strip_marker(label)[1]
    return "".join(unicodedata.normalize("NFKC", body).split())


def _strip_marker(text: str) -> tuple[str, str]:
    """(numbering, rest); numbering is stripped before NFKC because ① becomes "1"."""
    marker = ""
    while True:
        match = _ITEM_MARKER.match(text) or _HEADING_MARKER.match(text)
        if match is None or not match.group().strip():
            return marker, text.strip()
        marker += match.group()
        text = text[match.end() :]


def _is_heading(text: str) -> bool:
    """Whether a line starts with section numbering (1. / Ⅱ． / 第3), not item numbering."""
    return bool(_HEADING_MARKER.match(text)) and not _ITEM_MARKER.match(text)


def _section_name(heading: str) -> str:
    return norm_line(_strip_marker(heading)[1]) or norm_line(heading)


def _join(parts: list[str]) -> str:
    """Wrapped pieces of one label: no space between Japanese pieces, one between Latin ones."""
    out = ""
    for part in parts:
        part = part.strip()
        if out and part and out[-1].isascii() and part[0].isascii():
            out += " "
        out += part
    return out


@dataclass(slots=True)
class _State:
    table: str | None = None
    unit: int | None = None
    parent: tuple[str, str] | None = None  # (key, entity) of the line うち lines belong to
    pending: list[str] | None = None


class _Builder:
    """Turns blocks into Records, tracking section, unit, うち parent and wrapped labels."""

    def __init__(self) -> None:
        self.state = _State()
        self.records: list[Record] = []
        self.seen: dict[tuple[str, str], int] = {}
        self.last_header: tuple[str, ...] | None = None
        self.last_unit: int | None = None

    def add(
        self,
        *,
        label: str,
        amount: YenAmount | None,
        amount_text: str | None,
        others: tuple[int, ...],
        cells: tuple[tuple[str, str], ...],
        dates: tuple[str, ...],
    ) -> None:
        state = self.state
        table = state.table or ""
        label = norm_line(label)
        key = label_key(label)
        if not key:
            return
        entity = label
        if _UCHI.match(label) and state.parent is not None:
            key = f"{state.parent[0]}/{key}"
            entity = f"{state.parent[1]} {label}"
        elif not _UCHI.match(label):
            state.parent = (key, label)
        count = self.seen.get((table, key), 0) + 1
        self.seen[(table, key)] = count
        if count > 1:  # two lines with one label in one section: keep both, in order
            key = f"{key}#{count}"
        self.records.append(
            Record(
                table=table,
                key=key,
                entity=entity,
                cells=cells,
                amount_yen=None if amount is None else amount.yen,
                amount_text=amount_text,
                other_amounts_yen=others,
                dates=dates,
                nature="budget_line",
                amount_low_yen=None if amount is None else amount.low_yen,
            )
        )

    # -- text lines --

    def line(self, raw: str) -> None:
        state = self.state
        text = norm_line(raw)
        if not text or PAGE_NUMBER.fullmatch(text):
            return
        if state.table is None:
            state.table = text  # the title names the lines before the first heading
            return
        if _UNIT_NOTE.fullmatch(text) or (len(text) <= 12 and unit_multiplier(text)):
            state.unit = unit_multiplier(text) or state.unit
            state.pending = None
            return
        if text.startswith(("※", "注", "(注")):
            state.pending = None
            return
        marker, body_raw = _strip_marker(raw)
        body = norm_line(body_raw)
        is_uchi = bool(_UCHI.match(body))
        amounts = find_yen_values(body, default_unit=state.unit)
        jiko = body.find(JIKO)
        if not amounts and jiko < 0:
            self._text_without_amount(text, marker, body, is_uchi)
            return
        start = min(a.start for a in amounts) if amounts else jiko
        if jiko >= 0:
            start = min(start, jiko)
        label = _LEADERS.sub("", body[:start])
        pending = state.pending
        state.pending = None
        if pending and not marker and not is_uchi:
            label = _join([*pending, label])
        if "。" in body or _PARTICLE_END.search(label):
            return  # a sentence that mentions an amount, not a budget line
        if _is_heading(text) and label:
            # "1. AI・半導体 1兆2,390億円": a section with its total; its items follow.
            state.table = norm_line(label)
            state.parent = None
        first = amounts[0] if amounts and (jiko < 0 or amounts[0].start < jiko) else None
        rest = body[first.end if first else jiko + len(JIKO) :]
        note = self._note(rest, amounts[1:] if first else amounts)
        if note is None:
            return
        self.add(
            label=label,
            amount=first,
            amount_text=first.text if first else JIKO,
            others=tuple(a.yen for a in (amounts[1:] if first else amounts)),
            cells=(("項目", norm_line(label)),) + ((("備考", note),) if note else ()),
            dates=tuple(d.isoformat() for d in find_dates(body)),
        )

    def _text_without_amount(self, text: str, marker: str, body: str, is_uchi: bool) -> None:
        state = self.state
        if _is_heading(text) or _BRACKET_HEADING.match(text):
            state.table = _section_name(text)
            state.unit = None
            state.parent = None
            state.pending = None
        elif marker or is_uchi:
            state.pending = [body]  # a numbered label whose amount is on the next line
        elif (
            state.pending is not None
            and len(state.pending) < MAX_WRAPPED_LINES
            and "。" not in body
        ):
            state.pending.append(body)
        else:
            state.pending = None

    @staticmethod
    def _note(rest: str, other_amounts: tuple[YenAmount, ...] | list[YenAmount]) -> str | None:
        """The note after a line's amount ("（新規）"), "" if none, None if the line is prose."""
        rest = rest.strip()
        if not rest:
            return ""
        if _PARTICLE_START.match(rest) or len(rest) > 40:
            return None
        bare = rest
        for amount in other_amounts:
            bare = bare.replace(amount.text, "")
        bare = _NOTE_WORDS.sub("", _BRACKETS.sub("", bare.replace(JIKO, "")))
        if len(bare.strip(" 、,・/")) > 20:
            return None
        return rest

    # -- tables --

    def table(self, rows: tuple[tuple[str | None, ...], ...]) -> None:
        state = self.state
        cells = [tuple(_cell(c) for c in row) for row in rows]
        cells = [row for row in cells if any(row)]
        if not cells:
            return
        width = max(len(row) for row in cells)
        cells = [row + ("",) * (width - len(row)) for row in cells]
        own_unit = None
        for row in cells[:3]:
            for cell in row:
                found = unit_multiplier(cell) if "単位" in cell or "円" in cell else None
                if found is not None and not find_yen_amounts(cell):
                    own_unit = found
        unit = own_unit or state.unit
        continues = self.last_header is not None and len(self.last_header) == width
        header_rows = _header_rows(cells, unit)
        if unit is None and continues and self.last_unit is not None:
            # A table continued from the previous page keeps that page's header and unit.
            if not _header_rows(cells, self.last_unit):
                unit, header_rows = self.last_unit, []
        data = cells[len(header_rows) :]
        if header_rows:
            header = tuple(
                "".join(h[i] for h in header_rows).strip() or f"列{i + 1}" for i in range(width)
            )
        elif continues and self.last_header is not None:
            header = self.last_header
        else:
            header = tuple(f"列{i + 1}" for i in range(width))
        self.last_header = header
        self.last_unit = unit
        label_col = next(
            (i for i in range(width) if any(_is_text(row[i]) for row in data)),
            0,
        )
        value_cols = [
            i
            for i in range(width)
            if i != label_col and any(_has_value(row[i], unit) for row in data)
        ]
        if not value_cols:
            return
        primary = max(value_cols, key=lambda i: (_column_rank(header[i]), -i))
        state.parent = None
        state.pending = None
        for row in data:
            label = row[label_col]
            if not label or not _has_any_value(row, value_cols, unit):
                continue
            amounts = {i: find_yen_values(row[i], default_unit=unit) for i in value_cols}
            cell = row[primary]
            first = amounts[primary][0] if amounts[primary] else None
            if first is not None:
                amount_text: str | None = cell if JIKO in cell else first.text
            else:
                amount_text = JIKO if JIKO in cell else cell or None
            label = _strip_marker(label)[1]
            # The label cell without its numbering: renumbering is not an edit.
            descriptive = [(header[i], row[i]) for i in range(width) if i not in value_cols]
            if label_col not in value_cols:
                descriptive[sum(1 for i in range(label_col) if i not in value_cols)] = (
                    header[label_col],
                    label,
                )
            self.add(
                label=label,
                amount=first,
                amount_text=amount_text,
                others=tuple(amounts[i][0].yen for i in value_cols if i != primary and amounts[i]),
                cells=tuple(descriptive),
                dates=tuple(d.isoformat() for c in row for d in find_dates(c)),
            )


def _header_rows(cells: list[tuple[str, ...]], unit: int | None) -> list[tuple[str, ...]]:
    """The leading rows that hold no value outside the label column."""
    header: list[tuple[str, ...]] = []
    for row in cells:
        if any(_has_value(cell, unit) for cell in row[1:]):
            break
        header.append(row)
    return header


def _column_rank(header: str) -> tuple[int, int]:
    """How surely a column holds the document's own amount: latest fiscal year, then wording.

    "令和8年度予算案額" outranks "令和7年度当初予算額"; "増減" and "前年度比" rank last.
    """
    if _OTHER_HEADER.search(header):
        return (-1, 0)
    wording = 2 if _OWN_AMOUNT_HEADER.search(header) else 1 if _AMOUNT_HEADER.search(header) else 0
    return (fiscal_year(header) or 0, wording)


def _cell(cell: str | None) -> str:
    if not cell:
        return ""
    return norm_line(_join(cell.split("\n")))


def _has_value(cell: str, unit: int | None) -> bool:
    return JIKO in cell or bool(find_yen_amounts(cell, default_unit=unit))


def _has_any_value(row: tuple[str, ...], cols: list[int], unit: int | None) -> bool:
    return any(_has_value(row[i], unit) for i in cols)


def _is_text(cell: str) -> bool:
    """A label cell: has letters, not only a number, a dash or a date."""
    return bool(cell) and not _DASH_CELL.fullmatch(cell) and any(c.isalpha() for c in cell)


def line_items(pages: list[list[Block]]) -> tuple[Record, ...]:
    """Records for every budget line of the PDF, in reading order."""
    builder = _Builder()
    for blocks in pages:
        for block in blocks:
            if isinstance(block, TextLine):
                builder.line(block.text)
            else:
                builder.table(block.rows)
    return tuple(builder.records)

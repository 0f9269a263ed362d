"""A subsidy table's columns and body rows: which column holds what, and each row as a Record.

Column kinds come from the header label (watcher.extract.identity) and, for unlabelled
columns, from what their cells hold; the primary amount column is the maximum-subsidy one.
A table's nature (approval, grant, budget_line, item) comes from its caption, heading and labels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from watcher.extract.dates import find_dates
from watcher.extract.document import Record
from watcher.extract.grid import Grid, GridCell
from watcher.extract.identity import (
    ColumnKind,
    classify_label,
    display_text,
    is_amount_text,
    is_running_number,
    row_identity,
    strip_footnotes,
)
from watcher.extract.yen import find_yen_amounts, find_yen_values, unit_multiplier

# Header words that mark an amount column.
_AMOUNT_LABEL = re.compile(
    r"助成額|補助額|金額|予算額|交付額|出資額|支援額|投資額|事業費|助成金|補助金|支援金|上限額|限度額|"
    r"要求額|計上額|amount|subsid|grant|funding|budget|investment|\((?:[兆億千百万]*円|¥|jpy)\)",
    re.IGNORECASE,
)
# Which amount column is "the" amount when there are several.
_MAX_LABEL = re.compile(r"最大|上限|限度|max", re.IGNORECASE)
_SUBSIDY_LABEL = re.compile(r"助成|補助|支援|subsid|grant", re.IGNORECASE)
# What a table lists, by the words of its caption, heading and labels; first match wins.
_NATURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("grant", re.compile(r"交付決定|交付先|grant\s+decision", re.IGNORECASE)),
    ("approval", re.compile(r"認定|採択|選定|approv|selected", re.IGNORECASE)),
    ("budget_line", re.compile(r"予算|概算要求|要求額|budget", re.IGNORECASE)),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRow:
    """A body row read: its identity key, the extras that break key ties, and its Record."""

    key: str
    extras: tuple[str, ...]
    record: Record


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """One column of a subsidy table: its label, what it holds, and its own unit."""

    label: str  # as written (NFKC, whitespace collapsed)
    kind: ColumnKind | None  # None for amount columns
    unit: int | None


def _column_cells(grid: Grid, header_end: int, j: int) -> list[str]:
    """Texts of the body cells that start in column j (row-spanned copies counted once)."""
    seen: set[tuple[int, int]] = set()
    texts: list[str] = []
    for row in grid.rows[header_end:]:
        cell = row[j] if j < len(row) else None
        if cell is None or cell.origin[1] != j or cell.origin in seen or not cell.text:
            continue
        seen.add(cell.origin)
        texts.append(cell.text)
    return texts


def read_columns(
    grid: Grid, header_end: int, labels: list[str], table_unit: int | None
) -> list[Column]:
    """Kind and unit of every column: amount columns get kind None."""
    columns: list[Column] = []
    for j, label in enumerate(labels):
        kind = classify_label(label)
        unit = unit_multiplier(label)
        texts = _column_cells(grid, header_end, j)
        amount_label = _AMOUNT_LABEL.search(unicodedata.normalize("NFKC", label)) is not None
        if kind == "index":
            columns.append(Column(label=label, kind=kind, unit=unit))
            continue
        if amount_label and kind not in ("recipient", "date"):
            columns.append(Column(label=label, kind=None, unit=unit))
            continue
        if kind in ("other", "plan") and texts and _mostly_amounts(texts, unit or table_unit):
            columns.append(Column(label=label, kind=None, unit=unit))
            continue
        if kind == "other" and texts and _mostly_dates(texts):
            kind = "date"
        columns.append(Column(label=label, kind=kind, unit=unit))
    return columns


def _mostly_amounts(texts: list[str], unit: int | None) -> bool:
    hits = sum(
        1
        for t in texts
        if is_amount_text(t) and find_yen_amounts(strip_footnotes(t), default_unit=unit)
    )
    return hits > 0 and hits * 2 >= len(texts)


def _mostly_dates(texts: list[str]) -> bool:
    hits = sum(1 for t in texts if find_dates(t) and len(t) <= 24)
    return hits * 2 >= len(texts)


def primary_amount_column(columns: list[Column], amount_columns: list[int]) -> int:
    """The maximum-subsidy column when there is one, else a subsidy column, else the first."""
    for pattern in (_MAX_LABEL, _SUBSIDY_LABEL):
        for j in amount_columns:
            if pattern.search(unicodedata.normalize("NFKC", columns[j].label)):
                return j
    return amount_columns[0]


def read_row(
    row: tuple[GridCell | None, ...],
    columns: list[Column],
    primary: int,
    table_unit: int | None,
    header_texts: list[str],
    nature: str | None = None,
) -> TableRow | None:
    """One body row as a TableRow, or None for blank, section and repeated-header rows."""
    present = [(j, c) for j, c in enumerate(row) if c is not None]
    if not any(c.text for _, c in present):
        return None
    if len(row) > 1 and len({c.origin for _, c in present}) == 1:
        return None  # one cell across the table: a section title or "no entries yet"
    if all(c.text == header_texts[j] for j, c in present):
        return None  # the header repeated mid-table
    if all(c.header and not c.row_scope for _, c in present) and not any(
        is_amount_text(c.text) for _, c in present
    ):
        return None  # a sub-header row

    distinct: list[tuple[int, GridCell]] = []
    seen: set[tuple[int, int]] = set()
    for j, cell in present:
        if cell.origin in seen:
            continue  # a colspan copy: the cell is read once, under its first column
        seen.add(cell.origin)
        distinct.append((j, cell))

    primary_amounts: list[int] = []
    primary_low: int | None = None  # the lower end when the amount is a range
    other_amounts: list[int] = []
    amount_text: str | None = None
    amount_origins: set[tuple[int, int]] = set()
    order = [primary] + [j for j, col in enumerate(columns) if col.kind is None and j != primary]
    for j in order:
        amount_cell = row[j] if j < len(row) else None
        if amount_cell is None or amount_cell.origin in amount_origins:
            continue
        amount_origins.add(amount_cell.origin)
        unit = columns[j].unit or table_unit
        text = strip_footnotes(amount_cell.text)
        values = find_yen_values(text, default_unit=unit)
        found = [a.yen for a in values]
        if j == primary:
            amount_text = amount_cell.text or None
            primary_amounts = found
            primary_low = values[0].low_yen if values else None
        else:
            other_amounts.extend(found)

    descriptive = [
        (j, _cell_kind(columns[j].kind, cell.text), cell)
        for j, cell in distinct
        if cell.origin not in amount_origins and columns[j].kind is not None
    ]
    identifiers = tuple(
        (columns[j].label, display_text(cell.text))
        for j, kind, cell in descriptive if kind == "identifier" and cell.text.strip()
    )
    dates: list[str] = []
    for _, _, cell in descriptive:
        for day in find_dates(cell.text):
            if day.isoformat() not in dates:
                dates.append(day.isoformat())

    key, extras, entity = row_identity([(kind, cell.lines) for _, kind, cell in descriptive])
    record = Record(
        table="",
        key=key,
        entity=entity,
        cells=tuple((columns[j].label, cell.text) for j, cell in distinct),
        amount_yen=primary_amounts[0] if primary_amounts else None,
        amount_text=amount_text,
        other_amounts_yen=(*primary_amounts[1:], *other_amounts),
        dates=tuple(dates),
        amount_low_yen=primary_low,
        nature=nature,
        identifiers=identifiers,
    )
    return TableRow(key=key, extras=extras, record=record)


def _cell_kind(kind: ColumnKind | None, text: str) -> ColumnKind | None:
    """A 番号/No. cell is the row's position when it holds a running number, else an identifier."""
    if kind == "index" and text.strip() and not is_running_number(text):
        return "identifier"
    return kind


def table_nature(texts: list[str]) -> str:
    """What a table's rows are, from its caption, heading and header labels.

    >>> table_nature(["四国経済産業局", "交付決定額（単位：円）"]), table_nature(["認定計画一覧"])
    ('grant', 'approval')
    """
    joined = unicodedata.normalize("NFKC", " ".join(texts))
    for nature, pattern in _NATURES:
        if pattern.search(joined):
            return nature
    return "item"

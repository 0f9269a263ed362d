"""`table` sources: every row of every subsidy table on the page as a Record.

A subsidy table is one whose header or cells carry amounts (助成額, 補助額, 金額,
予算額, amount, subsidy, or cells that read as yen). Layout tables (tables that
hold tables, one-column tables, tables without an amount column) are skipped.

Each table is read as a grid with rowspan/colspan expanded (METI groups an
operator's plans with rowspan), its header rows joined per column ("上段 下段"),
and its unit taken from the closest place that states one: a unit written in the
cell itself wins over the column's header (最大助成額（億円）), which wins over
the table's note (caption, a （単位：億円） line just above, or a title row).

A record's ``table`` is the table's identity: its caption, else the nearest
preceding h2–h4 heading, else its header labels, never its position. Its ``key``
comes from the recipient and plan cells (see watcher.extract.identity). A total
row (合計, 総計, Total) is a record too, with the key ``合計`` (its normalised
label): a changed total is worth an alert of its own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from lxml import etree

from watcher.extract.dates import find_dates
from watcher.extract.document import Document, Page, Record
from watcher.extract.grid import Grid, GridCell, build_grid
from watcher.extract.html import clean_main, normalize_space
from watcher.extract.identity import (
    ColumnKind,
    classify_label,
    display_text,
    is_amount_text,
    row_identity,
    strip_footnotes,
    strip_unit_note,
    unique_keys,
    unique_names,
)
from watcher.extract.suspect import page_suspect_reason
from watcher.extract.text import element_text
from watcher.extract.yen import find_yen_amounts, find_yen_values, unit_multiplier

__all__ = ["extract_tables", "read_tables"]

# Header words that mark an amount column.
_AMOUNT_LABEL = re.compile(
    r"助成額|補助額|金額|予算額|交付額|出資額|支援額|投資額|事業費|助成金|補助金|支援金|上限額|限度額|"
    r"要求額|計上額|amount|subsid|grant|funding|budget|investment|\((?:[兆億千百万]*円|¥|jpy)\)",
    re.IGNORECASE,
)
# Which amount column is "the" amount when there are several.
_MAX_LABEL = re.compile(r"最大|上限|限度|max", re.IGNORECASE)
_SUBSIDY_LABEL = re.compile(r"助成|補助|支援|subsid|grant", re.IGNORECASE)
# How far before a table a unit note may stand: this many sibling blocks, this many levels up.
_NOTE_SIBLINGS = 2
_NOTE_LEVELS = 3
_NOTE_MAX_CHARS = 80
_MAX_HEADER_ROWS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class _Column:
    label: str  # as written (NFKC, whitespace collapsed)
    kind: ColumnKind | None  # None for amount columns
    unit: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    key: str
    extras: tuple[str, ...]
    record: Record


def extract_tables(page: Page, ignore: tuple[re.Pattern[str], ...] = ()) -> Document:
    """The page's main text and every row of its subsidy tables as Records."""
    main = clean_main(page.text)  # parsed once for both the tables and the text
    records = tables_in(main)
    text = element_text(main, ignore)
    return Document(
        kind="table",
        text=text,
        records=records,
        suspect_reason=page_suspect_reason(page.text, text),
    )


def read_tables(html: str) -> tuple[Record, ...]:
    """Every row of every subsidy table in the page's main column, in page order."""
    return tables_in(clean_main(html))


def tables_in(main: etree._Element) -> tuple[Record, ...]:
    """Every row of every subsidy table under an already cleaned main column."""
    tables: list[tuple[str, str, list[_Row]]] = []
    headings = _preceding_headings(main)
    for table in main.iter("table"):
        read = _read_table(table, headings.get(table))
        if read is not None:
            tables.append(read)
    names = unique_names([(name, labels) for name, labels, _ in tables])
    records: list[Record] = []
    for name, (_, _, rows) in zip(names, tables, strict=True):
        keys = unique_keys([(row.key, row.extras) for row in rows])
        records.extend(
            replace(row.record, table=name, key=key) for key, row in zip(keys, rows, strict=True)
        )
    return tuple(records)


def _preceding_headings(main: etree._Element) -> dict[etree._Element, etree._Element | None]:
    """Each table's nearest h2–h4 before it in the document, found in one walk.

    An XPath ``preceding::`` per table scans everything before it: quadratic, minutes
    for a page of a few thousand tables. A heading counts once it has ended, so one
    that encloses the table is not its title (as with ``preceding::``).
    """
    found: dict[etree._Element, etree._Element | None] = {}
    last: etree._Element | None = None
    for event, el in etree.iterwalk(main.getroottree().getroot(), events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "end" and tag in ("h2", "h3", "h4"):
            last = el
        elif event == "start" and tag == "table":
            found[el] = last
    return found


def _read_table(
    table: etree._Element, heading: etree._Element | None = None,
) -> tuple[str, str, list[_Row]] | None:
    """(identity, joined labels, rows) of a subsidy table, or None for any other table."""
    if next(table.iterdescendants("table"), None) is not None:
        return None  # a layout table; its inner tables are read on their own
    grid = build_grid(table)
    if grid.width < 2 or len(grid.rows) < 2:
        return None
    first = 0
    notes: list[str] = []
    while first < len(grid.rows) and _is_title_row(grid.rows[first]):
        cell = next(c for c in grid.rows[first] if c is not None)
        notes.append(cell.text)
        first += 1
    header_end = _header_end(grid, first)
    body = grid.rows[header_end:]
    if not body:
        return None
    labels = _labels(grid, first, header_end)
    caption = _caption(table)
    table_unit = unit_multiplier(" ".join([caption, *notes])) or _preceding_unit(table)
    columns = _columns(grid, header_end, labels, table_unit)
    amount_columns = [j for j, col in enumerate(columns) if col.kind is None]
    if not amount_columns:
        return None
    primary = _primary_amount_column(columns, amount_columns)
    header_texts = [normalize_space(label) for label in labels]
    rows: list[_Row] = []
    for row in body:
        read = _read_row(row, columns, primary, table_unit, header_texts)
        if read is not None:
            rows.append(read)
    if not rows:
        return None
    name = _table_name(caption, notes, heading)
    joined = " / ".join(strip_unit_note(label) for label in labels if label)
    return (name or joined, joined, rows)


def _is_title_row(row: tuple[GridCell | None, ...]) -> bool:
    """A row that is one cell across the whole table: a title or a unit note, not data."""
    origins = {c.origin for c in row if c is not None}
    return len(row) > 1 and len(origins) == 1 and all(c is not None for c in row)


def _header_end(grid: Grid, first: int) -> int:
    """Index of the first body row: after thead, leading all-th rows, or a first row of labels."""
    if grid.head_rows > first:
        return min(grid.head_rows, len(grid.rows) - 1)
    end = first
    while (
        end < len(grid.rows) - 1
        and end - first < _MAX_HEADER_ROWS
        and all(c is None or (c.header and not c.row_scope) for c in grid.rows[end])
        and any(c is not None and c.text for c in grid.rows[end])
    ):
        end += 1
    if end > first:
        return end
    if first < len(grid.rows) - 1 and _looks_like_labels(grid.rows[first]):
        return first + 1
    return first


def _looks_like_labels(row: tuple[GridCell | None, ...]) -> bool:
    """A first row of plain labels: two or more texts, none an amount or a date."""
    texts = {c.origin: c.text for c in row if c is not None and c.text}
    if len(set(texts.values())) < 2:
        return False
    return not any(is_amount_text(t) or find_dates(t) for t in texts.values())


def _labels(grid: Grid, start: int, end: int) -> list[str]:
    """Per column, the header rows' texts joined top to bottom (a spanned cell counted once)."""
    labels: list[str] = []
    for j in range(grid.width):
        parts: list[str] = []
        seen: set[tuple[int, int]] = set()
        for r in range(start, end):
            cell = grid.rows[r][j]
            if cell is None or cell.origin in seen or not cell.text:
                continue
            seen.add(cell.origin)
            if not parts or parts[-1] != cell.text:
                parts.append(cell.text)
        # An unlabelled column still needs a name for its cells.
        labels.append(" ".join(parts) or f"列{j + 1}")
    return labels


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


def _columns(
    grid: Grid, header_end: int, labels: list[str], table_unit: int | None
) -> list[_Column]:
    """Kind and unit of every column: amount columns get kind None."""
    columns: list[_Column] = []
    for j, label in enumerate(labels):
        kind = classify_label(label)
        unit = unit_multiplier(label)
        texts = _column_cells(grid, header_end, j)
        amount_label = _AMOUNT_LABEL.search(unicodedata.normalize("NFKC", label)) is not None
        if kind == "index":
            columns.append(_Column(label=label, kind=kind, unit=unit))
            continue
        if amount_label and kind not in ("recipient", "date"):
            columns.append(_Column(label=label, kind=None, unit=unit))
            continue
        if kind in ("other", "plan") and texts and _mostly_amounts(texts, unit or table_unit):
            columns.append(_Column(label=label, kind=None, unit=unit))
            continue
        if kind == "other" and texts and _mostly_dates(texts):
            kind = "date"
        columns.append(_Column(label=label, kind=kind, unit=unit))
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


def _primary_amount_column(columns: list[_Column], amount_columns: list[int]) -> int:
    """The maximum-subsidy column when there is one, else a subsidy column, else the first."""
    for pattern in (_MAX_LABEL, _SUBSIDY_LABEL):
        for j in amount_columns:
            if pattern.search(unicodedata.normalize("NFKC", columns[j].label)):
                return j
    return amount_columns[0]


def _read_row(
    row: tuple[GridCell | None, ...],
    columns: list[_Column],
    primary: int,
    table_unit: int | None,
    header_texts: list[str],
) -> _Row | None:
    """One body row as a _Row, or None for blank, section and repeated-header rows."""
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
        (columns[j].kind, cell)
        for j, cell in distinct
        if cell.origin not in amount_origins and columns[j].kind is not None
    ]
    dates: list[str] = []
    for _, cell in descriptive:
        for day in find_dates(cell.text):
            if day.isoformat() not in dates:
                dates.append(day.isoformat())

    key, extras, entity = row_identity([(kind, cell.lines) for kind, cell in descriptive])
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
    )
    return _Row(key=key, extras=extras, record=record)


def _clean_title(text: str) -> str:
    return display_text(strip_unit_note(text))


def _caption(table: etree._Element) -> str:
    caption = next((c for c in table if isinstance(c.tag, str) and c.tag == "caption"), None)
    return normalize_space(" ".join(caption.itertext())) if caption is not None else ""


def _table_name(caption: str, notes: list[str], heading: etree._Element | None) -> str:
    """Caption, else title row, else the nearest preceding h2–h4 heading."""
    for candidate in (caption, *notes):
        name = _clean_title(candidate)
        if name:
            return name
    if heading is not None:
        return _clean_title(" ".join(heading.itertext()))
    return ""


def _preceding_unit(table: etree._Element) -> int | None:
    """The unit of a short note just before the table: （単位：億円） on its own line."""
    node: etree._Element | None = table
    for _ in range(_NOTE_LEVELS):
        if node is None:
            return None
        texts: list[str] = []
        if node.getprevious() is None:
            parent = node.getparent()
            if parent is not None and parent.text:
                texts.append(parent.text)
        sibling = node.getprevious()
        seen = 0
        while sibling is not None and seen < _NOTE_SIBLINGS:
            if sibling.tail:
                texts.append(sibling.tail)
            if isinstance(sibling.tag, str):
                if sibling.tag == "table" or next(sibling.iter("table"), None) is not None:
                    break
                texts.append(" ".join(sibling.itertext()))
                seen += 1
            sibling = sibling.getprevious()
        for text in texts:
            short = normalize_space(text)
            if short and (len(short) <= _NOTE_MAX_CHARS or "単位" in short):
                unit = unit_multiplier(short)
                if unit is not None:
                    return unit
        if seen:
            return None
        node = node.getparent()
    return None

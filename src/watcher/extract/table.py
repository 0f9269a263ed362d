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
comes from the recipient and plan cells (see watcher.extract.identity); its ``nature``
from what the table's caption, heading and labels say it lists. The page's title (its h1)
goes into the Document's meta with the fiscal year and period it names. A total
row (合計, 総計, Total) is a record too, with the key ``合計`` (its normalised
label): a changed total is worth an alert of its own.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import etree

from watcher.extract.dates import find_dates
from watcher.extract.document import Document, Page, Record
from watcher.extract.grid import Grid, GridCell, build_grid
from watcher.extract.html import clean_main, normalize_space
from watcher.extract.identity import (
    display_text,
    is_amount_text,
    strip_unit_note,
    unique_keys,
    unique_names,
)
from watcher.extract.stage import title_facts
from watcher.extract.suspect import page_suspect_reason
from watcher.extract.table_rows import (
    TableRow,
    primary_amount_column,
    read_columns,
    read_row,
    table_nature,
)
from watcher.extract.text import element_text
from watcher.extract.yen import unit_multiplier

__all__ = ["extract_tables", "read_tables"]

# How far before a table a unit note may stand: this many sibling blocks, this many levels up.
_NOTE_SIBLINGS = 2
_NOTE_LEVELS = 3
_NOTE_MAX_CHARS = 80
_MAX_HEADER_ROWS = 3


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
        meta=title_facts(_page_title(main)),
    )


def _page_title(main: etree._Element) -> str:
    """The page's own title: the main column's first h1, else the document's <title>."""
    for path in (".//h1", "//h1", "//title"):
        found = main.find(path) if path.startswith(".") else next(iter(main.xpath(path)), None)
        if found is not None:
            text = normalize_space(" ".join(found.itertext()))
            if text:
                return text
    return ""


def read_tables(html: str) -> tuple[Record, ...]:
    """Every row of every subsidy table in the page's main column, in page order."""
    return tables_in(clean_main(html))


def tables_in(main: etree._Element) -> tuple[Record, ...]:
    """Every row of every subsidy table under an already cleaned main column."""
    tables: list[tuple[str, str, list[TableRow], str]] = []
    headings = _preceding_headings(main)
    for table in main.iter("table"):
        read = _read_table(table, headings.get(table))
        if read is not None:
            tables.append(read)
    names = unique_names([(name, labels) for name, labels, _, _ in tables])
    records: list[Record] = []
    for name, (_, _, rows, nature) in zip(names, tables, strict=True):
        keys = unique_keys([(row.key, row.extras) for row in rows])
        records.extend(
            replace(row.record, table=name, key=key, nature=nature)
            for key, row in zip(keys, rows, strict=True)
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
) -> tuple[str, str, list[TableRow], str] | None:
    """(identity, joined labels, rows, nature) of a subsidy table, or None for any other table."""
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
    columns = read_columns(grid, header_end, labels, table_unit)
    amount_columns = [j for j, col in enumerate(columns) if col.kind is None]
    if not amount_columns:
        return None
    primary = primary_amount_column(columns, amount_columns)
    header_texts = [normalize_space(label) for label in labels]
    rows: list[TableRow] = []
    for row in body:
        read = read_row(row, columns, primary, table_unit, header_texts)
        if read is not None:
            rows.append(read)
    if not rows:
        return None
    name = _table_name(caption, notes, heading)
    joined = " / ".join(strip_unit_note(label) for label in labels if label)
    heading_text = " ".join(heading.itertext()) if heading is not None else ""
    nature = table_nature([caption, *notes, heading_text, *labels])
    return (name or joined, joined, rows, nature)


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

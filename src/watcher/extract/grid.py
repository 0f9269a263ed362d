"""An HTML table as a rectangular grid, rowspan and colspan expanded.

METI groups an operator's several plans under one ``rowspan`` cell and writes
totals across ``colspan`` cells; reading cells by position only works once every
spanned cell is copied into each row and column it covers. Each copy keeps the
``origin`` (row, column) of the element it came from, so a reader can tell a
spanned copy from a cell of its own.

Spans are clamped before the grid is built (rowspan ≤ MAX_ROWSPAN, colspan to the
MAX_COLUMNS the grid has), and a table whose spans would expand past MAX_SLOTS
positions is refused with an ExtractError: 140,000 rows of ``rowspan="999999"``
would otherwise become a 64-column grid per row (9 million positions, minutes and
gigabytes) from a 10 MB page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from watcher.errors import ExtractError
from watcher.extract.html import block_text

__all__ = ["MAX_COLUMNS", "MAX_ROWSPAN", "MAX_SLOTS", "Grid", "GridCell", "build_grid", "table_rows"]

# HTML caps colspan at 1000; real subsidy tables have fewer than 20 columns, and a
# bound keeps hostile markup (colspan=99999) from allocating a huge grid.
MAX_COLUMNS = 64
# HTML caps rowspan at 65534; METI groups at most a few dozen plans under one operator,
# and a year column of a long budget table spans a few hundred rows.
MAX_ROWSPAN = 1000
# Grid positions one table's spans may fill: a real 10,000-row table of 20 columns is
# 200,000 (1.5 s to read at 4 columns); 25,000 rows of rowspan="999999" fill 1.6 million
# and take 22 s. Past this the table is hostile or broken, not a subsidy list.
MAX_SLOTS = 500_000
_SPAN = re.compile(r"\d{1,6}")


@dataclass(frozen=True, slots=True, kw_only=True)
class GridCell:
    """One cell position of the grid; spanned copies share the origin of their element."""

    lines: tuple[str, ...]
    header: bool
    row_scope: bool
    origin: tuple[int, int]

    @property
    def text(self) -> str:
        """The cell on one line, as written (NFKC, whitespace collapsed)."""
        return " ".join(self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grid:
    """The table's rows, each padded to the full width (None where a row ran short)."""

    rows: tuple[tuple[GridCell | None, ...], ...]
    head_rows: int
    width: int


def table_rows(table: etree._Element) -> tuple[list[etree._Element], int]:
    """The table's own rows (not a nested table's), thead first and tfoot last; and the thead count."""
    head: list[etree._Element] = []
    body: list[etree._Element] = []
    foot: list[etree._Element] = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            body.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows = [tr for tr in child if isinstance(tr.tag, str) and tr.tag == "tr"]
            {"thead": head, "tbody": body, "tfoot": foot}[tag].extend(rows)
    return head + body + foot, len(head)


def _span(el: etree._Element, name: str, bound: int) -> int:
    """A rowspan/colspan attribute as an int in 1..bound; junk and 0 read as 1.

    >>> from lxml import etree
    >>> _span(etree.fromstring('<td rowspan="999999"/>'), "rowspan", MAX_ROWSPAN)
    1000
    >>> _span(etree.fromstring('<td rowspan="0"/>'), "rowspan", MAX_ROWSPAN)
    1
    """
    match = _SPAN.search(el.get(name, "") or "")
    if match is None:
        return 1
    return min(bound, max(1, int(match.group())))


def build_grid(table: etree._Element) -> Grid:
    """Expand the table's cells into a rectangular grid of GridCells."""
    rows, head_count = table_rows(table)
    n_rows = len(rows)
    slots: list[dict[int, GridCell]] = [{} for _ in range(n_rows)]
    filled = 0
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            tag = cell.tag if isinstance(cell.tag, str) else ""
            if tag not in ("td", "th"):
                continue
            while c in slots[r]:
                c += 1
            if c >= MAX_COLUMNS:
                break
            # A rowspan past the end of the table stops at the last row (as browsers do).
            rowspan = min(_span(cell, "rowspan", MAX_ROWSPAN), n_rows - r)
            colspan = _span(cell, "colspan", MAX_COLUMNS - c)
            filled += rowspan * colspan
            if filled > MAX_SLOTS:
                raise ExtractError(f"a table of {n_rows:,} rows expands past {MAX_SLOTS:,} cells "
                                   "(rowspan/colspan)")
            value = GridCell(
                lines=tuple(line for line in block_text(cell).split("\n") if line),
                header=tag == "th",
                row_scope=(cell.get("scope") or "").lower() == "row",
                origin=(r, c),
            )
            for dr in range(rowspan):
                for dc in range(colspan):
                    slots[r + dr].setdefault(c + dc, value)
            c += colspan
    width = max((max(s) + 1 for s in slots if s), default=0)
    grid_rows = tuple(tuple(s.get(col) for col in range(width)) for s in slots)
    return Grid(rows=grid_rows, head_rows=head_count, width=width)

"""One sheet's cells → a SheetTable: notes above, header rows, body rows and ※ footnotes below.

Readers hand in the cells that hold a value, by (row, column), and the merged ranges.
A merged range is expanded like rowspan/colspan: every position it covers gets the
same GridCell, whose ``origin`` is the range's top-left corner in the grid.

Where the table starts: rows above it hold one thing each (a title, a unit note, a
作成日 stamp); the first row with two or more cells across at least half the
table's width is the table. That row is a header when all its cells are text labels
(no amount, no date); the header goes on into the next row while a header cell is
merged down into it, or while the next row holds sub-labels under a header cell
merged across (or next to an empty one). Cells are NFKC-normalised with whitespace
collapsed, one line per line break, as HTML cells are.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence

from watcher.extract.dates import find_dates
from watcher.extract.grid import Grid, GridCell
from watcher.extract.identity import is_amount_text
from watcher.extract.sheets.model import Cell, SheetLimits, SheetTable, SheetUnreadable
from watcher.extract.yen import unit_multiplier

__all__ = ["Merge", "lay_out", "normal_lines"]

# A merged range: first row, first column, last row, last column (0-based, inclusive).
Merge = tuple[int, int, int, int]
Pos = tuple[int, int]

MAX_HEADER_ROWS = 3
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACE = re.compile(r"\s+")
_PLAIN = re.compile(r"\S+(?: \S+)*")  # no line break, no run of blanks, nothing to strip
# A unit note in a note: (単位:千円), 単位:百万円, or a bare (千円) standing alone.
_UNIT_IN_NOTE = re.compile(r"\(\s*単位\s*:?[^()]{1,12}\)|単位\s*:\s*[^\s()]{1,8}")
_BARE_UNIT = re.compile(r"\(\s*[兆億千百万]*円\s*\)")
_FOOTNOTE = re.compile(r"^(?:※|\*|注|\(注|備考|出典|資料)")


def normal_lines(text: str) -> tuple[str, ...]:
    """A cell's text as lines: NFKC, whitespace collapsed, empty lines dropped."""
    if _PLAIN.fullmatch(text) and unicodedata.is_normalized("NFKC", text):
        return (text,)  # most cells: one line, nothing to change (a third of the layout's time)
    lines = (_SPACE.sub(" ", part).strip() for part in _LINE_BREAK.split(unicodedata.normalize("NFKC", text)))
    return tuple(line for line in lines if line)


def _unit_note(text: str) -> str:
    """The unit note in a note's text, or ""."""
    for match in (_UNIT_IN_NOTE.search(text), _BARE_UNIT.fullmatch(text)):
        if match is not None and unit_multiplier(match.group()) is not None:
            return match.group()
    return ""


def _expand(
    cells: Mapping[Pos, Cell], merges: Sequence[Merge], limits: SheetLimits
) -> dict[int, dict[int, Pos]]:
    """Per row, per column, the position whose value stands there (its own or a merge's corner)."""
    last_row = max(r for r, _ in cells)
    last_col = max(c for _, c in cells)
    origin_at: dict[Pos, Pos] = dict(zip(cells, cells, strict=True))
    covered = 0
    for r0, c0, r1, c1 in merges:
        if (r0, c0) not in cells:
            continue  # an empty merged area holds nothing
        # A range past the last value is cut there (A1:XFD1048576 is one cell's worth).
        r1, c1 = min(r1, last_row), min(c1, last_col)
        covered += (r1 - r0 + 1) * (c1 - c0 + 1)
        if covered > limits.max_cells:
            raise SheetUnreadable(f"merged cells cover more than {limits.max_cells:,} cells")
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                origin_at[(r, c)] = (r0, c0)  # a value hidden under a merge is not shown
    rows: dict[int, dict[int, Pos]] = {}
    for pos, origin in sorted(origin_at.items()):
        row = rows.get(pos[0])
        if row is None:
            rows[pos[0]] = row = {}
        row[pos[1]] = origin
    return rows


class _Sheet:
    """The expanded rows of one sheet and the questions layout asks about them."""

    def __init__(self, cells: Mapping[Pos, Cell], rows: dict[int, dict[int, Pos]]) -> None:
        self.cells = cells
        self.rows = rows
        self.order = list(rows)
        self.lines = {pos: normal_lines(cell.text) for pos, cell in cells.items()}
        self.text = {pos: " ".join(lines) for pos, lines in self.lines.items()}

    def distinct(self, r: int) -> list[Pos]:
        """The row's origins with text, left to right, each once."""
        return [o for o in dict.fromkeys(self.rows[r].values()) if self.text[o]]

    def is_label_row(self, r: int) -> bool:
        """Two or more cells, every one a text label: no amount, no date."""
        found = self.distinct(r)
        return len(found) >= 2 and all(
            self.cells[o].is_text and not is_amount_text(self.text[o]) and not find_dates(self.text[o])
            for o in found
        )

    def starts_table(self, r: int, width: int) -> bool:
        """Two or more cells besides a unit note, across at least half the table's width."""
        found = [o for o in self.distinct(r) if _unit_note(self.text[o]) != self.text[o]]
        return len(found) >= 2 and len(self.rows[r]) >= max(2, math.ceil(width / 2))


def _header_rows(sheet: _Sheet, start: int) -> list[int]:
    """Indexes (into sheet.order) of the header rows starting at ``start``; [] when there is none."""
    order = sheet.order
    if not sheet.is_label_row(order[start]):
        return []
    header = [start]
    while len(header) < MAX_HEADER_ROWS and header[-1] + 1 < len(order):
        j = header[-1] + 1
        r, above = order[j], order[header[-1]]
        if r != above + 1:
            break  # a blank row ends the header
        head = {order[k] for k in header}
        row, above_row = sheet.rows[r], sheet.rows[above]
        merged_down = any(o[0] in head and o[0] < r for o in row.values())
        spans = {o for o, n in Counter(above_row.values()).items() if n > 1}
        under_span = any(above_row.get(c) in spans for c in row)
        fills_gap = any(c not in above_row for c in row) and any(c not in row for c in above_row)
        if merged_down or (sheet.is_label_row(r) and (under_span or fills_gap)):
            header.append(j)
        else:
            break
    return header


def lay_out(
    name: str, cells: Mapping[Pos, Cell], merges: Sequence[Merge], limits: SheetLimits
) -> SheetTable | None:
    """The sheet's table, or None when the sheet holds no row of two or more cells."""
    cells = {pos: cell for pos, cell in cells.items() if cell.text.strip()}
    if not cells:
        return None
    sheet = _Sheet(cells, _expand(cells, merges, limits))
    order = sheet.order
    multi = [r for r in order if len(sheet.distinct(r)) >= 2]
    if not multi:
        return None
    width = max(max(sheet.rows[r]) - min(sheet.rows[r]) + 1 for r in multi)

    start = next((j for j, r in enumerate(order) if sheet.starts_table(r, width)), None)
    if start is None:
        return None
    notes: list[str] = []
    for r in order[:start]:
        notes.extend(sheet.text[o] for o in sheet.distinct(r) if sheet.text[o] not in notes)
    end = len(order)
    footnotes: list[str] = []
    while end - 1 > start:
        found = sheet.distinct(order[end - 1])
        if len(found) != 1 or not _FOOTNOTE.match(sheet.text[found[0]]):
            break
        footnotes.insert(0, sheet.text[found[0]])
        end -= 1
    header = _header_rows(sheet, start)
    kept = order[start:end]
    head_rows = {order[j] for j in header}
    first_col = min(min(sheet.rows[r]) for r in kept)
    last_col = max(max(sheet.rows[r]) for r in kept)

    made: dict[Pos, GridCell] = {}
    grid_rows: list[tuple[GridCell | None, ...]] = []
    for g, r in enumerate(kept):
        row: list[GridCell | None] = []
        for c in range(first_col, last_col + 1):
            origin = sheet.rows[r].get(c)
            if origin is None or not sheet.text[origin]:
                row.append(None)
                continue
            cell = made.get(origin)
            if cell is None:
                cell = GridCell(
                    lines=sheet.lines[origin],
                    header=origin[0] in head_rows,
                    row_scope=False,
                    origin=(g, c - first_col),
                )
                made[origin] = cell
            row.append(cell)
        grid_rows.append(tuple(row))
    unit = next((u for u in map(_unit_note, notes) if u), "")
    return SheetTable(
        name=name,
        notes=tuple(notes),
        unit_note=unit,
        footnotes=tuple(footnotes),
        grid=Grid(rows=tuple(grid_rows), head_rows=len(header), width=last_col - first_col + 1),
    )

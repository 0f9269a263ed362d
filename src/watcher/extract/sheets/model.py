"""What the spreadsheet readers produce (SheetTable, SheetFile), the limits they keep, and why they refuse.

A sheet becomes the same ``Grid`` an HTML table becomes (watcher.extract.grid), so
the table-reading code can turn it into Records unchanged. What stands above the
table in the sheet (a title row, a （単位：千円） note, a 現在 date) is kept as
``notes`` rather than grid rows, and one-cell ※ rows below it as ``footnotes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from watcher.errors import ExtractError
from watcher.extract.grid import Grid

__all__ = ["DEFAULT_LIMITS", "Cell", "SheetFile", "SheetKind", "SheetLimits", "SheetTable", "SheetUnreadable"]

SheetKind = Literal["xlsx", "xls", "csv"]

_MIB = 1024 * 1024


class SheetUnreadable(ExtractError):
    """Why a workbook or CSV file cannot be read: one line for a person, never a traceback."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetLimits:
    """Bounds on what one file may cost; past any of them the file is refused with the reason.

    A refused file is never read in part: half a 交付決定一覧 would look like removals.
    """

    max_bytes: int = 64 * _MIB  # the file as downloaded
    max_unpacked_bytes: int = 256 * _MIB  # xlsx: all parts together, as the zip directory declares
    max_part_bytes: int = 128 * _MIB  # xlsx: any one part (sharedStrings is read whole)
    max_parts: int = 10_000  # xlsx: entries in the zip directory
    max_sheets: int = 100
    max_rows: int = 100_000  # per sheet (the last row number used, not only rows with values)
    max_columns: int = 256  # per sheet; Excel allows 16,384, a subsidy list has fewer than 30
    max_cells: int = 1_000_000  # per file: cells with a value, merged areas counted in full


DEFAULT_LIMITS = SheetLimits()


@dataclass(frozen=True, slots=True)
class Cell:
    """A cell as a reader found it: its text (as stored, see watcher.extract.sheets.values) and
    whether it was stored as text (a header label can only be text)."""

    text: str
    is_text: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetTable:
    """One table read from a sheet (or a CSV file), ready for the table reader."""

    name: str  # the sheet's name; "" for a CSV file
    notes: tuple[str, ...]  # cells above the table, row by row: title, unit note, 現在 dates
    unit_note: str  # the unit note among them, e.g. "(単位:千円)"; "" when there is none
    footnotes: tuple[str, ...]  # ※/注 rows below the table
    grid: Grid

    @property
    def title(self) -> str:
        """The table's caption: the first note that is not only the unit note, else the sheet name."""
        for note in self.notes:
            if note != self.unit_note:
                return note
        return self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetFile:
    """Every table of one file, in sheet order, and what was learnt on the way (for meta)."""

    kind: SheetKind
    tables: tuple[SheetTable, ...]
    meta: tuple[tuple[str, str], ...] = ()

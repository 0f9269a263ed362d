"""Spreadsheet attachments (.xlsx, .xls, .csv) read into the grid shape HTML tables become. Pure.

    read_sheet_file(kind, body)  → SheetFile: one SheetTable per table, or SheetUnreadable

Each reader is a function of the bytes alone (no I/O, no clock) and keeps to
SheetLimits, so a hostile file costs bounded time and memory. openpyxl and xlrd are
imported only when a workbook is read, never when this package is imported.

    SheetUnreadable (an ExtractError)   the file cannot be read; one line saying why
"""

from __future__ import annotations

from watcher.extract.sheets.model import (
    DEFAULT_LIMITS,
    SheetFile,
    SheetKind,
    SheetLimits,
    SheetTable,
    SheetUnreadable,
)

__all__ = [
    "DEFAULT_LIMITS",
    "SheetFile",
    "SheetKind",
    "SheetLimits",
    "SheetTable",
    "SheetUnreadable",
    "read_csv",
    "read_sheet_file",
    "read_xls",
    "read_xlsx",
]


def read_xlsx(body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """Every visible worksheet of an .xlsx workbook (see watcher.extract.sheets.xlsx)."""
    from watcher.extract.sheets.xlsx import read_xlsx as read

    return read(body, limits)


def read_xls(body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """Every visible worksheet of an .xls workbook (see watcher.extract.sheets.xls)."""
    from watcher.extract.sheets.xls import read_xls as read

    return read(body, limits)


def read_csv(body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """The table of a CSV or tab-separated file (see watcher.extract.sheets.delimited)."""
    from watcher.extract.sheets.delimited import read_csv as read

    return read(body, limits)


def read_sheet_file(kind: SheetKind, body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """The tables of a file of the given kind (as watcher.extract.detect decided it)."""
    readers = {"xlsx": read_xlsx, "xls": read_xls, "csv": read_csv}
    return readers[kind](body, limits)

"""`.xls` (Excel 97-2003, BIFF8) workbooks → SheetFile, one SheetTable per visible worksheet.

Read with xlrd 2.x, which reads .xls and nothing else (since 2.0 it refuses .xlsx
on purpose). ``formatting_info=True`` gives the merged ranges and each number's
format; a BIFF formula always carries its last result, so no formula lacks a value.
A password-protected .xls carries a FILEPASS record, which xlrd reports as
"Workbook is encrypted". xlrd writes its warnings to a log file of its own; here
that is a buffer, logged at debug level, so nothing reaches stdout. xlrd is
imported here only, when a workbook is read.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from watcher.extract.detect import OLE2_MAGIC, is_encrypted_ole
from watcher.extract.sheets.guard import check_body, library_error
from watcher.extract.sheets.layout import Merge, lay_out
from watcher.extract.sheets.model import (
    DEFAULT_LIMITS,
    Cell,
    SheetFile,
    SheetLimits,
    SheetTable,
    SheetUnreadable,
)
from watcher.extract.sheets.values import date_text, number_text

__all__ = ["read_xls"]

log = logging.getLogger(__name__)

# xlrd's cell types (xlrd.XL_CELL_*), spelt out so that this module imports xlrd lazily.
_TEXT, _NUMBER, _DATE, _BOOLEAN, _ERROR = 1, 2, 3, 4, 5


def read_xls(body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """Every visible worksheet's table; SheetUnreadable (one line) when the file cannot be read."""
    check_body(body, limits, "an Excel workbook")
    if body.startswith(b"PK\x03\x04"):
        raise SheetUnreadable("an .xlsx workbook, not .xls")
    if not body.startswith(OLE2_MAGIC):
        raise SheetUnreadable(f"not an Excel 97-2003 workbook (starts with {body[:8]!r})")
    if is_encrypted_ole(body):
        raise SheetUnreadable("password-protected (an encrypted workbook)")
    import xlrd  # only when a workbook is read: see the module docstring

    messages = io.StringIO()
    try:
        book = xlrd.open_workbook(
            file_contents=body, formatting_info=True, on_demand=True, ragged_rows=True,
            logfile=messages, verbosity=0,
        )
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise SheetUnreadable("password-protected (an encrypted workbook)") from exc
        raise library_error(exc, "broken workbook") from exc
    except Exception as exc:  # xlrd raises struct, index and compdoc errors on broken files
        raise library_error(exc, "broken workbook") from exc
    try:
        return _read(book, limits)
    except SheetUnreadable:
        raise
    except Exception as exc:
        raise library_error(exc, "broken workbook") from exc
    finally:
        book.release_resources()
        if messages.getvalue():
            log.debug("xlrd: %s", messages.getvalue().strip())


def _read(book: Any, limits: SheetLimits) -> SheetFile:
    names = book.sheet_names()
    if len(names) > limits.max_sheets:
        raise SheetUnreadable(f"{len(names):,} sheets (limit {limits.max_sheets:,})")
    tables: list[SheetTable] = []
    hidden: list[str] = []
    no_table: list[str] = []
    budget = limits.max_cells
    for index, name in enumerate(names):
        sheet = book.sheet_by_index(index)
        if sheet.visibility:
            hidden.append(name)
            continue
        if sheet.nrows > limits.max_rows:
            raise SheetUnreadable(f"sheet {name!r} has more than {limits.max_rows:,} rows (limit)")
        if sheet.ncols > limits.max_columns:
            raise SheetUnreadable(
                f"sheet {name!r} uses column {sheet.ncols:,} (limit {limits.max_columns:,} columns)"
            )
        cells = _cells(book, sheet)
        budget -= len(cells)
        if budget < 0:
            raise SheetUnreadable(f"more than {limits.max_cells:,} cells with a value (limit)")
        merges: list[Merge] = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
        table = lay_out(name, cells, merges, limits)
        if table is None:
            no_table.append(name)
        else:
            tables.append(table)
        book.unload_sheet(index)
    if budget == limits.max_cells:
        raise SheetUnreadable("empty workbook: no cell holds a value")
    meta = [("sheets", str(len(names)))]
    meta += [(f"sheets {why}", ", ".join(n)) for why, n in (("hidden", hidden), ("no table", no_table)) if n]
    return SheetFile(kind="xls", tables=tuple(tables), meta=tuple(meta))


def _cells(book: Any, sheet: Any) -> dict[tuple[int, int], Cell]:
    """The sheet's cells with a value, by (row, column), 0-based."""
    cells: dict[tuple[int, int], Cell] = {}
    for r in range(sheet.nrows):
        for c in range(sheet.row_len(r)):
            kind = sheet.cell_type(r, c)
            value = sheet.cell_value(r, c)
            if kind == _TEXT:
                cells[(r, c)] = Cell(value, True)
            elif kind == _NUMBER:
                cells[(r, c)] = Cell(number_text(value, _format(book, sheet, r, c)), False)
            elif kind == _DATE:
                cells[(r, c)] = Cell(_date(book, value), False)
            elif kind == _BOOLEAN:
                cells[(r, c)] = Cell("TRUE" if value else "FALSE", False)
            elif kind == _ERROR:
                from xlrd import error_text_from_code

                cells[(r, c)] = Cell(error_text_from_code.get(value, "#ERROR"), False)
    return cells


def _format(book: Any, sheet: Any, r: int, c: int) -> str | None:
    xf = book.xf_list[sheet.cell_xf_index(r, c)]
    fmt = book.format_map.get(xf.format_key)
    return None if fmt is None else str(fmt.format_str)


def _date(book: Any, value: float) -> str:
    from xlrd.xldate import XLDateError, xldate_as_datetime

    try:
        moment = xldate_as_datetime(value, book.datemode)
    except (XLDateError, ValueError, OverflowError):
        return number_text(value)
    if 0 <= value < 1:
        return date_text(moment.time())  # a time of day without a date
    return date_text(moment)

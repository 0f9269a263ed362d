"""`.xlsx` workbooks → SheetFile, one SheetTable per visible worksheet, through openpyxl.

Before openpyxl sees the file, watcher.extract.sheets.ooxml checks the zip directory
(zip bombs), lists the sheets and scans each one (row limit, merged ranges,
formulas without a cached value). openpyxl then reads the values in read-only mode
with ``data_only=True``: the value Excel last calculated, never the formula.

A formula saved without its value (a file written by a program that does not
calculate, such as openpyxl itself) is refused as a whole: reading it as a blank
would turn an amount into a removal. Hidden sheets, chart sheets and sheets
without a table are left out and counted in ``meta``. openpyxl is imported here
only, when a workbook is read, so the watcher's start-up does not pay for it.
"""

from __future__ import annotations

import datetime
import io
import logging
import warnings
from typing import Any

from watcher.extract.detect import OLE2_MAGIC, is_encrypted_ole
from watcher.extract.sheets.guard import check_body, library_error
from watcher.extract.sheets.layout import lay_out
from watcher.extract.sheets.model import (
    DEFAULT_LIMITS,
    Cell,
    SheetFile,
    SheetLimits,
    SheetTable,
    SheetUnreadable,
)
from watcher.extract.sheets.ooxml import (
    SheetPart,
    SheetScan,
    open_archive,
    scan_sheet,
    sheet_parts,
)
from watcher.extract.sheets.values import date_text, number_text

__all__ = ["read_xlsx"]

log = logging.getLogger(__name__)

_DATES = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)


def read_xlsx(body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """Every visible worksheet's table; SheetUnreadable (one line) when the file cannot be read."""
    check_body(body, limits, "an Excel workbook")
    if body.startswith(OLE2_MAGIC):
        if is_encrypted_ole(body):
            raise SheetUnreadable("password-protected (an encrypted workbook)")
        raise SheetUnreadable("an .xls (Excel 97-2003) workbook, not .xlsx")
    if not body.startswith(b"PK\x03\x04"):
        raise SheetUnreadable(f"not an Excel workbook (starts with {body[:8]!r})")
    try:
        parts, scans = _check(body, limits)
        return _read(body, parts, scans, limits)
    except SheetUnreadable:
        raise
    except RecursionError as exc:
        raise SheetUnreadable("XML nested too deeply") from exc
    except Exception as exc:  # openpyxl and zipfile raise many types on broken files
        log.info("unreadable xlsx: %r", exc)
        raise library_error(exc, "broken workbook") from exc


def _check(body: bytes, limits: SheetLimits) -> tuple[list[SheetPart], dict[str, SheetScan]]:
    """The sheets to read and their scans, once the archive and every sheet have passed."""
    with open_archive(body, limits) as archive:
        parts = sheet_parts(archive)
        if not parts:
            raise SheetUnreadable("the workbook lists no sheets")
        if len(parts) > limits.max_sheets:
            raise SheetUnreadable(f"{len(parts):,} sheets (limit {limits.max_sheets:,})")
        scans = {p.name: scan_sheet(archive, p, limits) for p in parts if p.visible and p.worksheet}
    for name, scan in scans.items():
        if scan.uncached_count:
            more = f" and {scan.uncached_count - 1:,} more" if scan.uncached_count > 1 else ""
            first = scan.uncached[0] if scan.uncached else "?"
            raise SheetUnreadable(
                f"formula without a cached value at '{name}'!{first}{more} "
                "(saved by a program that does not calculate; open and save it in Excel)"
            )
    return parts, scans


def _read(
    body: bytes, parts: list[SheetPart], scans: dict[str, SheetScan], limits: SheetLimits
) -> SheetFile:
    import openpyxl  # only when a workbook is read: see the module docstring

    tables: list[SheetTable] = []
    skipped: dict[str, list[str]] = {"hidden": [], "not a worksheet": [], "no table": []}
    budget = [limits.max_cells]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True, keep_links=False)
        try:
            for part in parts:
                if not part.worksheet:
                    skipped["not a worksheet"].append(part.name)
                    continue
                if not part.visible:
                    skipped["hidden"].append(part.name)
                    continue
                cells = _cells(book[part.name], part.name, limits, budget)
                table = lay_out(part.name, cells, scans[part.name].merges, limits)
                if table is None:
                    skipped["no table"].append(part.name)
                else:
                    tables.append(table)
        finally:
            book.close()
    for warning in caught:
        log.debug("openpyxl: %s", warning.message)
    if budget[0] == limits.max_cells:
        raise SheetUnreadable("empty workbook: no cell holds a value")
    meta = [("sheets", str(len(parts)))]
    meta += [(f"sheets {why}", ", ".join(names)) for why, names in skipped.items() if names]
    return SheetFile(kind="xlsx", tables=tuple(tables), meta=tuple(meta))


def _cells(sheet: Any, name: str, limits: SheetLimits, budget: list[int]) -> dict[tuple[int, int], Cell]:
    """The sheet's cells with a value, by (row, column), 0-based."""
    sheet.reset_dimensions()  # a stale <dimension ref="A1:XFD1048576"> must not pad every row
    cells: dict[tuple[int, int], Cell] = {}
    for r, row in enumerate(sheet.iter_rows()):
        if r >= limits.max_rows:
            raise SheetUnreadable(f"sheet {name!r} has more than {limits.max_rows:,} rows (limit)")
        for cell in row:
            value = cell.value
            if value is None:
                continue
            c = cell.column - 1
            if c >= limits.max_columns:
                raise SheetUnreadable(
                    f"sheet {name!r} uses column {c + 1:,} (limit {limits.max_columns:,} columns)"
                )
            budget[0] -= 1
            if budget[0] < 0:
                raise SheetUnreadable(f"more than {limits.max_cells:,} cells with a value (limit)")
            cells[(r, c)] = _cell(value, cell)
    return cells


def _cell(value: object, cell: Any) -> Cell:
    if isinstance(value, str):
        return Cell(value, cell.data_type != "e")  # "#REF!" and other errors are not labels
    if isinstance(value, bool):
        return Cell("TRUE" if value else "FALSE", False)
    if isinstance(value, int | float):
        return Cell(number_text(value, cell.number_format), False)
    if isinstance(value, _DATES):
        return Cell(date_text(value), False)
    return Cell(str(value), False)

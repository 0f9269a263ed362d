"""Spreadsheet test helpers: the fixture script, hand-written .xlsx parts, and reading a grid as Records.

``fixtures()`` loads scripts/make_sheet_fixtures.py (the workbooks the project writes).
``minimal_xlsx`` writes a workbook part by part, for the files Excel and openpyxl
would never write (a zip bomb, a lying dimension, furigana, a million rows).
``records_of`` reads a SheetTable's grid with the table reader's own column and row
functions, the way watcher.extract.table reads an HTML table's grid.
"""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from collections.abc import Iterable
from functools import cache
from io import BytesIO
from pathlib import Path
from types import ModuleType

from watcher.extract.document import Record
from watcher.extract.sheets import SheetTable
from watcher.extract.table_rows import primary_amount_column, read_columns, read_row
from watcher.extract.yen import unit_multiplier

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "sheets"

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@cache
def fixtures() -> ModuleType:
    """scripts/make_sheet_fixtures.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "make_sheet_fixtures", ROOT / "scripts/make_sheet_fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_sheet_fixtures"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def sheet_xml(rows: str, *, dimension: str = "", tail: str = "") -> bytes:
    """A worksheet part around the given <row> elements."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<worksheet {_NS} {_R}>{dim}<sheetData>{rows}</sheetData>{tail}</worksheet>"
    ).encode()


def minimal_xlsx(
    sheet: bytes | Iterable[bytes],
    *,
    shared_strings: list[str] | None = None,
    shared_strings_xml: bytes | None = None,
    workbook_xml: bytes | None = None,
    name: str = "Sheet1",
) -> bytes:
    """An .xlsx with one worksheet; ``sheet`` may be an iterable of chunks (streamed into the zip)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = (
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        )
        strings = shared_strings_xml
        if strings is None and shared_strings is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared_strings)
            strings = f'<sst {_NS} count="{len(shared_strings)}">{items}</sst>'.encode()
        if strings is not None:
            overrides += (
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            )
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            workbook_xml
            or f'<workbook {_NS} {_R}><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(),
        )
        rels = f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        if strings is not None:
            rels += f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", strings)
        if isinstance(sheet, bytes):
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        else:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                for chunk in sheet:
                    part.write(chunk)
    return out.getvalue()


def texts(table: SheetTable) -> list[list[str | None]]:
    """The grid as rows of cell texts (None where no cell stands)."""
    return [[cell.text if cell else None for cell in row] for row in table.grid.rows]


def records_of(table: SheetTable) -> list[Record]:
    """The grid's body rows as Records, read by the table reader's column and row functions."""
    grid = table.grid
    labels: list[str] = []
    for j in range(grid.width):
        parts: list[str] = []
        for row in grid.rows[: grid.head_rows]:
            cell = row[j]
            if cell is not None and (not parts or parts[-1] != cell.text):
                parts.append(cell.text)
        labels.append(" ".join(parts) or f"列{j + 1}")
    unit = unit_multiplier(" ".join(table.notes))
    columns = read_columns(grid, grid.head_rows, labels, unit)
    primary = primary_amount_column(columns, [j for j, c in enumerate(columns) if c.kind is None])
    rows = (read_row(row, columns, primary, unit, labels) for row in grid.rows[grid.head_rows :])
    return [row.record for row in rows if row is not None]

"""Bad workbooks are refused with one line saying why, within bounded time and memory.

Zip bombs, lying zip directories, broken and hostile XML, a million rows, formulas
saved without their value, password protection and empty files: each raises
SheetUnreadable (never another exception) whose message is one line.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest

from watcher.extract.sheets import SheetLimits, SheetUnreadable, read_xlsx

from support.sheets import FIXTURES, fixtures, minimal_xlsx, sheet_xml

HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>事業名</t></is></c><c r="B1" t="inlineStr"><is><t>金額</t></is></c></row>'


def refused(body: bytes, limits: SheetLimits | None = None) -> str:
    with pytest.raises(SheetUnreadable) as caught:
        read_xlsx(body) if limits is None else read_xlsx(body, limits)
    reason = str(caught.value)
    assert "\n" not in reason
    assert len(reason) <= 200
    return reason


def zeros(total: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    head = sheet_xml(HEADER)[:-len(b"</sheetData></worksheet>")]
    yield head
    left = total
    while left > 0:
        yield b" " * min(chunk, left)
        left -= chunk
    yield b"</sheetData></worksheet>"


# -- zip -----------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_the_directory_before_anything_is_inflated() -> None:
    # 200 MB of blanks deflate to about 200 KB; the default limit for one part is 128 MB.
    body = minimal_xlsx(zeros(200 * 1024 * 1024))
    assert len(body) < 1024 * 1024
    reason = refused(body)
    assert reason.startswith("zip bomb: xl/worksheets/sheet1.xml expands ")
    assert reason.endswith("to 200 MB (limit 128 MB)")


def test_parts_that_together_expand_past_the_limit_are_refused() -> None:
    body = minimal_xlsx(zeros(3 * 1024 * 1024))
    limits = SheetLimits(max_part_bytes=10 * 1024 * 1024, max_unpacked_bytes=2 * 1024 * 1024)
    assert refused(body, limits) == "zip bomb: the parts expand to 3 MB (limit 2 MB)"


def understate(body: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size claimed as ``size`` in both of its headers."""
    data = bytearray(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        info = archive.getinfo(name)
    data[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    return bytes(data)


def test_a_zip_directory_that_understates_a_part_fails_its_crc_not_memory() -> None:
    body = understate(minimal_xlsx(zeros(4 * 1024 * 1024)), "xl/worksheets/sheet1.xml", 2000)
    assert refused(body) == "broken workbook: BadZipFile: Bad CRC-32 for file 'xl/worksheets/sheet1.xml'"


def test_a_truncated_download_is_not_a_zip() -> None:
    whole = fixtures().kofu_kettei_xlsx()
    assert refused(whole[: len(whole) // 2]).startswith("not a readable zip archive (")


def test_a_zip_that_is_no_workbook_says_so() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert refused(out.getvalue()) == "xl/workbook.xml is missing: not an Excel workbook"


# -- XML -----------------------------------------------------------------------------


def test_broken_sheet_xml_is_one_line() -> None:
    body = minimal_xlsx(sheet_xml(HEADER + '<row r="2"><c r="A2"><v>1</v></row>'))
    assert refused(body).startswith("broken workbook: ")


def test_broken_workbook_xml_names_the_part() -> None:
    body = minimal_xlsx(sheet_xml(HEADER), workbook_xml=b"<workbook><sheets><sheet name=")
    assert refused(body).startswith("broken XML in xl/workbook.xml: ")


def test_an_entity_bomb_is_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    assert refused(minimal_xlsx(bomb)) == "xl/worksheets/sheet1.xml declares a DOCTYPE (Excel never does): refused"


def test_an_entity_bomb_in_shared_strings_is_refused_before_openpyxl_reads_it() -> None:
    strings = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&b;</t></si></sst>'
    )
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c></row>'
    assert refused(minimal_xlsx(sheet_xml(rows), shared_strings_xml=strings)) == (
        "xl/sharedStrings.xml declares a DOCTYPE (Excel never does): refused"
    )


# -- size ----------------------------------------------------------------------------


def many_rows(count: int) -> Iterator[bytes]:
    """A sheet part of ``count`` rows after the header, streamed 50,000 rows at a time."""
    yield sheet_xml(HEADER)[:-len(b"</sheetData></worksheet>")]
    for start in range(2, count + 2, 50_000):
        yield "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>事業{n}</t></is></c><c r="B{n}"><v>{n}</v></c></row>'
            for n in range(start, min(start + 50_000, count + 2))
        ).encode()
    yield b"</sheetData></worksheet>"


def test_rows_past_the_row_limit_stop_the_scan() -> None:
    body = minimal_xlsx(many_rows(20_000))
    assert refused(body, SheetLimits(max_rows=1_000)) == "sheet 'Sheet1' has more than 1,000 rows (limit)"


@pytest.mark.slow
def test_a_million_rows_stop_at_the_default_row_limit() -> None:
    # Building the file takes about 5 s here; refusing it under 1 s (the scan stops at 100,000).
    assert refused(minimal_xlsx(many_rows(1_000_000))) == "sheet 'Sheet1' has more than 100,000 rows (limit)"


def test_one_stray_cell_far_down_counts_as_all_the_rows_above_it() -> None:
    rows = HEADER + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    assert refused(minimal_xlsx(sheet_xml(rows))) == "sheet 'Sheet1' has more than 100,000 rows (limit)"


def test_a_cell_past_the_column_limit_is_refused() -> None:
    rows = HEADER + '<row r="2"><c r="A2"><v>1</v></c><c r="XFD2"><v>1</v></c></row>'
    assert refused(minimal_xlsx(sheet_xml(rows))) == "sheet 'Sheet1' uses column 16,384 (limit 256 columns)"


def test_cells_past_the_cell_limit_are_refused() -> None:
    rows = HEADER + "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>1</v></c></row>' for n in range(2, 40))
    assert refused(minimal_xlsx(sheet_xml(rows)), SheetLimits(max_cells=50)) == (
        "more than 50 cells with a value (limit)"
    )


def test_a_merge_over_the_whole_sheet_costs_only_the_cells_in_use() -> None:
    rows = HEADER + '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row>'
    body = minimal_xlsx(sheet_xml(rows, tail='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'))
    assert read_xlsx(body).tables == ()  # one cell holds the whole sheet: no table


# -- content -------------------------------------------------------------------------


def test_a_formula_saved_without_its_value_is_refused_not_read_as_blank() -> None:
    body = fixtures().kofu_kettei_xlsx(cached_total=False)  # as openpyxl saves it
    assert refused(body) == (
        "formula without a cached value at '交付決定一覧'!E12 "
        "(saved by a program that does not calculate; open and save it in Excel)"
    )


def test_several_uncached_formulas_are_counted() -> None:
    rows = HEADER + "".join(f'<row r="{n}"><c r="A{n}"><f>ROW()</f></c><c r="B{n}"><v>1</v></c></row>' for n in (2, 3, 4))
    assert refused(minimal_xlsx(sheet_xml(rows))).startswith(
        "formula without a cached value at 'Sheet1'!A2 and 2 more "
    )


def test_a_password_protected_workbook_says_so() -> None:
    assert refused((FIXTURES / "encrypted.xlsx").read_bytes()) == "password-protected (an encrypted workbook)"


def test_an_xls_given_as_xlsx_is_named() -> None:
    assert refused((FIXTURES / "kofu-kettei.xls").read_bytes()) == "an .xls (Excel 97-2003) workbook, not .xlsx"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty file (0 bytes)"),
        ("<!DOCTYPE html><html><head><title>ただいまメンテナンス中です</title>".encode(),
         "not an Excel workbook but an HTML page"),
        (b"%PDF-1.7\n", "not an Excel workbook (starts with b'%PDF-1.7')"),
    ],
    ids=["empty", "html", "pdf"],
)
def test_what_is_not_a_workbook_is_named(body: bytes, reason: str) -> None:
    assert refused(body) == reason


def test_a_workbook_without_a_value_is_empty() -> None:
    assert refused(minimal_xlsx(sheet_xml(""))) == "empty workbook: no cell holds a value"


def test_a_doctype_hidden_behind_a_long_prolog_is_refused_too() -> None:
    padded = b'<?xml version="1.0"?>' + b"<!-- " + b"x" * 8000 + b" -->" + sheet_xml(HEADER).split(b"\n", 1)[1]
    assert refused(minimal_xlsx(padded)) == (
        "xl/worksheets/sheet1.xml has no root element in its first 4,096 bytes: refused"
    )

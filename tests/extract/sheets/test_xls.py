""".xls (Excel 97-2003) workbooks read with xlrd into the same grid as their .xlsx twins.

The .xls fixtures are checked in (tests/fixtures/sheets), written by xlwt through
scripts/make_sheet_fixtures.py; xlwt is a dev dependency only.
"""

from __future__ import annotations

import pytest

from watcher.extract.sheets import SheetUnreadable, read_xls, read_xlsx

from support.sheets import FIXTURES, fixtures, texts


@pytest.mark.parametrize("name", ["kofu-kettei.xls", "merged-header.xls", "encrypted.xls"])
def test_checked_in_xls_files_are_what_the_script_writes(name: str) -> None:
    pytest.importorskip("xlwt")
    assert (FIXTURES / name).read_bytes() == fixtures().CHECKED_IN[name]()


@pytest.mark.parametrize(
    ("xls", "make_xlsx"),
    [("kofu-kettei.xls", "kofu_kettei_xlsx"), ("merged-header.xls", "merged_header_xlsx")],
)
def test_an_xls_reads_as_its_xlsx_twin(xls: str, make_xlsx: str) -> None:
    old = read_xls((FIXTURES / xls).read_bytes())
    new = read_xlsx(getattr(fixtures(), make_xlsx)())
    assert len(old.tables) == len(new.tables) == 1
    a, b = old.tables[0], new.tables[0]
    assert (a.name, a.notes, a.unit_note, a.footnotes) == (b.name, b.notes, b.unit_note, b.footnotes)
    assert texts(a) == texts(b)
    assert a.grid.head_rows == b.grid.head_rows
    origins = [[c.origin if c else None for c in row] for row in a.grid.rows]
    assert origins == [[c.origin if c else None for c in row] for row in b.grid.rows]


def test_xls_numbers_are_floats_read_as_stored_integers() -> None:
    rows = texts(read_xls((FIXTURES / "kofu-kettei.xls").read_bytes()).tables[0])
    assert rows[1][3:] == ["4430001098765", "12345000000", "2025-04-18"]


def test_password_protected_xls_says_so() -> None:
    with pytest.raises(SheetUnreadable, match=r"^password-protected \(an encrypted workbook\)$"):
        read_xls((FIXTURES / "encrypted.xls").read_bytes())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", r"^empty file \(0 bytes\)$"),
        (b"<!DOCTYPE html><html><body>Not Found</body></html>", r"^not an Excel workbook but an HTML page$"),
        (b"PK\x03\x04rest", r"^an \.xlsx workbook, not \.xls$"),
        (b"ID;PWXL;N;E\r\n", r"^not an Excel 97-2003 workbook \(starts with b'ID;PWXL;'\)$"),
    ],
)
def test_what_is_not_an_xls_is_named(body: bytes, reason: str) -> None:
    with pytest.raises(SheetUnreadable, match=reason):
        read_xls(body)


def test_a_cut_off_xls_is_one_line() -> None:
    whole = (FIXTURES / "kofu-kettei.xls").read_bytes()
    with pytest.raises(SheetUnreadable) as caught:
        read_xls(whole[: len(whole) // 2])
    assert str(caught.value).startswith("broken workbook: ")
    assert "\n" not in str(caught.value)

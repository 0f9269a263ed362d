"""CSV files: Shift_JIS or UTF-8 (with or without BOM), the delimiter sniffed, the header found."""

from __future__ import annotations

import doctest

import pytest

from watcher.extract.sheets import SheetLimits, SheetTable, SheetUnreadable, delimited, read_csv

from support.sheets import fixtures, records_of, texts

HEADER = ["事業名", "交付先名", "法人番号", "交付決定額(単位:円)", "交付決定日"]
FIRST = ["先端ロジック半導体の製造装置導入", "北海道先端ロジック株式会社", "4430001098765", "12,345,000,000", "令和7年4月18日"]


def only_table(body: bytes) -> SheetTable:
    found = read_csv(body).tables
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("encoding", "said"),
    [("cp932", "cp932"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")],
)
def test_the_same_list_reads_alike_in_every_encoding(encoding: str, said: str) -> None:
    result = read_csv(fixtures().kofu_kettei_csv(encoding))
    assert ("encoding", said) in result.meta
    table = result.tables[0]
    assert table.notes == ("令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧",)
    assert table.name == ""
    assert table.grid.head_rows == 1
    assert texts(table)[:2] == [HEADER, FIRST]


def test_shift_jis_extensions_read_as_written() -> None:
    body = "事業名,交付先名,金額\n①半導体,㈱中部特殊ガス,100\n".encode("cp932")
    assert texts(only_table(body))[1] == ["1半導体", "(株)中部特殊ガス", "100"]  # NFKC, as HTML cells


def test_records_read_with_the_header_unit() -> None:
    records = records_of(only_table(fixtures().kofu_kettei_csv()))
    assert [r.amount_yen for r in records][:2] == [12_345_000_000, 2_180_500_000]
    assert records[0].dates == ("2025-04-18",)


def test_a_unit_line_above_the_table_is_the_unit_note() -> None:
    body = "令和8年度 予算案\n（単位：千円）\n事項,予算額\nAI・半導体,\"1,239,000,000\"\n".encode("cp932")
    table = only_table(body)
    assert table.notes == ("令和8年度 予算案", "(単位:千円)")
    assert table.unit_note == "(単位:千円)"
    assert [r.amount_yen for r in records_of(table)] == [12_390 * 10**8]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("事業名\t金額\n半導体\t1,000\nAI\t2,000\n", "tab"),  # commas inside amounts do not split
        ("事業名;金額\n半導体;1000\nAI;2000\n", ";"),
        ('事業名,金額\n"半導体, 後工程","1,000"\nAI,2000\n', ","),
    ],
)
def test_the_delimiter_is_sniffed(text: str, delimiter: str) -> None:
    result = read_csv(text.encode("utf-8"))
    assert ("delimiter", delimiter) in result.meta
    assert texts(result.tables[0])[0] == ["事業名", "金額"]


def test_a_quoted_line_break_is_two_lines_of_one_cell() -> None:
    body = '交付先名,金額\n"東北メモリテクノロジー株式会社\n株式会社みちのく実装",100\n'.encode()
    cell = only_table(body).grid.rows[1][0]
    assert cell is not None
    assert cell.lines == ("東北メモリテクノロジー株式会社", "株式会社みちのく実装")


def test_a_file_without_a_header_row_has_none() -> None:
    table = only_table("半導体,100\nAI,200\n".encode())
    assert table.grid.head_rows == 0
    assert len(table.grid.rows) == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("事業名,金額\n半導体,100\n".encode() + "ＡＩ,200\n".encode("cp932"),
         r"^mixed encodings: line 1 is UTF-8, line 3 is Shift_JIS$"),
        ("事業名,金額\n".encode("cp932") + "半導体,100\n".encode(),
         r"^mixed encodings: line 2 is UTF-8, line 1 is Shift_JIS$"),
        ("\ufeff事業名,金額\n".encode() + "半導体,100\n".encode("cp932"),
         r"^mixed encodings: line 1 is UTF-8, line 2 is Shift_JIS$"),
        (b"\x85\x40,\xeb\x40\n", r"^neither UTF-8 nor Shift_JIS \(line 1\)$"),
        (b"", r"^empty file \(0 bytes\)$"),
        (b" \r\n\r\n", r"^empty file \(5 bytes\)$"),
        (b",,,\r\n,,\r\n", r"^empty file: no field holds a value$"),
        (b"<!DOCTYPE html>\n<html><head><title>\xe3\x83\xa1\xe3\x83\xb3\xe3\x83\x86\xe3\x83\x8a\xe3\x83\xb3\xe3\x82\xb9</title>",
         r"^not a CSV file but an HTML page$"),
        (b"PK\x03\x04\x14\x00\x00\x00binary", r"^not a text file \(NUL bytes; binary data or UTF-16 without a BOM\)$"),
    ],
    ids=["utf8-then-sjis", "sjis-then-utf8", "bom-then-sjis", "neither", "empty", "blank",
         "only-commas", "html", "binary"],
)
def test_unreadable_csv_gives_its_reason(body: bytes, reason: str) -> None:
    with pytest.raises(SheetUnreadable, match=reason):
        read_csv(body)


def test_rows_past_the_limit_refuse_the_file() -> None:
    body = ("事業名,金額\n" + "".join(f"事業{i},{i}\n" for i in range(20))).encode()
    with pytest.raises(SheetUnreadable, match=r"^more than 10 rows \(limit\)$"):
        read_csv(body, SheetLimits(max_rows=10))
    assert len(read_csv(body, SheetLimits(max_rows=21)).tables[0].grid.rows) == 21


def test_a_field_over_the_csv_module_limit_is_a_reason() -> None:
    body = ("事業名,金額\n\"" + "あ" * 200_000 + "\",1\n").encode()
    with pytest.raises(SheetUnreadable, match=r"^not a readable CSV file: field larger than field limit"):
        read_csv(body)


def test_doctests_pass() -> None:
    results = doctest.testmod(delimited)
    assert results.attempted > 0
    assert results.failed == 0

""".xlsx workbooks read into the table grid: titles and units as notes, merges expanded, values as stored."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys

import openpyxl
import pytest

from watcher.extract.sheets import SheetTable, read_xlsx
from watcher.extract.table import read_tables

from support.sheets import fixtures, minimal_xlsx, records_of, sheet_xml, texts


def only_table(body: bytes) -> SheetTable:
    found = read_xlsx(body).tables
    assert len(found) == 1
    return found[0]


def workbook(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, fmt in (formats or {}).items():
        sheet[ref].number_format = fmt
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- 交付決定一覧 -------------------------------------------------------------------


def test_kofu_kettei_title_and_date_stamp_are_notes_and_the_table_starts_at_its_header() -> None:
    table = only_table(fixtures().kofu_kettei_xlsx())
    assert table.name == "交付決定一覧"
    assert table.notes == (
        "令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧",
        "令和7年10月1日現在",
    )
    assert table.title == "令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧"
    assert table.unit_note == ""  # the unit is in the amount column's header
    assert table.footnotes == ("※ 交付決定額は補助金の上限額であり、額の確定は事業完了後の確定検査による。",)
    assert table.grid.head_rows == 1
    assert texts(table)[0] == ["No.", "事業名", "交付先名", "法人番号", "交付決定額(単位:円)", "交付決定日"]
    assert all(cell is not None and cell.header for cell in table.grid.rows[0])
    assert not any(cell.header for row in table.grid.rows[1:] for cell in row if cell)


def test_kofu_kettei_values_are_as_stored_and_dates_iso() -> None:
    rows = texts(only_table(fixtures().kofu_kettei_xlsx()))
    # 12,345,000,000 under #,##0 is the integer, not "12345000000.0"; 法人番号 keeps 13 digits;
    # a 令和 date format (ggge年m月d日) still reads as the ISO date.
    assert rows[1] == [
        "1", "先端ロジック半導体の製造装置導入", "北海道先端ロジック株式会社", "4430001098765",
        "12345000000", "2025-04-18",
    ]
    assert rows[4][2] == "(株)中部特殊ガス"  # NFKC, as HTML cells are


def test_a_line_break_in_a_cell_is_two_lines() -> None:
    table = only_table(fixtures().kofu_kettei_xlsx())
    cell = table.grid.rows[3][2]
    assert cell is not None
    assert cell.lines == ("東北メモリテクノロジー株式会社", "株式会社みちのく実装")


def test_total_row_reads_the_cached_formula_result_across_its_merged_label() -> None:
    fx = fixtures()
    total = texts(only_table(fx.kofu_kettei_xlsx()))[-1]
    assert total == ["合計", "合計", "合計", "合計", str(sum(a.amount_yen for a in fx.APPROVALS)), None]
    row = only_table(fx.kofu_kettei_xlsx()).grid.rows[-1]
    assert {cell.origin for cell in row[:4] if cell} == {(len(fx.APPROVALS) + 1, 0)}


def test_the_grid_reads_like_the_same_table_in_html() -> None:
    """Records from the sheet's grid have the keys and amounts of the HTML table with the same content."""
    fx = fixtures()
    cells = "".join(
        f"<tr><td>{n}</td><td>{a.business}</td><td>{a.recipient.replace(chr(10), '<br>')}</td>"
        f"<td>{a.corporate_number}</td><td>{a.amount_yen:,}</td>"
        f"<td>令和7年{a.decided.month}月{a.decided.day}日</td></tr>"
        for n, a in enumerate(fx.APPROVALS, start=1)
    )
    html = (
        '<html><body><div id="__main_contents"><table><caption>交付決定一覧</caption>'
        "<tr><th>No.</th><th>事業名</th><th>交付先名</th><th>法人番号</th>"
        f"<th>交付決定額（単位：円）</th><th>交付決定日</th></tr>{cells}</table></div></body></html>"
    )
    from_html = read_tables(html)
    from_sheet = records_of(only_table(fx.kofu_kettei_xlsx()))[: len(fx.APPROVALS)]
    assert [(r.key, r.amount_yen, r.dates) for r in from_sheet] == [
        (r.key, r.amount_yen, r.dates) for r in from_html
    ]
    assert from_sheet[0].amount_yen == 12_345_000_000


def test_revision_two_changes_one_amount_and_adds_one_row() -> None:
    fx = fixtures()
    before = {r.key: r.amount_yen for r in records_of(only_table(fx.kofu_kettei_xlsx(1)))}
    after = {r.key: r.amount_yen for r in records_of(only_table(fx.kofu_kettei_xlsx(2)))}
    changed = {k for k in before if before[k] != after.get(k)}
    assert len(changed) == 2  # 東北メモリテクノロジー and the 合計
    added = [k for k in after if k not in before]
    assert len(added) == 1
    assert added[0].startswith("東海マイコン")


# -- budget, two sheets, merged header ------------------------------------------------


def test_budget_sheet_takes_its_unit_from_the_title_row() -> None:
    table = only_table(fixtures().budget_xlsx())
    assert table.notes == ("令和8年度 経済産業省 AI・半導体関連予算案の概要(単位:千円)",)
    assert table.unit_note == "(単位:千円)"
    rows = texts(table)
    assert rows[0] == ["事項", "令和7年度予算額", "令和8年度予算案", "対前年度増減", "備考"]
    assert rows[1][:4] == ["AI・半導体産業基盤強化", "330000000", "1239000000", "909000000"]
    assert rows[-1][3] == "-8000000"  # shown as △8,000,000: the stored sign
    assert rows[4][1] == "0"
    # Read in 千円: 1,239,000,000千円 is the 1兆2,390億円 of the 令和8年度予算案.
    ai = {r.key: r for r in records_of(table)}["ai半導体産業基盤強化"]
    assert ai.amount_yen == 3_300 * 10**8
    assert ai.other_amounts_yen[0] == 12_390 * 10**8


def test_two_sheets_are_two_tables_with_their_own_titles_and_units() -> None:
    result = read_xlsx(fixtures().two_sheet_xlsx())
    assert [(t.name, t.title, t.unit_note) for t in result.tables] == [
        ("一次公募", "令和7年度 一次公募 採択結果", "(単位:千円)"),
        ("二次公募", "令和7年度 二次公募 採択結果", "(単位:千円)"),
    ]
    assert [len(t.grid.rows) for t in result.tables] == [5, 5]
    assert ("sheets hidden", "リスト") in result.meta
    assert texts(result.tables[1])[1][3] == "7700000"


def test_merged_header_cells_are_expanded_with_their_origin_kept() -> None:
    table = only_table(fixtures().merged_header_xlsx())
    grid = table.grid
    assert grid.head_rows == 2
    assert texts(table)[:2] == [
        ["事業者名", "事業所在地", "交付決定額(単位:千円)", "交付決定額(単位:千円)", "交付決定額(単位:千円)", "交付決定日"],
        ["事業者名", "事業所在地", "国庫補助金", "地方公共団体負担", "計", "交付決定日"],
    ]
    assert grid.rows[0][0] is grid.rows[1][0]  # merged down: one cell, origin (0, 0)
    assert grid.rows[0][0] is not None
    assert grid.rows[0][0].origin == (0, 0)
    assert {c.origin for c in grid.rows[0][2:5] if c} == {(0, 2)}  # merged across
    # One operator's two sites under one merged cell, as rowspan groups them in HTML.
    assert grid.rows[2][0] is grid.rows[3][0]
    assert grid.rows[3][0] is not None
    assert grid.rows[3][0].origin == (2, 0)
    amounts = [r.amount_yen for r in records_of(table)]
    assert amounts[:2] == [3_000_000_000, 1_500_000_000]  # 国庫補助金 in 千円


# -- values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (1234567, "#,##0", "1234567"),
        (1234567.0, "#,##0", "1234567"),  # saved as a float: still no ".0"
        (0.1 + 0.2, "General", "0.3"),  # Excel's 15 digits, not 0.30000000000000004
        (929.3, "#,##0.0", "929.3"),
        (1234567, '#,##0,"千円"', "1234.567千円"),  # shown as 1,235千円: the exact value in 千円
        (4760, '#,##0"億円"', "4760億円"),
        (0.5, "0%", "50%"),
        (-1500, '#,##0;"△"#,##0', "-1500"),
    ],
)
def test_numbers_read_as_stored_with_scaling_percent_and_units(value: float, fmt: str, text: str) -> None:
    body = workbook([["事項", "金額"], ["半導体", value]], {"B2": fmt})
    assert texts(only_table(body))[1][1] == text


def test_dates_and_times_read_consistently() -> None:
    received = datetime.datetime(2025, 4, 1, 9, 30)  # noqa: DTZ001 (Excel times have no zone)
    body = workbook(
        [["交付決定日", "受付時刻"], [datetime.date(2025, 4, 1), received]],
        {"A2": "yyyy/m/d", "B2": "yyyy/m/d h:mm"},
    )
    assert texts(only_table(body))[1] == ["2025-04-01", "2025-04-01 09:30"]


def test_furigana_in_shared_strings_is_not_part_of_the_text() -> None:
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3">'
        b"<si><t>\xe4\xba\xa4\xe4\xbb\x98\xe5\x85\x88\xe5\x90\x8d</t></si>"  # 交付先名
        b"<si><t>\xe9\x87\x91\xe9\xa1\x8d</t></si>"  # 金額
        b"<si><t>\xe6\x9d\xb1\xe6\xb5\xb7</t><rPh sb=\"0\" eb=\"2\"><t>\xe3\x83\x88\xe3\x82\xa6\xe3\x82\xab\xe3\x82\xa4"
        b"</t></rPh></si></sst>"  # 東海 with the reading トウカイ
    )
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    rows += '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>100</v></c></row>'
    body = minimal_xlsx(sheet_xml(rows), shared_strings_xml=strings)
    assert texts(only_table(body))[1] == ["東海", "100"]


def test_a_stale_dimension_of_the_whole_sheet_does_not_pad_rows() -> None:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>事業名</t></is></c><c r="B1" t="inlineStr"><is><t>金額</t></is></c></row>'
    rows += '<row r="2"><c r="A2" t="inlineStr"><is><t>半導体</t></is></c><c r="B2"><v>5</v></c></row>'
    body = minimal_xlsx(sheet_xml(rows, dimension="A1:XFD1048576"))
    assert only_table(body).grid.width == 2


def test_a_formula_with_an_empty_string_result_is_a_cached_value() -> None:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>事業名</t></is></c><c r="B1" t="inlineStr"><is><t>金額</t></is></c></row>'
    rows += '<row r="2"><c r="A2" t="inlineStr"><is><t>半導体</t></is></c><c r="B2"><v>5</v></c></row>'
    rows += '<row r="3"><c r="A3" t="str"><f>IF(B3="","",B3)</f><v></v></c><c r="B3"><v>7</v></c></row>'
    table = only_table(minimal_xlsx(sheet_xml(rows)))
    assert texts(table)[2] == [None, "7"]


def test_reading_a_workbook_does_not_import_openpyxl_until_then() -> None:
    code = (
        "import sys, watcher.extract.sheets, watcher.extract.detect; "
        "assert 'openpyxl' not in sys.modules and 'xlrd' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

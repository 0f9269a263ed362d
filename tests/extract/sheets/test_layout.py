"""Where a sheet's table starts and ends: notes above, header rows, body, ※ footnotes below.

Cases are sheets written as rows of cells (None for an empty cell); a number is a cell
stored as a number, a string a cell stored as text.
"""

from __future__ import annotations

import doctest

import pytest

from watcher.extract.sheets import DEFAULT_LIMITS, SheetLimits, SheetTable, SheetUnreadable, values
from watcher.extract.sheets.layout import Merge, lay_out
from watcher.extract.sheets.model import Cell


def sheet(rows: list[list[object]], merges: tuple[Merge, ...] = (), limits: SheetLimits = DEFAULT_LIMITS) -> SheetTable:
    cells = {
        (r, c): Cell(str(v), isinstance(v, str))
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if v is not None
    }
    table = lay_out("Sheet1", cells, merges, limits)
    assert table is not None
    return table


def body(table: SheetTable) -> list[list[str | None]]:
    return [[c.text if c else None for c in row] for row in table.grid.rows[table.grid.head_rows :]]


def test_a_title_and_a_unit_note_in_one_row_are_both_notes() -> None:
    table = sheet([
        ["交付決定一覧", None, None, "（単位：千円）"],
        ["事業者名", "所在地", "事業名", "交付決定額"],
        ["東海マイコン株式会社", "愛知県", "車載用マイコン", 1_500_000],
    ])
    assert table.notes == ("交付決定一覧", "(単位:千円)")
    assert table.unit_note == "(単位:千円)"
    assert table.title == "交付決定一覧"
    assert table.grid.head_rows == 1


def test_stamp_rows_narrower_than_half_the_table_are_notes() -> None:
    table = sheet([
        ["作成：経済産業省 商務情報政策局", "令和7年10月1日"],
        [None],
        ["事業者名", "所在地", "事業名", "補助率", "交付決定額（千円）"],
        ["東海マイコン株式会社", "愛知県", "車載用マイコン", "1/2", 1_500_000],
    ])
    assert table.notes == ("作成:経済産業省 商務情報政策局", "令和7年10月1日")
    assert table.unit_note == ""
    assert table.grid.width == 5


def test_a_header_row_over_empty_cells_gets_its_sub_labels_without_merges() -> None:
    table = sheet([
        ["事業者名", "交付決定額", None, "交付決定日"],
        [None, "国庫補助金", "地方負担", None],
        ["九州パワーデバイス株式会社", 2_180_500, 0, "令和7年4月18日"],
    ])
    assert table.grid.head_rows == 2


def test_a_text_only_body_row_is_not_taken_for_a_second_header_row() -> None:
    table = sheet([
        ["事業者名", "所在地"],
        ["九州パワーデバイス株式会社", "熊本県菊池郡菊陽町"],
        ["東海マイコン株式会社", "愛知県"],
    ])
    assert table.grid.head_rows == 1
    assert len(body(table)) == 2


def test_a_first_row_with_amounts_is_no_header() -> None:
    table = sheet([["九州パワーデバイス株式会社", 2_180_500], ["東海マイコン株式会社", 1_500_000]])
    assert table.grid.head_rows == 0


def test_blank_rows_inside_the_table_are_dropped() -> None:
    table = sheet([["事業名", "金額"], ["半導体", 1], [None, None], ["AI", 2]])
    assert body(table) == [["半導体", "1"], ["AI", "2"]]


def test_only_marked_one_cell_rows_at_the_end_are_footnotes() -> None:
    table = sheet([
        ["事項", "要求額"],
        ["AI基盤モデルの開発支援", 387_300_000],
        ["次世代半導体の量産に向けた出資"],  # 事項要求: a line without an amount yet
        ["※ 事項要求は金額を示さずに要求するもの。"],
        ["(注) 計数は四捨五入による。"],
    ])
    assert table.footnotes == ("※ 事項要求は金額を示さずに要求するもの。", "(注) 計数は四捨五入による。")
    assert body(table)[-1] == ["次世代半導体の量産に向けた出資", None]


def test_a_value_hidden_under_a_merge_is_not_shown() -> None:
    table = sheet([["事業名", "金額"], ["半導体", 100], ["古い値", 200]], merges=((1, 0, 2, 0),))
    assert body(table) == [["半導体", "100"], ["半導体", "200"]]


def test_a_sheet_of_one_cell_rows_has_no_table() -> None:
    cells = {(0, 0): Cell("お知らせ", True), (1, 0): Cell("公募は終了しました。", True)}
    assert lay_out("Sheet1", cells, (), DEFAULT_LIMITS) is None


def test_merges_past_the_cell_limit_refuse_the_sheet() -> None:
    with pytest.raises(SheetUnreadable, match=r"^merged cells cover more than 100 cells$"):
        sheet([["事業名", "金額"], *[["半導体", n] for n in range(60)]], merges=((0, 0, 60, 1),),
              limits=SheetLimits(max_cells=100))


def test_doctests_pass() -> None:
    results = doctest.testmod(values)
    assert results.attempted > 0
    assert results.failed == 0

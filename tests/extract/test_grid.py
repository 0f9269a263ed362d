"""The grid: spans clamped before it is built, and a table whose spans would fill more than the
cell budget refused with a clear reason instead of minutes and gigabytes."""

from __future__ import annotations

import time

from lxml import html

from reliability import html_bombs
from watcher.extract import Page, extract
from watcher.extract.grid import MAX_COLUMNS, MAX_ROWSPAN, build_grid


def grid_of(markup: str):  # type: ignore[no-untyped-def]
    return build_grid(html.fromstring(markup))


def test_a_rowspan_groups_an_operators_plans_and_stops_at_the_last_row() -> None:
    grid = grid_of("<table><tr><td rowspan='999999'>キオクシア㈱</td><td>四日市工場</td></tr>"
                   "<tr><td>北上工場</td></tr></table>")
    assert [[c.text for c in row if c] for row in grid.rows] == [
        ["キオクシア(株)", "四日市工場"], ["キオクシア(株)", "北上工場"]]  # NFKC: ㈱ → (株)


def test_spans_are_clamped_before_the_grid_is_built() -> None:
    rows = "".join(f"<tr><td>第{i}期</td></tr>" for i in range(MAX_ROWSPAN + 5))
    grid = grid_of(f"<table><tr><td rowspan='65534'>Rapidus㈱</td><td colspan='999'>北海道千歳市"
                   f"</td></tr>{rows}</table>")
    assert grid.width == MAX_COLUMNS
    column = [row[0].text if row[0] else None for row in grid.rows]
    assert column[:MAX_ROWSPAN] == ["Rapidus(株)"] * MAX_ROWSPAN
    assert column[MAX_ROWSPAN] == f"第{MAX_ROWSPAN - 1}期"


def test_a_rowspan_bomb_is_a_suspect_document_in_well_under_a_second() -> None:
    page = html_bombs.rowspan_bomb(25_000)  # 2.5 MB; 22 s and 1.6 million cells unbounded
    started = time.perf_counter()
    document = extract("table", Page(url="https://www.meti.go.jp/x.html", text=page, body=page.encode()))
    assert time.perf_counter() - started < 5
    assert document.suspect_reason == "a table of 25,001 rows expands past 500,000 cells (rowspan/colspan)"
    assert document.records == ()

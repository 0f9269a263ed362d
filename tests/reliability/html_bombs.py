"""Hostile and oversized HTML pages written by the project, in the shape of a METI approval page.

Each builder returns the page as text; the table heads and cells read like the real
認定計画 tables, so the table extractor treats them as subsidy tables and the limits,
not a "no table here" shortcut, are what stop it.
"""

from __future__ import annotations

HEAD = ("<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>認定計画一覧（METI/経済産業省）"
        "</title></head><body><div id='__main_contents'><h1>特定半導体生産施設整備等計画の認定</h1>"
        "<h2>認定計画一覧</h2><p>（単位：億円）</p><table><thead><tr><th>認定日</th><th>認定事業者</th>"
        "<th>計画の概要</th><th>最大助成額</th></tr></thead><tbody>")
TAIL = "</tbody></table></div><div id='__rdo_update'>最終更新日：令和7年11月21日</div></body></html>"


def rowspan_bomb(rows: int) -> str:
    """``rows`` rows whose first cell declares rowspan="999999" (10 MB at 140,000 rows)."""
    row = "<tr><td rowspan='999999'>令和6年2月24日</td><td>株式会社テスト</td><td>1,670</td></tr>"
    return HEAD + row * rows + TAIL


def big_table(rows: int) -> str:
    """An honest approval table of ``rows`` distinct rows (1.4 MB at 10,000)."""
    body = "".join(
        f"<tr><td>令和{4 + i % 4}年{1 + i % 12}月{1 + i % 28}日</td><td>㈱テスト半導体{i:05d}</td>"
        f"<td>熊本県菊池郡菊陽町（第{i}工場）：12nmロジック半導体</td><td>{1 + i % 900:,}.{i % 10}</td></tr>"
        for i in range(rows))
    return HEAD + body + TAIL


def deep_nesting(depth: int) -> str:
    """``depth`` nested div/table/tr/td levels around one amount."""
    return ("<html><body><div id='__main_contents'>" + "<div><table><tr><td>" * depth + "4,760億円"
            + "</td></tr></table></div>" * depth + "</div></body></html>")


def approval_page(index: int, rows: int = 20) -> str:
    """A normal approval page (the control case): ``rows`` approvals of operator ``index``."""
    body = "".join(
        f"<tr><td>令和6年{1 + r % 12}月{1 + r}日</td><td>株式会社テスト{index:02d}-{r:02d}</td>"
        f"<td>三重県四日市市：3次元フラッシュメモリ 第{r}期</td><td>{100 + r * 7:,}</td></tr>"
        for r in range(rows))
    return HEAD + body + TAIL

"""Benchmark: a 5,000-row 交付決定一覧 read into the table grid (.xlsx, and .xls and .csv for comparison).

    python bench/sheets.py                 5,000 rows, 7 repetitions (medians reported)
    python bench/sheets.py --rows 20000 --repeat 3

Target (issue 14): an .xlsx of 5,000 rows read to a grid in under 1 s, openpyxl
included. The workbook is built once, in memory, by openpyxl (a title row merged
across, a 現在 stamp, a header with the unit, 6 columns: No., 事業名, 交付先名 with
line breaks, 法人番号, 交付決定額 under #,##0, 交付決定日 under a 令和 date format).
Each step is timed on its own (wall and CPU, medians): the checks before openpyxl
(zip directory, sheet list, byte scan), the whole read_xlsx, and the same rows as
.xls (xlwt) and as a Shift_JIS CSV. Two refusals are timed too: a million-row sheet
(stopped at the row limit) and a 200 MB zip bomb (refused from the directory), and
the memory one read allocates (tracemalloc). It reports numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import io
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from watcher.extract.sheets import SheetUnreadable, read_csv, read_xls, read_xlsx  # noqa: E402
from watcher.extract.sheets.model import DEFAULT_LIMITS  # noqa: E402
from watcher.extract.sheets.ooxml import open_archive, scan_sheet, sheet_parts  # noqa: E402

from support.sheets import minimal_xlsx, sheet_xml  # noqa: E402

BUSINESSES = ("先端ロジック半導体の製造装置導入", "パワー半導体用SiCウエハの増産", "次世代メモリの後工程設備整備",
              "半導体製造用高純度ガスの供給能力強化", "生成AI向け計算資源の整備", "フォトマスク製造ラインの増強")
PLACES = ("北海道", "東北", "関東", "中部", "関西", "中国", "四国", "九州")


def rows(n: int) -> list[tuple[Any, ...]]:
    out = []
    for i in range(n):
        recipient = f"{PLACES[i % 8]}半導体製造第{i}株式会社" + ("\n株式会社共同申請先" if i % 9 == 0 else "")
        out.append((i + 1, BUSINESSES[i % 6], recipient, 4010001000000 + i * 7, 10_000_000 + i * 123_457,
                    datetime.date(2025, 4, 1) + datetime.timedelta(days=i % 300)))
    return out


def build_xlsx(data: list[tuple[Any, ...]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "交付決定一覧"
    sheet["A1"] = "令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧"
    sheet.merge_cells("A1:F1")
    sheet["F2"] = "令和7年10月1日現在"
    sheet.append(["No.", "事業名", "交付先名", "法人番号", "交付決定額（単位：円）", "交付決定日"])
    for row in data:
        sheet.append(list(row))
        r = sheet.max_row
        sheet.cell(r, 5).number_format = "#,##0"
        sheet.cell(r, 6).number_format = '[$-ja-JP]ggge"年"m"月"d"日"'
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_xls(data: list[tuple[Any, ...]]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("交付決定一覧")
    yen, day = xlwt.easyxf(num_format_str="#,##0"), xlwt.easyxf(num_format_str="yyyy/m/d")
    sheet.write_merge(0, 0, 0, 5, "令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧")
    for c, label in enumerate(["No.", "事業名", "交付先名", "法人番号", "交付決定額（単位：円）", "交付決定日"]):
        sheet.write(1, c, label)
    for r, row in enumerate(data, start=2):
        for c, value in enumerate(row[:4]):
            sheet.write(r, c, value)
        sheet.write(r, 4, row[4], yen)
        sheet.write(r, 5, datetime.datetime.combine(row[5], datetime.time()), day)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_csv(data: list[tuple[Any, ...]]) -> bytes:
    lines = ["令和7年度 交付決定一覧,,,,,", "No.,事業名,交付先名,法人番号,交付決定額（単位：円）,交付決定日"]
    lines += [f'{a},{b},"{c}",{d},"{e:,}",{f.isoformat()}' for a, b, c, d, e, f in data]
    return "\r\n".join(lines).encode("cp932")


def checks_only(body: bytes) -> None:
    with open_archive(body, DEFAULT_LIMITS) as archive:
        for part in sheet_parts(archive):
            scan_sheet(archive, part, DEFAULT_LIMITS)


def million_rows() -> bytes:
    head = '<row r="1"><c r="A1" t="inlineStr"><is><t>事業名</t></is></c><c r="B1"><v>1</v></c></row>'
    chunks = [sheet_xml(head)[: -len(b"</sheetData></worksheet>")]]
    chunks += [
        "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>{n}</v></c></row>'
                for n in range(s, min(s + 50_000, 1_000_002))).encode()
        for s in range(2, 1_000_002, 50_000)
    ]
    chunks.append(b"</sheetData></worksheet>")
    return minimal_xlsx(iter(chunks))


def zip_bomb() -> bytes:
    head = sheet_xml("")[: -len(b"</sheetData></worksheet>")]
    return minimal_xlsx(iter([head, *(b" " * 2**20 for _ in range(200)), b"</sheetData></worksheet>"]))


def measure(step: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu0, t0 = usage.ru_utime + usage.ru_stime, time.perf_counter()
        try:
            step()
        except SheetUnreadable:
            pass  # the refusals are what is timed
        walls.append(time.perf_counter() - t0)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append(usage.ru_utime + usage.ru_stime - cpu0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    data = rows(args.rows)
    xlsx, xls, csv = build_xlsx(data), build_xls(data), build_csv(data)
    table = read_xlsx(xlsx).tables[0]
    assert len(table.grid.rows) == args.rows + 1, "every row read"
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC — {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, openpyxl {openpyxl.__version__}, load {load}")
    print(f"{args.rows:,} rows × 6 columns; xlsx {len(xlsx):,} bytes, xls {len(xls):,}, csv {len(csv):,}\n")
    print("| step | wall s (median) | CPU s |\n|---|---:|---:|")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("xlsx: checks before openpyxl (zip directory, sheet list, byte scan)", lambda: checks_only(xlsx)),
        ("**xlsx: read_xlsx → grid (openpyxl included)**", lambda: read_xlsx(xlsx)),
        ("xls: read_xls → grid (xlrd)", lambda: read_xls(xls)),
        ("csv (Shift_JIS): read_csv → grid", lambda: read_csv(csv)),
    ]
    for name, step in steps:
        wall, cpu = measure(step, args.repeat)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
    tracemalloc.start()
    result = read_xlsx(xlsx)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    million, bomb = million_rows(), zip_bomb()
    for name, body in (("refuse: 1,000,000 rows (stops at 100,000)", million), ("refuse: 200 MB zip bomb", bomb)):
        wall, cpu = measure(lambda body=body: read_xlsx(body), 3)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
    print(f"\nread_xlsx allocates at most {peak / 2**20:.0f} MB (tracemalloc peak, the grid included); "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(with the bench's own million-row and zip-bomb files)")


if __name__ == "__main__":
    main()

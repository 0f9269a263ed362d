"""Write the spreadsheet fixtures: METI-like 交付決定一覧, budget and two-sheet workbooks.

Usage: .venv/bin/python scripts/make_sheet_fixtures.py [--all] [OUTPUT_ROOT]

The .xlsx workbooks are built by openpyxl, in memory, by the functions below; the
tests call them directly (openpyxl is a runtime dependency), so no .xlsx needs to be
checked in. This script writes, below OUTPUT_ROOT (default: the repository), the
files that need tools the watcher does not run on:

- tests/fixtures/sheets/kofu-kettei.xls, merged-header.xls: the same workbooks as
  Excel 97-2003 files, written by xlwt (a dev dependency; its output is
  byte-for-byte deterministic, and a test checks the files are this script's)
- tests/fixtures/sheets/encrypted.xls: kofu-kettei.xls with a FILEPASS record, as
  Excel writes one for a password-protected workbook
- tests/fixtures/sheets/encrypted.xlsx: kofu-kettei.xlsx encrypted with the password
  "watcher" by msoffcrypto-tool (a dev dependency; encryption is salted, so this
  file differs on every run)

With ``--all`` it also writes the openpyxl and CSV fixtures there (kofu-kettei.xlsx,
kofu-kettei-revised.xlsx, budget.xlsx, two-sheets.xlsx, merged-header.xlsx,
kofu-kettei-sjis.csv), to open in Excel or to try `watcher probe` on; they are not
checked in (openpyxl stamps zip entries with the time of writing).

openpyxl cannot calculate, so it saves a formula without its value (as Excel
would not). ``with_cached_values`` writes the values in afterwards, as Excel does
when it saves the file. Company names, 法人番号 and amounts are the project's own.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import struct
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

log = logging.getLogger("make_sheet_fixtures")
REPO = Path(__file__).resolve().parent.parent
OUT_DIR = Path("tests/fixtures/sheets")
# openpyxl stamps docProps/core.xml with the time of writing; a fixed one keeps the bytes stable
FIXED_TIME = datetime.datetime(2025, 10, 1, 0, 0, 0)  # noqa: DTZ001 (openpyxl writes naive times as UTC)
YEN = "#,##0"
SENMAN = '#,##0;"△"#,##0'
WAREKI = '[$-ja-JP]ggge"年"m"月"d"日"'


@dataclass(frozen=True)
class Approval:
    """One row of a 交付決定一覧."""

    business: str  # 事業名
    recipient: str  # 交付先名 (joint applicants on separate lines)
    corporate_number: int  # 法人番号 (13 digits, stored as a number as Excel users type it)
    amount_yen: int  # 交付決定額（単位：円）
    decided: datetime.date  # 交付決定日


APPROVALS: tuple[Approval, ...] = (
    Approval("先端ロジック半導体の製造装置導入", "北海道先端ロジック株式会社", 4430001098765,
             12_345_000_000, datetime.date(2025, 4, 18)),
    Approval("パワー半導体用SiCウエハの増産", "九州パワーデバイス株式会社", 3290001087654,
             2_180_500_000, datetime.date(2025, 4, 18)),
    Approval("次世代メモリの後工程設備整備", "東北メモリテクノロジー株式会社\n株式会社みちのく実装", 7370001076543,
             4_647_000_000, datetime.date(2025, 5, 30)),
    Approval("半導体製造用高純度ガスの供給能力強化", "㈱中部特殊ガス", 1180001065432,
             312_800_000, datetime.date(2025, 6, 20)),
    Approval("生成AI向け計算資源の整備", "株式会社関西クラウド基盤", 5120001054321,
             7_700_000_000, datetime.date(2025, 7, 25)),
    Approval("フォトマスク製造ラインの増強", "四国フォトマスク株式会社", 6470001043210,
             929_300_000, datetime.date(2025, 7, 25)),
    Approval("半導体パッケージ基板の量産投資", "山陰サブストレート株式会社", 8280001032109,
             1_670_000_000, datetime.date(2025, 9, 12)),
    Approval("先端半導体向けシリコンウエハの増産", "関東シリコン工業株式会社", 2010001021098,
             464_700_000, datetime.date(2025, 9, 12)),
)
# The revision a later 交付決定一覧 brings: one amount changed, one row added.
REVISED_AMOUNT = (2, 4_700_000_000)  # 東北メモリテクノロジー: 4,647,000,000 → 4,700,000,000
ADDED = Approval("車載用マイコンの生産能力増強", "東海マイコン株式会社", 9180001010987,
                 1_500_000_000, datetime.date(2025, 10, 3))


def approvals(revision: int = 1) -> tuple[Approval, ...]:
    """The rows of revision 1 (September) or revision 2 (October: one amount changed, one added)."""
    if revision == 1:
        return APPROVALS
    index, amount = REVISED_AMOUNT
    rows = list(APPROVALS)
    rows[index] = Approval(rows[index].business, rows[index].recipient,
                           rows[index].corporate_number, amount, rows[index].decided)
    return (*rows, ADDED)


def _save(book: Workbook) -> bytes:
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_cached_values(body: bytes, sheet: str, values: dict[str, str]) -> bytes:
    """The workbook with the given formula cells' results written in, as Excel saves them."""
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == sheet:
                for ref, value in values.items():
                    pattern = re.compile(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*(?:/>|>\s*</v>)'.encode())
                    data, count = pattern.subn(rb"\1<v>" + value.encode() + b"</v>", data)
                    if count != 1:
                        raise ValueError(f"no formula cell {ref} in {sheet}")
            target.writestr(info, data)
    return out.getvalue()


# -- the workbooks -----------------------------------------------------------------


def kofu_kettei_xlsx(revision: int = 1, *, cached_total: bool = True) -> bytes:
    """交付決定一覧: title row merged across, 現在 date, header with the unit, 合計 by formula, ※ note."""
    rows = approvals(revision)
    book = Workbook()
    sheet = book.active
    sheet.title = "交付決定一覧"
    sheet["A1"] = "令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧"
    sheet.merge_cells("A1:F1")
    sheet["F2"] = "令和7年10月1日現在" if revision == 1 else "令和7年11月4日現在"
    sheet.append(["No.", "事業名", "交付先名", "法人番号", "交付決定額（単位：円）", "交付決定日"])
    for number, row in enumerate(rows, start=1):
        sheet.append([number, row.business, row.recipient, row.corporate_number, row.amount_yen, row.decided])
        r = sheet.max_row
        sheet.cell(r, 3).alignment = Alignment(wrap_text=True)
        sheet.cell(r, 5).number_format = YEN
        sheet.cell(r, 6).number_format = WAREKI
    first, last = 4, sheet.max_row
    total = last + 1
    sheet.cell(total, 1, "合計")
    sheet.merge_cells(start_row=total, start_column=1, end_row=total, end_column=4)
    sheet.cell(total, 5, f"=SUM(E{first}:E{last})").number_format = YEN
    sheet.cell(total + 1, 1, "※ 交付決定額は補助金の上限額であり、額の確定は事業完了後の確定検査による。")
    body = _save(book)
    if not cached_total:
        return body
    amount = str(sum(row.amount_yen for row in rows))
    return with_cached_values(body, "xl/worksheets/sheet1.xml", {f"E{total}": amount})


BUDGET_LINES: tuple[tuple[str, int, int, str], ...] = (
    # 事項, 令和7年度予算額, 令和8年度予算案 (千円), 備考
    ("AI・半導体産業基盤強化", 330_000_000, 1_239_000_000, ""),
    ("うちAI基盤モデル・フィジカルAIの開発支援", 120_000_000, 387_300_000, ""),
    ("うち次世代半導体の量産に向けたRapidusへの出資", 100_000_000, 150_000_000, ""),
    ("重要鉱物の安定供給確保", 0, 5_000_000, "新規"),
    ("次世代革新炉・脱炭素電源の開発", 130_000_000, 122_000_000, ""),
)


def budget_xlsx() -> bytes:
    """A budget sheet in 千円: the unit in the title row, △ for decreases (a number format)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "令和8年度予算案"
    sheet["A1"] = "令和8年度 経済産業省 AI・半導体関連予算案の概要（単位：千円）"
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["事項", "令和7年度予算額", "令和8年度予算案", "対前年度増減", "備考"])
    for item, before, after, note in BUDGET_LINES:
        sheet.append([item, before, after, after - before, note or None])
        for column in (2, 3, 4):
            sheet.cell(sheet.max_row, column).number_format = SENMAN
    return _save(book)


def two_sheet_xlsx() -> bytes:
    """Two calls (一次公募, 二次公募), each its own sheet with a title and a unit note cell above the table,
    and a hidden sheet of pull-down lists."""
    book = Workbook()
    calls = (
        ("一次公募", "令和7年度 一次公募 採択結果", APPROVALS[:4]),
        ("二次公募", "令和7年度 二次公募 採択結果", APPROVALS[4:]),
    )
    for index, (name, title, rows) in enumerate(calls):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = name
        sheet["A1"] = title
        sheet["D2"] = "（単位：千円）"
        sheet.append(["採択事業者", "事業名", "所在地", "補助金額"])
        for row in rows:
            sheet.append([row.recipient.split("\n")[0], row.business, "東京都千代田区", row.amount_yen // 1000])
            sheet.cell(sheet.max_row, 4).number_format = YEN
    lists = book.create_sheet("リスト")
    for value in ("採択", "不採択", "辞退"):
        lists.append([value])
    lists.sheet_state = "hidden"
    return _save(book)


MERGED_ROWS: tuple[tuple[str, str, int, int, datetime.date], ...] = (
    # 事業者名, 事業所在地, 国庫補助金, 地方公共団体負担 (千円), 交付決定日
    ("東北メモリテクノロジー株式会社", "岩手県北上市", 3_000_000, 150_000, datetime.date(2025, 5, 30)),
    ("東北メモリテクノロジー株式会社", "三重県四日市市", 1_500_000, 75_000, datetime.date(2025, 5, 30)),
    ("九州パワーデバイス株式会社", "熊本県菊池郡菊陽町", 2_180_500, 0, datetime.date(2025, 4, 18)),
)


def merged_header_xlsx() -> bytes:
    """A header in two rows (vertical merges, a merged 交付決定額 over three columns) and an
    operator's two sites under one vertically merged cell, as METI groups them with rowspan."""
    book = Workbook()
    sheet = book.active
    sheet.title = "交付決定"
    sheet["A1"] = "特定半導体生産施設整備等助成金 交付決定の状況"
    sheet.merge_cells("A1:F1")
    sheet["A2"], sheet["B2"], sheet["C2"], sheet["F2"] = "事業者名", "事業所在地", "交付決定額（単位：千円）", "交付決定日"
    for span in ("A2:A3", "B2:B3", "C2:E2", "F2:F3"):
        sheet.merge_cells(span)
    sheet["C3"], sheet["D3"], sheet["E3"] = "国庫補助金", "地方公共団体負担", "計"
    for r, (operator, site, national, local, decided) in enumerate(MERGED_ROWS, start=4):
        sheet.cell(r, 1, operator)
        sheet.cell(r, 2, site)
        sheet.cell(r, 3, national).number_format = YEN
        sheet.cell(r, 4, local).number_format = YEN
        sheet.cell(r, 5, national + local).number_format = YEN
        sheet.cell(r, 6, decided).number_format = "yyyy/m/d"
    sheet.cell(5, 1).value = None  # under the merge: Excel keeps only the top-left value
    sheet.merge_cells("A4:A5")
    return _save(book)


def kofu_kettei_csv(encoding: str = "cp932") -> bytes:
    """The 交付決定一覧 as METI's CSV downloads are written: a title line, then the table."""
    lines = ["令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧,,,,",
             "事業名,交付先名,法人番号,交付決定額（単位：円）,交付決定日"]
    for row in APPROVALS:
        recipient = row.recipient.replace("\n", "・")
        lines.append(f'{row.business},{recipient},{row.corporate_number},"{row.amount_yen:,}",'
                     f"令和{row.decided.year - 2018}年{row.decided.month}月{row.decided.day}日")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# -- Excel 97-2003 (.xls) with xlwt ------------------------------------------------


def kofu_kettei_xls() -> bytes:
    """The 交付決定一覧 (revision 1) as an .xls file; the 合計 is a value (xlwt does not calculate)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("交付決定一覧")
    yen = xlwt.easyxf(num_format_str=YEN)
    day = xlwt.easyxf(num_format_str="yyyy/m/d")
    wrap = xlwt.easyxf("align: wrap on")
    sheet.write_merge(0, 0, 0, 5, "令和7年度 半導体・デジタル産業基盤強化事業費補助金 交付決定一覧")
    sheet.write(1, 5, "令和7年10月1日現在")
    for c, label in enumerate(["No.", "事業名", "交付先名", "法人番号", "交付決定額（単位：円）", "交付決定日"]):
        sheet.write(2, c, label)
    for r, row in enumerate(APPROVALS, start=3):
        sheet.write(r, 0, r - 2)
        sheet.write(r, 1, row.business)
        sheet.write(r, 2, row.recipient, wrap)
        sheet.write(r, 3, row.corporate_number)
        sheet.write(r, 4, row.amount_yen, yen)
        sheet.write(r, 5, datetime.datetime.combine(row.decided, datetime.time()), day)
    total = 3 + len(APPROVALS)
    sheet.write_merge(total, total, 0, 3, "合計")
    sheet.write(total, 4, sum(row.amount_yen for row in APPROVALS), yen)
    sheet.write(total + 1, 0, "※ 交付決定額は補助金の上限額であり、額の確定は事業完了後の確定検査による。")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def merged_header_xls() -> bytes:
    """The merged-header workbook as an .xls file."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("交付決定")
    yen = xlwt.easyxf(num_format_str=YEN)
    day = xlwt.easyxf(num_format_str="yyyy/m/d")
    sheet.write_merge(0, 0, 0, 5, "特定半導体生産施設整備等助成金 交付決定の状況")
    sheet.write_merge(1, 2, 0, 0, "事業者名")
    sheet.write_merge(1, 2, 1, 1, "事業所在地")
    sheet.write_merge(1, 1, 2, 4, "交付決定額（単位：千円）")
    sheet.write_merge(1, 2, 5, 5, "交付決定日")
    for c, label in enumerate(["国庫補助金", "地方公共団体負担", "計"], start=2):
        sheet.write(2, c, label)
    sheet.write_merge(3, 4, 0, 0, MERGED_ROWS[0][0])
    for r, (operator, site, national, local, decided) in enumerate(MERGED_ROWS, start=3):
        if r == 5:
            sheet.write(r, 0, operator)
        sheet.write(r, 1, site)
        sheet.write(r, 2, national, yen)
        sheet.write(r, 3, local, yen)
        sheet.write(r, 4, national + local, yen)
        sheet.write(r, 5, datetime.datetime.combine(decided, datetime.time()), day)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def encrypted_xls() -> bytes:
    """kofu-kettei.xls with a FILEPASS record (RC4) after the workbook's BOF, as Excel marks a
    password-protected file. Only the marker is real: the records after it are not encrypted."""
    import xlwt
    from xlwt.CompoundDoc import XlsDoc

    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("交付決定一覧").write(0, 0, "令和7年度 交付決定一覧")
    stream = book.get_biff_data()
    bof_length = struct.unpack_from("<H", stream, 2)[0]
    cut = 4 + bof_length
    filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + bytes(48)  # RC4, version 1.1, salt, verifier
    buffer = io.BytesIO()
    XlsDoc().save(buffer, stream[:cut] + filepass + stream[cut:])
    return buffer.getvalue()


def encrypted_xlsx(password: str = "watcher") -> bytes:
    """kofu-kettei.xlsx as Excel saves it with 「パスワードを使用して暗号化」."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(kofu_kettei_xlsx())).encrypt(password, out)
    return out.getvalue()


CHECKED_IN = {"kofu-kettei.xls": kofu_kettei_xls, "merged-header.xls": merged_header_xls,
              "encrypted.xls": encrypted_xls}


def main(argv: list[str]) -> None:
    args = [a for a in argv[1:] if a != "--all"]
    root = Path(args[0]) if args else REPO
    out = root / OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    files = {name: make() for name, make in CHECKED_IN.items()}
    files["encrypted.xlsx"] = encrypted_xlsx()
    if "--all" in argv:
        files |= {
            "kofu-kettei.xlsx": kofu_kettei_xlsx(),
            "kofu-kettei-revised.xlsx": kofu_kettei_xlsx(2),
            "budget.xlsx": budget_xlsx(),
            "two-sheets.xlsx": two_sheet_xlsx(),
            "merged-header.xlsx": merged_header_xlsx(),
            "kofu-kettei-sjis.csv": kofu_kettei_csv(),
        }
    for name, body in files.items():
        (out / name).write_bytes(body)
        log.info("wrote %s (%s bytes)", OUT_DIR / name, f"{len(body):,}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(sys.argv)

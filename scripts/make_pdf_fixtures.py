"""Write the meti-budget PDF fixtures: the 令和8年度 (FY2026) METI budget timeline and its variants.

Usage: .venv/bin/python scripts/make_pdf_fixtures.py [OUTPUT_ROOT]

Writes, below OUTPUT_ROOT (default: the repository):
- src/watcher/demo_data/pages/meti-budget-fy2026-pdf/2025-08-29.pdf  概算要求の概要 (August request;
  the Rapidus line and the AI・半導体 detail rows are 事項要求, without an amount)
- src/watcher/demo_data/pages/meti-budget-fy2026-pdf/2025-12-26.pdf  予算案の概要 (December draft:
  経済産業省 計 3兆693億円, うち AI・半導体 1兆2,390億円, AI基盤モデル・フィジカルAI 3,873億円,
  Rapidus 1,500億円, 重要鉱物 50億円 (新規), 次世代革新炉・脱炭素 1,220億円; a detailed
  table in 百万円 with AI・半導体 1,239,000)
- tests/fixtures/pages/meti-budget/: the December PDF regenerated with another page size,
  font size, metadata or line wrapping (same line items), and unreadable ones (truncated,
  password-protected, an HTML page saved as .pdf, no text layer, text without a Unicode
  mapping).
- tests/fixtures/pages/meti-budget/2025-04-koubo-spaced.pdf: a call for applications whose
  figures are written the way hand-typed PDFs write them: spaces (ASCII and full-width)
  inside figures (3億 2,456 万 7,890 円), ranges (500万～1,000万円) and マイナス / ▲ / －
  in a 前年度比 column.

Figures follow /work/shared/DOMAIN.md; the August request repeats the December figures for
lines that were not 事項要求 because DOMAIN gives no separate request amounts.

Fonts are reportlab's built-in CID fonts (HeiseiKakuGo-W5, HeiseiMin-W3; Adobe-Japan1,
UniJIS-UCS2-H) and are not embedded, as in many government PDFs. Output is byte-for-byte
deterministic: invariant mode, and CreationDate fixed through SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4, B5, LETTER
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

GOTHIC = "HeiseiKakuGo-W5"
MINCHO = "HeiseiMin-W3"
for _font in (GOTHIC, MINCHO):
    pdfmetrics.registerFont(UnicodeCIDFont(_font))

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = Path("src/watcher/demo_data/pages/meti-budget-fy2026-pdf")
TEST_DIR = Path("tests/fixtures/pages/meti-budget")


# -- what a budget overview holds ----------------------------------------------------


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Line:
    """A line of running text; ``right`` aligns it to the right margin (dates, unit notes)."""

    text: str
    right: bool = False


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Item:
    """A budget line: label on the left, amount (and note) right-aligned on the same line."""

    label: str
    amount: str
    note: str = ""


@dataclass(frozen=True)
class Table:
    """A ruled table; the first column is the label, the others are right-aligned values."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Title | Line | Heading | Item | Table | PageBreak


@dataclass(frozen=True)
class Layout:
    """How a document is rendered; none of it changes the line items."""

    pagesize: tuple[float, float] = A4
    font_size: float = 10.5
    font: str = GOTHIC
    # label → the text of its first line: the label wraps there onto a second line
    wrap: dict[str, str] = field(default_factory=dict)
    created: datetime = datetime(2025, 12, 26, 0, 30, tzinfo=UTC)
    title: str = "令和8年度 経済産業省関係 予算案の概要"
    author: str = "経済産業省 大臣官房会計課"
    producer: str = "ReportLab PDF Library - www.reportlab.com"
    encrypt: str | None = None  # a user password; "" with an owner password restricts only


# -- the timeline -------------------------------------------------------------------------

AUGUST: tuple[Block, ...] = (
    Title("令和8年度 経済産業省関係 概算要求の概要"),
    Line("令和7年8月 経済産業省", right=True),
    Line("AI・半導体、経済安全保障、GXを柱として要求する。金額を示していない事項は、"),
    Line("予算編成過程で検討する事項要求とする。"),
    Heading("1. AI・半導体"),
    Item("(1) AI基盤モデル・フィジカルAIの開発支援", "3,873億円"),
    Item("(2) 次世代半導体の量産に向けたRapidusへの出資", "事項要求"),
    Heading("2. 経済安全保障・エネルギー"),
    Item("(1) 次世代革新炉の開発・建設と脱炭素電源の確保", "1,220億円"),
    Line("※計数は四捨五入の関係で合計と一致しない場合がある。"),
    PageBreak(),
    Heading("【参考】主要事業の内訳"),
    Line("（単位：百万円）", right=True),
    Table(
        header=("事業名", "令和8年度\n概算要求額", "備考"),
        rows=(
            ("AI・半導体産業基盤強化", "事項要求", ""),
            ("うち Rapidus出資（情報処理推進機構）", "事項要求", "IPA経由の出資"),
            ("うち AI基盤モデル・フィジカルAI", "387,300", ""),
            ("次世代革新炉開発・脱炭素電源確保", "122,000", ""),
        ),
        widths=(0.55, 0.2, 0.25),
    ),
)

DECEMBER: tuple[Block, ...] = (
    Title("令和8年度 経済産業省関係 予算案の概要"),
    Line("令和7年12月 経済産業省", right=True),
    Line("経済産業省関係の令和8年度予算案は3兆693億円。"),
    Line("AI・半導体分野に前年度の約4倍となる1兆2,390億円を計上する。"),
    Heading("1. 予算案の全体像"),
    Line("（単位：億円）", right=True),
    Table(
        header=("区分", "令和8年度予算案額", "備考"),
        rows=(
            ("経済産業省 計", "30,693", ""),
            ("うち AI・半導体", "12,390", "前年度の約4倍"),
            ("うち 次世代革新炉・脱炭素", "1,220", ""),
        ),
        widths=(0.5, 0.25, 0.25),
    ),
    Heading("2. AI・半導体"),
    Item("(1) AI基盤モデル・フィジカルAIの開発支援", "3,873億円"),
    Item("(2) 次世代半導体の量産に向けたRapidusへの出資", "1,500億円"),
    Line("Rapidusへの政府出資は累計2,500億円となる。"),
    Heading("3. 経済安全保障・エネルギー"),
    Item("(1) 重要鉱物の安定供給確保", "50億円", "（新規）"),
    Item("(2) 次世代革新炉の開発・建設と脱炭素電源の確保", "1,220億円"),
    Line("※計数は四捨五入の関係で合計と一致しない場合がある。"),
    PageBreak(),
    Heading("【参考】主要事業の内訳"),
    Line("（単位：百万円）", right=True),
    Table(
        header=("事業名", "令和8年度\n予算案額", "備考"),
        rows=(
            ("AI・半導体産業基盤強化", "1,239,000", ""),
            ("うち Rapidus出資（情報処理推進機構）", "150,000", "IPA経由の出資"),
            ("うち AI基盤モデル・フィジカルAI", "387,300", ""),
            ("重要鉱物安定供給確保事業", "5,000", "新規"),
            ("次世代革新炉開発・脱炭素電源確保", "122,000", ""),
        ),
        widths=(0.55, 0.2, 0.25),
    ),
)

# Figures as hand-typed PDFs write them; the amounts are illustrative, not METI's.
SPACED: tuple[Block, ...] = (
    Title("令和7年度 半導体・デジタル産業基盤 補助事業 公募の概要"),
    Line("令和7年4月 経済産業省 商務情報政策局", right=True),
    Line("前年度比マイナス12億円となるが、補助上限額は引き上げる。"),
    Heading("1. 事業規模"),
    Item("(1) 先端半導体の生産基盤整備", "1兆 2,390 億円"),
    Item("(2) 省エネ型データセンターの整備支援", "3億 2,456 万 7,890 円"),
    Item("(3) ポスト5G情報通信システムの開発", "1,234\u3000万\u30005,678円"),
    Heading("2. 補助上限額"),
    Item("(1) 中小企業枠", "500万～1,000万円"),
    Item("(2) 大規模枠", "1億～2億円"),
    Item("(3) 実証枠", "5億～10億円程度"),
    PageBreak(),
    Heading("3. 前年度との比較"),
    Line("（単位：百万円）", right=True),
    Table(
        header=("事業名", "令和7年度\n予算額", "前年度比", "備考"),
        rows=(
            ("先端半導体の生産基盤整備", "1,239,000", "マイナス 1,200", ""),
            ("省エネ型データセンターの整備支援", "32,457", "▲ 1,000", ""),
            ("ポスト5G情報通信システムの開発", "12,346", "－500", "継続"),
        ),
        widths=(0.4, 0.18, 0.24, 0.18),
    ),
)

SPACED_LAYOUT = Layout(
    created=datetime(2025, 4, 1, 1, 0, tzinfo=UTC),
    title="令和7年度 半導体・デジタル産業基盤 補助事業 公募の概要",
)
AUGUST_LAYOUT = Layout(
    created=datetime(2025, 8, 29, 1, 0, tzinfo=UTC), title="令和8年度 経済産業省関係 概算要求の概要"
)
DECEMBER_LAYOUT = Layout()


# -- rendering -----------------------------------------------------------------------------


@contextmanager
def _source_date_epoch(when: datetime) -> Iterator[None]:
    """reportlab stamps CreationDate from SOURCE_DATE_EPOCH (reproducible builds)."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class _Writer:
    """Draws blocks top to bottom, starting a new page when one is full."""

    def __init__(self, c: canvas.Canvas, layout: Layout) -> None:
        self.c = c
        self.layout = layout
        self.width, self.height = layout.pagesize
        self.margin: float = 18 * mm
        self.size = layout.font_size
        self.leading = self.size * 1.7
        self.page = 1
        self.y = self.height - self.margin

    @property
    def right(self) -> float:
        return self.width - self.margin

    @property
    def text_width(self) -> float:
        return self.width - 2 * self.margin

    def need(self, height: float) -> None:
        if self.y - height < self.margin + self.leading:
            self.new_page()

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = self.height - self.margin

    def footer(self) -> None:
        self.c.setFont(self.layout.font, self.size * 0.8)
        self.c.drawCentredString(self.width / 2, self.margin / 2, f"- {self.page} -")

    def text(self, x: float, text: str, size: float | None = None, *, right: bool = False) -> None:
        self.c.setFont(self.layout.font, size or self.size)
        if right:
            self.c.drawRightString(x, self.y, text)
        else:
            self.c.drawString(x, self.y, text)

    def draw(self, block: Block) -> None:
        if isinstance(block, Title):
            self.need(self.leading * 2)
            self.c.setFont(self.layout.font, self.size * 1.5)
            self.c.drawCentredString(self.width / 2, self.y - self.size, block.text)
            self.y -= self.leading * 2
        elif isinstance(block, Line):
            self.need(self.leading)
            if block.right:
                self.text(self.right, block.text, right=True)
            else:
                self.text(self.margin, block.text)
            self.y -= self.leading
        elif isinstance(block, Heading):
            self.need(self.leading * 2)
            self.y -= self.leading * 0.4
            self.text(self.margin, block.text, self.size * 1.25)
            self.y -= self.leading * 1.2
        elif isinstance(block, Item):
            self.item(block)
        elif isinstance(block, Table):
            self.table(block)
        else:
            self.new_page()

    def item(self, item: Item) -> None:
        first = self.layout.wrap.get(item.label)
        x = self.margin + self.size
        if first is not None and item.label.startswith(first) and first != item.label:
            self.need(self.leading * 2)
            self.text(x, first)
            self.y -= self.leading
            label = item.label[len(first) :]
            x += self.size * 1.5  # continuation lines are indented
        else:
            self.need(self.leading)
            label = item.label
        self.text(x, label)
        self.text(self.right, item.amount + item.note, right=True)
        self.y -= self.leading

    def table(self, table: Table) -> None:
        widths = [w * self.text_width for w in table.widths]
        rows = [table.header, *table.rows]
        cells = [[self.cell_lines(cell) for cell in row] for row in rows]
        heights = [max(len(lines) for lines in row) * self.leading for row in cells]
        self.need(sum(heights) + self.leading)
        top = self.y + self.size
        lefts = [self.margin + sum(widths[:i]) for i in range(len(widths))]
        self.c.setLineWidth(0.6)
        y = top
        for r, (row, height) in enumerate(zip(cells, heights, strict=True)):
            self.c.line(self.margin, y, self.margin + self.text_width, y)
            for col, lines in enumerate(row):
                for n, line in enumerate(lines):
                    baseline = y - self.leading * (n + 1) + (self.leading - self.size) / 2
                    self.c.setFont(self.layout.font, self.size)
                    if r > 0 and col > 0 and col < len(row) - 1:
                        self.c.drawRightString(lefts[col] + widths[col] - 4, baseline, line)
                    else:
                        self.c.drawString(lefts[col] + 4, baseline, line)
            y -= height
        self.c.line(self.margin, y, self.margin + self.text_width, y)
        for x in [*lefts, self.margin + self.text_width]:
            self.c.line(x, top, x, y)
        self.y = y - self.leading

    def cell_lines(self, cell: str) -> list[str]:
        first = self.layout.wrap.get(cell)
        if first is not None and cell.startswith(first) and first != cell:
            return [first, cell[len(first) :]]
        return cell.split("\n")


def render(blocks: tuple[Block, ...], layout: Layout) -> bytes:
    """The PDF bytes of a document; the same inputs always give the same bytes."""
    buf = io.BytesIO()
    with _source_date_epoch(layout.created):
        c = canvas.Canvas(
            buf, pagesize=layout.pagesize, invariant=1, encrypt=_encryption(layout.encrypt)
        )
    c.setTitle(layout.title)
    c.setAuthor(layout.author)
    c.setSubject("予算")
    c.setProducer(layout.producer)
    c.setCreator("Microsoft Word")
    writer = _Writer(c, layout)
    for block in blocks:
        writer.draw(block)
    writer.footer()
    c.showPage()
    c.save()
    return buf.getvalue()


def _encryption(password: str | None) -> object:
    if password is None:
        return None
    from reportlab.lib.pdfencrypt import StandardEncryption

    # Government PDFs often carry an owner password only: they open, but printing or
    # copying is restricted; a user password makes them unreadable without it.
    return StandardEncryption(password, ownerPassword="meti-owner", canCopy=0, strength=128)


def no_text_pdf(layout: Layout) -> bytes:
    """A scanned page: drawings only, no text layer."""
    buf = io.BytesIO()
    with _source_date_epoch(layout.created):
        c = canvas.Canvas(buf, pagesize=layout.pagesize, invariant=1)
    for i in range(40):
        c.rect(60 + (i % 5) * 90, 700 - (i // 5) * 70, 80, 50, fill=i % 2)
    c.showPage()
    c.save()
    return buf.getvalue()


NOT_A_PDF = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="UTF-8"><title>ページが見つかりません（METI/経済産業省）</title></head>
<body><div id="__main_contents"><h1>お探しのページが見つかりません</h1>
<p>指定されたページは削除されたか、移動した可能性があります。</p></div></body></html>
""".encode()


def fixtures() -> dict[Path, bytes]:
    """Every fixture path (relative to the repository) and its bytes."""
    december = render(DECEMBER, DECEMBER_LAYOUT)
    wrapped = {
        "(2) 次世代半導体の量産に向けたRapidusへの出資": "(2) 次世代半導体の量産に向けた",
        "(2) 次世代革新炉の開発・建設と脱炭素電源の確保": "(2) 次世代革新炉の開発・建設と",
        "うち Rapidus出資（情報処理推進機構）": "うち Rapidus出資",
    }
    variants = {
        "2025-12-26-b5.pdf": replace(DECEMBER_LAYOUT, pagesize=B5),
        "2025-12-26-letter-large-font.pdf": replace(
            DECEMBER_LAYOUT, pagesize=LETTER, font_size=12.5, font=MINCHO
        ),
        "2025-12-26-wrapped.pdf": replace(DECEMBER_LAYOUT, wrap=wrapped),
        "2025-12-26-metadata.pdf": replace(
            DECEMBER_LAYOUT,
            created=datetime(2026, 1, 9, 8, 15, tzinfo=UTC),
            title="R8予算案PR資料（差替）",
            author="METI",
            producer="Acrobat Distiller 23.0 (Windows)",
        ),
        # reportlab leaves the CIDSystemInfo strings of an encrypted file in clear, so
        # readers decrypt them into garbage and the text comes out as (cid:N): the shape
        # of real PDFs whose fonts carry no Unicode mapping.
        "2025-12-26-cid-unmapped.pdf": replace(DECEMBER_LAYOUT, encrypt=""),
        "2025-12-26-encrypted.pdf": replace(DECEMBER_LAYOUT, encrypt="r8-yosan"),
    }
    out: dict[Path, bytes] = {
        DEMO_DIR / "2025-08-29.pdf": render(AUGUST, AUGUST_LAYOUT),
        DEMO_DIR / "2025-12-26.pdf": december,
    }
    for name, layout in variants.items():
        out[TEST_DIR / name] = render(DECEMBER, layout)
    # Cut inside the page content: what a dropped connection leaves behind.
    out[TEST_DIR / "2025-12-26-truncated.pdf"] = december[: len(december) * 2 // 3]
    out[TEST_DIR / "2025-12-26-not-a-pdf.pdf"] = NOT_A_PDF
    out[TEST_DIR / "2025-12-26-scanned.pdf"] = no_text_pdf(DECEMBER_LAYOUT)
    out[TEST_DIR / "2025-04-koubo-spaced.pdf"] = render(SPACED, SPACED_LAYOUT)
    return out


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else REPO
    for relative, data in fixtures().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        sys.stdout.write(f"{relative} ({len(data):,} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

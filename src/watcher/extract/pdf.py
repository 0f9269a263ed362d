"""`pdf` sources: METI budget overviews (概算要求 → 予算案 → 補正予算) as budget line items.

pdfplumber reads the PDF page by page. Ruled tables come from ``find_tables()``;
the text outside them is read as lines, and a line with a label and an amount
("(1) AI基盤モデル・フィジカルAIの開発支援 3,873億円") is a line item too. Each
line item becomes a Record keyed by its label (NFKC, no whitespace, numbering
stripped) within its section heading, so a PDF regenerated with another page
size, font, metadata or line wrapping gives the same records. This module reads
the pages into blocks; watcher.extract.pdf_items turns the blocks into line items.

The document's stage (概算要求, 予算案, 補正予算, 決定) and fiscal year, read from its
title, go into the Document's meta, so a change can say which stage each amount is from.

Anything that cannot be read (not a PDF, truncated, password-protected, too
many pages, no text layer, text without a Unicode mapping) gives a Document
whose ``suspect_reason`` starts with "PDF could not be read:"; this never raises.
"""

from __future__ import annotations

import io
import logging
import re
from functools import partial

import pdfplumber

from watcher.extract.document import Document, Page
from watcher.extract.pdf_items import PAGE_NUMBER, Block, TableRows, TextLine, line_items, norm_line
from watcher.extract.stage import title_facts
from watcher.extract.text import apply_ignore

log = logging.getLogger(__name__)

MAX_PAGES = 500
MAX_BYTES = 64 * 1024 * 1024
UNREADABLE = "PDF could not be read"
_CID = re.compile(r"\(cid:\d+\)")
_TITLE_LINES = 4


class PdfUnreadable(Exception):
    """Why a PDF cannot be read; becomes the Document's suspect_reason."""


def extract_pdf(page: Page, ignore: tuple[re.Pattern[str], ...] = ()) -> Document:
    """Budget line items and text of a PDF; an unreadable PDF is a suspect Document."""
    try:
        pages, text = read_pdf(page.body)
    except PdfUnreadable as exc:
        return Document(kind="pdf", suspect_reason=f"{UNREADABLE}: {exc}")
    except RecursionError:
        return Document(kind="pdf", suspect_reason=f"{UNREADABLE}: objects nested too deeply")
    except Exception as exc:  # pdfminer raises many types on broken files
        log.info("unreadable PDF at %s: %r", page.url, exc)
        return Document(kind="pdf", suspect_reason=f"{UNREADABLE}: {_describe(exc)}")
    records = line_items(pages)
    return Document(
        kind="pdf",
        text=apply_ignore(text, ignore),
        records=records,
        meta=(("pages", str(len(pages))), *budget_facts(text)),
    )


def budget_facts(text: str) -> tuple[tuple[str, str], ...]:
    """The title's facts (watcher.extract.stage); a stage or fiscal year the title lacks is
    taken from the next few lines (a subtitle, "令和8年度予算案" on a line of its own)."""
    lines = [line for line in text.split("\n") if line.strip()][:_TITLE_LINES]
    if not lines:
        return ()
    facts = dict(title_facts(lines[0], budget=True))
    for line in lines[1:]:
        for key, value in title_facts(line, budget=True):
            if key in ("stage", "fiscal_year"):
                facts.setdefault(key, value)
    return tuple(facts.items())


def read_pdf(body: bytes) -> tuple[list[list[Block]], str]:
    """Each page's blocks in reading order (top to bottom) and the whole normalised text."""
    _check_bytes(body)
    pages: list[list[Block]] = []
    texts: list[str] = []
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise PdfUnreadable(f"{len(pdf.pages)} pages (limit {MAX_PAGES})")
        for pdf_page in pdf.pages:
            tables = pdf_page.find_tables()
            boxes = [table.bbox for table in tables]
            outside = pdf_page.filter(partial(_outside_all, boxes=boxes)) if boxes else pdf_page
            placed: list[tuple[float, int, Block]] = [
                (float(line["top"]), 0, TextLine(text=str(line["text"])))
                for line in outside.extract_text_lines(return_chars=False)
            ]
            placed += [
                (
                    float(table.bbox[1]),
                    1,
                    TableRows(rows=tuple(tuple(row) for row in table.extract())),
                )
                for table in tables
            ]
            placed.sort(key=lambda item: (item[0], item[1]))
            pages.append([block for _, _, block in placed])
            texts.append(pdf_page.extract_text() or "")
            pdf_page.close()  # release the page's parsed objects; budget books are long
    lines = (norm_line(line) for t in texts for line in t.split("\n"))
    text = "\n".join(line for line in lines if line and not PAGE_NUMBER.fullmatch(line))
    if not text:
        raise PdfUnreadable("no text layer (a scanned image?)")
    if len("".join(_CID.findall(text))) >= len(text) * 0.2:
        raise PdfUnreadable("text has no Unicode mapping (font without ToUnicode; (cid:N) glyphs)")
    return pages, text


def _check_bytes(body: bytes) -> None:
    if not body:
        raise PdfUnreadable("empty response")
    if len(body) > MAX_BYTES:
        raise PdfUnreadable(f"{len(body):,} bytes (limit {MAX_BYTES:,})")
    if b"%PDF-" not in body[:1024]:
        head = body[:200].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise PdfUnreadable("not a PDF but an HTML page")
        raise PdfUnreadable(f"not a PDF (starts with {body[:16]!r})")
    # A cut-off download still parses partly; half a budget must not look like removals.
    if b"%%EOF" not in body[-2048:]:
        raise PdfUnreadable("truncated (no %%EOF at the end)")


def _outside_all(obj: dict[str, object], *, boxes: list[tuple[float, float, float, float]]) -> bool:
    return not _inside_any(obj, boxes)


def _inside_any(obj: dict[str, object], boxes: list[tuple[float, float, float, float]]) -> bool:
    try:
        x = (float(obj["x0"]) + float(obj["x1"])) / 2  # type: ignore[arg-type]
        y = (float(obj["top"]) + float(obj["bottom"])) / 2  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return False
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _describe(exc: BaseException) -> str:
    names: set[str] = set()
    current: BaseException | None = exc
    while current is not None and len(names) < 10:
        names.add(type(current).__name__)
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                names.add(type(arg).__name__)
        current = current.__cause__ or current.__context__
    if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"}:
        return "encrypted (password required)"
    detail = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {detail}"[:200]

"""Spaced figures, ranges and マイナス as tables and PDFs write them, read into Records.

The fixtures are the project's own: a METI-style results page (tests/fixtures/pages/
meti-digital-subsidies/) and a call-for-applications PDF written by
scripts/make_pdf_fixtures.py with hand-typed spacing (2025-04-koubo-spaced.pdf).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.extract.document import Document, Page, Record
from watcher.extract.pdf import extract_pdf
from watcher.extract.table import extract_tables

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests/fixtures/pages"
RESULTS = PAGES / "meti-digital-subsidies/2025-06-30.html"
KOUBO_PDF = PAGES / "meti-budget/2025-04-koubo-spaced.pdf"
MAN = 10**4
OKU = 10**8
MILLION = 10**6


def table_records(path: Path) -> dict[str, Record]:
    doc = extract_tables(Page(url="https://www.meti.go.jp/x.html", text=path.read_text("utf-8")))
    assert doc.suspect_reason is None
    return {r.key.split("|")[0]: r for r in doc.records}


def pdf_records() -> dict[str, Record]:
    page = Page(url="https://www.meti.go.jp/a.pdf", text="", body=KOUBO_PDF.read_bytes(),
                content_type="application/pdf")
    doc = extract_pdf(page)
    assert doc.suspect_reason is None
    return {f"{r.table}/{r.key}": r for r in doc.records}


# ---------------------------------------------------------------- an HTML results table


@pytest.mark.parametrize(
    ("key", "low", "high", "written"),
    [
        ("東北マイクロデバイス", 500 * MAN, 1_000 * MAN, "500万~1,000万円"),
        ("九州シリコン", 1 * OKU, 2 * OKU, "1億~2億円"),
        ("関西フォトニクス", 5 * OKU, 10 * OKU, "5億~10億円程度"),
    ],
)
def test_a_range_cell_gives_a_record_with_both_ends(
    key: str, low: int, high: int, written: str
) -> None:
    record = table_records(RESULTS)[key]
    assert (record.amount_low_yen, record.amount_yen) == (low, high)
    assert record.other_amounts_yen == ()  # the lower end is not a second amount
    assert record.amount_text == written


def test_a_spaced_cell_gives_the_whole_figure() -> None:
    record = table_records(RESULTS)["北海道データセンター"]
    assert record.amount_yen == 324_567_890  # 3億 2,456 万 7,890 円, not 7,890
    assert record.amount_low_yen is None


def test_a_minus_column_under_a_unit_note_is_negative() -> None:
    records = table_records(RESULTS)
    assert [
        (r.amount_yen, r.other_amounts_yen)
        for r in (records["先端半導体の生産基盤整備"], records["省エネ型データセンターの整備支援"],
                  records["ポスト5g情報通信システムの開発"])
    ] == [
        (1_239_000 * MILLION, (-1_200 * MILLION,)),  # マイナス 1,200
        (32_457 * MILLION, (-1_000 * MILLION,)),  # ▲ 1,000
        (12_346 * MILLION, (-500 * MILLION,)),  # －500
    ]


def test_records_with_ranges_survive_storage_and_old_snapshots_still_load() -> None:
    doc = extract_tables(Page(url="https://www.meti.go.jp/x.html", text=RESULTS.read_text("utf-8")))
    assert Document.loads(doc.dumps()) == doc
    stored_before_ranges = {
        "table": "採択事業者一覧", "key": "東北マイクロデバイス|宮城県仙台市パワー半導体の後工程",
        "entity": "株式会社東北マイクロデバイス", "cells": [["補助上限額", "500万~1,000万円"]],
        "amount_yen": 10_000_000, "amount_text": "500万~1,000万円", "other_amounts_yen": [],
        "dates": ["2025-06-30"],
    }
    old = Record.from_json(stored_before_ranges)
    assert (old.amount_low_yen, old.amount_yen, old.is_range) == (None, 10_000_000, False)
    assert "amount_low_yen" not in old.to_json()  # single amounts serialise as before


# ---------------------------------------------------------------- a PDF with hand-typed spacing


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("事業規模/先端半導体の生産基盤整備", None, 1_239_000_000_000),  # 1兆 2,390 億円
        ("事業規模/省エネ型データセンターの整備支援", None, 324_567_890),  # 3億 2,456 万 7,890 円
        ("事業規模/ポスト5G情報通信システムの開発", None, 12_345_678),  # 1,234　万　5,678円
        ("補助上限額/中小企業枠", 500 * MAN, 1_000 * MAN),
        ("補助上限額/大規模枠", 1 * OKU, 2 * OKU),
        ("補助上限額/実証枠", 5 * OKU, 10 * OKU),
    ],
)
def test_pdf_lines_with_spaced_figures_and_ranges(key: str, low: int | None, high: int) -> None:
    record = pdf_records()[key]
    assert (record.amount_low_yen, record.amount_yen) == (low, high)


def test_pdf_labels_hold_no_digits_of_the_amount() -> None:
    """Before, '3億2,456万' stayed in the label and the key: the figure was cut in two."""
    keys = list(pdf_records())
    assert "事業規模/省エネ型データセンターの整備支援" in keys
    assert not any(key.endswith(("万", "億", "~", "〜")) for key in keys)


def test_pdf_minus_column_in_a_million_yen_table() -> None:
    records = pdf_records()
    assert [
        records[f"前年度との比較/{name}"].other_amounts_yen
        for name in ("先端半導体の生産基盤整備", "省エネ型データセンターの整備支援",
                     "ポスト5G情報通信システムの開発")
    ] == [(-1_200 * MILLION,), (-1_000 * MILLION,), (-500 * MILLION,)]


def test_pdf_prose_with_minus_is_not_a_line_item() -> None:
    assert not any("前年度比" in key for key in pdf_records())

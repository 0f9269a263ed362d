"""What a fetched file is read as: Content-Type, then file signature, then extension, then content.

Each case: (Content-Type, body, URL) → (kind, what decided it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.extract.detect import detect_kind

from support.sheets import FIXTURES, fixtures

ROOT = Path(__file__).resolve().parents[2]
PDF = (ROOT / "src/watcher/demo_data/pages/meti-budget-fy2026-pdf/2025-12-26.pdf").read_bytes()
XLSX = fixtures().kofu_kettei_xlsx()
XLS = (FIXTURES / "kofu-kettei.xls").read_bytes()
ENCRYPTED = (FIXTURES / "encrypted.xlsx").read_bytes()
CSV = fixtures().kofu_kettei_csv()
HTML = '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="UTF-8"><title>交付決定について</title>'.encode()
LOGIN = "<html><head><title>ログイン</title></head><body>ログインしてください</body></html>".encode()
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = "https://www.meti.go.jp/information/publicoffer/kettei/"

CASES = [
    # Content-Type that names the kind, signature agreeing
    ("application/pdf", PDF, BASE + "r7kettei.pdf", "pdf", "content-type"),
    (XLSX_TYPE, XLSX, BASE + "r7kettei.xlsx", "xlsx", "content-type"),
    ("application/vnd.ms-excel", XLS, BASE + "r7kettei.xls", "xls", "content-type"),
    ("text/csv; charset=Shift_JIS", CSV, BASE + "r7kettei.csv", "csv", "content-type"),
    ("text/html; charset=UTF-8", HTML, BASE + "index.html", "html", "content-type"),
    # A lying Content-Type: the signature wins
    ("text/html", PDF, BASE + "r7kettei.pdf", "pdf", "signature"),
    ("application/octet-stream", PDF, BASE + "download?id=381", "pdf", "signature"),
    ("application/octet-stream", XLSX, BASE + "download?id=382", "xlsx", "signature"),
    ("application/vnd.ms-excel", XLSX, BASE + "r7kettei.xls", "xlsx", "signature"),  # xlsx sent as xls
    ("application/zip", XLSX, BASE + "r7kettei.zip", "xlsx", "signature"),
    ("text/plain", XLS, BASE + "r7kettei", "xls", "signature"),
    (None, PDF, BASE + "r7kettei", "pdf", "signature"),
    ("application/pdf", XLSX, BASE + "r7kettei.pdf", "xlsx", "signature"),
    # A password-protected .xlsx is an OLE2 file, not a zip
    (XLSX_TYPE, ENCRYPTED, BASE + "r7kettei.xlsx", "xlsx", "content-type"),
    ("application/octet-stream", ENCRYPTED, BASE + "r7kettei.xls", "xlsx", "signature"),
    # CSV labelled as Excel, as Japanese government servers often do
    ("application/vnd.ms-excel", CSV, BASE + "r7kettei.csv", "csv", "content"),
    # The claimed kind stands when the body is an error page: its reader refuses it
    ("application/pdf", LOGIN, BASE + "r7kettei.pdf", "pdf", "content-type"),
    ("text/html", LOGIN, BASE + "r7kettei.xlsx", "xlsx", "extension"),
    # No useful Content-Type, no signature: the extension, then the content
    ("application/octet-stream", CSV, BASE + "r7kettei.csv", "csv", "extension"),
    ("text/plain", CSV, BASE + "download.php?file=r7kettei.csv&lang=ja", "csv", "extension"),
    (None, HTML, BASE, "html", "content"),
    ("application/octet-stream", CSV, BASE + "download?id=383", "csv", "content"),
    ("text/plain", "お知らせ：公募は終了しました。".encode(), BASE + "notice", "html", "content"),
]


@pytest.mark.parametrize(
    ("content_type", "body", "url", "kind", "by"),
    CASES,
    ids=[f"{c[0]}-{c[2].rsplit('/', 1)[-1] or 'dir'}-{c[3]}" for c in CASES],
)
def test_detected_kind(content_type: str | None, body: bytes, url: str, kind: str, by: str) -> None:
    found = detect_kind(content_type=content_type, body=body, url=url)
    assert (found.kind, found.by) == (kind, by)
    assert found.reason
    assert "\n" not in found.reason


def test_a_zip_that_is_no_workbook_is_nothing_the_watcher_reads() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("r7kettei/一覧.pdf", PDF[:100])
    found = detect_kind(content_type="application/zip", body=out.getvalue(), url=BASE + "r7kettei.zip")
    assert found.kind is None
    assert found.reason == "a zip archive without xl/workbook.xml: not a file the watcher reads"


def test_unknown_binary_data_is_nothing_the_watcher_reads() -> None:
    found = detect_kind(content_type="application/octet-stream", body=b"\x89PNG\r\n\x1a\n\x00\x00", url=BASE + "logo")
    assert found.kind is None


def test_the_reason_says_what_the_content_type_claimed() -> None:
    found = detect_kind(content_type="text/html", body=PDF, url=BASE + "r7kettei.pdf")
    assert found.reason == "file signature: %PDF- (Content-Type text/html)"

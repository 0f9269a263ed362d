"""What a fetched file is (pdf, xlsx, xls, csv or html), from its Content-Type, first bytes and URL.

Pure. The order, and why:

1. **A file signature that contradicts the Content-Type wins**: bytes cannot lie
   about being a PDF (``%PDF-``), an .xlsx (a zip holding ``xl/workbook.xml``) or an
   .xls (an OLE2 file, ``D0 CF 11 E0``), while servers send ``text/html`` or
   ``application/octet-stream`` for anything. An OLE2 file with an
   ``EncryptedPackage`` stream is a password-protected .xlsx.
2. **Content-Type** when it names a kind: a PDF or Excel type without the signature
   keeps the kind it claims (its reader then says what the body really is: "not a
   PDF but an HTML page"), except a text body under an Excel type (servers label CSV
   ``application/vnd.ms-excel``), which is CSV. ``text/html`` for a URL that names
   a file (``…/kettei.xlsx``) is that file's kind: an HTML page where an attachment
   was linked is a login wall or an error page, to be refused by the reader, not
   diffed as a page.
3. **Extension** of the URL's path (or of a file name in its query, for download
   scripts: ``download.php?file=kettei.csv``).
4. **The content**: an HTML start is html, delimited text (the same number of comma
   or tab fields on four lines in five) is csv, other text is html
   (a page), and unknown binary data is nothing the watcher reads (kind None).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

__all__ = ["OLE2_MAGIC", "Detected", "FileKind", "detect_kind", "is_encrypted_ole", "looks_like_html"]

FileKind = Literal["pdf", "xlsx", "xls", "csv", "html"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_WORKBOOK_PART = b"xl/workbook.xml"
_EDGE = 64 * 1024  # zip entry names stand in the local headers and in the directory at the end

_MEDIA_TYPES: dict[str, FileKind] = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": "xlsx",
    "application/vnd.ms-excel": "xls",
    "application/msexcel": "xls",
    "application/x-msexcel": "xls",
    "application/x-ms-excel": "xls",
    "application/x-excel": "xls",
    "application/excel": "xls",
    "text/csv": "csv",
    "text/x-csv": "csv",
    "application/csv": "csv",
    "application/x-csv": "csv",
    "text/comma-separated-values": "csv",
    "text/tab-separated-values": "csv",
    "text/html": "html",
    "application/xhtml+xml": "html",
}
_EXTENSIONS: dict[str, FileKind] = {
    "pdf": "pdf",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "xls": "xls",
    "csv": "csv",
    "tsv": "csv",
    "html": "html",
    "htm": "html",
}
_FILE_IN_QUERY = re.compile(r"[^/?=&;]+\.(pdf|xlsx|xlsm|xls|csv|tsv)(?![A-Za-z0-9])", re.IGNORECASE)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_SAMPLE = 8 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Detected:
    """The kind a file is read as, what decided it, and why in one line (for `watcher probe`)."""

    kind: FileKind | None  # None: a file the watcher does not read (a zip archive, an image)
    by: Literal["signature", "content-type", "extension", "content"]
    reason: str


def looks_like_html(body: bytes) -> bool:
    """Whether the bytes start like an HTML page (after a BOM, blanks and comments)."""
    return _HTML_START.match(body[:1024].removeprefix(b"\xef\xbb\xbf")) is not None


def is_encrypted_ole(body: bytes) -> bool:
    """Whether an OLE2 file holds an encrypted Office document (a password-protected .xlsx)."""
    return body.startswith(OLE2_MAGIC) and all(name in body for name in _ENCRYPTED_STREAMS)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _signature(body: bytes) -> tuple[FileKind | None, str] | None:
    """(kind, what was seen) for a binary signature (kind None: a zip that is no workbook), else None."""
    if body.startswith(_ZIP_MAGIC):
        if _WORKBOOK_PART in body[:_EDGE] or _WORKBOOK_PART in body[-_EDGE:]:
            return "xlsx", "a zip with xl/workbook.xml"
        return None, "a zip archive without xl/workbook.xml"
    if body.startswith(OLE2_MAGIC):
        if is_encrypted_ole(body):
            return "xlsx", "an OLE2 file with an EncryptedPackage (a password-protected .xlsx)"
        return "xls", "an OLE2 file (D0 CF 11 E0)"
    if b"%PDF-" in body[:1024]:  # as PDF readers do: a few bytes may stand before it
        return "pdf", "%PDF-"
    return None


def _extension(url: str) -> FileKind | None:
    parts = urlsplit(url)
    path = unquote(parts.path).lower()
    name = path.rsplit("/", 1)[-1]
    if "." in name:
        found = _EXTENSIONS.get(name.rsplit(".", 1)[1])
        if found is not None:
            return found
    match = _FILE_IN_QUERY.search(unquote(parts.query))
    return _EXTENSIONS.get(match.group(1).lower()) if match else None


def _looks_delimited(body: bytes) -> bool:
    """Text whose first lines split into the same number (≥ 2) of comma or tab fields."""
    sample = body[:_SAMPLE]
    if b"\x00" in sample:
        return False
    encoding = "utf-8" if _is_utf8_prefix(sample) else "cp932"
    lines = sample.decode(encoding, errors="ignore").splitlines()
    if len(body) > _SAMPLE and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    lines = [line for line in lines if line.strip()][:20]
    if len(lines) < 2:
        return False
    for delimiter in (",", "\t"):
        try:
            counts = [len(fields) for fields in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = max(set(counts), key=counts.count)
        if common >= 2 and counts.count(common) * 5 >= len(counts) * 4:
            return True
    return False


def _is_utf8_prefix(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3  # only a character cut at the end
    return True


def detect_kind(*, content_type: str | None, body: bytes, url: str) -> Detected:
    """The kind of a fetched file; see the module docstring for the order."""
    media = _media_type(content_type)
    claimed = _MEDIA_TYPES.get(media)
    said = f"Content-Type {media}" if media else "no Content-Type"
    signature = _signature(body)
    extension = _extension(url)
    if signature is not None:
        kind, seen = signature
        if kind is None:
            if "xlsx" in (claimed, extension):
                return Detected(kind="xlsx", by="content-type" if claimed == "xlsx" else "extension",
                                reason=f"{said}, but the body is {seen}")
            return Detected(kind=None, by="signature", reason=f"{seen}: not a file the watcher reads")
        if claimed == kind:
            return Detected(kind=claimed, by="content-type", reason=f"{said}, signature {seen}")
        return Detected(kind=kind, by="signature", reason=f"file signature: {seen} ({said})")
    html = looks_like_html(body)
    if claimed in ("pdf", "xlsx", "xls"):
        if claimed != "pdf" and not html and _looks_delimited(body):
            return Detected(kind="csv", by="content", reason=f"{said}, but the body is delimited text")
        return Detected(kind=claimed, by="content-type", reason=f"{said} (no {claimed} signature)")
    if claimed == "csv":
        return Detected(kind="csv", by="content-type", reason=said)
    if claimed == "html" and extension in (None, "html"):
        return Detected(kind="html", by="content-type", reason=said)
    if extension is not None:
        note = ", the body is an HTML page" if html and extension != "html" else ""
        return Detected(kind=extension, by="extension", reason=f"the URL names a .{extension} file ({said}{note})")
    if html:
        return Detected(kind="html", by="content", reason=f"the body starts like HTML ({said})")
    if _looks_delimited(body):
        return Detected(kind="csv", by="content", reason=f"the body is delimited text ({said})")
    if b"\x00" in body[:_SAMPLE]:
        return Detected(kind=None, by="content", reason=f"unknown binary data ({said})")
    return Detected(kind="html", by="content", reason=f"text, read as a page ({said})")

"""What a link's text says besides its title: file type and size, NEW badges.

METI and IPA write a download's type and size beside its title in many ways:
「（PDF形式：123KB）」, 「PDF/1.2MB」, 「(Excel:45KB)」, 「[PDF 2.4MB]」, a bare
「PDF」 as the whole link text next to the document's name. These helpers read
them from NFKC-normalised text; the DOM walking lives in ``downloads``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

# The file types the watcher names, by URL extension and by the words pages write.
EXTENSION_TYPES = {
    "pdf": "PDF", "xlsx": "Excel", "xls": "Excel", "xlsm": "Excel", "csv": "CSV",
    "docx": "Word", "doc": "Word", "zip": "ZIP", "pptx": "PowerPoint", "ppt": "PowerPoint",
}
_WRITTEN_TYPES = {
    "pdf": "PDF", "excel": "Excel", "xlsx": "Excel", "xls": "Excel", "エクセル": "Excel",
    "word": "Word", "docx": "Word", "doc": "Word", "ワード": "Word", "csv": "CSV", "zip": "ZIP",
    "powerpoint": "PowerPoint", "pptx": "PowerPoint", "ppt": "PowerPoint",
    "パワーポイント": "PowerPoint",
}
_TYPE = r"(PDF|Excel|XLSX|XLS|Word|DOCX|DOC|CSV|ZIP|PowerPoint|PPTX|PPT|エクセル|ワード|パワーポイント)"
_FORM = r"(?:形式|ファイル|版)?"
# 1 KB = 1,024 bytes: the sizes on these pages are copied from Windows' file dialogs.
_UNITS = {"b": 0, "byte": 0, "bytes": 0, "バイト": 0, "kb": 1, "kib": 1, "キロバイト": 1,
          "mb": 2, "mib": 2, "メガバイト": 2, "gb": 3, "gib": 3, "ギガバイト": 3}
_SIZE = r"(?<![0-9A-Za-z.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(KiB|MiB|GiB|KB|MB|GB|bytes?|キロバイト|メガバイト|ギガバイト|バイト)(?![A-Za-z])"
_SIZE_RE = re.compile(_SIZE, re.IGNORECASE)
_OPEN, _CLOSE = r"[\(\[【〔<]", r"[\)\]】〕>]"
# A written type counts only as an annotation: in brackets, before a size, or as the
# whole link text. 「Excelマクロの使い方」 names no file.
_BRACKETED_TYPE = re.compile(rf"{_OPEN}\s*{_TYPE}{_FORM}(?=[\s:/,、{_CLOSE[1:-1]}]|$)", re.IGNORECASE)
_TYPE_BEFORE_SIZE = re.compile(rf"(?<![A-Za-z]){_TYPE}{_FORM}\s*[/:|,、]?\s*(?={_SIZE})", re.IGNORECASE)
# Link texts that only say what the file is; a download so labelled is named by its row.
_LABEL = re.compile(
    rf"^{_OPEN}?\s*(?:{_TYPE}{_FORM}|ファイル|ダウンロード|ファイルダウンロード|こちら|ここ|本文|全文|データ)"
    rf"\s*{_CLOSE}?$",
    re.IGNORECASE,
)
_ANNOTATION = re.compile(
    rf"{_OPEN}[^()\[\]【】〔〕<>]*?(?:{_TYPE}|{_SIZE})[^()\[\]【】〔〕<>]*{_CLOSE}"
    rf"|(?<![A-Za-z]){_TYPE}{_FORM}\s*[/:|,、]?\s*{_SIZE}|{_SIZE}",
    re.IGNORECASE,
)
_EDGE_PUNCTUATION = re.compile(r"^[\s:/|・,、\-–—]+|[\s:/|・,、\-–—]+$")

# Suffix noise that sites append to news titles: file type and size, "NEW" badges.
_SIZE_SUFFIX = re.compile(
    r"\s*[\(\[（【]\s*(PDF|Excel|XLSX?|Word|DOCX?|ZIP|CSV|PPTX?)[^\)\]）】]*?"
    r"\d[\d.,]*\s*[KMG]?i?B\s*[\)\]）】]\s*$",
    re.IGNORECASE,
)
_FILE_TYPE_SUFFIX = re.compile(
    r"\s*[\(\[（【]\s*(PDF|Excel|Word)(形式)?\s*[\)\]）】]\s*$", re.IGNORECASE
)
_NEW_BADGE = re.compile(r"^(NEW!?|New!?|新着)\s+|\s+(NEW!?|New!?|新着)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInfo:
    """A link's file type and size, as far as its URL and the text beside it say."""

    file_type: str | None = None
    size_text: str | None = None
    size_bytes: int | None = None

    @property
    def is_file(self) -> bool:
        return self.file_type is not None or self.size_text is not None


def clean_title(text: str) -> str:
    """A link text without file-size suffixes and NEW badges, NFKC and whitespace-normalised.

    >>> clean_title("令和8年度予算案の概要（PDF形式：1.2MB）")
    '令和8年度予算案の概要'
    """
    title = " ".join(unicodedata.normalize("NFKC", text).split())
    previous = None
    while previous != title:
        previous = title
        title = _SIZE_SUFFIX.sub("", title)
        title = _FILE_TYPE_SUFFIX.sub("", title)
        title = _NEW_BADGE.sub("", title).strip()
    return title


def download_title(text: str) -> str:
    """A download's title: ``clean_title`` without any type or size annotation left in it.

    >>> download_title("様式第1号 交付申請書 (45KB) PDF/120KB")
    '様式第1号 交付申請書'
    """
    title = _ANNOTATION.sub(" ", clean_title(text))
    return _EDGE_PUNCTUATION.sub("", " ".join(title.split()))


def is_label(text: str) -> bool:
    """Whether a link text only says what the file is (「PDF」, 「Excel形式」, 「ダウンロード」).

    >>> is_label("PDF（123KB）"), is_label("ダウンロード（ZIP：2.3MB）"), is_label("交付決定一覧（PDF）")
    (True, True, False)
    """
    title = download_title(text)
    return not title or _LABEL.match(title) is not None


def url_file_type(url: str) -> str | None:
    """The file type an URL's path names by its extension, or None for a page.

    >>> url_file_type("https://www.meti.go.jp/a/b/kofu_r7.XLSX?v=2"), url_file_type("https://a.jp/x.html")
    ('Excel', None)
    """
    path = unquote(urlsplit(url).path)
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return EXTENSION_TYPES.get(name.rsplit(".", 1)[-1].lower())


def written_file_info(text: str) -> FileInfo:
    """The type and size a link's text and annotation write.

    >>> written_file_info("ファイルダウンロード（PDF形式：46KB）")
    FileInfo(file_type='PDF', size_text='46KB', size_bytes=47104)
    >>> written_file_info("Excelマクロの使い方")
    FileInfo(file_type=None, size_text=None, size_bytes=None)
    """
    normalised = " ".join(unicodedata.normalize("NFKC", text).split())
    file_type = None
    for pattern in (_BRACKETED_TYPE, _TYPE_BEFORE_SIZE):
        match = pattern.search(normalised)
        if match:
            file_type = _WRITTEN_TYPES[match.group(1).casefold()]
            break
    if file_type is None:
        label = _LABEL.match(download_title(normalised))
        if label and label.group(1):
            file_type = _WRITTEN_TYPES[label.group(1).casefold()]
    size = _SIZE_RE.search(normalised)
    if size is None:
        return FileInfo(file_type=file_type)
    return FileInfo(file_type=file_type, size_text=size.group(0).strip(),
                    size_bytes=_bytes(size))


def size_bytes(size_text: str) -> int | None:
    """A written size in bytes (1 KB = 1,024 bytes); None if it is not a size.

    >>> size_bytes("1.2MB"), size_bytes("2,345KB"), size_bytes("46 KB"), size_bytes("大")
    (1258291, 2401280, 47104, None)
    """
    match = _SIZE_RE.fullmatch(unicodedata.normalize("NFKC", size_text).strip())
    return _bytes(match) if match else None


def _bytes(match: re.Match[str]) -> int | None:
    whole, fraction, unit = match.group(1), match.group(2) or "", match.group(3)
    try:
        number = Decimal(whole.replace(",", "") + fraction)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None
    return int((number * 1024 ** _UNITS[unit.casefold()]).to_integral_value())

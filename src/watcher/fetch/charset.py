"""Turn a fetched body into text: declared charset, then detection, then UTF-8.

Pure functions; the order follows what a browser does, with two changes that
suit pages we re-read every day: a declared charset that does not decode the
body strictly is ignored rather than trusted, and valid UTF-8 is preferred to
statistical detection (which guesses badly on short, mostly-ASCII pages).
"""

from __future__ import annotations

import codecs
import re

# Older METI pages are Shift_JIS in name but use Microsoft's extension (cp932):
# ①, ㈱, NEC and IBM kanji are common in them and plain shift_jis rejects those.
# The JIS X 0213 variants (which charset-normalizer may guess) exist in no
# browser, so no page is really written in them.
_LABEL_GROUPS: dict[str, str] = {
    "cp932": "shift_jis shift-jis shiftjis sjis x-sjis s-jis ms_kanji ms-kanji mskanji"
    " windows-31j cswindows31j cp932 ms932 x-ms-cp932 csshiftjis"
    " shift_jis_2004 shift_jisx0213 shiftjis2004 sjis_2004 shiftjisx0213",
    "euc_jp": "euc-jp euc_jp eucjp x-euc-jp x-euc cseucpkdfmtjapanese ujis"
    " euc_jis_2004 euc_jisx0213 eucjis2004 eucjisx0213",
    "iso2022_jp": "iso-2022-jp iso2022jp iso2022_jp csiso2022jp jis",
    "utf-8": "utf-8 utf8 utf_8 unicode-1-1-utf-8 x-unicode20utf8",
}
_LABELS = {label: codec for codec, labels in _LABEL_GROUPS.items() for label in labels.split()}

_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.I)
_XML_ENCODING = re.compile(
    rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:+-]+)["']""", re.I
)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.I)

# Python's utf-16 codec reads the mark itself to choose the byte order.
_BOMS: tuple[tuple[bytes, str, int], ...] = (
    (codecs.BOM_UTF8, "utf-8", len(codecs.BOM_UTF8)),
    (codecs.BOM_UTF16_LE, "utf-16", 0),
    (codecs.BOM_UTF16_BE, "utf-16", 0),
)

# Labels under which every byte sequence decodes, so a strict decode proves nothing.
# Servers send them by default (Apache's old AddDefaultCharset ISO-8859-1) on pages
# written in UTF-8 or Shift_JIS; believed, they turn a Japanese page into mojibake.
_ANY_BYTES_CODECS = frozenset({"iso8859-1", "cp1252"})

_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
# Bodies the extract stage reads as bytes; decoding them would only produce noise.
_BINARY_TYPES = _PDF_TYPES | frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    }
)
_MARKUP_TYPES = frozenset({"application/xhtml+xml", "application/xml"})
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "application/vnd.openxmlformats-")


def codec_for(label: str) -> str | None:
    """Python codec name for a charset label, or None if the label is unknown.

    >>> codec_for("Shift_JIS"), codec_for("x-sjis"), codec_for("EUC-JP"), codec_for("nonsense")
    ('cp932', 'cp932', 'euc_jp', None)
    """
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in _LABELS:
        return _LABELS[cleaned]
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        return None


def media_type(content_type: str | None) -> str | None:
    """The bare media type of a Content-Type header, lower case.

    >>> media_type('Text/HTML; charset="Shift_JIS"')
    'text/html'
    """
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, as written.

    >>> http_charset('text/html; charset="Shift_JIS"')
    'Shift_JIS'
    """
    if not content_type or ";" not in content_type:
        return None
    match = _CHARSET_PARAM.search(content_type.split(";", 1)[1])
    return match.group(1) if match else None


def declared_charset(body: bytes) -> str | None:
    """The charset a document declares in its first 4 KB: XML declaration or <meta>.

    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">')
    'Shift_JIS'
    """
    head = body[:_SNIFF_BYTES]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii")
    return None


def is_binary(body: bytes, content_type: str | None) -> bool:
    """True for PDFs (by type or by their %PDF- signature) and other non-text bodies."""
    kind = media_type(content_type)
    if body.startswith(b"%PDF-"):
        return True
    if kind is not None and (kind in _BINARY_TYPES or kind.startswith(_BINARY_PREFIXES)):
        return True
    head = body[:_SNIFF_BYTES]
    if kind is not None and (kind.startswith("text/") or kind in _MARKUP_TYPES
                             or kind.endswith("+xml")):
        # A page served as HTML stays a page with a stray NUL in it (CMSes leave them);
        # the Fetcher drops the NUL from the text.
        return False
    if head.lstrip(b" \t\r\n").startswith(b"<"):
        return False  # untyped markup
    # Untyped or application/octet-stream downloads: text never holds NUL bytes,
    # unless it is UTF-16, which announces itself with a byte-order mark.
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """Decode a body to (text, codec); binary bodies give ("", None)."""
    if is_binary(body, content_type):
        return "", None
    for bom, bom_codec, skip in _BOMS:
        if body.startswith(bom):
            # A byte-order mark is unambiguous and wins over any declaration.
            return body[skip:].decode(bom_codec, errors="replace"), bom_codec
    declared: list[str] = []
    for label, from_document in (
        (http_charset(content_type), False),
        (declared_charset(body), True),
    ):
        codec = codec_for(label) if label else None
        if codec is None:
            continue
        if codec in _ANY_BYTES_CODECS and _reads_otherwise(body):
            # A Latin-1 label on a body that is valid UTF-8, or whose <meta> names another
            # charset that fits, is a server or template default, not a fact about this page.
            declared.append(codec)
            continue
        if from_document and codec.startswith(("utf-16", "utf-32")):
            # A declaration we could read as ASCII cannot be true (as browsers reason).
            codec = "utf-8"
        text = _strict(body, codec)
        if text is not None:
            return text, codec
        declared.append(codec)
    return _detect(body, fallback=declared[0] if declared else "utf-8")


def _reads_otherwise(body: bytes) -> bool:
    """Whether a non-ASCII body is valid UTF-8 or declares a charset that decodes it strictly."""
    if body.isascii():
        return False
    if _strict(body, "utf-8") is not None:
        return True
    label = declared_charset(body)
    codec = codec_for(label) if label else None
    return codec is not None and codec not in _ANY_BYTES_CODECS and _strict(body, codec) is not None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        return None


def _detect(body: bytes, *, fallback: str) -> tuple[str, str]:
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    from charset_normalizer import from_bytes  # ~10 ms to import: only for pages that need a guess

    best = from_bytes(body).best()
    codec = codec_for(best.encoding) if best is not None else None
    if codec is not None:
        text = _strict(body, codec)
        if text is not None:
            return text, codec
    # Nothing decodes cleanly (a Shift_JIS page with one stray byte, say): keep
    # the declared codec, losing a character rather than the whole page.
    return body.decode(fallback, errors="replace"), fallback

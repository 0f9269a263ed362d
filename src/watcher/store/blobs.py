"""Compression of stored bodies and documents (zlib: in the standard library, good on HTML)."""

from __future__ import annotations

import zlib

from watcher.extract.document import Document


def compress(data: bytes, level: int = 6) -> bytes:
    return zlib.compress(data, level)


def decompress(data: bytes) -> bytes:
    return zlib.decompress(data)


def pack_document(document: Document, level: int = 6) -> bytes:
    return compress(document.dumps().encode("utf-8"), level)


def unpack_document(data: bytes) -> Document:
    return Document.loads(decompress(data).decode("utf-8"))

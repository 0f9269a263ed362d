"""Compression of stored bodies and documents: zstd, reading old zlib values too.

zstd at level 9 packs a 90 KB METI-like page to 14.2% at the CPU zlib level 6 spends for
15.0% (0.87 ms a page; bench/README.md has the measurement). Values written before the
switch are zlib streams: a zstd frame starts with its magic number, which is never a
valid zlib header, so the first bytes tell which is which.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

from watcher.extract.document import Document

DEFAULT_LEVEL = 9
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# zstd contexts are not safe to share between threads (the admin page reads in a pool).
_local = threading.local()


def _compressor(level: int) -> zstandard.ZstdCompressor:
    cache: dict[int, zstandard.ZstdCompressor] = _local.__dict__.setdefault("compressors", {})
    if level not in cache:
        cache[level] = zstandard.ZstdCompressor(level=level)
    return cache[level]


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "decompressor"):
        _local.decompressor = zstandard.ZstdDecompressor()
    decompressor: zstandard.ZstdDecompressor = _local.decompressor
    return decompressor


def compress(data: bytes, level: int = DEFAULT_LEVEL) -> bytes:
    """One zstd frame (with the content size, so reading needs no size limit guess)."""
    return _compressor(level).compress(data)


def decompress(data: bytes) -> bytes:
    """A stored value, zstd (since issue 13) or zlib (before).

    >>> decompress(compress("4,760億円".encode())) == decompress(zlib.compress("4,760億円".encode()))
    True
    """
    if data[:4] == _ZSTD_MAGIC:
        return _decompressor().decompress(data)
    return zlib.decompress(data)


def pack_document(document: Document, level: int = DEFAULT_LEVEL) -> bytes:
    return compress(document.dumps().encode("utf-8"), level)


def unpack_document(data: bytes) -> Document:
    return Document.loads(decompress(data).decode("utf-8"))

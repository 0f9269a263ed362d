"""Bounded, checked decoding of a gzip or deflate Content-Encoding.

httpx would decode these itself, but it inflates a whole network read at once
(a 64 KiB read of zeros becomes 64 MiB) and does not notice a stream that
stops before its end marker. A truncated page must be a failure, not a short
page whose missing rows look like removed entries, so we decode here: in
pieces of at most 64 KiB, and checking that the stream was complete.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

# The only codings we offer in Accept-Encoding, so the only ones a server should use.
ACCEPT_ENCODING = "gzip, deflate"

_PIECE = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class Inflater:
    """Decodes one response body's Content-Encoding piece by piece."""

    def __init__(self, content_encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if not codings:
            self._kind: str | None = None
        elif codings in (["gzip"], ["x-gzip"]):
            self._kind = "gzip"
        elif codings == ["deflate"]:
            self._kind = "deflate"
        else:
            raise httpx.DecodingError(f"unsupported content-encoding {content_encoding!r}")
        self._raw_deflate = False
        self._started = False
        self._ended = False
        self._inflater = self._new()

    def _new(self) -> zlib._Decompress:
        if self._kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces (each at most 64 KiB) of one chunk of raw body bytes."""
        if self._kind is None:
            if data:
                yield data
            return
        while data and not self._ended:
            try:
                piece = self._inflater.decompress(data, _PIECE)
            except zlib.error as exc:
                if self._kind == "deflate" and not self._started and not self._raw_deflate:
                    # Some servers send "deflate" without the zlib wrapper; httpx and
                    # browsers accept that, so do we.
                    self._raw_deflate = True
                    self._inflater = self._new()
                    continue
                raise httpx.DecodingError(f"corrupt {self._kind} data ({exc})") from exc
            self._started = True
            data = self._inflater.unconsumed_tail
            if piece:
                yield piece
            # A full piece may leave output pending inside zlib with no input left.
            while not data and len(piece) == _PIECE and not self._inflater.eof:
                piece = self._inflater.decompress(b"", _PIECE)
                if piece:
                    yield piece
            if self._inflater.eof:
                data = self._next_member(self._inflater.unused_data)

    def _next_member(self, rest: bytes) -> bytes:
        """Input after the end of a stream: another gzip member, or padding to ignore."""
        if self._kind == "gzip" and rest.startswith(_GZIP_MAGIC):
            self._inflater = self._new()
            return rest
        self._ended = True
        return b""

    def finish(self) -> bytes:
        """Whatever output remains; raises DecodingError if the stream stopped early."""
        if self._kind is None or not self._started:
            # An empty body needs no end marker.
            return b""
        tail = self._inflater.flush()
        if not self._inflater.eof:
            raise httpx.DecodingError(f"{self._kind} body ends before its end marker (truncated)")
        return tail

"""gzip and deflate bodies are decoded in bounded pieces, and a truncated stream is caught."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest

from fetch.factories import PAGE_URL, ChunkStream, fetch_one, meti_page, new_router
from watcher.fetch.inflate import Inflater

PAGE = meti_page(meta='<meta charset="utf-8">').encode("utf-8")


def decode(encoding: str | None, chunks: list[bytes]) -> tuple[bytes, int]:
    """The decoded body and the largest piece the Inflater produced."""
    inflater = Inflater(encoding)
    pieces = [piece for chunk in chunks for piece in inflater.feed(chunk)]
    pieces.append(inflater.finish())
    return b"".join(pieces), max(map(len, pieces))


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        (None, lambda b: b),
        ("identity", lambda b: b),
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("deflate", zlib.compress),
    ],
)
def test_a_body_is_decoded_whatever_the_chunking(encoding: str | None, compress: object) -> None:
    payload = compress(PAGE)  # type: ignore[operator]
    for size in (1, 7, 4096, len(payload)):
        assert decode(encoding, split(payload, size))[0] == PAGE


def test_raw_deflate_without_the_zlib_wrapper_is_accepted() -> None:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = squeezer.compress(PAGE) + squeezer.flush()

    assert decode("deflate", [raw])[0] == PAGE


def test_concatenated_gzip_members_are_all_decoded() -> None:
    assert decode("gzip", [gzip.compress(b"<p>one</p>") + gzip.compress(b"<p>two</p>")])[0] == (
        b"<p>one</p><p>two</p>"
    )


def test_pieces_stay_small_however_well_the_body_compresses() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)

    body, largest = decode("gzip", [bomb])

    assert len(body) == 5_000_000
    assert largest <= 64 * 1024


def test_a_gzip_stream_cut_short_is_an_error_not_a_shorter_page() -> None:
    truncated = gzip.compress(PAGE)[:-200]
    inflater = Inflater("gzip")
    list(inflater.feed(truncated))

    with pytest.raises(httpx.DecodingError, match="truncated"):
        inflater.finish()


def test_garbage_is_an_error() -> None:
    with pytest.raises(httpx.DecodingError, match="corrupt gzip data"):
        list(Inflater("gzip").feed(b"\x1f\x8b\x08\x00not really gzip"))


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_codings_we_did_not_offer_are_refused(encoding: str) -> None:
    with pytest.raises(httpx.DecodingError, match="unsupported content-encoding"):
        Inflater(encoding)


def test_an_empty_compressed_body_is_empty() -> None:
    assert decode("gzip", [b""])[0] == b""


def test_a_truncated_gzip_page_fails_the_fetch() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(
        200,
        stream=ChunkStream([gzip.compress(PAGE)[:-200]]),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
    )

    result = fetch_one(router)

    assert result.status == "failed"
    assert result.error == (
        "could not decompress the body: gzip body ends before its end marker (truncated)"
    )
    assert result.body == b""


def test_an_unrequested_coding_fails_the_fetch() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(
        200, stream=ChunkStream([b"\x8b\x02\x80"]), headers={"Content-Encoding": "br"}
    )

    result = fetch_one(router)

    assert result.error == "could not decompress the body: unsupported content-encoding 'br'"

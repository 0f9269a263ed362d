"""Hostile PDFs written byte by byte: huge page counts, pages packed in object streams,
content streams that inflate to megabytes of drawing operators, and malformed files.

Each builder returns a complete file (header, objects, cross-reference, trailer) that
a PDF reader accepts as well-formed, so the extractor's limits, not a parse error,
are what stops it.
"""

from __future__ import annotations

import struct
import zlib


def _assemble(objects: dict[int, bytes], root: int, *, xref_stream: bool = False,
              compressed: dict[int, tuple[int, int]] | None = None) -> bytes:
    """A PDF file from numbered object bodies (without "n 0 obj"/"endobj")."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    size = max([*objects, *(compressed or {})]) + 1
    if not xref_stream:
        start = len(out)
        out += f"xref\n0 {size}\n".encode() + b"0000000000 65535 f \n"
        for num in range(1, size):
            out += (f"{offsets[num]:010d} 00000 n \n" if num in offsets else "0000000000 65535 f \n").encode()
        out += f"trailer\n<< /Size {size} /Root {root} 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
        return bytes(out)
    xref_num = size
    size += 1
    rows = bytearray()
    for num in range(size):
        if num in offsets:
            rows += struct.pack(">BIH", 1, offsets[num], 0)
        elif compressed and num in compressed:
            rows += struct.pack(">BIH", 2, *compressed[num])
        elif num == xref_num:
            rows += struct.pack(">BIH", 1, len(out), 0)
        else:
            rows += struct.pack(">BIH", 0, 0, 65535)
    data = zlib.compress(bytes(rows))
    start = len(out)
    out += (f"{xref_num} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Root {root} 0 R "
            f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n").encode()
    out += data + b"\nendstream\nendobj\n" + f"startxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, *, deflate: bool = True) -> bytes:
    body = zlib.compress(data, 9) if deflate else data
    flt = b"/Filter /FlateDecode " if deflate else b""
    return b"<< " + flt + f"/Length {len(body)} >>\nstream\n".encode() + body + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE_TEXT = b"BT /F1 12 Tf 72 720 Td (Budget 3,873) Tj ET"


def simple(text: bytes = PAGE_TEXT) -> bytes:
    """A well-formed one-page PDF (the control case)."""
    return _assemble({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        3: _stream(text),
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
           b"/Resources << /Font << /F1 5 0 R >> >> >>",
        5: FONT,
    }, root=1)


def many_pages(count: int) -> bytes:
    """``count`` pages sharing one small content stream (about 90 bytes a page)."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: _stream(PAGE_TEXT),
        4: FONT,
    }
    first = 5
    kids = b" ".join(f"{first + i} 0 R".encode() for i in range(count))
    objects[2] = b"<< /Type /Pages /Kids [" + kids + f"] /Count {count} >>".encode()
    for i in range(count):
        objects[first + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                              b"/Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>")
    return _assemble(objects, root=1)


def pages_in_object_stream(count: int) -> bytes:
    """``count`` page objects packed into one compressed object stream (PDF 1.5)."""
    first = 5
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 4 0 R >> >> >>")
    header = bytearray()
    body = bytearray()
    for i in range(count):
        header += f"{first + i} {len(body)} ".encode()
        body += page + b"\n"
    packed = zlib.compress(bytes(header) + bytes(body), 9)
    objstm = first + count
    kids = b" ".join(f"{first + i} 0 R".encode() for i in range(count))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + kids + f"] /Count {count} >>".encode(),
        3: _stream(PAGE_TEXT),
        4: FONT,
        objstm: (f"<< /Type /ObjStm /N {count} /First {len(header)} /Filter /FlateDecode "
                 f"/Length {len(packed)} >>\nstream\n").encode() + packed + b"\nendstream",
    }
    compressed = {first + i: (objstm, i) for i in range(count)}
    return _assemble(objects, root=1, xref_stream=True, compressed=compressed)


def content_bomb(inflated_bytes: int) -> bytes:
    """One page whose content stream inflates to ``inflated_bytes`` of text-drawing operators."""
    op = b"BT /F1 1 Tf 10 10 Td (x) Tj ET\n"
    return simple(op * (inflated_bytes // len(op)))


def zero_bomb(inflated_bytes: int) -> bytes:
    """One page whose content stream inflates to ``inflated_bytes`` of spaces."""
    return simple(b" " * inflated_bytes)


def deep_arrays(depth: int) -> bytes:
    """A page whose resources nest ``depth`` arrays deep."""
    nested = b"[" * depth + b"1" + b"]" * depth
    return _assemble({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        3: _stream(PAGE_TEXT),
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
           b"/Resources << /Font << /F1 5 0 R >> /X " + nested + b" >> >>",
        5: FONT,
    }, root=1)


def page_tree_loop() -> bytes:
    """A page tree whose Kids point back at itself."""
    return _assemble({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        3: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
    }, root=1)

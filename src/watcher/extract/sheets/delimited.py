"""CSV and tab-separated files → SheetFile: the encoding, delimiter and header found from the bytes.

- **Encoding**: a BOM decides (UTF-8, UTF-16: Excel's "Unicode text" is UTF-16 with
  tabs). Otherwise strict UTF-8, then cp932 (Shift_JIS as Windows and Excel write
  it, with ①, ㈱ and the other NEC/IBM extensions). Nothing is guessed beyond
  that: a file that is neither is refused, and a file whose lines disagree (some
  UTF-8, some Shift_JIS: two exports pasted together) is refused with the first
  line of each, because one of the halves would otherwise read as mojibake.
- **Delimiter**: of ``,`` tab ``;`` ``|``, the one that splits the first lines into
  the most consistent number of fields (two or more).
- **Header**: as for sheets (watcher.extract.sheets.layout). Every field is text,
  so a label row is one whose fields are neither amounts nor dates.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

from watcher.extract.sheets.guard import check_body
from watcher.extract.sheets.layout import lay_out
from watcher.extract.sheets.model import (
    DEFAULT_LIMITS,
    Cell,
    SheetFile,
    SheetLimits,
    SheetUnreadable,
)

__all__ = ["decode", "read_csv", "sniff_delimiter"]

_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_LINES = 50
_SNIFF_CHARS = 64 * 1024
_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp932": "Shift_JIS", "utf-16": "UTF-16"}


def read_csv(body: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> SheetFile:
    """The file's table (none when no line has two fields); SheetUnreadable when it cannot be read."""
    check_body(body, limits, "a CSV file")
    text, encoding = decode(body)
    delimiter = sniff_delimiter(text)
    cells: dict[tuple[int, int], Cell] = {}
    try:
        for r, fields in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if r >= limits.max_rows:
                raise SheetUnreadable(f"more than {limits.max_rows:,} rows (limit)")
            for c, field in enumerate(fields):
                if not field.strip():
                    continue
                if c >= limits.max_columns:
                    raise SheetUnreadable(
                        f"line {r + 1:,} has field {c + 1:,} (limit {limits.max_columns:,} columns)"
                    )
                cells[(r, c)] = Cell(field, True)
                if len(cells) > limits.max_cells:
                    raise SheetUnreadable(f"more than {limits.max_cells:,} fields with a value (limit)")
    except csv.Error as exc:
        raise SheetUnreadable(f"not a readable CSV file: {exc}") from exc
    if not cells:
        raise SheetUnreadable("empty file: no field holds a value")
    table = lay_out("", cells, (), limits)
    meta = (("encoding", encoding), ("delimiter", "tab" if delimiter == "\t" else delimiter))
    return SheetFile(kind="csv", tables=() if table is None else (table,), meta=meta)


def decode(body: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in (utf-8, utf-8-sig, utf-16 or cp932).

    >>> decode("交付先名,金額".encode("cp932"))
    ('交付先名,金額', 'cp932')
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return body.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise SheetUnreadable(f"not valid UTF-16 at byte {exc.start:,}") from exc
    if b"\x00" in body[:4096]:
        raise SheetUnreadable("not a text file (NUL bytes; binary data or UTF-16 without a BOM)")
    encoding = "utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return body.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    lines = _line_encodings(body)
    if "utf-8" in lines and ("cp932" in lines or "neither" in lines):
        other = "cp932" if "cp932" in lines else "neither"
        said = "Shift_JIS" if other == "cp932" else "neither UTF-8 nor Shift_JIS"
        raise SheetUnreadable(
            f"mixed encodings: line {lines['utf-8']:,} is UTF-8, line {lines[other]:,} is {said}"
        )
    if "neither" in lines:
        raise SheetUnreadable(f"neither UTF-8 nor Shift_JIS (line {lines['neither']:,})")
    try:
        return body.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:  # a character split across lines
        raise SheetUnreadable(f"neither UTF-8 nor Shift_JIS (byte {exc.start:,})") from exc


def _line_encodings(body: bytes) -> dict[str, int]:
    """The first line (1-based) that reads as UTF-8 only, as cp932 only, or as neither."""
    first: dict[str, int] = {}
    for number, line in enumerate(body.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            kind = "utf-8"  # Shift_JIS text is valid UTF-8 almost never
        except UnicodeDecodeError:
            try:
                line.decode("cp932")
                kind = "cp932"
            except UnicodeDecodeError:
                kind = "neither"
        first.setdefault(kind, number)
        if len(first) == 3:
            break
    return first


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently into two or more fields.

    >>> sniff_delimiter("事業名\\t交付先名\\t金額\\n半導体\\t㈱A\\t1,000\\n")
    '\\t'
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            counts = Counter(
                len(fields)
                for _, fields in zip(range(_SNIFF_LINES), reader, strict=False)
                if any(f.strip() for f in fields)
            )
        except csv.Error:
            continue
        wide = [(n, times) for n, times in counts.items() if n >= 2]
        if not wide:
            continue
        fields, times = max(wide, key=lambda item: (item[1], item[0]))
        score = (times, fields)
        if score > best_score:
            best, best_score = delimiter, score
    return best

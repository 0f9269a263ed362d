"""The checks an .xlsx file passes before openpyxl reads it: zip directory, sheet list, sheet scan.

- **Zip directory**: the number of parts and their declared uncompressed sizes are
  checked before anything is inflated, so a zip bomb is refused on sight. zipfile
  never inflates a part past its declared size (a part that lies fails its CRC), so
  the directory bounds memory.
- **Encrypted workbooks**: Excel saves a password-protected .xlsx as an OLE2 file
  holding ``EncryptionInfo`` and ``EncryptedPackage`` streams, not as a zip.
- **Sheet list**: ``workbook.xml`` and its relationships, read with lxml (no DTD, no
  entities, no network): each sheet's name, visibility and part.
- **Sheet scan**: each sheet part streamed in 1 MiB chunks and matched as bytes (ten
  times faster than an XML parse, and sheets are the big parts): the last row
  number, formulas saved without a cached value, and the merged ranges (which
  openpyxl's read-only mode does not report). The row limit stops the scan early.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from watcher.extract.sheets.layout import Merge
from watcher.extract.sheets.model import SheetLimits, SheetUnreadable

__all__ = [
    "SheetPart",
    "SheetScan",
    "cell_index",
    "open_archive",
    "scan_sheet",
    "sheet_parts",
]

_CHUNK = 1024 * 1024
_HEAD = 4096  # where an XML part's prolog (and any DOCTYPE) stands
_MAX_CARRY = 16 * 1024 * 1024
_MB = 1024 * 1024

_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_P = rb"(?:[\w.-]{1,16}:)?"  # an optional namespace prefix (<x:row> from some generators)
_ROW_START = re.compile(rb"<" + _P + rb"row[\s>/]")
_ROW_NUMBER = re.compile(rb"<" + _P + rb"row\b[^>]*?\sr=\"(\d{1,9})\"")
_HAS_FORMULA = re.compile(rb"<" + _P + rb"f[\s>/]")
_CELL = re.compile(rb"<(" + _P + rb")c\b([^>]*?)(?:/>|>(.*?)</\1c>)", re.DOTALL)
_VALUE = re.compile(rb"<(" + _P + rb")v\b[^>]*?(?:/>|>([^<]*)</\1v>)")
_STRING_TYPE = re.compile(rb"\st=\"(?:str|s|inlineStr)\"")
_CELL_REF = re.compile(rb"\sr=\"([A-Za-z]{1,3}\d{1,7})\"")
_MERGE = re.compile(
    rb"<" + _P + rb"mergeCell\b[^>]*?\sref=\"([A-Za-z]{1,3}\d{1,7})(?::([A-Za-z]{1,3}\d{1,7}))?\""
)
_REF = re.compile(r"([A-Za-z]{1,3})(\d{1,7})")
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def cell_index(ref: str) -> tuple[int, int]:
    """A cell reference as (row, column), 0-based: "B3" → (2, 1)."""
    match = _REF.fullmatch(ref)
    if match is None:
        raise SheetUnreadable(f"bad cell reference {ref!r}")
    column = 0
    for ch in match.group(1).upper():
        column = column * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, column - 1


def _mb(size: int) -> str:
    return f"{size / _MB:,.0f} MB" if size >= _MB else f"{size:,} bytes"


def open_archive(body: bytes, limits: SheetLimits) -> zipfile.ZipFile:
    """The workbook's zip archive, once its directory has passed the size limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SheetUnreadable(f"not a readable zip archive ({exc}); a cut-off download?") from exc
    infos = archive.infolist()
    if len(infos) > limits.max_parts:
        raise SheetUnreadable(f"{len(infos):,} parts in the zip (limit {limits.max_parts:,})")
    if any(info.flag_bits & 0x1 for info in infos):
        raise SheetUnreadable("password-protected (encrypted zip entries)")
    biggest = max(infos, key=lambda info: info.file_size, default=None)
    if biggest is not None and biggest.file_size > limits.max_part_bytes:
        ratio = biggest.file_size / max(biggest.compress_size, 1)
        raise SheetUnreadable(
            f"zip bomb: {biggest.filename} expands {ratio:,.0f}× to {_mb(biggest.file_size)} "
            f"(limit {_mb(limits.max_part_bytes)})"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        raise SheetUnreadable(
            f"zip bomb: the parts expand to {_mb(total)} (limit {_mb(limits.max_unpacked_bytes)})"
        )
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as part:
                _check_prolog(info.filename, part.read(_HEAD))
    return archive


def _check_prolog(name: str, head: bytes) -> None:
    """Refuse a DOCTYPE: Office XML never declares one, and entity bombs need one.

    A DOCTYPE can only stand before the root element, so a part whose root has not
    started within the head (a prolog padded with comments) is refused as well.
    """
    root = _ROOT_START.search(head)
    if b"<!DOCTYPE" in head[: root.start() if root else len(head)]:
        raise SheetUnreadable(f"{name} declares a DOCTYPE (Excel never does): refused")
    if root is None and len(head) == _HEAD:
        raise SheetUnreadable(f"{name} has no root element in its first {_HEAD:,} bytes: refused")


def _parse_part(archive: zipfile.ZipFile, name: str) -> etree._Element:
    try:
        data = archive.read(name)
    except KeyError as exc:
        raise SheetUnreadable(f"{name} is missing: not an Excel workbook") from exc
    try:
        root = etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as exc:
        raise SheetUnreadable(f"broken XML in {name}: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise SheetUnreadable(f"{name} declares a DOCTYPE (Excel never does): refused")
    return root


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, part name) of a part's relationships; {} when it has none."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels not in archive.namelist():
        return {}
    found: dict[str, tuple[str, str]] = {}
    for rel in _parse_part(archive, rels).iter("{*}Relationship"):
        target = rel.get("Target") or ""
        name = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id") or ""] = (rel.get("Type") or "", posixpath.normpath(name))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetPart:
    """One sheet of the workbook as workbook.xml lists it."""

    name: str
    part: str
    visible: bool
    worksheet: bool  # False for chart, dialog and macro sheets


def sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    """The workbook's sheets in tab order."""
    main = next(
        (p for t, p in _relationships(archive, "").values() if t.endswith("/officeDocument")),
        "xl/workbook.xml",
    )
    if main.endswith(".bin"):
        raise SheetUnreadable("an .xlsb (binary) workbook: not supported; save it as .xlsx")
    rels = _relationships(archive, main)
    parts: list[SheetPart] = []
    for sheet in _parse_part(archive, main).iter("{*}sheet"):
        rel_id = next((v for k, v in sheet.attrib.items() if str(k).endswith("}id")), "")
        kind, part = rels.get(str(rel_id), ("", ""))
        parts.append(
            SheetPart(
                name=str(sheet.get("name") or ""),
                part=part,
                visible=(sheet.get("state") or "visible") == "visible",
                worksheet=kind.endswith("/worksheet") and part in archive.namelist(),
            )
        )
    return parts


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetScan:
    """What the byte scan of one sheet part found."""

    last_row: int  # rows used, by the highest row number (or count) seen
    merges: tuple[Merge, ...]
    uncached: tuple[str, ...]  # cells (A1 refs) with a formula and no cached value, the first few
    uncached_count: int


class _Scanner:
    def __init__(self, sheet: str, limits: SheetLimits) -> None:
        self.sheet = sheet
        self.limits = limits
        self.rows = 0
        self.last_row = 0
        self.merges: list[Merge] = []
        self.uncached: list[str] = []
        self.uncached_count = 0

    def feed(self, segment: bytes) -> None:
        self.rows += len(_ROW_START.findall(segment))
        numbers = _ROW_NUMBER.findall(segment)
        if numbers:
            self.last_row = max(self.last_row, max(int(n) for n in numbers))
        if max(self.rows, self.last_row) > self.limits.max_rows:
            raise SheetUnreadable(
                f"sheet {self.sheet!r} has more than {self.limits.max_rows:,} rows (limit)"
            )
        if _HAS_FORMULA.search(segment):
            for match in _CELL.finditer(segment):
                inner = match.group(3) or b""
                if _HAS_FORMULA.search(inner) and not _cached(match.group(2), inner):
                    self.uncached_count += 1
                    ref = _CELL_REF.search(match.group(2))
                    if ref is not None and len(self.uncached) < 3:
                        self.uncached.append(ref.group(1).decode("ascii"))
        for first, last in _MERGE.findall(segment):
            r0, c0 = cell_index(first.decode("ascii"))
            r1, c1 = cell_index((last or first).decode("ascii"))
            self.merges.append((min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)))


def _cut(buffer: bytes) -> int:
    """Where whole rows end: before the last row start tag (rows do not nest).

    Outside any row (before sheetData) the cut is before the last tag; 0 keeps a row
    that has not ended yet for the next chunk.
    """
    start = buffer.rfind(b"<row")
    prefixed = buffer.rfind(b":row")
    if prefixed > 0:
        start = max(start, buffer.rfind(b"<", 0, prefixed))
    if start >= 0:
        return start
    return max(buffer.rfind(b"<"), 0)


def _cached(attributes: bytes, inner: bytes) -> bool:
    """Whether a formula cell carries its last result.

    openpyxl and other writers that do not calculate write ``<f>…</f><v></v>``; Excel
    writes an empty ``<v>`` only for a formula whose result is the empty string, and
    marks that cell ``t="str"``.
    """
    value = _VALUE.search(inner)
    if value is None:
        return False
    return bool((value.group(2) or b"").strip()) or _STRING_TYPE.search(attributes) is not None


def scan_sheet(archive: zipfile.ZipFile, sheet: SheetPart, limits: SheetLimits) -> SheetScan:
    """Rows, merges and uncached formulas of one sheet part, read in chunks."""
    scanner = _Scanner(sheet.name, limits)
    carry = b""
    with archive.open(sheet.part) as stream:
        while chunk := stream.read(_CHUNK):
            buffer = carry + chunk
            cut = _cut(buffer)
            scanner.feed(buffer[:cut])
            carry = buffer[cut:]
            if len(carry) > _MAX_CARRY:
                raise SheetUnreadable(f"sheet {sheet.name!r} has one element over {_mb(_MAX_CARRY)}")
    scanner.feed(carry)
    return SheetScan(
        last_row=max(scanner.rows, scanner.last_row),
        merges=tuple(scanner.merges),
        uncached=tuple(scanner.uncached),
        uncached_count=scanner.uncached_count,
    )

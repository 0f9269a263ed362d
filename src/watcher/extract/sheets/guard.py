"""The first checks every spreadsheet reader makes, and how a library's error becomes one line.

Every reader starts with ``check_body``: an empty body, a body over the size limit,
or an HTML page (a login wall, an error page served as .xlsx) is refused with its
reason before any library sees it. ``library_error`` turns whatever openpyxl, xlrd
or zipfile raised on a broken file into a SheetUnreadable that names the error's
type and message, cut to one line.
"""

from __future__ import annotations

from watcher.extract.detect import looks_like_html
from watcher.extract.sheets.model import SheetLimits, SheetUnreadable

__all__ = ["check_body", "library_error"]

_MAX_REASON = 200


def check_body(body: bytes, limits: SheetLimits, what: str) -> None:
    """Refuse an empty or oversized body, or an HTML page where ``what`` was expected."""
    if not body.strip():
        raise SheetUnreadable(f"empty file ({len(body)} bytes)")
    if len(body) > limits.max_bytes:
        raise SheetUnreadable(f"{len(body):,} bytes (limit {limits.max_bytes:,})")
    if looks_like_html(body):
        raise SheetUnreadable(f"not {what} but an HTML page")


def library_error(exc: BaseException, where: str) -> SheetUnreadable:
    """A library's exception on a broken file as a one-line reason."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    kind = type(exc).__name__
    if kind == "error":  # struct.error, zlib.error: the module says what failed
        kind = f"{type(exc).__module__}.error"
    text = f"{where}: {kind}: {detail}"
    if len(text) > _MAX_REASON:
        text = text[: _MAX_REASON - 1] + "…"
    return SheetUnreadable(text)

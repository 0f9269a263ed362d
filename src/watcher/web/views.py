"""Pure presentation helpers: query parsing, amounts, diffs, cell comparison and source health.

Nothing here returns markup: templates escape everything they print, so text
from monitored pages can never become HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from watcher.bidi import strip_bidi
from watcher.changes import ChangeKind
from watcher.extract.yen import (
    format_billions,
    format_billions_range,
    format_ends_delta,
    format_oku,
    format_oku_range,
)
from watcher.labels import kind_label
from watcher.store.admin import ChangeFilter, SourceOverview
from watcher.store.changes import StoredChange

JST = ZoneInfo("Asia/Tokyo")
FILTER_FIELDS = ("agency", "source", "kind", "from", "to", "ack", "q")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Bounds that keep every request inside what the databases can take: ids are INTEGER
# columns (32-bit on PostgreSQL), OFFSET is 64-bit, SQLite's LIKE pattern is at most
# 50,000 bytes, PostgreSQL refuses NUL in text.
MAX_PAGE = 1_000_000
MAX_DB_ID = 2**31 - 1
MAX_QUERY = 200
_SOURCE_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_SHORT_SCALE = ((" trillion", "tn"), (" billion", "bn"), (" million", "m"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """The change list's query string, validated: filters, page, and the raw values for the form."""

    filters: ChangeFilter
    page: int
    per_page: int
    form: Mapping[str, str]
    errors: tuple[str, ...]


def _day(value: str, field: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"'{field}' must be a date like 2024-03-15")
        return None


def _start_of(day: date, tz: ZoneInfo) -> datetime | None:
    """Midnight of ``day`` in ``tz``, or None when it has no UTC equivalent (0001-01-01 in JST)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=tz)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


def _positive(value: str | None, default: int, field: str, errors: list[str],
              limit: int = MAX_PAGE) -> int:
    if not value:
        return default
    # ASCII digits only: "²" and "٣" are digits to str.isdigit but not to int().
    if value.isascii() and value.isdigit() and len(value) <= 12 and 1 <= int(value) <= limit:
        return int(value)
    errors.append(f"'{field}' must be a whole number from 1 to {limit:,}")
    return default


def known_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (positive, 32-bit); others are simply not found."""
    return 1 <= value <= MAX_DB_ID


def known_source_id(value: str) -> bool:
    """Whether ``value`` is shaped like a source id (a slug); others are simply not found."""
    return _SOURCE_ID.fullmatch(value) is not None


def parse_list_query(params: Mapping[str, str], tz: ZoneInfo = JST) -> ListQuery:
    """Read agency, source, kind, from, to (dates in ``tz``, inclusive), ack, q, page and per_page."""
    errors: list[str] = []
    # Control characters never belong in a filter (and PostgreSQL refuses NUL in text).
    form = {name: printable(params.get(name, "")).strip() for name in FILTER_FIELDS}
    if len(form["q"]) > MAX_QUERY:
        errors.append(f"'q' must be at most {MAX_QUERY} characters")
        form["q"] = form["q"][:MAX_QUERY]
    kind = form["kind"] or None
    if kind is not None and kind not in {str(k) for k in ChangeKind}:
        errors.append(f"unknown change kind '{kind}'")
        kind = None
    since = until = None
    # A bound the calendar cannot hold (from=0001-01-01, to=9999-12-31) is no bound.
    if form["from"] and (day := _day(form["from"], "from", errors)):
        since = _start_of(day, tz)
    if form["to"] and (day := _day(form["to"], "to", errors)) and day < date.max:
        until = _start_of(day + timedelta(days=1), tz)
    ack: bool | None = {"": None, "all": None, "yes": True, "no": False}.get(form["ack"])
    if form["ack"] not in ("", "all", "yes", "no"):
        errors.append("'ack' must be yes, no or all")
    filters = ChangeFilter(agency=form["agency"] or None, source=form["source"] or None, kind=kind,
                           since=since, until=until, acknowledged=ack, text=form["q"] or None)
    page = _positive(params.get("page"), 1, "page", errors)
    per_page = min(MAX_PER_PAGE, _positive(params.get("per_page"), DEFAULT_PER_PAGE, "per_page",
                                           errors))
    return ListQuery(filters=filters, page=page, per_page=per_page, form=form, errors=tuple(errors))


def query_string(form: Mapping[str, str], **overrides: Any) -> str:
    """The list's query string with ``overrides`` applied and empty values left out."""
    values: dict[str, Any] = {**form, **overrides}
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def jst(moment: datetime | None, with_seconds: bool = False) -> str:
    """A UTC time as people in Tokyo read it."""
    if moment is None:
        return "—"
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def oku(yen: int | None, low: int | None = None) -> str:
    """4,760億円, or a range end to end (500万円～1,000万円; ``low`` its lower end); empty for no amount."""
    if yen is None:
        return ""
    return format_oku(yen) if low is None else format_oku_range(low, yen)


def billions(yen: int | None, low: int | None = None) -> str:
    """¥476.0bn: the English-press form, abbreviated for tables (¥5.0m to ¥10.0m for a range)."""
    if yen is None:
        return ""
    text = format_billions(yen) if low is None else format_billions_range(low, yen)
    for long, short in _SHORT_SCALE:
        text = text.replace(long, short)
    return text


def delta(
    amount: int | None,
    previous: int | None,
    low: int | None = None,
    previous_low: int | None = None,
) -> str:
    """+250億円 for an amount change ("upper +500万円" for a range), empty otherwise."""
    if amount is None or previous is None:
        return ""
    return format_ends_delta(previous, amount, old_low=previous_low, new_low=low)


def change_label(change: StoredChange) -> str:
    """What a change is called on the admin page and in the feed (watcher.labels)."""
    return kind_label(change.kind, change.nature)


def file_size(size: int | None) -> str:
    """A byte count people read at a glance."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None (a page's javascript: link never becomes a link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def local_path(target: str | None, default: str) -> str:
    """A redirect target that stays on this site (a path, never //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 32 for c in target):
        return default
    return target


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffPiece:
    """A run of a text diff: equal, insert, delete, or skip (unchanged text left out)."""

    op: str
    text: str


_OPS = {-1: "delete", 0: "equal", 1: "insert"}


def diff_pieces(diff: Sequence[Sequence[Any]] | None, context: int = 160) -> tuple[DiffPiece, ...]:
    """A stored diff-match-patch result as pieces, with long unchanged runs shortened to ``context``."""
    if not diff:
        return ()
    pieces: list[DiffPiece] = []
    last = len(diff) - 1
    for index, (op, text) in enumerate(diff):
        name = _OPS.get(int(op), "equal")
        text = str(text)
        if name != "equal" or len(text) <= 2 * context:
            pieces.append(DiffPiece(op=name, text=text))
            continue
        head = text[:context] if index > 0 else ""
        tail = text[-context:] if index < last else ""
        skipped = len(text) - len(head) - len(tail)
        if head:
            pieces.append(DiffPiece(op="equal", text=head))
        pieces.append(DiffPiece(op="skip", text=f"… {skipped:,} characters unchanged …"))
        if tail:
            pieces.append(DiffPiece(op="equal", text=tail))
    return tuple(pieces)


@dataclass(frozen=True, slots=True, kw_only=True)
class CellPair:
    """One column of a table row, before and after."""

    header: str
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return _norm(self.before) != _norm(self.after)


def _norm(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split())


def cell_pairs(before: Sequence[Sequence[str]] | None, after: Sequence[Sequence[str]] | None) -> tuple[CellPair, ...]:
    """Cells of both sides aligned by header (after's order first, then headers only before had)."""
    old = {str(h): str(v) for h, v in before or ()}
    new = {str(h): str(v) for h, v in after or ()}
    headers = list(new) + [h for h in old if h not in new]
    return tuple(CellPair(header=h, before=old.get(h), after=new.get(h)) for h in headers)


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    """A source's state in one word (ok, failing, suspect, never, disabled, removed) and one line."""

    state: str
    text: str


def source_health(source: SourceOverview) -> Health:
    """ok / failing since … / suspect because … (and never checked, disabled, removed)."""
    if source.removed:
        return Health(state="removed", text="removed from sources.toml")
    if not source.enabled:
        return Health(state="disabled", text="disabled in sources.toml")
    if source.last_status is None:
        return Health(state="never", text="never checked")
    if source.last_status == "suspect":
        return Health(state="suspect", text=f"suspect because {source.last_error or 'the page looks wrong'}")
    if source.failing_since is not None or source.last_status == "failed":
        since = jst(source.failing_since or source.last_check_at)
        checks = source.consecutive_failures
        text = f"failing since {since} JST ({checks} check{'s' if checks != 1 else ''})"
        if source.last_error:
            text += f": {source.last_error}"
        return Health(state="failing", text=text)
    return Health(state="ok", text="ok")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text without control characters, lone surrogates or bidi controls (they break XML,
    confuse terminals, or reorder what is shown)."""
    return strip_bidi(_CONTROL.sub("", text))

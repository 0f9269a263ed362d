"""Which table is which, and which row is which: the two identity rules of a record diff.

**Headings say which table; a row's own cells say which grant.**

Rule 1 — table identity (what a table is called does not decide which table it is).
A record's ``table`` is the name the page gives its table today (caption, heading, PDF
section or document title); it is stored as written, so people see the current caption.
For matching, a name is reduced to its *identity* (watcher.extract.stage.title_identity):
NFKC, footnote and unit notes removed, and then everything a government document changes
as the fiscal year moves on is dropped — fiscal years and periods (令和7年度, 令和6年10月から
令和7年3月, 上期/下期, FY2025, 2025年度), dates, counts (14件), stage words (概算要求, 予算案,
補正予算, 当初予算, 決定, 成立, 閣議決定) and title words (のポイント, の概要, (案)), and
section numbering (1. / Ⅱ．). The tables of the old and the new document are then paired
one-to-one, in this order:

1. the same name as written;
2. the same identity (several tables sharing one identity pair by row-key overlap, then in
   page order);
3. the rest by the overlap of their row keys: Jaccard |A∩B| / |A∪B| ≥ ``TABLE_JACCARD``
   (0.5), best pair first (ties in page order).

A table left without a partner is new (every row ``entry_added``) or gone (every row
``entry_removed``). Only rows of paired tables are compared. So a renamed table with the
same rows gives no change at all, and a budget overview whose title went from 概算要求 to
予算案 compares line by line. Limits: a table renamed in its words (not just its year or
stage) whose rows also changed by more than half is a new table plus a removed one; two
tables whose identities collide and whose rows share nothing pair in page order.

Rule 2 — row identity (a row's own cells decide which grant it is).
Within a pair of tables, rows match by ``key`` (recipient + plan headline, built at
extraction: watcher.extract.identity), then by identical descriptive cells, then by
similarity of their descriptive text (watcher.diff.rows). At every step two rows can be
one record only when their *identifying cells* agree (``RowIdentity``), after
normalisation:

* the fiscal years written in the row's own text cells (令和6年度… in 事業名 vs 令和7年度…);
* the decision / approval date (a column such as 交付決定日, 認定日, 採択日, 決定日) — unless
  the new date cell says it is a revision (変更, 変更認定, 変更交付決定, 改定): the same
  plan re-approved with a new amount is one record;
* real identifiers: 法人番号 (13 digits, the recipient's entity key), and a decision's own
  code (採択番号, 交付番号, 認定番号, 管理番号, 受付番号, or a 番号/No. cell that is not a
  running number).

A side that lacks a part (a column added since) does not contradict. A **running number**
— a cell under 番号 / No. / 項番 / 通し番号 holding a plain number of at most four digits
— is the row's position, not its identity: it is neither identity nor a compared cell, so
rows reordered or renumbered give no change. Anything else under such a header
(R6-015, 2024-00153) is an identifier.

Rule 3 — rollover (said as one thing; watcher.diff.rollover). When a pair of tables kept
at most ``ROLLOVER_COMMON`` (one fifth) of the old table's rows, lost at least
``ROLLOVER_MIN_REMOVED`` (3) rows and gained at least one, the list was replaced — the
page moved on to its next period. Its additions and removals are still recorded as
``entry_added`` / ``entry_removed`` (queryable), grouped under one ``list_replaced``
change that alone is alerted. Rows that carried over keep their own changes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.extract.dates import find_dates, fiscal_year
from watcher.extract.document import Record
from watcher.extract.identity import classify_label, is_running_number, norm_text
from watcher.extract.stage import title_identity

__all__ = [
    "ROLLOVER_COMMON",
    "ROLLOVER_MIN_REMOVED",
    "TABLE_JACCARD",
    "RowIdentity",
    "pair_tables",
    "row_identity_of",
]

TABLE_JACCARD = 0.5
ROLLOVER_COMMON = 0.2
ROLLOVER_MIN_REMOVED = 3

# Date columns whose date is the decision itself (not a publication or update date).
_DECISION_DATE = re.compile(r"決定|認定|採択|選定|承認|交付|許可|契約|approv|decision|grant", re.I)
# A revised decision keeps its identity although its date moved.
_REVISION = re.compile(r"変更|改定|改訂|修正|再交付|revis|amend", re.I)
_SUFFIX = re.compile(r"#\d+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class RowIdentity:
    """The identifying cells of a row, normalised; empty parts say nothing."""

    fiscal_years: frozenset[int] = frozenset()
    decision_dates: frozenset[str] = frozenset()
    revision: bool = False  # the decision date cell says the decision was revised
    identifiers: tuple[tuple[str, str], ...] = ()  # (header identity, value), sorted

    def agrees(self, newer: RowIdentity) -> bool:
        """Whether a row with this identity and ``newer`` can be one record."""
        if self.fiscal_years and newer.fiscal_years and self.fiscal_years != newer.fiscal_years:
            return False
        if (self.decision_dates and newer.decision_dates
                and self.decision_dates != newer.decision_dates and not newer.revision):
            return False
        mine = dict(self.identifiers)
        return all(mine.get(header, value) == value for header, value in newer.identifiers)


def row_identity_of(record: Record) -> RowIdentity:
    """The identifying cells of a record, read from its (header, value) cells.

    Read from the cells, not from fields added later, so that a snapshot stored before
    these rules compares with a new one under the same rules.
    """
    years: set[int] = set()
    dates: set[str] = set()
    revision = False
    identifiers: dict[str, str] = dict(record.identifiers)
    for header, value in record.cells:
        if not value or value == record.amount_text:
            continue
        kind = classify_label(header)
        if kind == "index":
            if not is_running_number(value):
                identifiers.setdefault(norm_text(header), norm_text(value))
            continue
        if kind == "identifier":
            identifiers.setdefault(norm_text(header), _identifier_value(value))
        elif kind == "date":
            if _DECISION_DATE.search(unicodedata.normalize("NFKC", header)):
                dates.update(day.isoformat() for day in find_dates(value))
                revision = revision or bool(_REVISION.search(value))
        elif kind in ("recipient", "plan", "other"):
            year = fiscal_year(value)
            if year is not None:
                years.add(year)
    return RowIdentity(fiscal_years=frozenset(years), decision_dates=frozenset(dates),
                       revision=revision, identifiers=tuple(sorted(identifiers.items())))


def _identifier_value(value: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())
    # 法人番号 is written with spaces or hyphens at times: its 13 digits are the identity.
    return digits if len(digits) == 13 else norm_text(value)


def _row_keys(records: Sequence[Record]) -> frozenset[str]:
    return frozenset(_SUFFIX.sub("", r.key) for r in records)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def pair_tables(
    old: Mapping[str, Sequence[Record]], new: Mapping[str, Sequence[Record]],
) -> dict[str, str]:
    """New table name → the old table name it continues (rule 1); tables in page order."""
    pairs: dict[str, str] = {}
    old_left = [name for name in old if name not in new]
    for name in new:
        if name in old:
            pairs[name] = name
    new_left = [name for name in new if name not in pairs]
    keys = {("old", n): _row_keys(old[n]) for n in old_left}
    keys.update({("new", n): _row_keys(new[n]) for n in new_left})

    def take(candidates: list[tuple[float, int, int, str, str]]) -> None:
        for _, _, _, new_name, old_name in sorted(candidates):
            if new_name not in pairs and old_name not in pairs.values():
                pairs[new_name] = old_name

    identity = {name: title_identity(name) for name in (*old_left, *new_left)}
    take([
        (-_jaccard(keys[("old", o)], keys[("new", n)]), j, i, n, o)
        for j, n in enumerate(new_left) for i, o in enumerate(old_left)
        if identity[n] == identity[o]
    ])
    scored = []
    for j, n in enumerate(new_left):
        for i, o in enumerate(old_left):
            score = _jaccard(keys[("old", o)], keys[("new", n)])
            if score >= TABLE_JACCARD:
                scored.append((-score, j, i, n, o))
    take(scored)
    return pairs

"""The values extraction produces: a Document with its text, records and links.

These cross stage boundaries (extract → diff → store), so they are frozen and
serialise to plain JSON for storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """What an extractor reads: the decoded page and its raw bytes."""

    url: str
    text: str
    body: bytes = b""
    content_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One line item: a table row (recipient, plan, amount) or a PDF budget line.

    ``key`` is the normalised identity built from descriptive cells (never the
    amount or the position); ``entity`` is the readable form users see.
    ``nature`` says what the row is — ``approval``, ``grant`` (a 交付決定),
    ``budget_line`` or ``item`` — decided at extraction from what its table is
    (watcher.labels words each kind by it); ``identifiers`` are the row's
    identifier cells as (column label, value), e.g. ("法人番号", "1000020380008").

    An amount written as a range (500万～1,000万円) has ``amount_low_yen`` set to its
    lower end and ``amount_yen`` to its upper end, so everything that reads one figure
    (sorting, charts, totals) reads the upper limit; a single amount leaves
    ``amount_low_yen`` None, as do snapshots stored before ranges were read.
    """

    table: str
    key: str
    entity: str
    cells: tuple[tuple[str, str], ...] = ()
    amount_yen: int | None = None
    amount_text: str | None = None
    other_amounts_yen: tuple[int, ...] = ()
    dates: tuple[str, ...] = ()
    nature: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    amount_low_yen: int | None = None

    @property
    def is_range(self) -> bool:
        return self.amount_low_yen is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "table": self.table,
            "key": self.key,
            "entity": self.entity,
            "cells": [list(c) for c in self.cells],
            "amount_yen": self.amount_yen,
            "amount_text": self.amount_text,
            "other_amounts_yen": list(self.other_amounts_yen),
            "dates": list(self.dates),
            **({"amount_low_yen": self.amount_low_yen} if self.is_range else {}),
        }
        # Written only when set, so a record without them reads as it always did.
        if self.nature is not None:
            data["nature"] = self.nature
        if self.identifiers:
            data["identifiers"] = [list(i) for i in self.identifiers]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            table=data["table"],
            key=data["key"],
            entity=data["entity"],
            cells=tuple((str(h), str(v)) for h, v in data.get("cells", ())),
            amount_yen=data.get("amount_yen"),
            amount_text=data.get("amount_text"),
            other_amounts_yen=tuple(data.get("other_amounts_yen", ())),
            dates=tuple(data.get("dates", ())),
            nature=data.get("nature"),
            identifiers=tuple((str(h), str(v)) for h, v in data.get("identifiers", ())),
            amount_low_yen=data.get("amount_low_yen"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One item of a news list or a download list; its identity is the absolute URL.

    ``file_type`` (PDF, Excel, Word, CSV, ZIP, PowerPoint) and the size are set for
    downloads: ``size_text`` as the page writes it (「46KB」), ``size_bytes`` with
    1 KB = 1,024 bytes. They are left out of the JSON when unknown, so documents
    stored before they existed load, and re-serialise, unchanged.
    """

    url: str
    title: str
    date: str | None = None
    file_type: str | None = None
    size_text: str | None = None
    size_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"url": self.url, "title": self.title, "date": self.date}
        for name in ("file_type", "size_text", "size_bytes"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Link:
        return cls(url=data["url"], title=data["title"], date=data.get("date"),
                   file_type=data.get("file_type"), size_text=data.get("size_text"),
                   size_bytes=data.get("size_bytes"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A page as the watcher understands it.

    ``text`` is the normalised main text (boilerplate removed, ignore patterns
    applied); ``records`` and ``links`` are filled by the structured extractors.
    ``suspect_reason`` is set when the page itself says it is not the real page
    (maintenance, error, login wall): such a document never yields changes.
    """

    kind: str
    text: str = ""
    records: tuple[Record, ...] = ()
    links: tuple[Link, ...] = ()
    suspect_reason: str | None = None
    meta: tuple[tuple[str, str], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "records": [r.to_json() for r in self.records],
            "links": [link.to_json() for link in self.links],
            "suspect_reason": self.suspect_reason,
            "meta": [list(m) for m in self.meta],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        return cls(
            kind=data["kind"],
            text=data.get("text", ""),
            records=tuple(Record.from_json(r) for r in data.get("records", ())),
            links=tuple(Link.from_json(link) for link in data.get("links", ())),
            suspect_reason=data.get("suspect_reason"),
            meta=tuple((str(k), str(v)) for k, v in data.get("meta", ())),
        )

    @classmethod
    def loads(cls, raw: str) -> Document:
        return cls.from_json(json.loads(raw))

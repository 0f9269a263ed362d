"""The extract stage: a fetched page → Document, by the source's `extract` kind. Pure.

extract() is the one dispatch every kind goes through; the watcher calls it inside a
worker process of watcher.isolation (time and memory limits), never on its event loop.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from watcher.errors import ExtractError
from watcher.extract.document import Document, Link, Page, Record

log = logging.getLogger(__name__)

Extractor = Callable[[Page, tuple[re.Pattern[str], ...]], Document]


def _table(page: Page, ignore: tuple[re.Pattern[str], ...]) -> Document:
    from watcher.extract.table import extract_tables

    return extract_tables(page, ignore)


def _links(page: Page, ignore: tuple[re.Pattern[str], ...]) -> Document:
    from watcher.extract.links import extract_links

    return extract_links(page, ignore)


def _pdf(page: Page, ignore: tuple[re.Pattern[str], ...]) -> Document:
    from watcher.extract.pdf import extract_pdf

    return extract_pdf(page, ignore)


def _text(page: Page, ignore: tuple[re.Pattern[str], ...]) -> Document:
    from watcher.extract.text import extract_text

    return extract_text(page, ignore)


# The `extract` kinds of sources.toml; sources.py checks names against these keys.
EXTRACTORS: dict[str, Extractor] = {"table": _table, "links": _links, "pdf": _pdf, "text": _text}


def extract(kind: str, page: Page, ignore: tuple[re.Pattern[str], ...] = ()) -> Document:
    """Run the extractor for ``kind``; a crash becomes a suspect Document, never an exception.

    MemoryError is the one exception let through: in a pool worker it means the
    worker's memory limit was hit (watcher.isolation names the limit in the reason).
    """
    try:
        return EXTRACTORS[kind](page, ignore)
    except RecursionError:
        return Document(kind=kind, suspect_reason="page too deeply nested to parse")
    except MemoryError:
        raise
    except ExtractError as exc:  # a limit of the extractor itself, with its own message
        return Document(kind=kind, suspect_reason=str(exc)[:300])
    except Exception as exc:  # one bad page must never stop a pass or raise an alert
        log.warning("extractor %s failed on %s: %s", kind, page.url, exc, exc_info=True)
        return Document(kind=kind, suspect_reason=f"extraction failed: {type(exc).__name__}: {exc}"[:300])


__all__ = ["EXTRACTORS", "Document", "Link", "Page", "Record", "extract"]

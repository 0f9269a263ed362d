"""The bundled fixture timeline as captures, the demo's sources, and the demo WARC.

demo_data/pages/<source id>/<YYYY-MM-DD>.html|.pdf is one capture of that source's page,
taken at 09:00 JST on that date. The demo's sources (demo_data/sources.toml) carry the
real METI and IPA addresses, so the WARC's records match them by URL as a real archive's
would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from pathlib import Path

from watcher.errors import ConfigError
from watcher.importer.warc import Capture, write_warc
from watcher.sources import Config, load_config

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data"
PAGES = DEMO_DATA / "pages"
SOURCES_TOML = DEMO_DATA / "sources.toml"
# 09:00 JST, when METI's overnight updates are visible.
CAPTURE_TIME = time(0, 0, tzinfo=UTC)
CONTENT_TYPES = {".html": "text/html", ".pdf": "application/pdf"}


def demo_config() -> Config:
    """The demo's sources: the fixture folders, with their real METI / IPA URLs."""
    return load_config(SOURCES_TOML)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixtureCapture:
    """One fixture file: which source, which day, and the capture it stands for."""

    source_id: str
    day: date
    capture: Capture


def fixture_captures(config: Config, pages: Path = PAGES) -> list[FixtureCapture]:
    """Every fixture file as a capture of its source's real URL, oldest first."""
    found: list[FixtureCapture] = []
    for folder in sorted(p for p in pages.iterdir() if p.is_dir()):
        source = config.source(folder.name)
        for path in sorted(folder.iterdir()):
            content_type = CONTENT_TYPES.get(path.suffix)
            if content_type is None:
                continue
            try:
                day = date.fromisoformat(path.stem)
            except ValueError:
                raise ConfigError(f"{path}: fixture names are capture dates (YYYY-MM-DD)") from None
            at = datetime.combine(day, CAPTURE_TIME)
            found.append(FixtureCapture(source_id=source.id, day=day, capture=Capture(
                url=source.url, captured_at=at, body=path.read_bytes(),
                # Like METI's servers of the time: the charset only in the page's <meta>.
                content_type=content_type, last_modified=format_datetime(at, usegmt=True),
                origin=str(path),
            )))
    found.sort(key=lambda f: (f.capture.captured_at, f.source_id))
    return found


def split_newest(captures: Sequence[FixtureCapture]) -> tuple[list[FixtureCapture], list[FixtureCapture]]:
    """(history, newest day): the newest day's captures are held back for the live check."""
    newest = max(f.day for f in captures)
    return [f for f in captures if f.day != newest], [f for f in captures if f.day == newest]


def build_demo_warc(path: Path, captures: Sequence[FixtureCapture]) -> int:
    """Write the captures as a gzipped WARC, as an archive crawl of the real pages would have."""
    return write_warc(path, (f.capture for f in captures), software="subsidy-watcher demo")

"""sources.toml → validated Source values.

Every problem is a ConfigError with one line naming the file, the source id (or
the line, for TOML syntax errors) and the field. Unknown keys fail here, when the
file is read, not when a job fires.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watcher.errors import ConfigError

EXTRACT_KINDS = ("table", "links", "pdf", "text")  # the keys of watcher.extract.EXTRACTORS
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_EVERY = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

WATCHER_KEYS = {"default_schedule", "timezone", "user_agent"}
SOURCE_KEYS = {
    "id", "name", "agency", "url", "extract", "schedule", "tags", "ignore",
    "enabled", "timeout_s", "headers", "allow_private",
}
REQUIRED_SOURCE_KEYS = ("id", "name", "agency", "url", "extract")
DEFAULT_USER_AGENT = "subsidy-watcher/0.1 (+https://github.com/subsidy-watcher/subsidy-watcher)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When a source is due: a fixed interval or a 5-field cron expression."""

    text: str
    interval_s: int | None = None
    cron: str | None = None

    def next_after(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """The next due time strictly after ``moment`` (aware UTC in, aware UTC out)."""
        if self.interval_s is not None:
            return moment + timedelta(seconds=self.interval_s)
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(self.cron or "", timezone=tz)
        nxt = trigger.get_next_fire_time(None, moment.astimezone(tz) + timedelta(seconds=1))
        if nxt is None:  # pragma: no cover - a valid crontab always fires again
            return moment + timedelta(days=1)
        return nxt.astimezone(UTC)  # type: ignore[no-any-return]

    def jittered_next_after(self, moment: datetime, tz: ZoneInfo, key: str) -> datetime:
        """next_after() spread by a small deterministic jitter, so sources sharing a
        schedule do not hit one host in the same second (at most 60 s or 10 % of the period)."""
        nominal = self.next_after(moment, tz)
        spread = min(60.0, 0.1 * self.nominal_seconds)
        fraction = random.Random(f"{key}|{moment.isoformat()}").random()
        if self.interval_s is not None:
            # Symmetric around the interval, so the schedule does not drift later.
            return nominal + timedelta(seconds=spread * (fraction - 0.5))
        return nominal + timedelta(seconds=spread * fraction)

    @property
    def nominal_seconds(self) -> int:
        """Roughly how often the schedule fires (for health checks)."""
        if self.interval_s is not None:
            return self.interval_s
        tz = ZoneInfo("UTC")
        start = datetime(2025, 1, 6, tzinfo=UTC)
        first = self.next_after(start, tz)
        return max(1, int((self.next_after(first, tz) - first).total_seconds()))


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One watched page."""

    id: str
    name: str
    agency: str
    url: str
    extract: str
    schedule: Schedule
    tags: tuple[str, ...] = ()
    ignore: tuple[re.Pattern[str], ...] = ()
    enabled: bool = True
    timeout_s: float | None = None
    headers: tuple[tuple[str, str], ...] = ()
    allow_private: bool = False

    def config_json(self) -> dict[str, Any]:
        """The source as stored in the database (for display and change detection)."""
        return {
            "id": self.id, "name": self.name, "agency": self.agency, "url": self.url,
            "extract": self.extract, "schedule": self.schedule.text, "tags": list(self.tags),
            "ignore": [p.pattern for p in self.ignore], "enabled": self.enabled,
            "timeout_s": self.timeout_s, "headers": sorted(k for k, _ in self.headers),
            "allow_private": self.allow_private,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole of sources.toml."""

    path: Path
    default_schedule: Schedule
    timezone: ZoneInfo
    user_agent: str
    sources: tuple[Source, ...]

    def source(self, source_id: str) -> Source:
        for src in self.sources:
            if src.id == source_id:
                return src
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source with id '{source_id}' (known: {known})")


def parse_schedule(text: str) -> Schedule:
    """Parse "every 30m" style intervals or a 5-field cron; ValueError with the reason.

    >>> parse_schedule("every 6h").interval_s
    21600
    >>> parse_schedule("0 */6 * * *").cron
    '0 */6 * * *'
    """
    cleaned = " ".join(text.strip().split())
    match = _EVERY.match(cleaned)
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds <= 0:
            raise ValueError(f"'{text}' must be a positive interval")
        return Schedule(text=cleaned, interval_s=seconds)
    fields = cleaned.split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"'{text}' is neither 'every <n>s|m|h|d' nor a 5-field cron expression"
        )
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(cleaned, timezone="UTC")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"'{text}' is not a valid cron expression ({exc})") from exc
    return Schedule(text=cleaned, cron=cleaned)


def load_config(path: Path) -> Config:
    """Read and validate sources.toml."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate an already-parsed TOML document."""
    unknown_top = set(data) - {"watcher", "sources"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown top-level key '{sorted(unknown_top)[0]}' "
                          "(expected [watcher] and [[sources]])")
    watcher = data.get("watcher", {})
    if not isinstance(watcher, dict):
        raise ConfigError(f"{path}: [watcher] must be a table")
    unknown = set(watcher) - WATCHER_KEYS
    if unknown:
        raise ConfigError(f"{path}: [watcher]: unknown key '{sorted(unknown)[0]}' "
                          f"(allowed: {', '.join(sorted(WATCHER_KEYS))})")
    schedule_text = watcher.get("default_schedule", "every 6h")
    if not isinstance(schedule_text, str):
        raise ConfigError(f"{path}: [watcher]: field 'default_schedule' must be a string")
    try:
        default_schedule = parse_schedule(schedule_text)
    except ValueError as exc:
        raise ConfigError(f"{path}: [watcher]: field 'default_schedule': {exc}") from None
    tz_name = watcher.get("timezone", "Asia/Tokyo")
    try:
        timezone = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{path}: [watcher]: field 'timezone': unknown time zone '{tz_name}'") from None
    user_agent = watcher.get("user_agent", DEFAULT_USER_AGENT)
    if not isinstance(user_agent, str) or not user_agent.strip():
        raise ConfigError(f"{path}: [watcher]: field 'user_agent' must be a non-empty string")

    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{path}: 'sources' must be an array of tables ([[sources]])")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources, start=1):
        source = _parse_source(raw, index, path, default_schedule)
        if source.id in seen:
            raise ConfigError(f"{path}: source '{source.id}': duplicate id")
        seen.add(source.id)
        sources.append(source)
    return Config(path=path, default_schedule=default_schedule, timezone=timezone,
                  user_agent=user_agent.strip(), sources=tuple(sources))


def _parse_source(raw: Any, index: int, path: Path, default_schedule: Schedule) -> Source:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: sources[{index}] must be a table")
    sid = raw.get("id")
    where = f"{path}: source '{sid}'" if isinstance(sid, str) and sid else f"{path}: sources[{index}]"

    def fail(field: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: field '{field}': {message}")

    unknown = set(raw) - SOURCE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise fail(key, f"unknown key (allowed: {', '.join(sorted(SOURCE_KEYS))})")
    for key in REQUIRED_SOURCE_KEYS:
        if key not in raw:
            raise fail(key, "missing")
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise fail(key, "must be a non-empty string")
    if not SLUG.match(raw["id"]):
        raise fail("id", f"'{raw['id']}' is not a slug (lower-case letters, digits and '-')")
    url = raw["url"].strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # "https://[www.meti.go.jp/…": an unclosed IPv6 bracket
        valid = False
    if not valid:
        raise fail("url", f"'{url}' is not an http or https URL")
    if raw["extract"] not in EXTRACT_KINDS:
        raise fail("extract", f"unknown kind '{raw['extract']}' (expected one of: {', '.join(EXTRACT_KINDS)})")
    schedule = default_schedule
    if "schedule" in raw:
        if not isinstance(raw["schedule"], str):
            raise fail("schedule", "must be a string")
        try:
            schedule = parse_schedule(raw["schedule"])
        except ValueError as exc:
            raise fail("schedule", str(exc)) from None
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail("tags", "must be a list of strings")
    ignore_raw = raw.get("ignore", [])
    if not isinstance(ignore_raw, list) or not all(isinstance(p, str) for p in ignore_raw):
        raise fail("ignore", "must be a list of regular expressions (strings)")
    ignore: list[re.Pattern[str]] = []
    for pattern in ignore_raw:
        try:
            ignore.append(re.compile(pattern))
        except re.error as exc:
            raise fail("ignore", f"invalid regex '{pattern}': {exc}") from None
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")
    allow_private = raw.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise fail("allow_private", "must be true or false")
    timeout_s = raw.get("timeout_s")
    if timeout_s is not None and (isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float)
                                  or not 0 < timeout_s <= 600):
        raise fail("timeout_s", "must be a number of seconds between 0 and 600")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise fail("headers", "must be a table of string values")
    return Source(
        id=raw["id"], name=raw["name"].strip(), agency=raw["agency"].strip(), url=url,
        extract=raw["extract"], schedule=schedule, tags=tuple(tags), ignore=tuple(ignore),
        enabled=enabled, timeout_s=float(timeout_s) if timeout_s is not None else None,
        headers=tuple(sorted(headers.items())), allow_private=allow_private,
    )

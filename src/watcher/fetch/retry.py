"""When to try again and how long to wait: Retry-After and exponential backoff."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# 429 Too Many Requests and server errors are worth another try; other 4xx are not.
RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))

_SECONDS = re.compile(r"\d+(\.\d+)?")


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if unusable.

    >>> now = datetime(2025, 12, 1, 3, 0, tzinfo=UTC)
    >>> parse_retry_after("120", now=now), parse_retry_after("Mon, 01 Dec 2025 03:01:30 GMT", now=now)
    (120.0, 90.0)
    """
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def server_now(date_header: str | None) -> datetime:
    """The server's idea of now (its Date header), so an HTTP-date Retry-After ignores clock skew."""
    if date_header:
        try:
            when = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return datetime.now(UTC)


def backoff_delay(attempt: int, *, base_s: float, rng: random.Random) -> float:
    """Wait before try ``attempt + 1``: base·2^(attempt-1), jittered into its upper half.

    The jitter keeps sources that failed together from retrying together.
    """
    ceiling = base_s * 2 ** (attempt - 1)
    return rng.uniform(ceiling / 2, ceiling)

"""One HTTP response turned into an outcome: a result, a redirect target, or a failure."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from watcher.fetch.model import FetchRequest, FetchResult
from watcher.fetch.reasons import Reason
from watcher.fetch.retry import RETRYABLE_STATUSES, parse_retry_after, server_now

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REASON = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """One try's result, and whether (and when) another try may help."""

    result: FetchResult
    retryable: bool = False
    retry_after_s: float | None = None


def failed(
    url: str,
    reason: str | Reason,
    *,
    http_status: int | None = None,
    retryable: bool = False,
    retry_after_s: float | None = None,
) -> Outcome:
    """A failed outcome; a Reason brings its own retryability."""
    if isinstance(reason, Reason):
        text, retryable = reason.text, reason.retryable
    else:
        text = reason
    # Parsers put newlines in their messages (aiohttp's "Bad status line:\n  Expected …");
    # the reason is stored, logged and printed as one line.
    text = " ".join(text.split())
    if len(text) > MAX_REASON:
        # aiohttp quotes the unparsable bytes (a whole page body, at times) in its errors.
        text = text[: MAX_REASON - 1] + "…"
    result = FetchResult(status="failed", url=url, http_status=http_status, error=text)
    return Outcome(result=result, retryable=retryable, retry_after_s=retry_after_s)


def http_failure(url: httpx.URL, response: httpx.Response) -> Outcome:
    """A failure for an HTTP error status, retryable for 429 and 5xx."""
    status = response.status_code
    retryable = status in RETRYABLE_STATUSES
    retry_after = None
    if retryable:
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), now=server_now(response.headers.get("date"))
        )
    return failed(
        str(url),
        f"HTTP {status} {response.reason_phrase}".rstrip(),
        http_status=status,
        retryable=retryable,
        retry_after_s=retry_after,
    )


def redirect_target(url: httpx.URL, response: httpx.Response) -> Outcome | httpx.URL:
    """Where a redirect response points (fragment dropped), or why it cannot be followed."""
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    location = response.headers.get("location")
    if not location:
        return failed(
            str(url), f"{status} without a Location header", http_status=response.status_code
        )
    try:
        target = url.join(location.strip()).copy_with(fragment=None)
    except httpx.InvalidURL:
        return failed(str(url), f"redirect to an invalid URL {location!r}")
    if target.scheme not in ("http", "https"):
        return failed(str(url), f"redirect to unsupported scheme {target.scheme!r} refused")
    if not target.host:
        return failed(str(url), f"redirect to an invalid URL {location!r}")
    return target


def not_modified(request: FetchRequest, url: httpx.URL, response: httpx.Response) -> Outcome:
    """A 304: the stored snapshot is still current."""
    if not (request.etag or request.last_modified):
        # A 304 we did not ask for leaves nothing to compare against.
        return failed(
            str(url), "HTTP 304 Not Modified to an unconditional request", http_status=304
        )
    result = FetchResult(
        status="not_modified",
        url=str(url),
        http_status=304,
        content_type=response.headers.get("content-type"),
        etag=response.headers.get("etag") or request.etag,
        last_modified=response.headers.get("last-modified") or request.last_modified,
    )
    return Outcome(result=result)


def declared_length(response: httpx.Response) -> int | None:
    """Content-Length when it counts decoded bytes, i.e. the body is not compressed."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def too_large(cap: int) -> str:
    """The failure text for a body past the cap.

    >>> too_large(20 * 1024 * 1024), too_large(1000)
    ('body larger than 20 MB cap', 'body larger than 1,000 bytes cap')
    """
    mb, kb = 1024 * 1024, 1024
    size = (
        f"{cap // mb} MB"
        if cap % mb == 0
        else f"{cap // kb} KB"
        if cap % kb == 0
        else f"{cap:,} bytes"
    )
    return f"body larger than {size} cap"


def length_mismatch(received: int, declared: int) -> str:
    """The failure text for a body whose size is not its Content-Length.

    >>> length_mismatch(3000, 6026)
    'body shorter than its Content-Length (3,000 bytes, 6,026 declared)'
    """
    word = "shorter" if received < declared else "longer"
    return f"body {word} than its Content-Length ({received:,} bytes, {declared:,} declared)"

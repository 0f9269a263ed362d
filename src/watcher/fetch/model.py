"""The values the fetch stage takes and gives: request, policy and result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from watcher.errors import ConfigError

FetchStatus = Literal["ok", "not_modified", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchRequest:
    """One page to fetch, with the validators of its last good snapshot."""

    source_id: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    # Overrides FetchPolicy.total_timeout_s (the limit on one whole fetch).
    timeout_s: float | None = None
    # Lets redirects lead to addresses that are not globally routable (loopback, private …).
    allow_private: bool = False
    etag: str | None = None
    last_modified: str | None = None
    # sha256 of the last good body: a body with this hash is not decoded (nobody reads it).
    known_hash: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What one fetch produced: the body and its decoded text, or one line saying why not."""

    status: FetchStatus
    # The last URL requested: the final one after redirects.
    url: str
    http_status: int | None
    # Decompressed bytes; empty when not modified or failed.
    body: bytes = b""
    # Decoded text; empty for PDFs and other binary bodies, and for a body whose
    # hash is the request's known_hash.
    text: str = ""
    # The Python codec that decoded ``text`` ("utf-8", "cp932", "euc_jp"), None if not decoded.
    encoding: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # sha256 hex digest of ``body``.
    content_hash: str | None = None
    # One line for a person, e.g. "HTTP 404 Not Found" or "connection refused".
    error: str | None = None
    # Set when the server asked us to come back later than we were willing to wait.
    retry_after_s: float | None = None
    elapsed_s: float = 0.0
    attempts: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    """Limits, timeouts and retry rules shared by every fetch of one Fetcher."""

    user_agent: str = "subsidy-watcher/0.1 (+https://example.org/contact)"
    # Concurrent requests in total and to one host.
    max_connections: int = 10
    per_host: int = 2
    # Polite minimum delay between request starts to one host (production sets 1.0).
    min_host_delay_s: float = 0.0
    connect_timeout_s: float = 10.0
    # The longest wait for the next byte.
    read_timeout_s: float = 20.0
    # The longest one fetch may take: every redirect hop and every try, and the waits
    # between tries (waiting for a free slot of the host does not count).
    total_timeout_s: float = 60.0
    max_tries: int = 3
    # The most time one fetch spends waiting between tries.
    max_retry_wait_s: float = 30.0
    backoff_base_s: float = 0.5
    max_body_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5

    def __post_init__(self) -> None:
        for name in ("max_connections", "per_host", "max_tries", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"fetch policy: {name} must be at least 1")
        for name in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"fetch policy: {name} must be positive")
        for name in ("min_host_delay_s", "max_retry_wait_s", "backoff_base_s", "max_redirects"):
            if getattr(self, name) < 0:
                raise ConfigError(f"fetch policy: {name} must not be negative")

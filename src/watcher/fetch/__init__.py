"""Fetch stage: a FetchRequest in, a FetchResult out; the only module that speaks HTTP.

Fetcher        one shared httpx client, global and per-host limits, polite spacing
├── retries    connect errors, 429 and 5xx, with backoff, jitter and Retry-After
├── redirects  followed by hand, at most five, only to globally routable addresses,
│              each name resolved once and the connection pinned to that answer
├── limits     connect / read timeouts, one budget per fetch, a cap on decoded body
│              bytes, and the body's size checked against its Content-Length
└── charset    HTTP charset → <meta> or XML declaration → detection → UTF-8
"""

from watcher.fetch.client import DEFAULT_POLICY, Fetcher, fetch
from watcher.fetch.model import FetchPolicy, FetchRequest, FetchResult, FetchStatus

__all__ = [
    "DEFAULT_POLICY",
    "FetchPolicy",
    "FetchRequest",
    "FetchResult",
    "FetchStatus",
    "Fetcher",
    "fetch",
]

"""One line for a person from an httpx or socket exception, and whether to try again."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

# Error texts httpcore passes on from the OS when the exception chain is lost
# (mock transports raise httpx errors with a message only).
_DNS_TEXTS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "getaddrinfo failed",
    "[errno -2]",
    "[errno -3]",
    "[errno -5]",
    "[errno 8]",
    "[errno 11001]",
)
_REFUSED_TEXTS = ("connection refused", "[errno 111]", "[errno 61]", "[errno 10061]")


class BodyTooLong(httpx.RemoteProtocolError):
    """More body bytes arrived than the response's Content-Length announced."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """Why one exchange failed, and whether another try could help."""

    text: str
    retryable: bool = False


def describe_error(
    exc: BaseException, *, host: str, read_timeout_s: float, body_started: bool, received: int
) -> Reason:
    """Turn an exception raised while fetching from ``host`` into a Reason."""
    if isinstance(exc, httpx.ConnectTimeout):
        return Reason(text=f"timed out connecting to {host}", retryable=True)
    if isinstance(exc, httpx.PoolTimeout):
        return Reason(text="timed out waiting for a free connection", retryable=True)
    if isinstance(exc, httpx.ReadTimeout):
        return Reason(text=f"timed out after {read_timeout_s:g} s without data")
    if isinstance(exc, httpx.WriteTimeout):
        return Reason(text="timed out sending the request")
    if isinstance(exc, TimeoutError):
        return Reason(text="timed out")
    if isinstance(exc, BodyTooLong):
        return Reason(text=str(exc))
    if isinstance(exc, httpx.DecodingError):
        return Reason(text=f"could not decompress the body: {exc}")
    if isinstance(exc, httpx.ConnectError):
        return _connect_reason(exc, host)
    if isinstance(exc, httpx.ProxyError):
        return Reason(text=f"proxy error: {exc}", retryable=True)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Reason(text=f"unsupported URL: {exc}")
    if isinstance(exc, httpx.InvalidURL):
        return Reason(text=f"invalid URL: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError) and not body_started:
        return _protocol_reason(exc, host)
    if isinstance(exc, httpx.TransportError | OSError):
        if body_started:
            return Reason(text=f"connection reset mid-body after {received:,} bytes")
        # Nothing was received: as harmless to repeat as a failed connection.
        return Reason(text=f"connection to {host} closed before a response", retryable=True)
    return Reason(text=f"{type(exc).__name__}: {exc}")


def _protocol_reason(exc: httpx.RemoteProtocolError, host: str) -> Reason:
    text = str(exc)
    # httpx prepares the next request of a redirect even when not following it.
    prefix = "Invalid URL in location header: "
    if text.startswith(prefix):
        return Reason(text=f"redirect to an invalid URL ({text.removeprefix(prefix).rstrip('.')})")
    return Reason(text=f"bad response from {host}: {text}", retryable=True)


def _connect_reason(exc: httpx.ConnectError, host: str) -> Reason:
    chain = list(_chain(exc))
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(t in text for t in _DNS_TEXTS):
        return Reason(text=f"DNS lookup failed for host {host}", retryable=True)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or any(
        t in text for t in _REFUSED_TEXTS
    ):
        return Reason(text="connection refused", retryable=True)
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None or "certificate_verify_failed" in text:
        # A bad certificate will still be bad in a second.
        detail = getattr(tls, "reason", None) or str(tls or exc)
        return Reason(text=f"TLS error with {host}: {detail}")
    return Reason(text=f"could not connect to {host}: {exc}", retryable=True)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__

"""An httpx transport built on aiohttp: httpx's API with aiohttp's cheaper HTTP/1.1 client.

httpx's default transport (httpcore on anyio) costs 1.5–2.5 ms of CPU per request
on a small machine, even for a 304; aiohttp's C-accelerated parser and connection
pool cost a fraction of that (see bench/README.md). The Fetcher keeps speaking
httpx, so tests still hand it a MockTransport and nothing above this module knows
which transport runs.

What stays httpx's job, so that behaviour does not depend on the transport:
redirects (aiohttp never follows one here), cookies (aiohttp keeps none) and
Content-Encoding (aiohttp hands over the raw bytes; httpx inflates them one
network read at a time, which is what bounds a decompression bomb).

aiohttp's errors are raised as the httpx errors that httpcore would raise, with
the aiohttp error (and the OS error beneath it) kept as the cause, so that
watcher.fetch.reasons words them the same way.

Names are resolved by a resolver of our own that answers pinned names with the
addresses the Fetcher checked (watcher.fetch.pinning) and asks DNS about the rest;
aiohttp's DNS cache is off, since a cached answer would bypass the pins.
"""

from __future__ import annotations

import functools
import socket
import ssl
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aiohttp.abc
import httpx
from aiohttp.abc import ResolveResult
from yarl import URL

from watcher.fetch.pinning import pinned_addresses
from watcher.fetch.reasons import BodyTooLong

__all__ = ["AiohttpTransport"]

# Reads of at most this many bytes, as httpcore does: httpx inflates one read at a
# time, so this is also the most compressed input one step of decompression sees.
_READ_BYTES = 64 * 1024
# aiohttp's default limit of 8 KB per header line rejects pages that httpx accepts
# (long Set-Cookie or CSP headers are common on government CMSes).
_MAX_HEADER_BYTES = 64 * 1024
_HTTP_VERSIONS: dict[object, bytes] = {
    aiohttp.HttpVersion10: b"HTTP/1.0",
    aiohttp.HttpVersion11: b"HTTP/1.1",
}
# aiohttp 3.10 split its timeouts by phase; older versions only have the parent.
_CONNECT_TIMEOUT: tuple[type[BaseException], ...] = tuple(
    t for t in (getattr(aiohttp, "ConnectionTimeoutError", None),) if t is not None
)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx.AsyncBaseTransport that sends requests with one shared aiohttp session.

    The session is opened on the first request (it must belong to the running
    event loop) and closed by ``aclose``, which httpx.AsyncClient calls on exit.
    """

    def __init__(
        self,
        *,
        max_connections: int = 10,
        keepalive_expiry_s: float = 15.0,
        verify: ssl.SSLContext | bool = True,
        trust_env: bool = True,
    ) -> None:
        """``trust_env`` reads HTTP_PROXY / HTTPS_PROXY / NO_PROXY once, as httpx would."""
        self._max_connections = max_connections
        self._keepalive_expiry_s = keepalive_expiry_s
        self._verify = verify
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            keepalive_timeout=self._keepalive_expiry_s,
            ssl=_ssl_context(self._verify),
            resolver=_PinningResolver(),
            use_dns_cache=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # Cookies are the httpx client's business; a jar here would send them twice.
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            # httpx sets these itself when it wants them; aiohttp must not add its own.
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent"),
            # aiohttp's own trust_env reads ~/.netrc and the proxy variables in a
            # thread on every request; the proxies are read once here instead.
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=None),
            max_line_size=_MAX_HEADER_BYTES,
            max_field_size=_MAX_HEADER_BYTES,
        )
        if hasattr(self._session, "_retry_connection"):
            # aiohttp resends a GET once when the server hangs up without answering;
            # httpcore does not, and the Fetcher's own retries (with backoff) decide.
            self._session._retry_connection = False
        if self._trust_env:
            self._proxies = {
                scheme: url
                for scheme, url in urllib.request.getproxies().items()
                if scheme in ("http", "https")
            }
        return self._session

    def _proxy(self, url: httpx.URL) -> str | None:
        """The proxy for ``url`` from the environment, or None."""
        proxy = self._proxies.get(url.scheme)
        if proxy is None or urllib.request.proxy_bypass(url.host):
            return None
        return proxy

    def _timeout(self, spec: dict[str, float | None]) -> aiohttp.ClientTimeout:
        key = (spec.get("connect"), spec.get("read"), spec.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            # aiohttp's `connect` covers waiting for a pooled connection and connecting.
            whole = None if connect is None or pool is None else connect + pool
            timeout = aiohttp.ClientTimeout(
                total=None, connect=whole, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return a response whose body streams from aiohttp."""
        session = self._session or self._open()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        body = await request.aread()
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                proxy=self._proxy(request.url) if self._proxies else None,
                timeout=self._timeout(request.extensions.get("timeout", {})),
            )
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise _request_error(exc, request) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            extensions={
                "http_version": _HTTP_VERSIONS.get(response.version, b"HTTP/1.1"),
                "reason_phrase": (response.reason or "").encode("ascii", "replace"),
            },
            request=request,
        )

    async def aclose(self) -> None:
        """Close the session and every pooled connection."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _PinningResolver(aiohttp.abc.AbstractResolver):
    """Pinned names resolve to their checked addresses only; other names through getaddrinfo."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        addresses = pinned_addresses(host)
        if addresses is None:
            return await self._inner.resolve(host, port, family)
        return [{"hostname": host, "host": address, "port": port, "proto": 0,
                 "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                 "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV}
                for address in addresses]

    async def close(self) -> None:
        await self._inner.close()


class _ResponseStream(httpx.AsyncByteStream):
    """The raw (still encoded) body of an aiohttp response, read by read."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.read(_READ_BYTES):
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _body_error(exc, self._request) from exc

    async def aclose(self) -> None:
        # A body read to its end returns the connection to the pool; any other is closed.
        if self._response.content.is_eof():
            self._response.release()
        else:
            self._response.close()


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext | bool:
    """The context aiohttp verifies with: httpx's CA bundle (certifi), so both trust alike."""
    if isinstance(verify, ssl.SSLContext) or verify is False:
        return verify
    return _certifi_context()


@functools.cache
def _certifi_context() -> ssl.SSLContext | bool:
    # Loading the bundle takes 20-40 ms: once per process, not once per pass.
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return True
    return ssl.create_default_context(cafile=certifi.where())


def _request_error(exc: BaseException, request: httpx.Request) -> Exception:
    """The httpx error httpcore would raise for a failure before the response headers."""
    if isinstance(exc, _CONNECT_TIMEOUT):
        return httpx.ConnectTimeout(str(exc) or "timed out connecting", request=request)
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        text = str(exc)
        if "connect" in text.lower():
            return httpx.ConnectTimeout(text, request=request)
        return httpx.ReadTimeout(text or "timed out waiting for the response", request=request)
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return httpx.ProxyError(str(exc), request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        # str() names the OS error ("[Errno 111] Connection refused"); the cause keeps it whole.
        return httpx.ConnectError(str(exc.os_error) or str(exc), request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        if "Data after `Connection: close`" in _message(exc):
            return BodyTooLong("body longer than its Content-Length", request=request)
        # aiohttp reports an unparsable status line or header as a response error.
        return httpx.RemoteProtocolError(_message(exc), request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(str(exc), request=request)
    if isinstance(exc, ValueError):
        # A header value aiohttp refuses to send (a newline in it, say), as h11 would.
        return httpx.LocalProtocolError(str(exc), request=request)
    if isinstance(exc, aiohttp.ClientOSError):
        return httpx.ReadError(str(exc), request=request)
    return httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request)


def _body_error(exc: BaseException, request: httpx.Request) -> Exception:
    """The httpx error for a failure while the body streams in."""
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(str(exc) or "timed out reading the body", request=request)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(
            f"peer closed connection without sending complete message body ({_message(exc)})",
            request=request,
        )
    return httpx.ReadError(str(exc) or type(exc).__name__, request=request)


def _message(exc: Any) -> str:
    return str(getattr(exc, "message", "") or exc)

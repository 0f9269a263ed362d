"""httpx's own transport (httpcore), connecting to pinned addresses and counting body bytes.

Two things httpcore does not do and the watcher needs:

* connect to the addresses the Fetcher checked, not to whatever a second DNS
  lookup answers (watcher.fetch.pinning): a network backend of our own opens
  every connection;
* notice a body longer than its Content-Length. h11 stops reading at the declared
  length and leaves the rest in its buffer, so a server that counts characters
  instead of bytes hands over a silently truncated page — and the next request on
  that connection reads the leftover bytes as its status line. The backend's
  streams count the bytes after the response head; a response that had more than
  it declared fails, and its connection is never reused.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator, Iterable
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from watcher.fetch.outcomes import length_mismatch
from watcher.fetch.pinning import pinned_addresses
from watcher.fetch.reasons import BodyTooLong

__all__ = ["PinnedHTTPTransport"]

# The end of a response head; bare LF line ends are accepted as h11 accepts them.
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_INTERIM = re.compile(rb"HTTP/\d(?:\.\d)? 1\d\d\b")
# A head longer than this is not tracked (h11 refuses heads over 64 KiB anyway).
_MAX_HEAD = 1024 * 1024


class _Exchange:
    """The stream that carried one request, found when the request is written."""

    stream: _CountingStream | None = None


_EXCHANGE: ContextVar[_Exchange | None] = ContextVar("watcher_exchange", default=None)


class _CountingStream(httpcore.AsyncNetworkStream):
    """A network stream that counts the bytes read after each response head."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._head = bytearray()
        self._in_body = False
        self.body_bytes = 0
        self.poisoned = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        if self._in_body:
            self.body_bytes += len(data)
            return data
        self._head += data
        while (end := _HEAD_END.search(self._head)) is not None:
            head, rest = bytes(self._head[: end.start()]), bytes(self._head[end.end():])
            if _INTERIM.match(head):  # 103 Early Hints and the like: the real head follows
                self._head = bytearray(rest)
                continue
            self._in_body, self.body_bytes, self._head = True, len(rest), bytearray()
            break
        else:
            if len(self._head) > _MAX_HEAD:
                self._in_body, self.body_bytes, self._head = True, 0, bytearray()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        exchange = _EXCHANGE.get()
        if exchange is not None:
            exchange.stream = self
        # A new request on this connection: its response head comes next.
        self._head, self._in_body, self.body_bytes = bytearray(), False, 0
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _CountingStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self.poisoned:
            # httpcore drops an idle connection whose socket is readable: this one
            # still holds the end of a body that was longer than it said.
            return True
        return self._inner.get_extra_info(info)


class _PinningBackend(httpcore.AsyncNetworkBackend):
    """Opens connections to pinned addresses when there are some, through anyio."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        addresses = pinned_addresses(host) or (host,)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(address, port, timeout, local_address,
                                                       socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next checked address, as getaddrinfo's order would
                continue
            return _CountingStream(stream)
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        return _CountingStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedBody(httpx.AsyncByteStream):
    """The response body; raises at its end when more bytes came than Content-Length said."""

    def __init__(self, inner: httpx.AsyncByteStream, exchange: _Exchange, declared: int,
                 request: httpx.Request) -> None:
        self._inner, self._exchange, self._declared, self._request = inner, exchange, declared, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk
        stream = self._exchange.stream
        if stream is not None and stream.body_bytes > self._declared:
            stream.poisoned = True
            raise BodyTooLong(length_mismatch(stream.body_bytes, self._declared),
                              request=self._request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class PinnedHTTPTransport(httpx.AsyncHTTPTransport):
    """httpx.AsyncHTTPTransport over a connection pool whose connections honour the pins."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        # httpx offers no way to choose httpcore's network backend, so the pool it
        # built is replaced by the same pool with ours (httpx's own request and
        # error mapping around it is kept).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinningBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; the body checks itself against Content-Length as it is read."""
        exchange = _Exchange()
        token = _EXCHANGE.set(exchange)
        try:
            response = await super().handle_async_request(request)
        finally:
            _EXCHANGE.reset(token)
        declared = _wire_length(response)
        if declared is None or not isinstance(response.stream, httpx.AsyncByteStream):
            return response
        return httpx.Response(
            status_code=response.status_code, headers=response.headers.raw,
            stream=_CheckedBody(response.stream, exchange, declared, request),
            extensions=response.extensions, request=request,
        )


def _wire_length(response: httpx.Response) -> int | None:
    """Content-Length: the bytes on the wire after the head (compressed or not)."""
    if response.headers.get("transfer-encoding") or response.status_code in (204, 304):
        return None
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None

"""The addresses a connection must use: set by the Fetcher for one request, read by the transports.

The Fetcher resolves a redirect target's name once and checks every address
(watcher.fetch.addresses). If the transport then looked the name up again, a name
whose DNS answers change (DNS rebinding) could pass the check with a public address
and connect to 169.254.169.254. So the checked addresses are *pinned*: both
transports (aiohttp's resolver, httpcore's network backend) connect to exactly
these and never ask DNS about a pinned name. The host name still goes in the
Host header and in TLS (SNI and certificate checks), so HTTPS is verified as usual.

The pins live in a ContextVar: the connection is opened in the task that sends
the request, so concurrent fetches never see each other's pins. Through an HTTP
proxy (HTTPS_PROXY) the proxy resolves names, and pins do not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar, Token
from types import TracebackType

_PINS: ContextVar[dict[str, tuple[str, ...]] | None] = ContextVar("watcher_pins", default=None)


def _key(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


class Pinned:
    """Within ``with`` or ``async with``, connections to a host go to its pinned addresses only."""

    def __init__(self, host: str, addresses: Sequence[str]) -> None:
        self._pin = (_key(host), tuple(addresses))
        self._token: Token[dict[str, tuple[str, ...]] | None] | None = None

    def __enter__(self) -> None:
        host, addresses = self._pin
        self._token = _PINS.set({**(_PINS.get() or {}), host: addresses})

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._token is not None:
            _PINS.reset(self._token)
            self._token = None

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, tb)


def pinned(host: str, addresses: Sequence[str]) -> Pinned:
    """Connections to ``host`` go to ``addresses`` (in order) and nowhere else, inside the block."""
    return Pinned(host, addresses)


def pinned_addresses(host: str) -> tuple[str, ...] | None:
    """The addresses ``host`` is pinned to in this context, or None (resolve as usual)."""
    pins = _PINS.get()
    return None if pins is None else pins.get(_key(host))

"""Which addresses a redirect may lead to: globally routable ones, decided by ``ipaddress``.

A public page that redirects to 169.254.169.254 or 10.0.0.1 is trying to make the
watcher read a cloud metadata service or an intranet; the source's own URL is
chosen by whoever writes sources.toml and is trusted, a redirect is not.

The rule is "globally routable", not a list of bad ranges: an address passes only
when ``ipaddress`` calls it global and it is not multicast (Python 3.11 still
calls 224.0.0.0/4 and ff00::/8 global). An IPv6 address that carries an IPv4
address inside it — IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``,
NAT64 ``64:ff9b::a.b.c.d`` and 6to4 ``2002:AABB:CCDD::`` — must pass for the IPv4
address too, because a NAT64 gateway or a 6to4 relay delivers it there.

The name of a redirect target is resolved once, here; the Fetcher pins the
connection to the addresses that were checked (watcher.fetch.pinning), so a name
cannot answer a public address to the check and an internal one to the connect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from watcher.fetch.reasons import Reason

Resolver = Callable[[str], Awaitable[list[str]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215 local-use NAT64 prefix: never global, whatever the Python version says.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; Alibaba's metadata service
_BROADCAST = ipaddress.ip_address("255.255.255.255")


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (brackets allowed), else None.

    >>> parse_ip("[::1]"), parse_ip("www.meti.go.jp")
    (IPv6Address('::1'), None)
    """
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def embedded_ipv4(address: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address delivers to, with the form's name, or None.

    >>> embedded_ipv4(ipaddress.ip_address("64:ff9b::a9fe:a9fe"))
    ('NAT64', IPv4Address('169.254.169.254'))
    >>> embedded_ipv4(ipaddress.ip_address("2001:4860::8888")) is None
    True
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return "NAT64", low32
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        # ::a.b.c.d (deprecated, RFC 4291); :: and ::1 are the IPv6 unspecified and loopback.
        return "IPv4-compatible", low32
    return None


def _own_kind(address: IPAddress) -> str | None:
    """Why ``address`` itself is not globally routable, in a word or two; None if it is."""
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address)
                                  and address in ipaddress.ip_network("0.0.0.0/8")):
        # Linux connects 0.0.0.0/8 to the local host.
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address == _BROADCAST:
        return "broadcast"
    if isinstance(address, ipaddress.IPv6Address) and (address.is_site_local
                                                        or address in _LOCAL_NAT64):
        return "private"
    if address.is_private or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED):
        # RFC 1918, unique-local fc00::/7, 100.64/10, and the special-purpose blocks
        # ipaddress counts as private (192.0.0.0/24, 198.18.0.0/15, documentation …).
        return "reserved" if address.is_reserved else "private"
    if address.is_reserved:
        return "reserved"  # 240.0.0.0/4 and unassigned IPv6 space
    if not address.is_global:
        return "non-global"
    return None


def refusal(address: IPAddress, *, written: str | None = None) -> str | None:
    """Why a redirect may not connect to ``address`` ("private address 10.0.0.1"), or None.

    >>> refusal(ipaddress.ip_address("203.0.114.7")) is None, refusal(ipaddress.ip_address("10.0.0.1"))
    (True, 'private address 10.0.0.1')
    >>> refusal(ipaddress.ip_address("64:ff9b::a00:1"))
    'NAT64 address 64:ff9b::a00:1 (to private address 10.0.0.1)'
    """
    shown = written or str(address)  # as written: ::ffff:10.0.0.1 reads better than ::ffff:a00:1
    inner = embedded_ipv4(address)
    if inner is not None:
        form, ipv4 = inner
        kind = _own_kind(ipv4)
        if kind is not None:
            if form == "IPv4-mapped":
                # ::ffff:10.0.0.1 is 10.0.0.1 to every socket API.
                return f"{kind} address {shown}"
            return f"{form} address {shown} (to {kind} address {ipv4})"
        # It delivers to a global IPv4 address (DNS64 answers public names so on
        # IPv6-only networks); ipaddress calls these prefixes reserved, which they are not.
        return None
    kind = _own_kind(address)
    return f"{kind} address {shown}" if kind is not None else None


async def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to, through the event loop's getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


PRIVATE_HINT = "(set allow_private = true to allow)"


async def check_redirect(host: str, raw_host: str, *, resolve: Resolver, timeout_s: float,
                         allow_private: bool = False) -> tuple[Reason | None, tuple[str, ...]]:
    """(why a redirect to ``host`` is refused or None, the addresses to pin the connection to).

    An IP literal is judged as it stands (nothing to pin). A name is resolved once;
    every address must be globally routable (unless the source allows private
    ones), and those addresses are the pins. A name that does not resolve fails
    too: letting the transport look it up again would be the second lookup that
    pinning exists to avoid.
    """
    literal = parse_ip(host)
    if literal is not None:
        if allow_private:
            return None, ()
        why = refusal(literal, written=host.strip("[]"))
        return (Reason(text=f"redirect to {why} refused {PRIVATE_HINT}") if why else None), ()
    try:
        async with asyncio.timeout(timeout_s):
            answers = await resolve(raw_host)
    except (OSError, TimeoutError, UnicodeError):
        return Reason(text=f"DNS lookup failed for host {raw_host}", retryable=True), ()
    pins: list[str] = []
    for answer in answers:
        ip = parse_ip(answer)
        if ip is None:
            return Reason(text=f"DNS lookup for host {raw_host} gave {answer!r}"), ()
        why = None if allow_private else refusal(ip, written=answer)
        if why is not None:
            return Reason(text=f"redirect to {raw_host} ({why}) refused {PRIVATE_HINT}"), ()
        pins.append(str(ip))
    if not pins:
        return Reason(text=f"DNS lookup failed for host {raw_host}", retryable=True), ()
    return None, tuple(pins)

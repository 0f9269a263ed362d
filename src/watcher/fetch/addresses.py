"""Which addresses a redirect may not lead to, and how a host name is resolved.

A public page that redirects to 169.254.169.254 or 10.0.0.1 is trying to make
the watcher read a cloud metadata service or an intranet; the source's own
URL is chosen by whoever writes sources.toml and is trusted, a redirect is not.
The name is resolved apart from the connection, so DNS rebinding could slip
past; that is accepted for pages we chose to watch.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

Resolver = Callable[[str], Awaitable[list[str]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NETWORKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("link-local", ("169.254.0.0/16", "fe80::/10")),
    # 100.64/10 is carrier-grade NAT space, where Alibaba Cloud keeps its metadata service.
    ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")),
    # Linux connects 0.0.0.0/8 to the local host.
    ("unspecified", ("0.0.0.0/8", "::/128")),
)
_KINDS: tuple[tuple[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]], ...] = tuple(
    (kind, tuple(ipaddress.ip_network(net) for net in nets)) for kind, nets in _NETWORKS
)


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (brackets allowed), else None.

    >>> parse_ip("[::1]"), parse_ip("www.meti.go.jp")
    (IPv6Address('::1'), None)
    """
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def internal_kind(address: IPAddress) -> str | None:
    """ "loopback", "link-local", "private" or "unspecified" for an internal address, else None.

    >>> internal_kind(ipaddress.ip_address("169.254.169.254")), internal_kind(ipaddress.ip_address("203.0.113.7"))
    ('link-local', None)
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:10.0.0.1 reaches 10.0.0.1.
        address = address.ipv4_mapped
    for kind, networks in _KINDS:
        if any(address in network for network in networks):
            return kind
    return None


async def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to, through the event loop's getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]

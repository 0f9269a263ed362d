"""A redirect may lead only to globally routable addresses, including the IPv4 inside IPv6 forms.

The rule is ``ipaddress``'s "is it global" (multicast excluded), not a list of bad
ranges, and an IPv6 address that delivers to an IPv4 one (NAT64, 6to4,
IPv4-compatible, IPv4-mapped) is judged by that IPv4 address too. Each address is
tried twice: as the redirect's literal host, and as the answer for a name. Every
target is answered by respx only; nothing is connected to.
"""

from __future__ import annotations

import ipaddress
import re

import pytest

from fetch.factories import METI, PUBLIC_DNS, FakeResolver, fetch_one, new_router
from watcher.fetch import FetchPolicy, FetchRequest
from watcher.fetch.addresses import resolve_host

START = f"{METI}/policy/mono_info_service/joho/laws/semiconductor.html"
REFUSED_TEXT = re.compile(r"^redirect to .+ refused \(set allow_private = true to allow\)$")

# (address, what the refusal must name): one or more of each range the probe found missing,
# and the classic ones.
REFUSED = [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("192.168.0.1", "private"),
    ("100.64.0.1", "private"), ("100.100.100.200", "private"), ("fc00::1", "private"),
    ("fd00::1", "private"), ("fec0::1", "private"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("::", "unspecified"),
    # NAT64 64:ff9b::/96 reaches the IPv4 address in its last 32 bits.
    ("64:ff9b::a9fe:a9fe", "NAT64 address 64:ff9b::a9fe:a9fe (to link-local address 169.254.169.254)"),
    ("64:ff9b::a00:1", "NAT64 address 64:ff9b::a00:1 (to private address 10.0.0.1)"),
    ("64:ff9b::7f00:1", "(to loopback address 127.0.0.1)"),
    ("64:ff9b:1::a00:1", "private"),  # RFC 8215 local-use NAT64
    # 6to4 2002::/16 reaches the IPv4 address in bits 16–48.
    ("2002:a9fe:a9fe::1", "6to4 address 2002:a9fe:a9fe::1 (to link-local address 169.254.169.254)"),
    ("2002:a00:1::", "(to private address 10.0.0.1)"),
    # IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d.
    ("::169.254.169.254", "IPv4-compatible address ::169.254.169.254 (to link-local address 169.254.169.254)"),
    ("::10.0.0.1", "(to private address 10.0.0.1)"),
    ("::ffff:169.254.169.254", "link-local address ::ffff:169.254.169.254"),
    ("::ffff:127.0.0.1", "loopback"),
    # Special-purpose IPv4 blocks.
    ("198.18.0.1", "private"), ("198.19.255.254", "private"),  # benchmarking 198.18.0.0/15
    ("192.0.0.1", "private"), ("192.0.0.170", "private"),  # IETF protocol assignments 192.0.0.0/24
    ("192.0.2.1", "private"), ("198.51.100.1", "private"), ("203.0.113.1", "private"),
    ("2001:db8::1", "private"),  # documentation
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("ff05::1:3", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.254", "reserved"), ("255.255.255.255", "broadcast"),
    ("2001::1", "address"), ("100::1", "address"), ("2001:10::1", "address"),  # Teredo, discard, ORCHID
]
ALLOWED = ["202.214.194.145", "8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8",
           "64:ff9b::808:808", "2002:808:808::1", "192.0.0.9"]


def literal_url(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}/latest/meta-data/"


def redirect_to(location: str, **kwargs: object) -> tuple[str, str | None, bool]:
    router = new_router()
    router.get(START).respond(302, headers={"Location": location})
    target = router.get(location).respond(200, text="<html><body>内部</body></html>")
    result = fetch_one(router, FetchRequest(source_id="meti-semiconductor", url=START),
                       policy=FetchPolicy(max_tries=1), **kwargs)
    return result.status, result.error, target.called


@pytest.mark.parametrize(("address", "named"), REFUSED, ids=[a for a, _ in REFUSED])
def test_a_redirect_to_a_non_global_address_is_refused(address: str, named: str) -> None:
    status, error, reached = redirect_to(literal_url(address))

    assert status == "failed"
    assert error is not None
    assert REFUSED_TEXT.match(error), error
    assert named in error
    assert not reached


@pytest.mark.parametrize(("address", "named"), REFUSED, ids=[a for a, _ in REFUSED])
def test_a_redirect_to_a_name_that_answers_a_non_global_address_is_refused(
    address: str, named: str,
) -> None:
    resolver = FakeResolver({**PUBLIC_DNS, "cdn.example.jp": ["202.214.194.150", address]})

    status, error, reached = redirect_to("https://cdn.example.jp/plans.html", resolver=resolver)

    assert status == "failed"
    assert error is not None
    assert error.startswith("redirect to cdn.example.jp (")
    assert named.split(" (to ")[-1].rstrip(")") in error
    assert not reached


@pytest.mark.parametrize("address", ALLOWED)
def test_a_redirect_to_a_global_address_is_followed(address: str) -> None:
    assert redirect_to(literal_url(address)) == ("ok", None, True)


@pytest.mark.parametrize("location", ["http://2852039166/latest/", "http://0xa9fea9fe/latest/"])
def test_numeric_host_spellings_are_judged_by_the_address_they_resolve_to(location: str) -> None:
    """getaddrinfo turns these into 169.254.169.254 without asking DNS."""
    status, error, reached = redirect_to(location, resolver=resolve_host)

    assert status == "failed"
    assert error is not None
    assert "(link-local address 169.254.169.254) refused" in error
    assert not reached


def test_the_policy_is_global_reachability_not_a_list() -> None:
    """Every address ipaddress does not call global is refused, whatever block it is in."""
    from watcher.fetch.addresses import refusal

    for block in ("198.18.0.0/15", "192.0.0.0/29", "240.0.0.0/4", "100.64.0.0/10",
                  "2001:db8::/32", "fc00::/7", "64:ff9b:1::/48"):
        network = ipaddress.ip_network(block)
        for address in (network[0], network[1], network[-2], network[-1]):
            assert refusal(address) is not None, address
    assert refusal(ipaddress.ip_address("202.214.194.145")) is None

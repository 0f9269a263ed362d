"""Redirects are followed by hand, at most five, and never into internal addresses.

Every internal address here is served by respx: no connection is opened to it.
"""

from __future__ import annotations

import pytest

from fetch.factories import METI, PUBLIC_DNS, FakeResolver, fetch_one, new_router
from watcher.fetch import FetchPolicy, FetchRequest

OLD_URL = f"{METI}/policy/mono_info_service/joho/laws/semiconductor.html"
NEW_URL = f"{METI}/policy/mono_info_service/semiconductor/index.html"
HINT = "(set allow_private = true to allow)"


def request(url: str = OLD_URL, **kwargs: object) -> FetchRequest:
    return FetchRequest(source_id="meti-semiconductor", url=url, **kwargs)  # type: ignore[arg-type]


def test_a_redirect_is_followed_and_the_final_url_reported() -> None:
    router = new_router()
    router.get(OLD_URL).respond(301, headers={"Location": NEW_URL})
    router.get(NEW_URL).respond(200, text="<h1>半導体</h1>")

    result = fetch_one(router, request())

    assert result.status == "ok"
    assert result.url == NEW_URL
    assert result.text == "<h1>半導体</h1>"


def test_a_relative_location_is_resolved_against_the_current_url() -> None:
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": "../../semiconductor/index.html#top"})
    router.get(NEW_URL).respond(200, text="ok")

    result = fetch_one(router, request())

    assert (result.status, result.url) == ("ok", NEW_URL)


def test_a_chain_of_five_redirects_is_followed_but_six_are_too_many() -> None:
    router = new_router()
    for hop in range(6):
        router.get(f"{METI}/hop/{hop}").respond(302, headers={"Location": f"/hop/{hop + 1}"})
    router.get(f"{METI}/hop/6").respond(200, text="ok")

    five = fetch_one(router, request(f"{METI}/hop/1"))
    six = fetch_one(router, request(f"{METI}/hop/0"))

    assert (five.status, five.url) == ("ok", f"{METI}/hop/6")
    assert six.status == "failed"
    assert six.error == "too many redirects (more than 5)"


def test_a_redirect_loop_fails() -> None:
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": NEW_URL})
    router.get(NEW_URL).respond(302, headers={"Location": OLD_URL})

    result = fetch_one(router, request())

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("redirect loop")


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://10.0.0.1/admin", f"redirect to private address 10.0.0.1 refused {HINT}"),
        (
            "http://169.254.169.254/latest/meta-data/",
            f"redirect to link-local address 169.254.169.254 refused {HINT}",
        ),
        ("http://127.0.0.1:8080/", f"redirect to loopback address 127.0.0.1 refused {HINT}"),
        ("http://192.168.1.1/", f"redirect to private address 192.168.1.1 refused {HINT}"),
        ("http://172.20.0.5/", f"redirect to private address 172.20.0.5 refused {HINT}"),
        ("http://0.0.0.0/", f"redirect to unspecified address 0.0.0.0 refused {HINT}"),
        ("http://[::1]/", f"redirect to loopback address ::1 refused {HINT}"),
        ("http://[fe80::1]/", f"redirect to link-local address fe80::1 refused {HINT}"),
        ("http://[fd12:3456::1]/", f"redirect to private address fd12:3456::1 refused {HINT}"),
        (
            "http://[::ffff:10.0.0.1]/",
            f"redirect to private address ::ffff:10.0.0.1 refused {HINT}",
        ),
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(location: str, error: str) -> None:
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": location})
    internal = router.get(location).respond(200, text="secret")

    result = fetch_one(router, request())

    assert result.status == "failed"
    assert result.error == error
    assert result.url == OLD_URL
    assert not internal.called


@pytest.mark.parametrize(
    "location",
    ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1/"],
)
def test_allow_private_lets_a_redirect_reach_an_internal_address(location: str) -> None:
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": location})
    router.get(location).respond(200, text="intranet copy")

    result = fetch_one(router, request(allow_private=True))

    assert (result.status, result.url, result.text) == ("ok", location, "intranet copy")


def test_the_sources_own_url_may_be_internal() -> None:
    router = new_router()
    router.get("http://127.0.0.1:8000/meti-mirror.html").respond(200, text="mirror")

    result = fetch_one(router, request("http://127.0.0.1:8000/meti-mirror.html"))

    assert (result.status, result.text) == ("ok", "mirror")


def test_a_redirect_to_a_name_that_resolves_internally_is_refused() -> None:
    resolver = FakeResolver(
        {**PUBLIC_DNS, "metadata.internal.example": ["202.214.194.150", "10.1.2.3"]}
    )
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": "http://metadata.internal.example/"})
    internal = router.get("http://metadata.internal.example/").respond(200, text="secret")

    result = fetch_one(router, request(), resolver=resolver)

    assert result.status == "failed"
    assert result.error == (
        f"redirect to metadata.internal.example (private address 10.1.2.3) refused {HINT}"
    )
    assert resolver.asked == ["metadata.internal.example"]
    assert not internal.called


def test_a_redirect_to_a_public_name_is_resolved_and_followed() -> None:
    resolver = FakeResolver(dict(PUBLIC_DNS))
    router = new_router()
    router.get(OLD_URL).respond(301, headers={"Location": "https://www.nedo.go.jp/activities/"})
    router.get("https://www.nedo.go.jp/activities/").respond(200, text="NEDO")

    result = fetch_one(router, request(), resolver=resolver)

    assert (result.status, result.text) == ("ok", "NEDO")
    assert resolver.asked == ["www.nedo.go.jp"]


def test_a_redirect_to_a_name_that_cannot_be_resolved_fails_without_a_second_lookup() -> None:
    """The transport must not look the name up again: that second answer is what rebinding abuses."""
    resolver = FakeResolver({})
    router = new_router()
    router.get(OLD_URL).respond(301, headers={"Location": "https://unknown.example.jp/"})
    reached = router.get("https://unknown.example.jp/").respond(200, text="reached")

    result = fetch_one(router, request(), resolver=resolver, policy=FetchPolicy(max_tries=1))

    assert (result.status, result.error) == ("failed", "DNS lookup failed for host unknown.example.jp")
    assert resolver.asked == ["unknown.example.jp"]
    assert not reached.called


def test_allow_private_skips_the_check_but_still_resolves_once() -> None:
    """The name is looked up once, by the Fetcher, and the connection pinned to that answer."""
    resolver = FakeResolver({**PUBLIC_DNS, "intranet.example.jp": ["10.0.0.8"]})
    router = new_router()
    router.get(OLD_URL).respond(301, headers={"Location": "http://intranet.example.jp/copy.html"})
    router.get("http://intranet.example.jp/copy.html").respond(200, text="ok")

    result = fetch_one(router, request(allow_private=True), resolver=resolver)

    assert (result.status, result.text) == ("ok", "ok")
    assert resolver.asked == ["intranet.example.jp"]


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("file:///etc/passwd", "redirect to unsupported scheme 'file' refused"),
        ("ftp://ftp.meti.go.jp/pub/", "redirect to unsupported scheme 'ftp' refused"),
        ("http://[::1", "redirect to an invalid URL (Invalid port: ':1')"),
    ],
)
def test_a_redirect_to_something_other_than_a_web_page_is_refused(
    location: str, error: str
) -> None:
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": location})

    result = fetch_one(router, request())

    assert (result.status, result.error) == ("failed", error)


def test_a_redirect_without_a_location_fails() -> None:
    router = new_router()
    router.get(OLD_URL).respond(302)

    result = fetch_one(router, request())

    assert result.status == "failed"
    assert result.http_status == 302
    assert result.error == "HTTP 302 Found without a Location header"


def test_credentials_do_not_follow_a_redirect_to_another_host() -> None:
    router = new_router()
    router.get(OLD_URL).respond(302, headers={"Location": NEW_URL})
    same_host = router.get(NEW_URL).respond(
        302, headers={"Location": "https://www.ipa.go.jp/news/"}
    )
    other_host = router.get("https://www.ipa.go.jp/news/").respond(200, text="IPA")
    headers = (("Authorization", "Bearer s3cret"), ("Accept-Language", "ja"))

    result = fetch_one(router, request(headers=headers))

    assert result.status == "ok"
    assert same_host.calls.last.request.headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in other_host.calls.last.request.headers
    assert other_host.calls.last.request.headers["Accept-Language"] == "ja"


def test_validators_are_sent_to_the_final_url_too() -> None:
    router = new_router()
    router.get(OLD_URL).respond(301, headers={"Location": NEW_URL})
    final = router.get(NEW_URL).respond(304)

    result = fetch_one(router, request(etag='"abc"'))

    assert (result.status, result.url) == ("not_modified", NEW_URL)
    assert final.calls.last.request.headers["If-None-Match"] == '"abc"'


def test_max_redirects_comes_from_the_policy() -> None:
    router = new_router()
    router.get(OLD_URL).respond(301, headers={"Location": NEW_URL})
    router.get(NEW_URL).respond(200, text="ok")

    result = fetch_one(router, request(), policy=FetchPolicy(max_redirects=0))

    assert (result.status, result.error) == ("failed", "too many redirects (more than 0)")

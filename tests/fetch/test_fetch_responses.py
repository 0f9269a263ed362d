"""A fetch returns the page, says it has not changed, or fails with one clear line."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from fetch.factories import PAGE_URL, fetch_one, meti_page, new_router, run
from watcher.errors import ConfigError
from watcher.fetch import FetchPolicy, FetchRequest, fetch


def test_a_page_comes_back_with_bytes_text_validators_and_hash() -> None:
    html = meti_page(meta='<meta charset="utf-8">')
    router = new_router()
    router.get(PAGE_URL).respond(
        200,
        content=html.encode("utf-8"),
        headers={
            "Content-Type": "text/html; charset=UTF-8",
            "ETag": '"5f3a-63e1b2"',
            "Last-Modified": "Fri, 17 Jun 2022 08:00:00 GMT",
        },
    )

    result = fetch_one(router)

    assert result.status == "ok"
    assert result.http_status == 200
    assert result.url == PAGE_URL
    assert result.body == html.encode("utf-8")
    assert result.text == html
    assert result.encoding == "utf-8"
    assert result.content_type == "text/html; charset=UTF-8"
    assert result.etag == '"5f3a-63e1b2"'
    assert result.last_modified == "Fri, 17 Jun 2022 08:00:00 GMT"
    assert result.content_hash == hashlib.sha256(html.encode("utf-8")).hexdigest()
    assert result.error is None
    assert result.attempts == 1


def test_the_user_agent_is_honest_and_source_headers_are_sent() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(200, text="ok")
    policy = FetchPolicy(user_agent="subsidy-watcher/0.1 (+mailto:watch@example.org)")
    request = FetchRequest(
        source_id="meti-semiconductor", url=PAGE_URL, headers=(("Accept-Language", "ja"),)
    )

    fetch_one(router, request, policy=policy)

    sent = route.calls.last.request.headers
    assert sent["User-Agent"] == "subsidy-watcher/0.1 (+mailto:watch@example.org)"
    assert sent["Accept-Language"] == "ja"


def test_validators_are_sent_and_a_304_means_not_modified() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(304, headers={"ETag": '"5f3a-63e1b2"'})
    request = FetchRequest(
        source_id="meti-semiconductor",
        url=PAGE_URL,
        etag='"5f3a-63e1b2"',
        last_modified="Fri, 17 Jun 2022 08:00:00 GMT",
    )

    result = fetch_one(router, request)

    sent = route.calls.last.request.headers
    assert sent["If-None-Match"] == '"5f3a-63e1b2"'
    assert sent["If-Modified-Since"] == "Fri, 17 Jun 2022 08:00:00 GMT"
    assert result.status == "not_modified"
    assert result.http_status == 304
    assert result.body == b""
    assert result.text == ""
    assert result.content_hash is None
    # The validators carry over so the next fetch can send them again.
    assert result.etag == '"5f3a-63e1b2"'
    assert result.last_modified == "Fri, 17 Jun 2022 08:00:00 GMT"


def test_no_validators_are_sent_without_a_previous_snapshot() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(200, text="ok")

    fetch_one(router)

    sent = route.calls.last.request.headers
    assert "If-None-Match" not in sent
    assert "If-Modified-Since" not in sent


def test_a_304_to_an_unconditional_request_is_a_failure() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(304)

    result = fetch_one(router)

    assert result.status == "failed"
    assert result.error == "HTTP 304 Not Modified to an unconditional request"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, "HTTP 404 Not Found"),
        (403, "HTTP 403 Forbidden"),
        (410, "HTTP 410 Gone"),
    ],
)
def test_a_client_error_fails_at_once_without_retrying(status: int, error: str) -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(status, text="<html>ページが見つかりません</html>")

    result = fetch_one(router)

    assert result.status == "failed"
    assert result.http_status == status
    assert result.error == error
    assert result.body == b""
    assert result.attempts == 1
    assert route.call_count == 1


def test_a_pdf_is_kept_as_bytes_and_not_decoded() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
    router = new_router()
    url = "https://www.meti.go.jp/main/yosangaisan/fy2026/pdf/r8_yosan_pr.pdf"
    router.get(url).respond(200, content=pdf, headers={"Content-Type": "application/pdf"})

    result = fetch_one(router, url)

    assert result.status == "ok"
    assert result.body == pdf
    assert result.text == ""
    assert result.encoding is None
    assert result.content_hash == hashlib.sha256(pdf).hexdigest()


def test_a_pdf_served_as_octet_stream_is_recognised_by_its_signature() -> None:
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    router = new_router()
    url = "https://www.meti.go.jp/press/2024/02/20240224001/20240224001-1.pdf"
    router.get(url).respond(200, content=pdf, headers={"Content-Type": "application/octet-stream"})

    result = fetch_one(router, url)

    assert (result.status, result.text, result.encoding) == ("ok", "", None)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://ftp.meti.go.jp/budget.pdf", "unsupported URL scheme 'ftp'"),
        ("https://", "invalid URL: no host"),
        ("http://[::1", "invalid URL"),
    ],
)
def test_a_source_url_that_cannot_be_fetched_fails_without_a_request(url: str, error: str) -> None:
    result = fetch_one(new_router(), url)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(error)


def test_the_one_shot_fetch_function_uses_the_given_transport() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(200, text="認定")

    result = run(
        fetch(
            FetchRequest(source_id="meti-semiconductor", url=PAGE_URL),
            transport=httpx.MockTransport(router.async_handler),
        )
    )

    assert (result.status, result.text) == ("ok", "認定")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("per_host", 0, "fetch policy: per_host must be at least 1"),
        ("max_tries", 0, "fetch policy: max_tries must be at least 1"),
        ("read_timeout_s", 0.0, "fetch policy: read_timeout_s must be positive"),
        ("min_host_delay_s", -1.0, "fetch policy: min_host_delay_s must not be negative"),
    ],
)
def test_an_unworkable_policy_is_a_config_error(field: str, value: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FetchPolicy(**{field: value})  # type: ignore[arg-type]


def test_a_fetcher_used_outside_its_context_is_a_programming_error() -> None:
    from watcher.fetch import Fetcher

    with pytest.raises(RuntimeError, match="async with"):
        run(Fetcher().fetch(FetchRequest(source_id="meti-semiconductor", url=PAGE_URL)))

"""Connect errors, 429 and 5xx are tried again, with backoff, jitter and Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from fetch.factories import PAGE_URL, FakeTime, fetch_one, new_router
from watcher.fetch import FetchPolicy
from watcher.fetch.retry import backoff_delay, parse_retry_after, server_now

NOW = datetime(2025, 12, 26, 9, 0, tzinfo=UTC)


def test_a_503_is_retried_after_a_jittered_backoff() -> None:
    router = new_router()
    route = router.get(PAGE_URL)
    route.side_effect = [httpx.Response(503), httpx.Response(200, text="認定")]
    time = FakeTime()

    result = fetch_one(router, time=time)

    assert (result.status, result.text, result.attempts) == ("ok", "認定", 2)
    assert route.call_count == 2
    assert len(time.sleeps) == 1
    assert 0.25 <= time.sleeps[0] <= 0.5


def test_backoff_doubles_between_tries() -> None:
    router = new_router()
    route = router.get(PAGE_URL)
    route.side_effect = [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.Response(200, text="ok"),
    ]
    time = FakeTime()

    result = fetch_one(router, time=time)

    assert (result.status, result.attempts) == ("ok", 3)
    first, second = time.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert result.elapsed_s == pytest.approx(first + second)


def test_a_429_waits_exactly_as_long_as_retry_after_says() -> None:
    router = new_router()
    route = router.get(PAGE_URL)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(200, text="ok"),
    ]
    time = FakeTime()

    result = fetch_one(router, time=time)

    assert (result.status, result.attempts, result.retry_after_s) == ("ok", 2, None)
    assert time.sleeps == [7.0]


def test_a_retry_after_date_is_measured_from_the_servers_clock() -> None:
    router = new_router()
    route = router.get(PAGE_URL)
    route.side_effect = [
        httpx.Response(
            503,
            headers={
                "Date": "Fri, 26 Dec 2025 09:00:00 GMT",
                "Retry-After": "Fri, 26 Dec 2025 09:00:12 GMT",
            },
        ),
        httpx.Response(200, text="ok"),
    ]
    time = FakeTime()

    result = fetch_one(router, time=time)

    assert result.status == "ok"
    assert time.sleeps == [12.0]


def test_a_retry_after_beyond_the_budget_gives_up_and_says_when_to_return() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(429, headers={"Retry-After": "3600"})
    time = FakeTime()

    result = fetch_one(router, time=time)

    assert result.status == "failed"
    assert result.http_status == 429
    assert result.retry_after_s == 3600.0
    assert result.error == "HTTP 429 Too Many Requests (the server asked us to wait 3600 s)"
    assert result.attempts == 1
    assert route.call_count == 1
    assert time.sleeps == []


def test_waiting_counts_against_one_budget_per_fetch() -> None:
    router = new_router()
    route = router.get(PAGE_URL)
    route.side_effect = [
        httpx.Response(503, headers={"Retry-After": "20"}),
        httpx.Response(503, headers={"Retry-After": "20"}),
    ]
    time = FakeTime()

    result = fetch_one(router, time=time, policy=FetchPolicy(max_retry_wait_s=30.0))

    # 20 s fits in the 30 s budget; a second 20 s does not.
    assert time.sleeps == [20.0]
    assert result.status == "failed"
    assert result.retry_after_s == 20.0
    assert result.attempts == 2
    assert result.error == (
        "HTTP 503 Service Unavailable (gave up after 2 tries; the server asked us to wait 20 s)"
    )


def test_backoff_is_clipped_to_what_remains_of_the_budget() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(500)
    time = FakeTime()
    policy = FetchPolicy(max_tries=5, backoff_base_s=1.0, max_retry_wait_s=1.2)

    result = fetch_one(router, time=time, policy=policy)

    assert sum(time.sleeps) == pytest.approx(1.2)
    assert result.status == "failed"
    assert result.attempts == len(time.sleeps) + 1


def test_server_errors_are_tried_max_tries_times_then_reported() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(502)
    time = FakeTime()

    result = fetch_one(router, time=time)

    assert result.status == "failed"
    assert result.http_status == 502
    assert result.error == "HTTP 502 Bad Gateway (gave up after 3 tries)"
    assert result.attempts == 3
    assert route.call_count == 3
    assert len(time.sleeps) == 2
    assert result.retry_after_s is None


def test_the_last_retry_after_is_passed_on_when_tries_run_out() -> None:
    router = new_router()
    router.get(PAGE_URL).respond(503, headers={"Retry-After": "5"})

    result = fetch_one(router, policy=FetchPolicy(max_tries=2))

    assert (result.status, result.attempts, result.retry_after_s) == ("failed", 2, 5.0)


def test_one_try_means_no_retry() -> None:
    router = new_router()
    route = router.get(PAGE_URL).respond(503)

    result = fetch_one(router, policy=FetchPolicy(max_tries=1))

    assert (result.error, result.attempts, route.call_count) == (
        "HTTP 503 Service Unavailable",
        1,
        1,
    )


def test_a_read_timeout_is_not_retried() -> None:
    router = new_router()
    route = router.get(PAGE_URL).mock(side_effect=httpx.ReadTimeout("timed out"))

    result = fetch_one(router)

    assert result.error == "timed out after 20 s without data"
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Fri, 26 Dec 2025 09:01:30 GMT", 90.0),
        ("Friday, 26-Dec-25 09:01:30 GMT", 90.0),
        ("Fri Dec 26 09:01:30 2025", 90.0),
        ("Fri, 26 Dec 2025 08:00:00 GMT", 0.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_the_servers_date_is_now_when_it_can_be_read() -> None:
    assert server_now("Fri, 26 Dec 2025 09:00:00 GMT") == NOW
    assert server_now("garbage").tzinfo is UTC
    assert server_now(None).tzinfo is UTC


def test_backoff_grows_exponentially_within_its_jitter_band() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)]:
        delays = [backoff_delay(attempt, base_s=0.5, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        # Jitter: sources that failed together do not all come back together.
        assert len(set(delays)) == 50

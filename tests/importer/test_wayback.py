"""The Wayback Machine importer: CDX listing, raw captures, politeness and resumption (respx, no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import respx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.demo.fixtures import demo_config
from watcher.errors import ConfigError, FetchError
from watcher.importer.core import ImportReport
from watcher.pipeline import PipelineOptions
from watcher.store import list_changes, sync_sources
from watcher.wayback import (
    CDX_URL,
    CdxRow,
    WaybackClient,
    WaybackPolicy,
    check_timestamp,
    import_from_wayback,
    parse_cdx,
)

DEMO = Path(__file__).resolve().parents[2] / "src/watcher/demo_data/pages/meti-semiconductor-plans"
PLANS = "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html"
T = TypeVar("T")
HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest"]
CAPTURES = {  # Wayback timestamp → fixture
    "20220620093512": "2022-06-20.html",
    "20220729101500": "2022-07-29.html",
    "20221003080000": "2022-10-03.html",
}


def cdx_answer() -> list[list[str]]:
    rows = [[ts, PLANS.replace("https://", "http://"), "200", "text/html", f"DIGEST{n}"]
            for n, ts in enumerate(CAPTURES)]
    return [HEADER, *reversed(rows)]  # the order is not trusted


def replay(ts: str) -> str:
    return f"https://web.archive.org/web/{ts}id_/{PLANS.replace('https://', 'http://')}"


class FakeTime:
    """A clock that only moves when the client sleeps: records every wait."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def run(fake: FakeTime, use: Callable[[WaybackClient], Awaitable[T]], **policy: float) -> T:
    """Run ``use`` with a client whose sleeps and clock are ``fake``'s."""
    async def go() -> T:
        async with httpx.AsyncClient() as http:
            wayback = WaybackClient(http, policy=WaybackPolicy(**policy),  # type: ignore[arg-type]
                                    sleep=fake.sleep, clock=fake.clock)
            return await use(wayback)

    return asyncio.run(go())


def test_the_cdx_answer_becomes_rows_oldest_first() -> None:
    rows = parse_cdx(cdx_answer())

    assert [r.timestamp for r in rows] == list(CAPTURES)
    assert rows[0].captured_at == datetime(2022, 6, 20, 9, 35, 12, tzinfo=UTC)
    assert rows[0].replay_url == replay("20220620093512")
    assert parse_cdx([]) == []
    with pytest.raises(FetchError, match="unexpected columns"):
        parse_cdx([["urlkey", "length"], ["x", "1"]])


@pytest.mark.parametrize(("given", "sent"), [("2022", "2022"), ("2022-06", "202206"),
                                             ("2022-06-20", "20220620")])
def test_date_bounds_are_cdx_timestamps(given: str, sent: str) -> None:
    assert check_timestamp(given, "--from") == sent


def test_a_bad_date_bound_names_the_option() -> None:
    with pytest.raises(ConfigError, match="--to: 'last year' is not a year"):
        check_timestamp("last year", "--to")


def test_listing_asks_for_distinct_200_captures_of_exactly_the_page(mock: respx.MockRouter) -> None:
    route = mock.get(CDX_URL).respond(json=cdx_answer())

    rows = run(FakeTime(), lambda w: w.list_captures(PLANS, since="2022", until="2025"))

    assert len(rows) == 3
    params = route.calls.last.request.url.params
    assert (params["url"], params["from"], params["to"]) == (PLANS, "2022", "2025")
    assert (params["filter"], params["collapse"], params["output"]) == ("statuscode:200", "digest", "json")


def test_requests_are_spaced_and_retried_after_errors_and_429(mock: respx.MockRouter) -> None:
    body = (DEMO / "2022-06-20.html").read_bytes()
    mock.get(replay("20220620093512")).mock(side_effect=[
        httpx.ConnectError("connection reset"),
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503),
        httpx.Response(200, content=body, headers={
            "content-type": "text/html", "x-archive-orig-last-modified": "Mon, 20 Jun 2022 00:00:00 GMT"}),
    ])
    fake = FakeTime()
    row = CdxRow(timestamp="20220620093512", original=PLANS.replace("https://", "http://"),
                 status="200", mimetype="text/html", digest="D")

    capture = run(fake, lambda w: w.fetch(row), min_interval_s=1.5, backoff_s=2.0, max_tries=4)

    assert capture.body == body
    assert capture.captured_at == datetime(2022, 6, 20, 9, 35, 12, tzinfo=UTC)
    assert capture.last_modified == "Mon, 20 Jun 2022 00:00:00 GMT"
    # backoff 2 s after the reset, Retry-After 7 s, backoff 8 s after the 503; no extra
    # spacing wait, since each backoff is longer than the 1.5 s interval
    assert fake.sleeps == [2.0, 7.0, 8.0]


def test_back_to_back_requests_keep_the_minimum_interval(mock: respx.MockRouter) -> None:
    mock.get(CDX_URL).respond(json=cdx_answer())
    fake = FakeTime()

    async def twice(wayback: WaybackClient) -> None:
        await wayback.list_captures(PLANS, since="2022", until="2025")
        await wayback.list_captures(PLANS, since="2022", until="2025")

    run(fake, twice, min_interval_s=1.5)

    assert fake.sleeps == [1.5]


def test_it_gives_up_after_the_last_try_with_one_line(mock: respx.MockRouter) -> None:
    mock.get(CDX_URL).respond(503)
    fake = FakeTime()

    with pytest.raises(FetchError, match=r"Wayback: HTTP 503 for https://web\.archive\.org/cdx"):
        run(fake, lambda w: w.list_captures(PLANS, since="2022", until="2025"), max_tries=3)
    assert len(fake.sleeps) == 2


def test_a_404_is_not_retried(mock: respx.MockRouter) -> None:
    route = mock.get(CDX_URL).respond(404)

    with pytest.raises(FetchError, match="HTTP 404"):
        run(FakeTime(), lambda w: w.list_captures(PLANS, since="2022", until="2025"))
    assert route.call_count == 1


def test_the_history_is_imported_and_a_rerun_downloads_nothing_again(
    mock: respx.MockRouter, sqlite_engine: Engine,
) -> None:
    config = demo_config()
    source = config.source("meti-semiconductor-plans")
    with Session(sqlite_engine) as session, session.begin():
        sync_sources(session=session, config=config, now=datetime(2022, 1, 1, tzinfo=UTC))
    mock.get(CDX_URL).respond(json=cdx_answer())
    pages = {ts: mock.get(replay(ts)).respond(
        content=(DEMO / name).read_bytes(), headers={"content-type": "text/html"})
        for ts, name in CAPTURES.items()}

    def history(wayback: WaybackClient) -> Awaitable[ImportReport]:
        return import_from_wayback(wayback, PLANS, source=source, engine=sqlite_engine,
                                   options=PipelineOptions(), since="2022", until="2025")

    report = run(FakeTime(), history)
    again = run(FakeTime(), history)

    assert (report.imported, report.changes) == (3, 2)
    assert (again.imported, again.already) == (0, 3)
    assert [route.call_count for route in pages.values()] == [1, 1, 1]
    with Session(sqlite_engine) as session:
        changes = list_changes(session=session)
    assert [(c.detected_at, c.amount_yen, c.imported) for c in changes] == [
        (datetime(2022, 7, 29, 10, 15, tzinfo=UTC), 92_930_000_000, True),
        (datetime(2022, 10, 3, 8, 0, tzinfo=UTC), 46_470_000_000, True),
    ]


def test_the_cdx_json_fixture_is_what_the_api_sends() -> None:
    # Pinned from https://web.archive.org/cdx/search/cdx?...&output=json: a header row first.
    sample = json.loads('[["timestamp","original","statuscode","mimetype","digest"],'
                        '["20220620093512","http://www.meti.go.jp/x.html","200","text/html","ABC"]]')
    assert parse_cdx(sample)[0].original == "http://www.meti.go.jp/x.html"


def test_the_command_imports_a_watched_page_by_its_url(
    mock: respx.MockRouter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from watcher.cli import app
    from watcher.demo.fixtures import SOURCES_TOML

    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    mock.get(CDX_URL).respond(json=cdx_answer())
    for ts, name in CAPTURES.items():
        mock.get(replay(ts)).respond(content=(DEMO / name).read_bytes(),
                                     headers={"content-type": "text/html"})

    result = CliRunner().invoke(app, ["--config", str(SOURCES_TOML), "import-wayback",
                                      PLANS.replace("https://", "http://"), "--from", "2022",
                                      "--to", "2022-12", "--delay", "0"])

    assert result.exit_code == 0, result.output
    assert "imported 3 capture(s): 2 historical change(s)" in result.output
    params = mock.calls[0].request.url.params
    assert (params["from"], params["to"]) == ("2022", "202212")

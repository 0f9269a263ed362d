"""No request makes a 500: extreme ids, pages, dates and search text get 404, 422 or nothing.

Each case here once reached the database as an error (SQLite's "Python int too
large", an OFFSET past 64 bits, a date with no UTC equivalent, a LIKE pattern
over SQLite's 50,000-byte limit). The property test over every route is in
tests/reliability/test_request_fuzz.py.
"""

from __future__ import annotations

import pytest

from web.admin_seed import Seeded
from web.admin_support import TestClient, csrf_token

# 2^31 is past PostgreSQL's INTEGER ids, 2^63 past SQLite's.
HUGE = [str(2**31), str(2**63), str(2**64), "9" * 40]
HTML = {"accept": "text/html"}


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize("template", ["/changes/{}", "/api/changes/{}", "/snapshots/{}",
                                      "/snapshots/{}/raw"])
def test_an_id_beyond_the_id_columns_is_not_found(client: TestClient, template: str, number: str) -> None:
    response = client.get(template.format(number))

    assert response.status_code == 404


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize("template", ["/changes/{}/acknowledge", "/changes/{}/unacknowledge",
                                      "/deliveries/{}/retry"])
def test_posting_to_an_id_beyond_the_id_columns_is_not_found(client: TestClient, template: str,
                                                      number: str) -> None:
    token = csrf_token(client)

    response = client.post(template.format(number), headers={"X-CSRF-Token": token},
                           follow_redirects=False)

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/sources/%00", "/sources/meti%00plans", "/sources/" + "a" * 5000,
                                  "/sources/%E2%80%AEplans"])
def test_a_source_id_that_cannot_be_one_is_not_found(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("value", [str(2**63), "10000000000000000000000", "1000001", "²", "٣", "１",
                                   "-1", "0"])
@pytest.mark.parametrize("name", ["page", "per_page"])
def test_an_impossible_page_is_refused_with_a_message(client: TestClient, name: str, value: str) -> None:
    api = client.get("/api/changes", params={name: value})
    page = client.get("/changes", params={name: value}, headers=HTML)

    assert api.status_code == 422
    assert f"'{name}' must be a whole number from 1 to" in api.json()["detail"]
    assert page.status_code == 200
    assert f"&#39;{name}&#39; must be a whole number from 1 to" in page.text
    assert client.get("/feed.atom", params={name: value}).status_code in (200, 422)


def test_a_far_page_is_simply_empty(client: TestClient) -> None:
    response = client.get("/api/changes", params={"page": "1000000", "per_page": "200"})

    assert response.status_code == 200
    assert response.json()["changes"] == []


@pytest.mark.parametrize(("bounds"), [{"from": "0001-01-01"}, {"to": "9999-12-31"},
                                      {"from": "0001-01-01", "to": "9999-12-31"},
                                      {"from": "0001-01-02", "to": "9999-12-30"}])
def test_dates_at_the_ends_of_the_calendar_bound_nothing(client: TestClient, seeded: Seeded,
                                                         bounds: dict[str, str]) -> None:
    everything = client.get("/api/changes").json()["total"]

    response = client.get("/api/changes", params=bounds)

    assert response.status_code == 200
    assert response.json()["total"] == everything
    assert client.get("/changes", params=bounds, headers=HTML).status_code == 200
    assert client.get("/feed.atom", params=bounds).status_code == 200


def test_a_search_of_fifty_thousand_characters_is_refused(client: TestClient) -> None:
    query = "半導体" + "x" * 50_000

    api = client.get("/api/changes", params={"q": query})
    page = client.get("/changes", params={"q": query}, headers=HTML)
    feed = client.get("/feed.atom", params={"q": query})

    assert (api.status_code, api.json()["detail"]) == (422, "'q' must be at most 200 characters")
    assert page.status_code == 200
    assert feed.status_code == 422


@pytest.mark.parametrize("query", ["\x00", "株式会社\x00", "%", "_", "\\", "'; DROP TABLE changes; --"])
def test_odd_search_text_finds_what_it_finds(client: TestClient, query: str) -> None:
    assert client.get("/api/changes", params={"q": query}).status_code == 200
    assert client.get("/changes", params={"q": query}, headers=HTML).status_code == 200


@pytest.mark.parametrize("path", ["/changes/", "/sources/", "/api/changes/", "/deliveries/"])
def test_the_trailing_slash_redirect_is_a_path_whatever_the_host_header(
    client: TestClient, path: str,
) -> None:
    response = client.get(path + "?kind=entry_added", headers={"Host": "evil.example"},
                          follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == path.rstrip("/") + "?kind=entry_added"
    assert "evil.example" not in response.headers["location"]


@pytest.mark.parametrize("path", ["//evil.example/", "/changes/1/raw/", "/static/nowhere/"])
def test_no_redirect_leaves_the_site_or_loops(client: TestClient, path: str) -> None:
    response = client.get(f"https://testserver{path}", follow_redirects=False)

    assert response.status_code == 404

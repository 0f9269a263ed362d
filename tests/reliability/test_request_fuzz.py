"""No request to the admin app makes a 5xx, whatever its path and query parameters hold.

Every route the app has is found from the app itself (a new route is fuzzed
without anyone remembering to add it), then driven two ways on the realistic
seeded database, on SQLite and on PostgreSQL: a sweep that gives every parameter
of every route every extreme value in turn, and a hypothesis search that mixes
them. Extreme means ids past 64 bits, pages that overflow OFFSET, dates at and
past the ends of the calendar, 50,000-character text, NUL and bidi controls,
non-ASCII digits, SQL and path metacharacters.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from starlette.routing import BaseRoute

from reliability.conftest import Figures
from watcher.web import create_app
from watcher.web.views import FILTER_FIELDS
from web.admin_seed import PLANS, seed
from web.admin_support import BASE_URL, admin_settings, basic, csrf_token

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", Warning)
    from fastapi.testclient import TestClient

NUMBERS = ["0", "-1", "1", "2", "3", str(2**31 - 1), str(2**31), str(2**53 + 1), str(2**63 - 1),
           str(2**63), str(2**64), "9" * 40, "-" + "9" * 30, "1.5", "1e3", "0x1F", "²", "٣", "１２",
           " 7", "+7", "007", ""]
DATES = ["0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "10000-01-01", "0000-00-00",
         "2024-02-30", "2024-02-29", "2025-13-01", "-0001-01-01", "2025-W47-5", "20251121",
         "2025-11-21T00:00:00+09:00", "令和7年11月21日"]
TEXTS = ["", "\x00", "a\x00b", "\u202eplans", "%", "%%", "_", "\\", "'", '"', "<script>alert(1)</script>",
         "../../etc/passwd", "..%2f..%2f", "/", "//evil.example", "' OR 1=1 --", "x" * 50_001,
         "株式会社" * 300, "\t\r\n", "\x7f", "\ufffd", PLANS, "entry_added", "yes", "all"]
EXTREME = list(dict.fromkeys(NUMBERS + DATES + TEXTS))
# The default run's sweep: the values that once made 500s, and their neighbours.
QUICK_SWEEP = [str(2**31), str(2**63), str(2**64), "²", "-1", "0001-01-01", "9999-12-31", "10000-01-01",
               "\x00", "x" * 50_001, "\u202eplans", "%"]
# Query parameters read from request.query_params rather than declared (the change list's).
LIST_PARAMS = (*FILTER_FIELDS, "page", "per_page")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {name} placeholders
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    form_params: tuple[str, ...]


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """The app's routes, through included routers (FastAPI ≥ 0.16x keeps them apart; no prefixes here)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every method and route of the app (and the static files), with its parameters."""
    found = []
    for route in api_routes(app.routes):
        dependant = route.dependant
        queries = {p.name for p in dependant.query_params}
        if "parse_list_query" in route.endpoint.__code__.co_names:
            queries |= set(LIST_PARAMS)  # read from request.query_params, not declared
        forms = {p.name for p in dependant.body_params}
        for method in sorted(route.methods - {"HEAD"}):
            found.append(Endpoint(method=method, path=route.path_format,
                                  path_params=tuple(route.param_convertors),
                                  query_params=tuple(sorted(queries)),
                                  form_params=tuple(sorted(forms))))
    found.append(Endpoint(method="GET", path="/static/{path}", path_params=("path",),
                          query_params=(), form_params=()))
    return found


@dataclass
class Target:
    client: TestClient
    endpoints: list[Endpoint]
    token: str
    requests: int = 0

    def send(self, endpoint: Endpoint, values: dict[str, str]) -> int:
        path = endpoint.path
        for name in endpoint.path_params:
            path = path.replace("{" + name + "}", quote(values.get(name, "1"), safe=""))
        query = {k: v for k, v in values.items()
                 if k not in endpoint.path_params and k not in endpoint.form_params}
        try:
            if endpoint.method == "GET":
                response = self.client.get(path, params=query, follow_redirects=False)
            else:
                form = {k: values[k] for k in endpoint.form_params if k in values}
                response = self.client.request(endpoint.method, path, params=query, data=form,
                                               headers={"X-CSRF-Token": self.token},
                                               follow_redirects=False)
        except httpx.InvalidURL:
            return -1  # the client will not send it (a component over 64 KiB): nothing served
        self.requests += 1
        assert response.status_code < 500, (endpoint.method, path, query, response.text[:300])
        return response.status_code


@pytest.fixture
def target(engine: Engine, tmp_path: Path) -> Iterator[Target]:
    seed(engine)
    (tmp_path / "sources.toml").write_text("[watcher]\n", encoding="utf-8")  # "check now" finds nothing
    # Fuzzed logins must not lock the fuzzer out: the throttle has its own tests.
    app = create_app(admin_settings(engine, tmp_path, enable_docs=True, login_delay_after=10**6,
                                    login_lock_after=10**6), engine)
    with TestClient(app, base_url=BASE_URL, headers=basic()) as client:
        yield Target(client=client, endpoints=endpoints(app), token=csrf_token(client))


def values_for(endpoint: Endpoint, value: str) -> Iterator[dict[str, str]]:
    for name in (*endpoint.path_params, *endpoint.query_params, *endpoint.form_params):
        yield {name: value}


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["quick", "full"])
def test_every_parameter_of_every_route_takes_every_extreme_value(
    target: Target, figures: Figures, full: bool,
) -> None:
    routes = {(e.method, e.path) for e in target.endpoints}
    assert {("GET", "/changes/{change_id}"), ("POST", "/deliveries/{delivery_id}/retry"),
            ("GET", "/feed.atom"), ("POST", "/login"), ("GET", "/static/{path}")} <= routes
    for endpoint, value in itertools.product(target.endpoints, EXTREME if full else QUICK_SWEEP):
        for values in values_for(endpoint, value):
            target.send(endpoint, values)
    figures.add("web_fuzz_requests", target.requests)
    figures.add("web_fuzz_5xx", 0)  # any 5xx fails the test before this line


@pytest.mark.parametrize("many", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["quick", "many"])
def test_mixed_extreme_parameters_never_make_a_5xx(target: Target, figures: Figures,
                                                   many: bool) -> None:
    value = st.one_of(st.sampled_from(EXTREME), st.integers(-(2**70), 2**70).map(str),
                      st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))

    @settings(max_examples=2000 if many else 150, deadline=None, derandomize=not many,
              database=None, suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(target.endpoints), st.data())
    def check(endpoint: Endpoint, data: st.DataObject) -> None:
        names = tuple(dict.fromkeys((*endpoint.path_params, *endpoint.query_params,
                                     *endpoint.form_params, *LIST_PARAMS)))
        chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=4)) if names else []
        values = {name: data.draw(value, label=name) for name in chosen}
        if target.send(endpoint, values) < 0:
            reject()

    check()
    figures.add("web_fuzz_requests", target.requests)
    figures.add("web_fuzz_5xx", 0)

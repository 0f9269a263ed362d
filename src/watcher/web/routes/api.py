"""Machine-readable views: the JSON API, the Atom feed, Prometheus metrics and /healthz."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from watcher.bidi import strip_bidi_deep
from watcher.store.admin import (
    collect_metrics,
    database_ok,
    get_change,
    list_change_page,
    list_source_overviews,
)
from watcher.store.auth import login_metrics
from watcher.web.deps import SessionDep, StateDep, require_feed_reader
from watcher.web.feed import atom_feed
from watcher.web.metrics import CONTENT_TYPE, login_text, prometheus_text
from watcher.web.views import known_id, parse_list_query, query_string

log = logging.getLogger(__name__)

router = APIRouter(tags=["api"])
feed_router = APIRouter(include_in_schema=False, dependencies=[Depends(require_feed_reader)])
public_router = APIRouter(include_in_schema=False)

FEED_SIZE = 50


@router.get("/api/changes")
def api_changes(request: Request, session: SessionDep) -> dict[str, Any]:
    """Changes as `watcher changes --json` prints them, newest first; same filters as the list page."""
    query = parse_list_query(request.query_params)
    if query.errors:
        raise HTTPException(422, "; ".join(query.errors))
    page = list_change_page(session=session, filters=query.filters, page=query.page,
                            per_page=query.per_page)
    following = (f"/api/changes?{query_string(query.form, page=page.page + 1, per_page=page.per_page)}"
                 if page.has_next else None)
    # Page text is data here, but a bidi control would still reorder it wherever it is shown.
    return {"changes": [strip_bidi_deep(c.to_json()) for c in page.items], "total": page.total,
            "page": page.page, "per_page": page.per_page, "next": following}


@router.get("/api/changes/{change_id}")
def api_change(change_id: int, session: SessionDep) -> dict[str, Any]:
    """One change, with its stored details (cells before and after, text diff)."""
    change = get_change(session=session, change_id=change_id) if known_id(change_id) else None
    if change is None:
        raise HTTPException(404, f"there is no change {change_id}")
    return strip_bidi_deep({**change.to_json(), "details": change.details})  # type: ignore[no-any-return]


@router.get("/api/sources")
def api_sources(session: SessionDep) -> list[dict[str, Any]]:
    """Every source with its schedule, health and counts."""
    return [strip_bidi_deep(s.to_json()) for s in list_source_overviews(session=session)]


@router.get("/metrics", include_in_schema=False)
def metrics(session: SessionDep, state: StateDep) -> Response:
    """Prometheus text format: checks, failures, changes, deliveries, last success per source,
    and locked or delayed admin logins."""
    logins = login_metrics(session=session, rule=state.access.rule, now=state.clock())
    text = prometheus_text(collect_metrics(session=session)) + login_text(logins)
    return Response(text, media_type=CONTENT_TYPE)


@feed_router.get("/feed.atom")
def feed(request: Request, session: SessionDep, state: StateDep) -> Response:
    """The latest changes as Atom (same filters as the list; Basic auth, session or feed token)."""
    query = parse_list_query(request.query_params)
    if query.errors:
        raise HTTPException(422, "; ".join(query.errors))
    page = list_change_page(session=session, filters=query.filters, page=1, per_page=FEED_SIZE)
    base = state.settings.public_url.rstrip("/")
    suffix = f"?{request.url.query}" if request.url.query else ""
    body = atom_feed(page.items, base_url=base, feed_url=f"{base}/feed.atom{suffix}",
                     updated=page.items[0].detected_at if page.items else state.clock())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@public_router.get("/healthz")
def healthz(state: StateDep) -> JSONResponse:
    """Liveness without authentication: the process answers and the database does too."""
    try:
        with Session(state.engine) as session:
            ok = database_ok(session=session)
    except SQLAlchemyError as exc:
        log.error("healthz: database unavailable: %s", exc)
        ok = False
    return JSONResponse({"status": "ok" if ok else "database unavailable"},
                        status_code=200 if ok else 503)

"""The change list, a change in full, and acknowledging it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from watcher.store.admin import (
    filter_options,
    get_change,
    group_members,
    list_change_page,
    set_acknowledged,
)
from watcher.web.deps import CsrfDep, SessionDep, StateDep, render
from watcher.web.views import cell_pairs, diff_pieces, known_id, local_path, parse_list_query

router = APIRouter(include_in_schema=False)


@router.get("/")
@router.get("/changes")
def change_list(request: Request, session: SessionDep, state: StateDep) -> Response:
    """Newest first, paginated and filtered by the query string."""
    query = parse_list_query(request.query_params)
    page = list_change_page(session=session, filters=query.filters, page=query.page,
                            per_page=query.per_page)
    return render(request, "changes.html", page=page, query=query,
                  options=filter_options(session=session), feed_token=state.auth.feed_token)


@router.get("/changes/{change_id}")
def change_detail(request: Request, change_id: int, session: SessionDep) -> Response:
    """The change in full: before → after, cells side by side, the text diff, its snapshots,
    and the changes grouped under it (a replaced list's rows)."""
    change = get_change(session=session, change_id=change_id) if known_id(change_id) else None
    if change is None:
        raise HTTPException(404, f"there is no change {change_id}")
    details = change.details
    return render(request, "change.html", change=change,
                  cells=cell_pairs(details.get("before"), details.get("after")),
                  diff=diff_pieces(details.get("diff")),
                  members=group_members(session=session, change_id=change_id))


def _acknowledge(change_id: int, acknowledged: bool, session: SessionDep, state: StateDep,
                 next: str) -> Response:
    if not known_id(change_id):
        raise HTTPException(404, f"there is no change {change_id}")
    with session.begin():
        found = set_acknowledged(session=session, change_id=change_id, acknowledged=acknowledged,
                                 now=state.clock())
    if not found:
        raise HTTPException(404, f"there is no change {change_id}")
    return RedirectResponse(local_path(next, f"/changes/{change_id}"), status_code=303)


@router.post("/changes/{change_id}/acknowledge", dependencies=[CsrfDep])
def acknowledge(change_id: int, session: SessionDep, state: StateDep,
                next: Annotated[str, Form()] = "") -> Response:
    """Mark a change as seen."""
    return _acknowledge(change_id, True, session, state, next)


@router.post("/changes/{change_id}/unacknowledge", dependencies=[CsrfDep])
def unacknowledge(change_id: int, session: SessionDep, state: StateDep,
                  next: Annotated[str, Form()] = "") -> Response:
    """Mark a change as not yet seen."""
    return _acknowledge(change_id, False, session, state, next)

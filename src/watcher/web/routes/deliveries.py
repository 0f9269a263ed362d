"""Pending, failed and dead notification deliveries, and retrying one."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from watcher.store.admin import delivery_counts, list_deliveries, retry_delivery
from watcher.web.deps import CsrfDep, SessionDep, StateDep, render
from watcher.web.views import known_id

router = APIRouter(include_in_schema=False)


@router.get("/deliveries")
def delivery_list(request: Request, session: SessionDep) -> Response:
    """Deliveries not yet sent, with their last error."""
    return render(request, "deliveries.html", deliveries=list_deliveries(session=session),
                  counts=delivery_counts(session=session))


@router.post("/deliveries/{delivery_id}/retry", dependencies=[CsrfDep])
def retry(delivery_id: int, session: SessionDep, state: StateDep) -> Response:
    """Send a failed or dead delivery again at the next dispatch."""
    if not known_id(delivery_id):
        raise HTTPException(404, f"there is no delivery {delivery_id}")
    with session.begin():
        retried = retry_delivery(session=session, delivery_id=delivery_id, now=state.clock())
    if not retried:
        raise HTTPException(409, f"delivery {delivery_id} is not failed or dead")
    return RedirectResponse("/deliveries", status_code=303)

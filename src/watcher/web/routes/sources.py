"""Sources with their health, one source's history and records, snapshots, and "check now"."""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from watcher.errors import WatcherError
from watcher.sources import load_config
from watcher.store.admin import list_source_overviews, snapshot_body, snapshot_detail, source_detail
from watcher.web.charts import step_chart
from watcher.web.deps import AppState, CsrfDep, SessionDep, StateDep, render
from watcher.web.views import known_id, known_source_id, source_health

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

NOTICES = {"check-queued": "A check of this source is running; reload in a moment to see it."}


@router.get("/sources")
def source_list(request: Request, session: SessionDep) -> Response:
    """Every source with agency, schedule, last check, health and counts."""
    sources = list_source_overviews(session=session)
    return render(request, "sources.html", sources=[(s, source_health(s)) for s in sources])


@router.get("/sources/{source_id}")
def source_page(request: Request, source_id: str, session: SessionDep, state: StateDep,
                notice: str = "") -> Response:
    """Snapshot history, current records, and each entity's amount over time."""
    detail = source_detail(session=session, source_id=source_id) if known_source_id(source_id) else None
    if detail is None:
        raise HTTPException(404, f"there is no source '{source_id}'")
    end = detail.source.last_check_at or state.clock()
    histories = [r.history for r in detail.records if r.history is not None] + list(detail.gone)
    charts = {h.entity_key: step_chart(h.points, start=detail.baseline_at, end=end) for h in histories}
    return render(request, "source.html", detail=detail, health=source_health(detail.source),
                  charts=charts, notice=NOTICES.get(notice))


async def _run_check(state: AppState, source_id: str) -> None:
    from watcher.runner import run_check_pass

    try:
        config = load_config(state.settings.config)
        (outcome,) = await run_check_pass(config, settings=state.settings, engine=state.engine,
                                          source_ids=[source_id])
        log.info("check now of %s: %s", source_id, outcome.status)
    except WatcherError as exc:
        log.error("check now of %s failed: %s", source_id, exc)


@router.post("/sources/{source_id}/check", dependencies=[CsrfDep])
def check_now(source_id: str, state: StateDep, background: BackgroundTasks) -> Response:
    """Check the source now, in the background, and come back to its page."""
    try:
        config = load_config(state.settings.config)
    except WatcherError as exc:
        raise HTTPException(503, f"cannot read the sources: {exc}") from None
    if not known_source_id(source_id) or source_id not in {s.id for s in config.sources}:
        raise HTTPException(404, f"'{source_id}' is not in {state.settings.config}")
    background.add_task(_run_check, state, source_id)
    return RedirectResponse(f"/sources/{source_id}?notice=check-queued", status_code=303)


@router.get("/snapshots/{snapshot_id}")
def snapshot_page(request: Request, snapshot_id: int, session: SessionDep) -> Response:
    """The extracted text, records and links of one snapshot."""
    detail = snapshot_detail(session=session, snapshot_id=snapshot_id) if known_id(snapshot_id) else None
    if detail is None:
        raise HTTPException(404, f"there is no snapshot {snapshot_id}")
    return render(request, "snapshot.html", snap=detail)


@router.get("/snapshots/{snapshot_id}/raw")
def snapshot_raw(snapshot_id: int, session: SessionDep) -> Response:
    """The body as fetched: a text/plain download, never rendered as HTML."""
    body = snapshot_body(session=session, snapshot_id=snapshot_id) if known_id(snapshot_id) else None
    if body is None:
        raise HTTPException(404, f"snapshot {snapshot_id} stored no body")
    extension = "pdf" if body.extract == "pdf" else "txt"
    filename = f"{body.source_id}-snapshot-{snapshot_id}.{extension}"
    charset = body.encoding or "utf-8"
    return Response(body.data, media_type=f"text/plain; charset={charset}", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })

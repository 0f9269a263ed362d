"""What every route shares: the app's state, a database session, the user, CSRF checks and rendering."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.settings import Settings
from watcher.web.access import Access
from watcher.web.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    FEED_TOKEN_HEADER,
    SESSION_COOKIE,
    Authenticator,
    Principal,
    parse_basic,
)


class LoginRequired(Exception):
    """No valid credentials: answered with 401 (a login form for browsers)."""


class CsrfRejected(Exception):
    """A POST without the CSRF token of this browser: answered with 403."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppState:
    """Everything a request needs, built once by create_app (no import-time globals)."""

    settings: Settings
    engine: Engine
    auth: Authenticator
    access: Access
    templates: jinja2.Environment
    clock: Callable[[], datetime]


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.watcher
    return state


StateDep = Annotated[AppState, Depends(app_state)]


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request (routes that write commit it themselves)."""
    with Session(app_state(request).engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def client_address(request: Request) -> str:
    """The TCP peer's address (no proxy headers are trusted)."""
    return request.client.host if request.client else "unknown"


def current_principal(request: Request) -> Principal | None:
    """The user of this request by Basic auth or session cookie (or local, with no password).

    HTTP Basic goes through the login throttle (LoginThrottled → 429); the answer
    is worked out once per request.
    """
    if getattr(request.state, "principal_known", False):
        known: Principal | None = request.state.principal_found
        return known
    state = app_state(request)
    principal: Principal | None
    if not state.auth.required:
        principal = Principal(user="local", via="local")
    else:
        principal = None
        basic = parse_basic(request.headers.get("authorization"))
        if basic is not None and state.access.attempt(address=client_address(request),
                                                      user=basic[0], password=basic[1]):
            principal = Principal(user=basic[0], via="basic")
        if principal is None:
            principal = state.access.session_principal(request.cookies.get(SESSION_COOKIE))
    request.state.principal_known = True
    request.state.principal_found = principal
    return principal


def require_user(request: Request) -> Principal:
    """The authenticated user, or LoginRequired (→ 401)."""
    principal = current_principal(request)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


def require_feed_reader(request: Request) -> Principal:
    """Like require_user, but a feed reader may also send the feed token."""
    principal = current_principal(request)
    if principal is None:
        token = request.headers.get(FEED_TOKEN_HEADER)
        bearer = request.headers.get("authorization", "")
        if not token and bearer[:7].lower() == "bearer ":
            token = bearer[7:]
        principal = app_state(request).auth.from_feed_token(token)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


UserDep = Annotated[Principal, Depends(require_user)]


def csrf_nonce(request: Request) -> str:
    """This browser's CSRF cookie value (the middleware sets one when missing)."""
    nonce: str = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE, "")
    return nonce


async def verify_csrf(request: Request) -> None:
    """Reject a POST whose form field or X-CSRF-Token header is not this requester's token."""
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    principal = current_principal(request)
    if not app_state(request).auth.csrf_valid(request.cookies.get(CSRF_COOKIE), token, principal):
        raise CsrfRejected()


CsrfDep = Depends(verify_csrf)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from templates/, with the user, the CSRF token and the current path in its context."""
    state = app_state(request)
    principal = getattr(request.state, "principal", None)
    html = state.templates.get_template(template).render(
        request_path=request.url.path,
        principal=principal,
        auth_required=state.auth.required,
        csrf_field=CSRF_FIELD,
        csrf_token=state.auth.csrf_token(csrf_nonce(request), principal),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)

"""Log in (a form setting a random, HttpOnly, SameSite=Lax session cookie), log out, sign out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from watcher.web.access import LoginThrottled
from watcher.web.auth import SESSION_COOKIE
from watcher.web.deps import (
    CsrfDep,
    StateDep,
    UserDep,
    client_address,
    current_principal,
    render,
    require_user,
)
from watcher.web.views import local_path

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, state: StateDep, next: str = "/changes") -> Response:
    """The login form (straight to the list when already logged in or no password is set)."""
    target = local_path(next, "/changes")
    if not state.auth.required or current_principal(request) is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", next=target, error=None)


@router.post("/login", dependencies=[CsrfDep])
def login(request: Request, state: StateDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/changes") -> Response:
    """Check the password (throttled); on success open a session and set a fresh CSRF cookie."""
    target = local_path(next, "/changes")
    try:
        ok = state.access.attempt(address=client_address(request), user=username, password=password)
    except LoginThrottled as exc:
        refused = render(request, "login.html", status_code=429, next=target,
                         error=f"Too many failed logins. Try again in {exc.retry_after_s} seconds.")
        refused.headers["Retry-After"] = str(exc.retry_after_s)
        return refused
    if not ok:
        return render(request, "login.html", status_code=401, next=target,
                      error="Wrong user name or password.")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, state.access.open_session(username),
                        max_age=int(state.settings.session_max_age_s), httponly=True,
                        samesite="lax", secure=state.auth.secure_cookies, path="/")
    # A new CSRF cookie at login, so a token seen before logging in is worthless after.
    request.state.csrf_nonce = state.auth.new_nonce()
    request.state.csrf_new = True
    return response


def _signed_out(state: StateDep) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=state.auth.secure_cookies)
    return response


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, state: StateDep) -> Response:
    """End this session, in the store: the cookie is worthless from now on."""
    principal = current_principal(request)
    if principal is not None and principal.session_id is not None:
        state.access.end(principal.session_id)
    return _signed_out(state)


@router.post("/sessions/end-all", dependencies=[Depends(require_user), CsrfDep])
def sign_out_everywhere(user: UserDep, state: StateDep) -> Response:
    """End every session of this user, in every browser (this one too)."""
    state.access.end_all(user.user)
    return _signed_out(state)

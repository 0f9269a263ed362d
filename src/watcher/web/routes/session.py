"""Log in (a form setting a signed, HttpOnly, SameSite=Lax cookie) and log out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from watcher.web.auth import SESSION_COOKIE, SESSION_MAX_AGE_S
from watcher.web.deps import CsrfDep, StateDep, current_principal, render
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
    """Check the password; on success set the session cookie and a fresh CSRF cookie."""
    target = local_path(next, "/changes")
    if not state.auth.check_password(username, password):
        return render(request, "login.html", status_code=401, next=target,
                      error="Wrong user name or password.")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, state.auth.session_value(username), max_age=SESSION_MAX_AGE_S,
                        httponly=True, samesite="lax", secure=state.auth.secure_cookies, path="/")
    # A new CSRF cookie at login, so a token seen before logging in is worthless after.
    request.state.csrf_nonce = state.auth.new_nonce()
    request.state.csrf_new = True
    return response


@router.post("/logout", dependencies=[CsrfDep])
def logout(state: StateDep) -> Response:
    """End the session."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=state.auth.secure_cookies)
    return response

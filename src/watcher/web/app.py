"""The admin app: create_app(settings, engine) builds it; nothing is created at import time."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from watcher.bidi import finalize_text
from watcher.settings import Settings
from watcher.web import views
from watcher.web.access import Access, LoginThrottled, throttle_rule
from watcher.web.auth import CSRF_COOKIE, Authenticator, is_loopback_host
from watcher.web.deps import AppState, CsrfRejected, LoginRequired, render, require_user

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
REALM = 'realm="subsidy-watcher", charset="UTF-8"'
# No script may run on these pages: there are none, and text from monitored pages must stay text.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_MACHINE_PATHS = ("/api/", "/metrics", "/feed.atom", "/healthz", "/openapi.json")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: page text is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize_text,  # no bidi control from a page reorders what is shown
    )
    env.filters.update(jst=views.jst, oku=views.oku, bn=views.billions, size=views.file_size,
                       href=views.safe_href, change_label=views.change_label)
    env.globals.update(delta=views.delta, query_string=views.query_string)
    return env


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(_MACHINE_PATHS):
        return False
    return "text/html" in request.headers.get("accept", "")


def create_app(settings: Settings, engine: Engine, *,
               clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """The admin page, JSON API, feed and metrics over ``engine``."""
    from watcher.web.routes import api, changes, deliveries, session, sources

    auth = Authenticator(settings)
    if not auth.required:
        log.warning("WATCHER_ADMIN_PASSWORD is not set: the admin page is open to loopback clients")
    app = FastAPI(title="subsidy-watcher", docs_url=None, redoc_url=None, openapi_url=None)
    # Starlette's own slash redirect builds its Location from the Host header; ours is a path.
    app.router.redirect_slashes = False
    access = Access(engine=engine, auth=auth, rule=throttle_rule(settings),
                    idle_s=settings.session_idle_s, max_age_s=settings.session_max_age_s,
                    clock=clock)
    app.state.watcher = AppState(settings=settings, engine=engine, auth=auth, access=access,
                                 templates=_templates(), clock=clock)

    _install_middleware(app, auth)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    protected = [Depends(require_user)]
    app.include_router(session.router)
    app.include_router(api.public_router)
    app.include_router(api.feed_router)
    for module in (changes, sources, deliveries):
        app.include_router(module.router, dependencies=protected)
    app.include_router(api.router, dependencies=protected)
    if settings.enable_docs:
        _install_docs(app)
    return app


def _install_middleware(app: FastAPI, auth: Authenticator) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not auth.required and not is_loopback_host(request.headers.get("host")):
            # Open mode is for loopback only; another Host means a proxy or a DNS-rebinding page.
            response: Response = PlainTextResponse(
                "without WATCHER_ADMIN_PASSWORD this server answers loopback names only\n",
                status_code=403)
        else:
            nonce = request.cookies.get(CSRF_COOKIE)
            if not nonce:
                request.state.csrf_nonce = auth.new_nonce()
                request.state.csrf_new = True
            response = await call_next(request)
            if getattr(request.state, "csrf_new", False):
                response.set_cookie(CSRF_COOKIE, request.state.csrf_nonce, httponly=True,
                                    samesite="lax", secure=auth.secure_cookies, path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", CSP)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = render(request, "login.html", status_code=401, next=target, error=None)
            response.headers["WWW-Authenticate"] = f"Form {REALM}"  # not Basic: no browser pop-up
            return response
        return JSONResponse({"detail": "authentication required"}, status_code=401,
                            headers={"WWW-Authenticate": f"Basic {REALM}"})

    @app.exception_handler(LoginThrottled)
    async def throttled(request: Request, exc: LoginThrottled) -> Response:
        headers = {"Retry-After": str(exc.retry_after_s)}
        why = "locked after too many failed logins" if exc.locked else "too many failed logins"
        return JSONResponse({"detail": f"{why}; try again in {exc.retry_after_s} s"},
                            status_code=429, headers=headers)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        message = "This form has expired or did not come from this site. Reload the page and try again."
        if _wants_html(request):
            return render(request, "error.html", status_code=403, title="Forbidden", message=message)
        return JSONResponse({"detail": "missing or invalid CSRF token"}, status_code=403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        twin = _slash_twin(request) if exc.status_code == 404 else None
        if twin is not None:
            return RedirectResponse(twin, status_code=307)
        detail = str(exc.detail)
        if _wants_html(request):
            return render(request, "error.html", status_code=exc.status_code,
                          title=f"{exc.status_code}", message=detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        messages = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        if _wants_html(request):
            return render(request, "error.html", status_code=422, title="Invalid request",
                          message="; ".join(messages))
        return JSONResponse({"detail": messages}, status_code=422)


def _slash_twin(request: Request) -> str | None:
    """For a GET of /changes/ that matches nothing: "/changes" (a path, whatever the Host header)."""
    path = request.url.path
    if request.method not in ("GET", "HEAD") or path == "/" or path.startswith("//"):
        return None
    twin = path.rstrip("/") if path.endswith("/") else path + "/"
    if not twin or twin.startswith("//"):
        return None
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]

    def matches(candidate: str) -> bool:
        scope = {**request.scope, "path": candidate}
        return any(route.matches(scope)[0] != Match.NONE for route in routes)

    if matches(path) or not matches(twin):
        return None
    location = quote(twin, safe="/:@!$&'()*+,;=-._~")
    return location + (f"?{request.url.query}" if request.url.query else "")


def _inline_script_hashes(html: str) -> list[str]:
    bodies = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


def _install_docs(app: FastAPI) -> None:
    """OpenAPI and Swagger UI behind the same login; Swagger's one inline script is allowed by hash."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_user)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(require_user)])
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="subsidy-watcher API")
        html = bytes(page.body).decode("utf-8")
        cdn = "https://cdn.jsdelivr.net"
        csp = (f"default-src 'none'; script-src {cdn} {' '.join(_inline_script_hashes(html))}; "
               f"style-src {cdn}; img-src 'self' data: https://fastapi.tiangolo.com; "
               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

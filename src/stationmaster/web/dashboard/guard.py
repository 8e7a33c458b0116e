"""The gate in front of every dashboard page and action: who is asking, and is the action theirs.

A page needs a session (the login's cookie) or the API's bearer token; an action (every
POST) with a session must also carry the session's CSRF token, in the ``X-CSRF-Token``
header (htmx sends it) or the ``csrf_token`` form field (plain forms). The bearer token
needs no CSRF token: a browser never attaches it by itself. Refusals render as pages with a
sentence saying what to do, and every answer carries headers that keep it out of frames and
caches and allow scripts and styles from this origin only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from stationmaster.web.dashboard.auth import SESSION_COOKIE, csrf_token, read_session
from stationmaster.web.dashboard.errors import LoginNeeded, Refusal
from stationmaster.web.dashboard.forms import read_form
from stationmaster.web.dashboard.setup import Dashboard

CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: by session (with its CSRF token) or by the API token (no CSRF token)."""

    via: Literal["session", "token"]
    csrf: str = ""


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def identify(dashboard: Dashboard, request: Request) -> Viewer | None:
    """The viewer a request proves to be, ``None`` for nobody; a wrong bearer token is refused."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, presented = header.strip().partition(" ")
        token = dashboard.api_token
        if (
            scheme.lower() == "bearer"
            and token
            and hmac.compare_digest(_digest(presented.strip()), _digest(token))
        ):
            return Viewer("token")
        raise Refusal(401, "wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
    login = dashboard.options.login
    if login is None:
        return None
    session = read_session(login, request.cookies.get(SESSION_COOKIE))
    return Viewer("session", csrf_token(login, session)) if session is not None else None


def viewer_dependency(dashboard: Dashboard) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency for pages: the viewer, or :class:`LoginNeeded`."""

    async def viewer(request: Request) -> Viewer:
        found = identify(dashboard, request)
        if found is None:
            raise LoginNeeded
        return found

    return viewer


def actor_dependency(dashboard: Dashboard) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency for actions: the viewer, whose session sent back its CSRF token."""

    async def actor(request: Request) -> Viewer:
        found = identify(dashboard, request)
        if found is None:
            raise Refusal(401, "log in first: this action needs a session")
        if found.via == "session":
            sent = request.headers.get(CSRF_HEADER) or (await read_form(request)).first(CSRF_FIELD)
            if not sent:
                raise Refusal(403, "the CSRF token is missing: reload the page and try again")
            if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
                raise Refusal(
                    403, "the CSRF token is wrong or stale: reload the page and try again"
                )
        return found

    return actor


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(target: str | None) -> str:
    """A same-site path to go back to after logging in (anything else: the overview)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def login_redirect(request: Request) -> Response:
    """Send a page request to the login form (htmx: by ``HX-Redirect``), back here afterwards."""
    if is_htmx(request):
        current = urlsplit(request.headers.get("hx-current-url", "/"))
        path, query = current.path, current.query
    else:
        path, query = request.url.path, request.url.query
    target = "/login?" + urlencode({"next": safe_next(path + (f"?{query}" if query else ""))})
    if is_htmx(request):
        return HTMLResponse("log in first", status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


RefusalRenderer = Callable[[Request, Refusal], Response]


def guarded_route(render_refusal: RefusalRenderer) -> type[APIRoute]:
    """A route class that turns :class:`LoginNeeded` and :class:`Refusal` into answers and
    puts the security headers on every response of the dashboard's routes."""

    class DashboardRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                try:
                    response = await handler(request)
                except LoginNeeded:
                    response = login_redirect(request)
                except Refusal as refusal:
                    response = render_refusal(request, refusal)
                    response.headers.update(refusal.headers)
                for name, value in SECURITY_HEADERS.items():
                    response.headers.setdefault(name, value)
                response.headers.setdefault("Cache-Control", "no-store")
                return response

            return guarded

    return DashboardRoute

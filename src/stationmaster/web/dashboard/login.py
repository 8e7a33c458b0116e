"""Logging in and out: the password form, the session cookie, the throttle on wrong guesses."""

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from stationmaster.web.dashboard.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    PasswordLogin,
    issue_session,
    login_form_token,
)
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.forms import read_form
from stationmaster.web.dashboard.guard import Viewer, identify, safe_next
from stationmaster.web.dashboard.setup import Dashboard
from stationmaster.web.dashboard.templating import render

LOGIN_FORM_SECONDS = 3600
MAX_PASSWORD_LENGTH = 1024


def _secure(login: PasswordLogin, request: Request) -> bool:
    return login.secure_cookies or request.url.scheme == "https"


def _form(
    request: Request,
    login: PasswordLogin | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The login page, with a fresh form token bound to a fresh cookie."""
    target = safe_next(request.query_params.get("next"))
    if login is None:
        context = {"unconfigured": True, "error": None, "token": "", "next": target}
        return render(request, "login.html", context, status_code=status_code)
    nonce = secrets.token_urlsafe(18)
    context = {
        "unconfigured": False,
        "error": error,
        "token": login_form_token(login, nonce),
        "next": target,
    }
    response = render(request, "login.html", context, status_code=status_code)
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_FORM_SECONDS,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_secure(login, request),
    )
    return response


def login_routes(
    router: APIRouter, dashboard: Dashboard, actor: Callable[[Request], Awaitable[Viewer]]
) -> None:
    @router.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        if identify(dashboard, request) is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), 303)
        return _form(request, dashboard.options.login)

    @router.post("/login", response_class=HTMLResponse)
    async def log_in(request: Request) -> Response:
        login = dashboard.options.login
        if login is None:
            return _form(request, None, status_code=503)
        client = request.client.host if request.client is not None else "unknown"
        wait = dashboard.throttle.wait(client)
        if wait > 0:
            raise Refusal(
                429,
                f"too many wrong passwords: try again in {int(wait) + 1} s",
                headers={"Retry-After": str(int(wait) + 1)},
            )
        form = await read_form(request)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        sent = form.first("csrf_token") or ""
        if not nonce or not sent:
            return _form(request, login, error="The form's CSRF token is missing.", status_code=403)
        if not hmac.compare_digest(sent.encode(), login_form_token(login, nonce).encode()):
            return _form(
                request, login, error="The form expired: enter the password again.", status_code=403
            )
        password = form.first("password") or ""
        matched = bool(password) and len(password) <= MAX_PASSWORD_LENGTH
        if matched:
            matched = await anyio.to_thread.run_sync(login.password.matches, password)
        if not matched:
            dashboard.throttle.failed(client)
            return _form(request, login, error="Wrong password.", status_code=401)
        dashboard.throttle.succeeded(client)
        response = RedirectResponse(safe_next(form.first("next")), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            issue_session(login),
            max_age=int(login.session_seconds),
            path="/",
            httponly=True,
            samesite="strict",
            secure=_secure(login, request),
        )
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @router.post("/logout")
    async def log_out(request: Request, who: Annotated[Viewer, Depends(actor)]) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

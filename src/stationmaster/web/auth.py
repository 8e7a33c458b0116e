"""Bearer-token authentication for the JSON API: one shared token, compared in constant time.

The token is configured by naming an environment variable (``[web] api_token_env``), so it
never sits in a file; here it is only ever compared, never logged, echoed or put in an error.
Both sides are hashed before the comparison, so not even the token's length leaks through
timing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import NoReturn

import structlog
from fastapi import HTTPException, Request, status

log = structlog.get_logger("stationmaster.web.auth")


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def bearer_dependency(token: str) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency that lets a request through only with ``Authorization: Bearer <token>``.

    A missing or wrong token gets 401 with ``WWW-Authenticate: Bearer``. An empty ``token`` is
    refused here (``ValueError``): it would make every request that sends ``Bearer`` with
    nothing after it an authorized one.
    """
    if not token or not token.strip():
        raise ValueError("the API token is empty: set it to a long random secret")
    expected = _digest(token)

    async def require_bearer(request: Request) -> None:
        header = request.headers.get("authorization")
        if header is None:
            _refuse(request, "missing", 'Bearer realm="stationmaster"')
        scheme, _, presented = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            _digest(presented.strip()), expected
        ):
            _refuse(request, "wrong", 'Bearer realm="stationmaster", error="invalid_token"')

    return require_bearer


def _refuse(request: Request, reason: str, challenge: str) -> NoReturn:
    log.info("api.unauthorized", path=request.url.path, reason=reason)
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=f"{reason} bearer token: send 'Authorization: Bearer <API token>'",
        headers={"WWW-Authenticate": challenge},
    )

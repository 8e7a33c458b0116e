"""What the JSON API's per-connection routes share: the token, the connection and the body checks.

Orders (:mod:`.ingest`) and stock adjustments (:mod:`.inventory`) refuse a request for the
same reasons, in the same words, so the checks live here once: 401 without the bearer token
(before anything else is looked at), 404 for an unknown connection, 409 for one the route
does not serve, 413 for a body over the size cap (checked before it is parsed, and while it
streams in for bodies that do not declare their length) and 422, in FastAPI's shape
``{"detail": [{"loc", "msg", "type"}]}``, for a body that is not a JSON object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Request, status
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.stores.ingest import NotAJsonObject, load_json_object
from stationmaster.web.auth import bearer_dependency

Loc = Sequence[int | str]


def connection_router(token: str, *, tag: str, under: str = "") -> APIRouter:
    """A router for routes under ``/api/v1/connections/{connection}{under}``, all behind ``token``.

    The token is a router dependency, so no route can forget it and a stranger learns
    nothing, not even whether a connection exists.
    """
    return APIRouter(
        prefix=f"/api/v1/connections/{{connection}}{under}",
        dependencies=[Depends(bearer_dependency(token))],
        tags=[tag],
    )


async def refuse_connection(
    engine: AsyncEngine, connection: str, why: Callable[[db.ConnectionRow], str]
) -> NoReturn:
    """404 when no connection has this name; else 409 with ``why(row)`` the route skips it."""
    async with engine.connect() as conn:
        row = await db.get_connection(conn, connection)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no connection named {connection!r}")
    raise HTTPException(status.HTTP_409_CONFLICT, why(row))


def unprocessable(loc: Loc, message: str, kind: str) -> NoReturn:
    """Refuse with 422 in the shape FastAPI gives its own validation errors."""
    raise HTTPException(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": list(loc), "msg": message, "type": kind}],
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = HTTPException(
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        detail=f"request body is larger than {limit} bytes",
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise too_large
    return bytes(received)


async def read_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object (numbers with a fraction as exact decimals), or 413 / 422."""
    body = await read_body(request, limit)
    if not body.strip():
        unprocessable(["body"], "the request body is empty: send a JSON object", "missing")
    try:
        return load_json_object(body)
    except NotAJsonObject as exc:
        unprocessable(["body"], str(exc), "json_invalid")

"""The Custom Store URL of pull-mode connections: ``/customstore/{connection}``.

ShipStation calls one URL for everything and branches on ``action``: ``GET ?action=export``
pulls a page of orders modified in a UTC window, ``POST ?action=shipnotify`` reports one
label. Credentials come as HTTP Basic or as ``SS-UserName``/``SS-Password`` in the query
(names in any case); both are compared in constant time and never logged. Every refusal is
a plain-text 4xx, never an empty 200 (ShipStation reports an empty body as "Root element is
missing"), and refusals change nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request, status
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import JsonValue
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.customstore.export import (
    EXPORT_STREAM,
    ExportOptions,
    ExportRequestError,
    NativeExport,
    Window,
)
from stationmaster.customstore.mirror import Mirror, refresh_quietly
from stationmaster.customstore.notify import NoticeApplier, NotifyOutcome
from stationmaster.customstore.reader import NoticeError, ShipNotice, read_notice
from stationmaster.customstore.writer import export_document
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import Store
from stationmaster.sync.rules import Rules
from stationmaster.wiretime import render_customstore

log = structlog.get_logger("stationmaster.web.customstore")

CUSTOMSTORE_PATH: Final = "/customstore"
MAX_NOTICE_BYTES: Final = 256 * 1024
CHALLENGE: Final = 'Basic realm="ShipStation"'
XML_MEDIA_TYPE: Final = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class CustomStoreTarget:
    """One pull-mode connection as its Custom Store URL serves it.

    ``store`` takes the ship notices. The export pages through the connection's native
    tables: the store itself when it is native, otherwise the copy ``mirror`` keeps (and
    refreshes before the first page of each export).
    ``unknown_order_status``: the answer to a notice for an order we do not have (404 by
    default; 200 stops ShipStation from retrying what cannot succeed).
    """

    name: str
    user: str = field(repr=False)
    password: str = field(repr=False)
    store: Store
    rules: Rules
    source: str
    mirror: Mirror | None = None
    export: ExportOptions = field(default_factory=ExportOptions)
    max_notice_bytes: int = MAX_NOTICE_BYTES
    unknown_order_status: int = status.HTTP_404_NOT_FOUND

    def __post_init__(self) -> None:
        if self.mirror is None and not isinstance(self.store, NativeStore):
            raise ValueError(
                f"Custom Store {self.name!r}: a {self.store.kind} store needs a mirror to export"
            )
        if not self.user or not self.password:
            raise ValueError(f"Custom Store {self.name!r}: user and password must not be empty")
        if ":" in self.user:
            raise ValueError(f"Custom Store {self.name!r}: the user cannot contain ':'")

    @property
    def orders_connection(self) -> str:
        """The connection whose native tables hold the orders served: the mirror's copy, or
        the native store's own, which another (push) connection may also be serving."""
        if self.mirror is not None:
            return self.mirror.connection
        if not isinstance(self.store, NativeStore):  # refused by __post_init__
            raise TypeError(f"Custom Store {self.name!r} has neither a native store nor a mirror")
        return self.store.connection


def customstore_target_credentials(
    user_env: str | None, password_env: str | None, environ: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """The user and password named by a connection's ``customstore_*_env`` fields, if set."""
    env = os.environ if environ is None else environ
    if not user_env or not password_env:
        return None
    user, password = env.get(user_env), env.get(password_env)
    return (user, password) if user and password else None


def export_url(
    base_url: str,
    connection: str,
    start: datetime,
    end: datetime,
    page: int = 1,
    *,
    user: str | None = None,
    password: str | None = None,
) -> str:
    """The URL ShipStation calls for one export page (credentials in the query if given)."""
    query = {
        "action": "export",
        "start_date": render_customstore(start),
        "end_date": render_customstore(end),
        "page": str(page),
    }
    if user is not None and password is not None:
        query |= {"SS-UserName": user, "SS-Password": password}
    return f"{base_url.rstrip('/')}{CUSTOMSTORE_PATH}/{connection}?{urlencode(query)}"


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def _plain(code: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    return PlainTextResponse(text + "\n", status_code=code, headers=dict(headers or {}))


def _presented(request: Request) -> list[tuple[str, str]]:
    """Every (user, password) pair the request offers: the Basic header, the query pair."""
    pairs: list[tuple[str, str]] = []
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, colon, password = decoded.partition(":")
        if colon:
            pairs.append((user, password))
    query = {key.lower(): value for key, value in request.query_params.multi_items()}
    if "ss-username" in query and "ss-password" in query:
        pairs.append((query["ss-username"], query["ss-password"]))
    return pairs


class _Credentials:
    """A connection's user and password as digests, checked in constant time."""

    def __init__(self, user: str, password: str) -> None:
        self._user = _digest(user)
        self._password = _digest(password)

    def admit(self, pairs: list[tuple[str, str]]) -> bool:
        admitted = False
        for user, password in pairs:
            same_user = hmac.compare_digest(_digest(user), self._user)
            same_password = hmac.compare_digest(_digest(password), self._password)
            admitted |= same_user & same_password
        return admitted


async def _note_export(engine: AsyncEngine, name: str, window: Window, pages: int) -> None:
    """Record that ShipStation pulled: the connection's last pull, as the dashboard shows it.

    A record that cannot be written is logged and the export still served: the orders
    matter more than the note of their being fetched.
    """
    served: JsonValue = {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "pages": pages,
    }
    try:
        async with engine.begin() as conn:
            await db.set_cursor(conn, name, EXPORT_STREAM, served)
    except SQLAlchemyError as exc:
        log.warning("customstore.export_not_noted", connection=name, error=type(exc).__name__)


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() if value is not None and value.strip() else None


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        return None
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)


def customstore_router(
    engine: AsyncEngine, *, connections: Mapping[str, CustomStoreTarget]
) -> APIRouter:
    """The Custom Store route for ``connections`` (pull-mode targets by connection name)."""
    for name, target in connections.items():
        if name != target.name:
            raise ValueError(f"Custom Store target {target.name!r} is filed under {name!r}")
    credentials = {name: _Credentials(t.user, t.password) for name, t in connections.items()}
    nobody = _Credentials(os.urandom(16).hex(), os.urandom(16).hex())
    exports = {
        name: NativeExport(
            engine,
            target.orders_connection,
            target.rules,
            source=target.source,
            options=target.export,
        )
        for name, target in connections.items()
    }
    appliers = {
        name: NoticeApplier(
            engine,
            name,
            target.store,
            target.rules,
            source=target.source,
            orders_connection=target.orders_connection,
        )
        for name, target in connections.items()
    }
    router = APIRouter(prefix=CUSTOMSTORE_PATH, tags=["customstore"])

    @router.api_route("/{connection}", methods=["GET", "POST"], response_model=None)
    async def customstore(connection: str, request: Request) -> Response:
        """ShipStation's one URL: ``action=export`` (GET) or ``action=shipnotify`` (POST)."""
        if not credentials.get(connection, nobody).admit(_presented(request)):
            log.info("customstore.unauthorized", connection=connection)
            return _plain(
                status.HTTP_401_UNAUTHORIZED,
                "missing or wrong credentials",
                {"WWW-Authenticate": CHALLENGE},
            )
        action = (request.query_params.get("action") or "").strip().lower()
        if action == "export":
            if request.method != "GET":
                return _plain(
                    status.HTTP_405_METHOD_NOT_ALLOWED, "export is a GET", {"Allow": "GET"}
                )
            target = connections[connection]
            return await _export(target.name, exports[connection], target.mirror, request)
        if action == "shipnotify":
            if request.method != "POST":
                return _plain(
                    status.HTTP_405_METHOD_NOT_ALLOWED, "shipnotify is a POST", {"Allow": "POST"}
                )
            return await _shipnotify(connections[connection], appliers[connection], request)
        if not action:
            return _plain(status.HTTP_400_BAD_REQUEST, "the action parameter is missing")
        return _plain(status.HTTP_400_BAD_REQUEST, "unknown action: expected export or shipnotify")

    return router


async def _export(
    name: str, export: NativeExport, mirror: Mirror | None, request: Request
) -> Response:
    page_text = _param(request, "page") or "1"
    if not page_text.isascii() or not page_text.isdigit() or len(page_text) > 9:
        return _plain(status.HTTP_400_BAD_REQUEST, "page must be a whole number from 1")
    try:
        window = Window.parse(_param(request, "start_date"), _param(request, "end_date"))
        if mirror is not None and int(page_text) == 1:
            await refresh_quietly(mirror)
        page = await export.page(window, int(page_text))
    except ExportRequestError as exc:
        return _plain(status.HTTP_400_BAD_REQUEST, str(exc))
    if int(page_text) == 1:
        await _note_export(export.engine, name, window, page.pages)
    log.info(
        "customstore.export",
        connection=name,
        page=int(page_text),
        pages=page.pages,
        orders=len(page.orders),
        skipped=page.skipped,
    )
    return StreamingResponse(
        _on_the_loop(export_document(page.pages, page.orders)), media_type=XML_MEDIA_TYPE
    )


async def _on_the_loop(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The document's chunks (one per order, already written), driven from the event loop.

    A plain iterator would make Starlette hand each step to a worker thread; the orders are
    written already, so a thread per step would cost more than the step itself.
    """
    for chunk in chunks:
        yield chunk


def _query_notice(request: Request) -> ShipNotice:
    return ShipNotice(
        order_number=_param(request, "order_number"),
        carrier=_param(request, "carrier"),
        service=_param(request, "service"),
        tracking_number=_param(request, "tracking_number"),
    )


def _merge(body: ShipNotice, query: ShipNotice) -> ShipNotice:
    """The body's notice, with the query's order number (ShipStation looks orders up by it)
    and the query's carrier, service and tracking number where the body has none."""
    return replace(
        body,
        order_number=query.order_number or body.order_number,
        carrier=body.carrier or query.carrier,
        service=body.service or query.service,
        tracking_number=body.tracking_number or query.tracking_number,
    )


async def _shipnotify(
    target: CustomStoreTarget, applier: NoticeApplier, request: Request
) -> Response:
    body = await _read_limited(request, target.max_notice_bytes)
    if body is None:
        return _plain(
            status.HTTP_400_BAD_REQUEST,
            f"the body is larger than {target.max_notice_bytes} bytes",
        )
    query = _query_notice(request)
    if body.strip():
        try:
            notice = _merge(read_notice(body), query)
        except NoticeError as exc:
            log.warning("customstore.bad_notice", connection=target.name, reason=str(exc))
            return _plain(status.HTTP_400_BAD_REQUEST, str(exc))
    else:
        notice = query
    outcome = await applier.apply(notice)
    log.info(
        "customstore.shipnotify",
        connection=target.name,
        result=outcome.result,
        source_id=outcome.source_id,
    )
    return _answer(outcome, target)


def _answer(outcome: NotifyOutcome, target: CustomStoreTarget) -> Response:
    if outcome.result == "applied":
        return _plain(status.HTTP_200_OK, "applied")
    if outcome.result == "duplicate":
        return _plain(status.HTTP_200_OK, "already applied")
    if outcome.result == "unknown_order":
        return _plain(target.unknown_order_status, f"unknown order: {outcome.detail}")
    if outcome.result == "ambiguous_order":
        return _plain(status.HTTP_409_CONFLICT, outcome.detail)
    return _plain(status.HTTP_422_UNPROCESSABLE_CONTENT, outcome.detail)

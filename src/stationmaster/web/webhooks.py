"""ShipStation's webhook receiver: check the secret and the URL, store the hint, answer 202.

``POST /webhooks/shipstation/{connection}/{token}`` takes ShipStation's delivery body,
``{"resource_url", "resource_type"}``, and puts it in the connection's inbox
(:mod:`stationmaster.db.inbox`); a worker fetches the URL later with the connection's key pair.
ShipStation signs nothing (api §11.2), so everything here assumes the sender may be anyone:

* the token in the path is the only proof; it is compared in constant time (both sides
  hashed, so not even its length leaks), and a wrong token looks exactly like an unknown
  connection (404), so neither connection names nor tokens can be probed;
* ``resource_url`` must point at the connection's own ShipStation base URL (same scheme,
  host, port; no user part), or the delivery is refused: a stored URL is one our key pair will
  be sent to. This receiver never makes an outbound request itself;
* a body over the cap is refused (413) before it is parsed; each connection may deliver at
  most ``rate_limit`` requests per ``rate_window_seconds`` (429 beyond);
* a repeated delivery is a no-op that still answers 2xx, so ShipStation does not retry it.

Refusals are 4xx with a message saying what was wrong, and store nothing. Logs name the
connection and, for a refused URL, its host; never a token. (No ``from __future__ import
annotations`` here: FastAPI reads the route's annotations at runtime.)
"""

import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import httpx2
import structlog
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig
from stationmaster.db.tables import RESOURCE_URL
from stationmaster.errors import ConfigError
from stationmaster.sync.subscriptions import EVENTS_BY_NAME, RECEIVER_PATH, check_webhook_token
from stationmaster.web.jsonapi import read_body, unprocessable
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.web.webhooks")

#: Largest delivery body taken: the real one is two short strings.
MAX_BODY_BYTES = 16 * 1024
#: Deliveries a connection may send per window; ShipStation batches its events, so a busy
#: account stays far below this.
RATE_LIMIT = 120
RATE_WINDOW_SECONDS = 60.0

DEFAULT_PORTS = {"http": 80, "https": 443}
#: ShipStation's API answers on ``ssapi.shipstation.com`` and, in delivered URLs, on numbered
#: hosts of the same name (``ssapi3.shipstation.com``, api §11.2); only these are taken as
#: "the same host" when a connection is configured with the official base URL.
OFFICIAL_HOST = "ssapi.shipstation.com"
OFFICIAL_HOSTS = re.compile(r"ssapi[0-9]{0,3}\.shipstation\.com")


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A connection that takes webhooks: its name, its secret, and where its ShipStation is."""

    name: str
    token: str = field(repr=False)
    base_url: str

    def __post_init__(self) -> None:
        check_webhook_token(self.token)
        _Origin.of(self.base_url)


def webhook_targets(
    connections: Iterable[ConnectionConfig], environ: Mapping[str, str] | None = None
) -> dict[str, WebhookTarget]:
    """The receiver's targets for every connection that names a ``webhook_token_env``.

    A named variable that is unset or holds an unusable token is a :class:`ConfigError`
    naming the variable (never its value).
    """
    env = os.environ if environ is None else environ
    targets: dict[str, WebhookTarget] = {}
    for connection in connections:
        variable = connection.webhook_token_env
        if variable is None:
            continue
        token = env.get(variable)
        if not token:
            raise ConfigError(
                f"connection {connection.name!r}: set the environment variable {variable} "
                "to its webhook token"
            )
        try:
            targets[connection.name] = WebhookTarget(
                connection.name, token, connection.shipstation.base_url
            )
        except ValueError as exc:
            raise ConfigError(f"connection {connection.name!r}, {variable}: {exc}") from None
    return targets


@dataclass(frozen=True, slots=True)
class _Origin:
    """Scheme, host, port and path prefix a resource URL must share with the base URL."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def of(cls, base_url: str) -> "_Origin":
        parts = urlsplit(base_url.strip())
        scheme = parts.scheme.lower()
        unusable = ValueError(
            f"ShipStation base URL must be an absolute http(s) URL without a user: {base_url!r}"
        )
        if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
            raise unusable
        try:
            port = parts.port
        except ValueError:
            raise unusable from None
        return cls(
            scheme,
            parts.hostname.lower(),
            DEFAULT_PORTS[scheme] if port is None else port,
            parts.path.rstrip("/"),
        )

    def accepts_host(self, host: str) -> bool:
        if host == self.host:
            return True
        official = (self.scheme, self.host, self.port) == ("https", OFFICIAL_HOST, 443)
        return official and OFFICIAL_HOSTS.fullmatch(host) is not None

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be fetched with this connection's key pair; ``None`` if it may.

        Checked twice, with the standard library's parser and with httpx2's (the one that
        would send the request), so a URL the two read differently is refused.
        """
        if not url.isascii() or not url.isprintable() or " " in url or "\\" in url:
            return "characters"
        parts = urlsplit(url)
        if "@" in parts.netloc:
            return "userinfo"
        if parts.scheme.lower() != self.scheme:
            return "scheme"
        host = (parts.hostname or "").lower()
        if not self.accepts_host(host):
            return "host"
        try:
            port = parts.port
        except ValueError:
            return "port"
        if (DEFAULT_PORTS[self.scheme] if port is None else port) != self.port:
            return "port"
        if self.path and not (parts.path == self.path or parts.path.startswith(self.path + "/")):
            return "path"
        try:
            sent = httpx2.URL(url)
        except httpx2.InvalidURL:
            return "syntax"
        sent_port = DEFAULT_PORTS.get(sent.scheme, -1) if sent.port is None else sent.port
        if (sent.scheme, sent.host.lower(), sent_port) != (self.scheme, host, self.port):
            return "parsers disagree"
        return None


class _Delivery(BaseModel):
    """The documented delivery body; any further keys are ignored, not stored."""

    model_config = ConfigDict(extra="ignore")

    resource_url: Annotated[
        str,
        StringConstraints(
            strict=True, strip_whitespace=True, min_length=1, max_length=RESOURCE_URL
        ),
    ]
    resource_type: Annotated[
        str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=40)
    ]


class _RateLimit:
    """A token bucket per connection: ``limit`` at once, refilled over ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"rate limit needs limit >= 1 and window > 0, got {limit}/{window}")
        self._limit = float(limit)
        self._per_second = limit / window
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, key: str) -> float | None:
        """Take one request's token for ``key``; ``None``, or seconds until one is free."""
        now = self._clock()
        tokens, then = self._buckets.get(key, (self._limit, now))
        tokens = min(self._limit, tokens + (now - then) * self._per_second)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._per_second
        self._buckets[key] = (tokens - 1, now)
        return None


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def _unprocessable(field_name: str | None, message: str, kind: str) -> NoReturn:
    unprocessable(["body"] if field_name is None else ["body", field_name], message, kind)


def _parse_delivery(body: bytes) -> _Delivery:
    if not body.strip():
        _unprocessable(None, "the request body is empty: send a JSON object", "missing")
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        _unprocessable(None, f"the request body is not JSON: {exc}", "json_invalid")
    if not isinstance(document, dict):
        _unprocessable(
            None,
            f"the request body must be a JSON object, got {type(document).__name__}",
            "model_type",
        )
    try:
        delivery = _Delivery.model_validate(document)
    except PydanticValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {"loc": ["body", *error["loc"]], "msg": error["msg"], "type": error["type"]}
                for error in errors
            ],
        ) from None
    event = EVENTS_BY_NAME.get(delivery.resource_type.upper())
    if event is None:
        _unprocessable(
            "resource_type",
            f"unknown resource_type; expected one of {', '.join(sorted(EVENTS_BY_NAME))}",
            "enum",
        )
    return delivery.model_copy(update={"resource_type": event})


def webhooks_router(
    engine: AsyncEngine,
    *,
    connections: Mapping[str, WebhookTarget],
    max_body_bytes: int = MAX_BODY_BYTES,
    rate_limit: int = RATE_LIMIT,
    rate_window_seconds: float = RATE_WINDOW_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = utcnow,
) -> APIRouter:
    """The receiver route for ``connections`` (by connection name).

    ``clock`` drives the rate limit and ``now`` stamps inbox entries; both are seams for
    tests. The rate limit counts only requests that carry the right token, so strangers
    cannot spend a connection's allowance.
    """
    for name, target in connections.items():
        if name != target.name:
            raise ValueError(f"webhook target {target.name!r} is filed under {name!r}")
    expected = {name: _digest(target.token) for name, target in connections.items()}
    origins = {name: _Origin.of(target.base_url) for name, target in connections.items()}
    unmatchable = _digest(os.urandom(32).hex())
    limiter = _RateLimit(rate_limit, rate_window_seconds, clock)
    router = APIRouter(prefix=RECEIVER_PATH, tags=["webhooks"])

    @router.post("/{connection}/{token}", status_code=status.HTTP_202_ACCEPTED, response_model=None)
    async def receive(connection: str, token: str, request: Request) -> JSONResponse:
        """Store one ShipStation delivery for the connection; 202 once it is stored."""
        genuine = hmac.compare_digest(_digest(token), expected.get(connection, unmatchable))
        if not genuine:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
        retry_after = limiter.wait(connection)
        if retry_after is not None:
            log.warning("webhooks.rate_limited", connection=connection)
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"more than {rate_limit} deliveries in {rate_window_seconds:g} s; try again later",
                headers={"Retry-After": str(max(1, round(retry_after)))},
            )
        delivery = _parse_delivery(await read_body(request, max_body_bytes))
        refusal = origins[connection].refusal(delivery.resource_url)
        if refusal is not None:
            log.warning(
                "webhooks.foreign_resource_url",
                connection=connection,
                host=urlsplit(delivery.resource_url).hostname,
                reason=refusal,
            )
            _unprocessable(
                "resource_url",
                f"resource_url does not point at this connection's ShipStation API ({refusal})",
                "value_error",
            )
        try:
            async with engine.begin() as conn:
                new = await db.inbox_put(
                    conn, connection, delivery.resource_type, delivery.resource_url, now=now()
                )
                if new:
                    await db.notify_work(conn, connection)
        except db.UnknownConnection:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "this connection has no state in the database yet; start stationmaster with it "
                "configured, then ShipStation's next delivery is taken",
            ) from None
        log.info(
            "webhooks.stored", connection=connection, resource_type=delivery.resource_type, new=new
        )
        return JSONResponse(
            {"stored": new, "resource_type": delivery.resource_type},
            status_code=status.HTTP_202_ACCEPTED,
        )

    return router

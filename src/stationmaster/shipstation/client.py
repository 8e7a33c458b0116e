"""The ShipStation REST v1 client: one async HTTP seam with budget, retries and error mapping.

Every call goes through :meth:`ShipStationClient.send`, which spends the key's budget before
each attempt, lets the budget learn from every response's rate-limit headers, turns failures
into the exception tree of :mod:`stationmaster.errors`, and retries by :mod:`.retry`'s policy.
The endpoints themselves live in :mod:`.resources`, one small namespace per resource, so this
module stays about transport.

Pass ``transport=`` to talk to anything that speaks ShipStation: the in-process emulator's
transport in tests, a recording transport, or the default network transport.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

import httpx2
import stamina
import structlog
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from stationmaster.errors import (
    DecodeError,
    RateLimited,
    ShipStationError,
    classify,
    error_for,
    error_for_exception,
)
from stationmaster.shipstation.budget import Budget
from stationmaster.shipstation.credentials import Credentials
from stationmaster.shipstation.resources import (
    Accounts,
    Carriers,
    Customers,
    Fulfillments,
    Orders,
    Products,
    Shipments,
    Stores,
    Users,
    Warehouses,
    Webhooks,
)
from stationmaster.shipstation.retry import RetryPolicy

DEFAULT_BASE_URL = "https://ssapi.shipstation.com"
#: ShipStation's own API hosts; webhook resource URLs are fetched only from these (or our base).
SHIPSTATION_HOST_SUFFIX = ".shipstation.com"
SHIPSTATION_HOST_PREFIX = "ssapi"

M = TypeVar("M", bound=BaseModel)
Method = Literal["GET", "POST", "PUT", "DELETE"]

log = structlog.get_logger("stationmaster.shipstation")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-call timeouts: bulk writes take far longer than single reads (quirks §4)."""

    default: float = 30.0
    bulk: float = 120.0


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP attempt as an audit log sees it: no credentials, bodies as text."""

    key_id: str
    method: str
    url: str
    request_body: str | None
    status: int | None
    response_body: str | None
    response_headers: Mapping[str, str]
    attempt: int
    seconds: float
    error: str | None = None


ExchangeObserver = Callable[[Exchange], Awaitable[None] | None]
REDACTED_HEADERS = frozenset(
    {"authorization", "api-key", "cookie", "set-cookie", "proxy-authorization"}
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("[redacted]" if k.lower() in REDACTED_HEADERS else v) for k, v in headers.items()}


def dumps(body: Any) -> bytes:
    """Request JSON: UTF-8 without ASCII escaping, so names with emoji go through as sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ShipStationClient:
    """Async ShipStation v1 client for one key pair.

    ``budget`` defaults to the documented limit (40 per 60 s); share one budget between
    clients only if they use the same key pair and the same process.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx2.AsyncBaseTransport | None = None,
        budget: Budget | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        observer: ExchangeObserver | None = None,
        partner_key: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.budget = budget if budget is not None else Budget()
        self.retry = retry if retry is not None else RetryPolicy()
        self.timeouts = timeouts if timeouts is not None else Timeouts()
        self.observer = observer
        headers = {"Accept": "application/json", "User-Agent": "stationmaster"}
        if partner_key:
            headers["x-partner"] = partner_key
        self._http = httpx2.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            headers=headers,
            timeout=self.timeouts.default,
            follow_redirects=False,
        )
        self.orders = Orders(self)
        self.shipments = Shipments(self)
        self.fulfillments = Fulfillments(self)
        self.carriers = Carriers(self)
        self.stores = Stores(self)
        self.warehouses = Warehouses(self)
        self.products = Products(self)
        self.customers = Customers(self)
        self.accounts = Accounts(self)
        self.users = Users(self)
        self.webhooks = Webhooks(self)

    def __repr__(self) -> str:
        return f"ShipStationClient(base_url={self.base_url!r}, key_id={self.credentials.key_id!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ the one seam

    async def send(
        self,
        method: Method,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool,
        bulk: bool = False,
    ) -> httpx2.Response:
        """Send one call, with budget and retries; return a successful response or raise.

        Raises a :class:`~stationmaster.errors.ShipStationError` subclass whose
        ``resolution`` says what to do next.
        """
        content = dumps(body) if body is not None else None
        request = self._http.build_request(
            method,
            path,
            params=dict(params) if params else None,
            content=content,
            headers={"Content-Type": "application/json"} if content is not None else None,
            timeout=self.timeouts.bulk if bulk else self.timeouts.default,
        )
        attempt_no = 0
        async for attempt in stamina.retry_context(
            on=self.retry.backoff_hook(idempotent=idempotent),
            attempts=self.retry.attempts,
            timeout=self.retry.timeout,
            wait_initial=self.retry.wait_initial,
            wait_max=self.retry.wait_max,
            wait_jitter=self.retry.wait_jitter,
        ):
            with attempt:
                attempt_no += 1
                return await self._attempt(request, attempt_no)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    async def _attempt(self, request: httpx2.Request, attempt_no: int) -> httpx2.Response:
        endpoint = f"{request.method} {request.url.path}"
        await self.budget.acquire()
        started = time.perf_counter()
        request.headers["Authorization"] = self.credentials.authorization()
        try:
            response = await self._http.send(request)
        except httpx2.TransportError as exc:
            error = error_for_exception(exc, endpoint)
            await self._observe(request, None, attempt_no, started, str(error))
            log.warning(
                "shipstation.transport_error",
                endpoint=endpoint,
                attempt=attempt_no,
                error=type(exc).__name__,
            )
            raise error from None
        finally:
            del request.headers["Authorization"]
        self.budget.observe(response.headers)
        resolution = classify(response)
        failure = None if resolution.kind == "ignore" else error_for(response, endpoint)
        await self._observe(
            request, response, attempt_no, started, str(failure) if failure else None
        )
        if failure is None:
            log.debug(
                "shipstation.call",
                endpoint=endpoint,
                status=response.status_code,
                attempt=attempt_no,
            )
            return response
        if isinstance(failure, RateLimited):
            self.budget.penalize(failure.wait)
        log.warning(
            "shipstation.call_failed",
            endpoint=endpoint,
            status=response.status_code,
            attempt=attempt_no,
            resolution=failure.resolution.kind,
            wait=failure.resolution.wait,
        )
        raise failure

    async def _observe(
        self,
        request: httpx2.Request,
        response: httpx2.Response | None,
        attempt_no: int,
        started: float,
        error: str | None,
    ) -> None:
        if self.observer is None:
            return
        exchange = Exchange(
            key_id=self.credentials.key_id,
            method=request.method,
            url=str(request.url),
            request_body=request.content.decode("utf-8", "replace") if request.content else None,
            status=response.status_code if response is not None else None,
            response_body=response.text if response is not None else None,
            response_headers=redact_headers(response.headers) if response is not None else {},
            attempt=attempt_no,
            seconds=time.perf_counter() - started,
            error=error,
        )
        outcome = self.observer(exchange)
        if outcome is not None:
            await outcome

    # ------------------------------------------------------------------ decoding helpers

    async def call(
        self,
        model: type[M],
        method: Method,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool,
        bulk: bool = False,
    ) -> M:
        """Send a call and parse its body into ``model``."""
        response = await self.send(
            method, path, params=params, body=body, idempotent=idempotent, bulk=bulk
        )
        parsed: M = decode(TypeAdapter(model), response)
        return parsed

    async def call_list(
        self,
        model: type[M],
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        method: Method = "GET",
        body: Any = None,
    ) -> list[M]:
        """A call answered with a plain JSON array (no paging envelope); nulls are dropped."""
        response = await self.send(method, path, params=params, body=body, idempotent=True)
        items = decode(TypeAdapter(list[model | None]), response)  # type: ignore[valid-type]
        return [item for item in items if item is not None]

    async def get_resource(self, resource_url: str, model: type[M]) -> M:
        """GET a webhook ``resource_url`` after checking it points at ShipStation (or our base).

        Webhooks carry no signature; without this check anyone could make us send our key
        pair to a host of their choosing.
        """
        target = urlsplit(resource_url)
        host = (target.hostname or "").lower()
        ours = urlsplit(self.base_url)
        shipstation_host = (
            target.scheme == "https"
            and host.startswith(SHIPSTATION_HOST_PREFIX)
            and host.endswith(SHIPSTATION_HOST_SUFFIX)
        )
        our_host = (target.scheme, target.netloc.lower()) == (ours.scheme, ours.netloc.lower())
        if not (shipstation_host or our_host):
            raise ValueError(f"refusing to send ShipStation credentials to {target.netloc!r}")
        return await self.call(model, "GET", resource_url, idempotent=True)


def decode(adapter: TypeAdapter[Any], response: httpx2.Response) -> Any:
    endpoint = f"{response.request.method} {response.request.url.path}"
    try:
        return adapter.validate_json(response.content or b"null")
    except PydanticValidationError as exc:
        raise DecodeError(
            f"{endpoint} answered a body that does not fit {adapter}: {exc.error_count()} errors",
            resolution=classify(exc),
            endpoint=endpoint,
        ) from exc


__all__ = [
    "DEFAULT_BASE_URL",
    "Exchange",
    "ShipStationClient",
    "ShipStationError",
    "Timeouts",
]

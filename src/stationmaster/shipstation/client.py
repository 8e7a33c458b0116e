"""The ShipStation REST v1 client: the v1 endpoints over the shared sending seam.

Every call goes through :meth:`ShipStationClient.send`, which hands it to
:class:`~stationmaster.shipstation.sender.Sender` (budget, retries by :mod:`.retry`'s policy,
the exception tree of :mod:`stationmaster.errors`, the audit :class:`Exchange`) with v1's own
parts: the key pair as ``Authorization: Basic``, per-call timeouts for bulk writes and the
optional partner header. The endpoints themselves live in :mod:`.resources`, one small
namespace per resource, so this module stays about transport.

Pass ``transport=`` to talk to anything that speaks ShipStation: the in-process emulator's
transport in tests, a recording transport, or the default network transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx2
import structlog
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from stationmaster.errors import DecodeError, ShipStationError, classify
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
from stationmaster.shipstation.sender import (
    Exchange,
    ExchangeObserver,
    Sender,
    redact_headers,
)

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


class ShipStationClient(Sender):
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
        self.timeouts = timeouts if timeouts is not None else Timeouts()
        super().__init__(
            key_id=credentials.key_id,
            auth_header="Authorization",
            auth_value=credentials.authorization,
            base_url=base_url,
            transport=transport,
            budget=budget if budget is not None else Budget(),
            retry=retry,
            timeout=self.timeouts.default,
            observer=observer,
            headers={"x-partner": partner_key} if partner_key else None,
            log=log,
            events="shipstation",
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
        request = self._request(
            method,
            path,
            params=params,
            body=body,
            timeout=self.timeouts.bulk if bulk else self.timeouts.default,
        )
        return await self._send(request, idempotent=idempotent)

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
    "ExchangeObserver",
    "ShipStationClient",
    "ShipStationError",
    "Timeouts",
    "redact_headers",
]

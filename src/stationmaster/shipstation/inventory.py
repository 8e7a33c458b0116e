"""The ShipStation API v2 inventory client: stock levels read page by page, changed one at a time.

Stock lives only in v2 (``api.shipstation.com``, header ``API-Key``), with its own key and its
own limit of 200 requests a minute, so this client is separate from the v1 client. It sends
through the same :class:`~stationmaster.shipstation.sender.Sender` as v1 (the key's budget,
the retry policy, the error table of :mod:`stationmaster.errors`, whose v2 rows read v2's
error body and ``Retry-After``, and the audit ``Exchange``), giving it only v2's own parts:
the base URL, the ``API-Key`` header and the v2 limit. What v2 leaves undocumented is an
option here, named in ``docs/reference/shipstation-v2-inventory.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import httpx2
import structlog
from pydantic import TypeAdapter

from stationmaster.errors import DecodeError, classify
from stationmaster.shipstation.budget import Budget
from stationmaster.shipstation.client import decode
from stationmaster.shipstation.models.inventory import (
    GroupBy,
    InventoryChange,
    InventoryLevel,
    InventoryLocation,
    InventoryPage,
    InventoryWarehouse,
    LocationPage,
    V2Page,
    WarehousePage,
)
from stationmaster.shipstation.retry import RetryPolicy
from stationmaster.shipstation.sender import ExchangeObserver, Sender
from stationmaster.shipstation.sender import redact_headers as safe_headers

DEFAULT_V2_BASE_URL = "https://api.shipstation.com"
API_KEY_HEADER = "API-Key"
#: v2's documented limit: 200 requests per minute (docs/reference/shipstation-v2-inventory.md §5).
V2_LIMIT = 200
V2_WINDOW_SECONDS = 60.0
#: SKUs per ``GET /v2/inventory?sku=a,b,...`` (what a live client sends; keeps URLs short).
DEFAULT_SKU_BATCH = 50
#: Rows asked for per page of the warehouse and location lists.
PLACES_PAGE_SIZE = 100

P = TypeVar("P", bound=V2Page[Any])

log = structlog.get_logger("stationmaster.shipstation.inventory")


@dataclass(frozen=True, slots=True)
class InventoryCredentials:
    """A v2 API key. Only ``key_id``, a short one-way fingerprint, is ever shown.

    The key goes into an HTTP header, so blanks and control characters are refused here
    rather than turned into a broken (or injected) header later.
    """

    api_key: str = field(repr=False)

    def __post_init__(self) -> None:
        key = self.api_key
        if not isinstance(key, str) or not key:
            raise ValueError("ShipStation v2 API key must be a non-empty string")
        if not all(33 <= ord(ch) <= 126 for ch in key):
            raise ValueError(
                "ShipStation v2 API key may hold only visible ASCII characters "
                "(no blanks, line breaks or control characters)"
            )

    @property
    def key_id(self) -> str:
        digest = hashlib.sha256(f"v2\0{self.api_key}".encode()).hexdigest()
        return f"v2key-{digest[:10]}"

    def __repr__(self) -> str:
        return f"InventoryCredentials(key_id={self.key_id!r})"

    __str__ = __repr__


class InventoryClient(Sender):
    """Async client of ShipStation's v2 inventory endpoints for one API key.

    ``calls`` counts HTTP requests sent (every attempt, retries included). ``budget``
    defaults to v2's 200 per 60 s; share one only between clients of the same key.
    ``default_location_id`` is used by :meth:`change` when a change names no location.
    ``sku_batch`` is how many SKUs one filtered listing request names (1: one per request).
    ``page_size_param`` is the query name of the page size (``limit`` per the spec).
    """

    def __init__(
        self,
        credentials: InventoryCredentials,
        *,
        base_url: str = DEFAULT_V2_BASE_URL,
        transport: httpx2.AsyncBaseTransport | None = None,
        budget: Budget | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        observer: ExchangeObserver | None = None,
        default_location_id: str | None = None,
        sku_batch: int = DEFAULT_SKU_BATCH,
        page_size_param: Literal["limit", "page_size"] = "limit",
    ) -> None:
        if not isinstance(credentials, InventoryCredentials):
            raise TypeError("credentials must be InventoryCredentials (a v2 key, not a v1 pair)")
        _positive("sku_batch", sku_batch)
        if timeout <= 0:
            raise ValueError(f"timeout must be more than 0 seconds, got {timeout}")
        if default_location_id is not None:
            _text("default_location_id", default_location_id)
        self.credentials = credentials
        super().__init__(
            key_id=credentials.key_id,
            auth_header=API_KEY_HEADER,
            auth_value=lambda: credentials.api_key,
            base_url=base_url,
            transport=transport,
            budget=budget if budget is not None else Budget(V2_LIMIT, V2_WINDOW_SECONDS),
            retry=retry,
            timeout=timeout,
            observer=observer,
            headers=None,
            log=log,
            events="shipstation.v2",
        )
        self.default_location_id = default_location_id
        self.sku_batch = sku_batch
        self.page_size_param: str = page_size_param
        self._origin = httpx2.URL(self.base_url)

    # ------------------------------------------------------------------ endpoints

    async def levels(
        self,
        *,
        skus: Sequence[str] | None = None,
        warehouse_id: str | None = None,
        location_id: str | None = None,
        page_size: int = 500,
        group_by: GroupBy | None = None,
    ) -> AsyncIterator[InventoryLevel]:
        """Every stock level that fits the filters, each (SKU, warehouse, location) once.

        Walks every page of ``GET /v2/inventory``; with ``skus``, one walk per batch of
        ``sku_batch`` SKUs (an empty list yields nothing and sends nothing). Without
        ``group_by`` ShipStation chooses the grouping (per warehouse, it seems); pass
        ``group_by="location"`` for per-location rows. Every argument is checked before the
        first request, so a bad one costs nothing.
        """
        params: dict[str, str] = {self.page_size_param: str(_positive("page_size", page_size))}
        params.update(_place_filters(warehouse_id, location_id))
        if group_by is not None:
            if group_by not in ("warehouse", "location"):
                raise ValueError(f"group_by must be 'warehouse' or 'location', got {group_by!r}")
            params["group_by"] = group_by
        batches = [None] if skus is None else list(_sku_batches(skus, self.sku_batch))
        seen: set[tuple[str, str | None, str | None]] = set()
        for batch in batches:
            query = dict(params, sku=",".join(batch)) if batch is not None else params
            async for page in self._pages(InventoryPage, "/v2/inventory", query):
                for level in page.records():
                    if level.place not in seen:
                        seen.add(level.place)
                        yield level

    async def change(self, change: InventoryChange) -> None:
        """Apply one stock transaction (``POST /v2/inventory``); any 2xx is success.

        Only ``adjust`` (which sets a count) is sent again after a 5xx or a lost connection:
        for the others a second try could count the same units twice.
        """
        if not isinstance(change, InventoryChange):
            raise TypeError(f"change must be an InventoryChange, got {type(change).__name__}")
        location = change.inventory_location_id or self.default_location_id
        if location is None:
            raise ValueError(
                f"the {change.transaction_type} of {change.sku!r} names no "
                "inventory_location_id and the client has no default_location_id; "
                "ShipStation needs one"
            )
        request = self._request("POST", "/v2/inventory", body=change.body(location))
        await self._send(request, idempotent=change.transaction_type == "adjust")

    async def warehouses(self) -> list[InventoryWarehouse]:
        """Every inventory warehouse of the account."""
        params: dict[str, str] = {self.page_size_param: str(PLACES_PAGE_SIZE)}
        found: dict[str, InventoryWarehouse] = {}
        async for page in self._pages(WarehousePage, "/v2/inventory_warehouses", params):
            for row in page.records():
                found.setdefault(row.inventory_warehouse_id, row)
        return list(found.values())

    async def locations(self, warehouse_id: str | None = None) -> list[InventoryLocation]:
        """Every inventory location, or those of one warehouse.

        The filter is sent and also applied here, so it holds whether or not ShipStation
        honours ``inventory_warehouse_id`` on this list (it is not documented there).
        """
        params: dict[str, str] = {self.page_size_param: str(PLACES_PAGE_SIZE)}
        if warehouse_id is not None:
            params["inventory_warehouse_id"] = _text("warehouse_id", warehouse_id)
        found: dict[str, InventoryLocation] = {}
        async for page in self._pages(LocationPage, "/v2/inventory_locations", params):
            for row in page.records():
                if warehouse_id is None or row.inventory_warehouse_id == warehouse_id:
                    found.setdefault(row.inventory_location_id, row)
        return list(found.values())

    # ------------------------------------------------------------------ paging

    async def _pages(self, model: type[P], path: str, params: dict[str, str]) -> AsyncIterator[P]:
        """Every page of a list: follow ``links.next``, else ``page + 1`` while below ``pages``.

        A next link is only ever sent to our own base URL (its path and query are kept), so
        an answer cannot steer the key to another host. A link already followed means a loop
        and raises :class:`DecodeError` instead of walking forever.
        """
        adapter = TypeAdapter(model)
        request = self._request("GET", path, params=params)
        followed: set[str] = set()
        while True:
            followed.add(str(request.url))
            page: P = decode(adapter, await self._send(request, idempotent=True))
            yield page
            if not page.records():
                return
            href = page.next_href()
            if href is not None:
                request = self._request("GET", self._local(href))
            elif page.has_later_page() and page.page is not None:
                request = self._request("GET", path, params=dict(params, page=str(page.page + 1)))
            else:
                return
            if str(request.url) in followed:
                endpoint = f"GET {path}"
                raise DecodeError(
                    f"{endpoint} pointed back at a page already read ({request.url.path}); "
                    "stopped instead of looping",
                    resolution=classify(ValueError("paging loop")),
                    endpoint=endpoint,
                )

    def _local(self, href: str) -> str:
        """``href`` resolved against our base URL, keeping only its path and query."""
        target = self._origin.join(href)
        return str(self._origin.copy_with(raw_path=target.raw_path, fragment=None))


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValueError(f"{name} must be a non-empty id without blanks around it, got {value!r}")
    return value


def _place_filters(warehouse_id: str | None, location_id: str | None) -> dict[str, str]:
    filters: dict[str, str] = {}
    if warehouse_id is not None:
        filters["inventory_warehouse_id"] = _text("warehouse_id", warehouse_id)
    if location_id is not None:
        filters["inventory_location_id"] = _text("location_id", location_id)
    return filters


def _sku_batches(skus: Sequence[str], size: int) -> Iterator[list[str]]:
    """The SKUs (checked, duplicates dropped) in batches of ``size``, all checked up front.

    v2 takes several SKUs as one comma-separated ``sku`` value, so a SKU holding a comma
    cannot be asked for by name; list without ``skus`` and filter instead.
    """
    if isinstance(skus, str | bytes):
        raise TypeError("skus must be a sequence of SKUs, not one string")
    unique: dict[str, None] = {}
    for sku in skus:
        if not isinstance(sku, str) or not sku.strip():
            raise ValueError(f"every SKU must be a non-empty string, got {sku!r}")
        if sku != sku.strip():
            raise ValueError(f"SKU {sku!r} has blanks around it; ShipStation matches SKUs exactly")
        if "," in sku:
            raise ValueError(
                f"SKU {sku!r} holds a comma, which the sku filter reads as a separator; "
                "list without skus and pick it out instead"
            )
        unique[sku] = None
    ordered = list(unique)
    return (ordered[i : i + size] for i in range(0, len(ordered), size))


__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_V2_BASE_URL",
    "InventoryChange",
    "InventoryClient",
    "InventoryCredentials",
    "InventoryLevel",
    "InventoryLocation",
    "InventoryWarehouse",
    "safe_headers",
]

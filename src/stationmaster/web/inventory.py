"""The warehouse's stock endpoint: batches of keyed deltas, each item applied on its own.

``POST /api/v1/connections/{connection}/inventory/adjustments`` with a bearer token and
``{"adjustments": [{"sku", "delta", "reason", "idempotency_key"}, ...]}``. A well-formed body
gets 200 and one result per item, in order: ``applied`` (with the level after it),
``duplicate`` (the key was applied before; nothing changed), ``unknown_sku``, ``invalid``
(the item's ``field`` and ``error`` say what), ``refused`` (the level would go below zero),
or ``failed`` (the store failed; send the item again). Items are independent: a bad one
stops nothing, and each one is applied whole or not at all.

The request itself is refused, and nothing applied, with 401 without the token (checked
first), 404 for an unknown connection, 409 for a connection whose store is not served here
or keeps no stock, 413 for a body over the size cap, and 422 (FastAPI's shape) for a body
that is not a JSON object holding a list of at most ``max_items`` adjustments.

(No ``from __future__ import annotations``: FastAPI reads the route's annotations at
runtime, and they refer to the closure's dependency.)
"""

from collections.abc import Mapping
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.stock.adjustments import read_adjustment
from stationmaster.stock.apply import apply_adjustments
from stationmaster.stock.ledger import StockLedger
from stationmaster.stores.protocol import Store
from stationmaster.web.jsonapi import (
    connection_router,
    read_object,
    refuse_connection,
    unprocessable,
)

log = structlog.get_logger("stationmaster.web.inventory")

#: Items one request may carry.
MAX_ITEMS = 1000
#: Largest body taken: a thousand items fit in well under half of it.
MAX_BODY_BYTES = 1 << 20


def _items(document: dict[str, Any], max_items: int) -> list[Any]:
    unknown = sorted(str(name) for name in document if name != "adjustments")
    if unknown:
        unprocessable(["body", unknown[0]], "unknown field; send only 'adjustments'", "extra")
    if "adjustments" not in document:
        unprocessable(["body", "adjustments"], "the list of adjustments is missing", "missing")
    items = document["adjustments"]
    if not isinstance(items, list):
        unprocessable(["body", "adjustments"], "adjustments must be a list", "list_type")
    if len(items) > max_items:
        unprocessable(
            ["body", "adjustments"],
            f"{len(items)} adjustments; at most {max_items} per request",
            "too_long",
        )
    return items


def inventory_router(
    engine: AsyncEngine,
    *,
    stores: Mapping[str, Store],
    token: str,
    max_items: int = MAX_ITEMS,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> APIRouter:
    """The stock endpoint for ``stores`` (by connection); ``engine`` holds the ledger and
    tells an unknown connection (404) from one served elsewhere (409)."""
    router = connection_router(token, tag="stock", under="/inventory")

    async def stock_store(connection: str) -> Store:
        store = stores.get(connection)
        if store is not None and "stock" in store.capabilities:
            return store
        await refuse_connection(
            engine,
            connection,
            lambda row: (
                f"connection {connection!r} takes no stock adjustments here: its "
                f"{row.store_kind!r} store is not served by this process or keeps no stock"
            ),
        )

    @router.post("/adjustments", response_model=None)
    async def adjust(
        connection: str, request: Request, store: Annotated[Store, Depends(stock_store)]
    ) -> dict[str, Any]:
        """Apply each keyed delta once; one result per item, in the order given."""
        document = await read_object(request, max_body_bytes)
        items = [read_adjustment(n, raw) for n, raw in enumerate(_items(document, max_items))]
        results = await apply_adjustments(store, StockLedger(engine, connection), items)
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        log.info("inventory.adjustments", connection=connection, **counts)
        return {"connection": connection, "results": [r.to_json() for r in results]}

    return router

"""The native store's JSON API: put, read and delete orders, adjust stock; bearer token only.

Every refusal is a 4xx that says what was wrong, and stores nothing:

* 401 without the right bearer token (before anything else is looked at);
* 404 for an unknown connection or order, 409 for a connection whose orders come from
  another store, or for stock that would go below zero;
* 413 for a body over the size cap, checked before it is parsed (and while it streams in,
  for bodies that do not declare their length);
* 422 for a body that is not a JSON object or not a valid order, in FastAPI's shape:
  ``{"detail": [{"loc": ["body", "lines", 0, "quantity"], "msg": ..., "type": ...}]}``.

Bodies are read by hand rather than by FastAPI's body parameters, so the cap and the
error messages are ours, and numbers with a fraction are parsed as exact decimals. (No
``from __future__ import annotations`` here: FastAPI reads the routes' annotations at runtime,
and they refer to the closure's dependency.)
"""

from collections.abc import Mapping
from typing import Annotated, Any, NoReturn

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, StrictInt
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db.tables import KEY
from stationmaster.domain import Order
from stationmaster.stores.native import (
    STOCK_DELTA_LIMIT,
    InvalidStoreInput,
    NativeStore,
    OutOfStock,
    UnknownStoreOrder,
    UnreadableRecord,
)
from stationmaster.sync.mapping import order_key
from stationmaster.web.jsonapi import (
    connection_router,
    read_object,
    refuse_connection,
    unprocessable,
)

log = structlog.get_logger("stationmaster.web.ingest")

#: Largest request body taken: a big order is a few tens of kilobytes.
MAX_BODY_BYTES = 1 << 20


class StockAdjustment(BaseModel):
    """``POST .../stock/{sku}``: add ``delta`` (negative to take away) to the on-hand level."""

    model_config = ConfigDict(extra="forbid")

    delta: StrictInt


def _validation_failed(exc: PydanticValidationError) -> NoReturn:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    raise HTTPException(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[
            {"loc": ["body", *error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in errors
        ],
    )


def _check_path_key(name: str, value: str) -> None:
    if not value.strip() or value != value.strip() or len(value) > KEY:
        unprocessable(
            ["path", name],
            f"{name} must be 1 to {KEY} characters without surrounding spaces",
            "value_error",
        )


def ingest_router(
    engine: AsyncEngine,
    *,
    stores: Mapping[str, NativeStore],
    token: str,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> APIRouter:
    """The routes under ``/api/v1/connections/{connection}`` for the native ``stores``.

    ``engine`` is used to tell an unknown connection (404) from one that is not native (409).
    """
    router = connection_router(token, tag="native store")

    async def native_store(connection: str) -> NativeStore:
        store = stores.get(connection)
        if store is not None:
            return store
        await refuse_connection(
            engine,
            connection,
            lambda row: (
                f"connection {connection!r} does not take orders through this API: its store "
                f"is {row.store_kind!r}, not a native store served here"
            ),
        )

    @router.put("/orders/{source_id}", response_model=None)
    async def put_order(
        source_id: str,
        request: Request,
        response: Response,
        store: Annotated[NativeStore, Depends(native_store)],
    ) -> dict[str, Any]:
        """Create or replace an order (canonical order JSON); 201 created, 200 otherwise."""
        _check_path_key("source_id", source_id)
        document = await read_object(request, max_body_bytes)
        document.setdefault("source_id", source_id)
        try:
            order = Order.model_validate(document)
        except PydanticValidationError as exc:
            log.info(
                "ingest.order_refused",
                connection=store.connection,
                source_id=source_id,
                fields=[".".join(map(str, e["loc"])) for e in exc.errors()],
            )
            _validation_failed(exc)
        if order.source_id != source_id:
            unprocessable(
                ["body", "source_id"],
                f"source_id {order.source_id!r} does not match the path's {source_id!r}",
                "value_error",
            )
        try:
            outcome = await store.put(order)
        except InvalidStoreInput as exc:
            unprocessable(["body", exc.field] if exc.field else ["body"], str(exc), "value_error")
        log.info(
            "ingest.order_stored", connection=store.connection, source_id=source_id, outcome=outcome
        )
        if outcome == "created":
            response.status_code = status.HTTP_201_CREATED
        return {
            "connection": store.connection,
            "source_id": source_id,
            "order_key": order_key(store.source, source_id),
            "outcome": outcome,
            "changed": outcome != "unchanged",
        }

    @router.get("/orders/{source_id}", response_model=None)
    async def get_order(
        source_id: str, store: Annotated[NativeStore, Depends(native_store)]
    ) -> dict[str, Any]:
        """The stored order (canonical order JSON) with its current status."""
        try:
            order = await store.get(source_id)
        except UnreadableRecord as exc:
            raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None
        if order is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order {source_id!r}")
        return order.model_dump(mode="json")

    @router.delete("/orders/{source_id}", response_model=None)
    async def delete_order(
        source_id: str, store: Annotated[NativeStore, Depends(native_store)]
    ) -> dict[str, Any]:
        """Mark an order deleted; the sync then deletes it in ShipStation."""
        try:
            changed = await store.delete(source_id)
        except UnknownStoreOrder as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        log.info(
            "ingest.order_deleted",
            connection=store.connection,
            source_id=source_id,
            changed=changed,
        )
        return {"source_id": source_id, "deleted": True, "changed": changed}

    @router.post("/stock/{sku}", response_model=None)
    async def adjust_stock(
        sku: str, request: Request, store: Annotated[NativeStore, Depends(native_store)]
    ) -> dict[str, Any]:
        """Add ``delta`` to the SKU's on-hand level; the new level. 409 below zero."""
        _check_path_key("sku", sku)
        document = await read_object(request, max_body_bytes)
        try:
            adjustment = StockAdjustment.model_validate(document)
        except PydanticValidationError as exc:
            _validation_failed(exc)
        if abs(adjustment.delta) > STOCK_DELTA_LIMIT:
            unprocessable(
                ["body", "delta"], f"delta must be within ±{STOCK_DELTA_LIMIT}", "value_error"
            )
        try:
            on_hand = await store.adjust_stock(sku, adjustment.delta)
        except OutOfStock as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        except InvalidStoreInput as exc:
            unprocessable(["body", exc.field] if exc.field else ["body"], str(exc), "value_error")
        return {"sku": sku, "on_hand": on_hand}

    return router

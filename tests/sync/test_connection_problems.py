"""A store that is down stops the pass, says so on the connection, and loses nothing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import JsonValue

from stationmaster import db
from stationmaster.domain import Order, Shipment
from stationmaster.engine.runner import run_pass, run_tracking
from stationmaster.stores import ChangeBatch, StoreError
from stationmaster.stores.native import NativeStore
from stationmaster.testing.factories import make_orders
from tests.sync.conftest import Pushing

pytestmark = pytest.mark.anyio


class DownStore:
    """The native store's shape, but every read fails as a store that is down would."""

    kind = "vendure"
    capabilities = NativeStore.capabilities

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        raise StoreError("http://127.0.0.1:9/admin-api: connection refused")

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        raise StoreError("http://127.0.0.1:9/admin-api: connection refused")

    async def set_status(self, source_id: str, status: str) -> None:
        raise StoreError("down")

    async def apply_shipment(self, shipment: Shipment) -> None:
        raise StoreError("down")

    async def adjust_stock(self, sku: str, delta: int) -> int:
        raise StoreError("down")


async def _counters(pushing: Pushing) -> db.ConnectionCounters:
    async with pushing.engine.connect() as conn:
        (row,) = await db.connection_counters(conn, ["shop"])
    return row


async def test_a_store_that_is_down_is_the_connections_problem_until_it_is_back(
    pushing: Pushing,
) -> None:
    orders = make_orders(3)
    for order in orders:
        await pushing.store.ingest(order)
    push = pushing.runtime.push
    push.store = DownStore()
    with pytest.raises(StoreError, match="connection refused"):
        await run_pass(pushing.runtime)
    row = await _counters(pushing)
    assert row.problem == "store (vendure): http://127.0.0.1:9/admin-api: connection refused"
    assert row.problem_at is not None
    async with pushing.engine.connect() as conn:
        assert await db.get_cursor(conn, "shop", "orders") is None, "the cursor did not move"
    assert pushing.remote_keys() == []

    push.store = pushing.store
    await run_pass(pushing.runtime)
    row = await _counters(pushing)
    assert row.problem is None and row.problem_at is None
    assert sorted(pushing.remote_keys()) == sorted(f"shop:{o.source_id}" for o in orders)


async def test_tracking_against_a_store_that_is_down_is_noted_too(pushing: Pushing) -> None:
    await pushing.store.ingest(make_orders(1)[0])
    await run_pass(pushing.runtime)
    (order,) = pushing.emulator.orders()
    pushing.emulator.ship_order(order["orderId"])
    pushing.runtime.tracker.store = DownStore()
    with pytest.raises(StoreError):
        await run_tracking(pushing.runtime)
    assert (await _counters(pushing)).problem is not None

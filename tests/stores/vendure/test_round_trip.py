"""Vendure to ShipStation and back: orders placed in the shop, pushed to the emulator, shipped
there (whole, in two packages, voided and relabelled), tracked back into Vendure."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.domain import Package, Shipment
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime, run_pass, track
from stationmaster.stores.vendure import VendureStore
from stationmaster.testing.factories import make_order
from tests.stores.support import check_a_pass_again_is_clean, push_runtime
from tests.stores.vendure.conftest import PASSWORD_ENV, VendureServer
from tests.stores.vendure.shop import SUPERADMIN, Shop

pytestmark = pytest.mark.anyio

#: Vendure's order states in ShipStation's terms; tracking writes Vendure's own states back.
RULES: dict[str, Any] = {
    "status": {
        "map": {
            "PaymentAuthorized": "awaiting_payment",
            "PaymentSettled": "awaiting_shipment",
            "PartiallyShipped": "awaiting_shipment",
            "Shipped": "shipped",
            "PartiallyDelivered": "shipped",
            "Delivered": "shipped",
            "Cancelled": "cancelled",
        }
    },
    "tracking": {"shipped": "Shipped", "partially_shipped": "PartiallyShipped"},
}

FULFILLMENTS = """query($id: ID!) { order(id: $id) { state
  fulfillments { state trackingCode lines { orderLineId quantity } } } }"""


async def runtime_for(
    server: VendureServer, engine: AsyncEngine, emulator: Emulator, **store: Any
) -> Runtime:
    settings = {
        "admin_api_url": server.admin_api_url,
        "username": SUPERADMIN[0],
        "password_env": PASSWORD_ENV,
        **store,
    }
    return await push_runtime("vendure", settings, RULES, engine, emulator)


async def state_of(shop: Shop, source_id: str) -> tuple[str, list[tuple[str, str]]]:
    """The order's state and its fulfillments as (tracking code, state)."""
    order = (await shop.admin.execute(FULFILLMENTS, {"id": source_id}))["order"]
    return order["state"], [(f["trackingCode"], f["state"]) for f in order["fulfillments"]]


async def test_orders_ship_in_shipstation_and_vendure_shows_the_fulfillments(
    vendure_server: VendureServer,
    shop: Shop,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, SUPERADMIN[1])
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))
    runtime = await runtime_for(vendure_server, engine, emulator)
    store = runtime.push.store
    assert isinstance(store, VendureStore)
    canonical = [make_order(n, seed=41) for n in range(6)]
    two_units = [o for o in canonical if sum(line.quantity for line in o.lines) >= 2]
    whole, split, relabelled = await shop.place_all([canonical[0], two_units[0], canonical[2]])

    await run_pass(runtime)
    remote = {o["orderKey"]: o for o in emulator.orders()}
    ids = {sid: remote[f"vendure:{sid}"]["orderId"] for sid in (whole, split, relabelled)}
    assert remote[f"vendure:{whole}"]["orderStatus"] == "awaiting_shipment"

    emulator.ship_order(ids[whole], carrier_code="ups", tracking_number="1ZWHOLE")
    lines = (await store.orders_by_id([split]))[split].lines
    first_unit = [{"lineItemKey": lines[0].line_id, "quantity": 1}]
    emulator.ship_order(ids[split], tracking_number="9400SPLIT1", items=first_unit)
    label = emulator.ship_order(ids[relabelled], tracking_number="VOIDME")
    emulator.void_label(label["shipmentId"])
    emulator.ship_order(ids[relabelled], tracking_number="RELABEL")
    await track(runtime)

    assert await state_of(shop, whole) == ("Shipped", [("1ZWHOLE", "Shipped")])
    assert await state_of(shop, split) == ("PartiallyShipped", [("9400SPLIT1", "Shipped")])
    state, fulfillments = await state_of(shop, relabelled)
    assert state == "Shipped"
    assert ("RELABEL", "Shipped") in fulfillments
    assert set(fulfillments) <= {("VOIDME", "Cancelled"), ("RELABEL", "Shipped")}

    emulator.ship_order(ids[split], tracking_number="9400SPLIT2")
    await track(runtime)
    assert await state_of(shop, split) == (
        "Shipped",
        [("9400SPLIT1", "Shipped"), ("9400SPLIT2", "Shipped")],
    )
    again = await track(runtime)
    assert again.applied == 0 and again.store_failures == 0
    assert len((await state_of(shop, split))[1]) == 2

    await check_a_pass_again_is_clean(runtime, emulator, (whole, split, relabelled))
    await store.aclose()


async def test_a_store_that_counts_handing_over_as_delivery_ends_in_delivered(
    vendure_server: VendureServer, shop: Shop
) -> None:
    store = VendureStore(vendure_server.settings(mark_delivered=True), password=SUPERADMIN[1])
    (source_id,) = await shop.place_all([make_order(3, seed=7)])
    package = Package(origin="shipment", origin_id="777", tracking_number="1ZDELIVERED")
    await store.apply_shipment(Shipment(order_source_id=source_id, packages=[package]))
    assert await state_of(shop, source_id) == ("Delivered", [("1ZDELIVERED", "Delivered")])
    await store.aclose()

"""Medusa to ShipStation and back: orders placed in the shop, pushed to the emulator, shipped
there (whole, in two packages at once, partially then the rest, voided and relabelled), and
tracked back into Medusa as shipped fulfillments carrying the tracking numbers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime, run_pass, track
from stationmaster.stores.medusa import MedusaStore
from stationmaster.testing.factories import make_order
from tests.stores.medusa.conftest import ADMIN_EMAIL, PASSWORD_ENV, MedusaServer
from tests.stores.medusa.shop import Shop
from tests.stores.support import check_a_pass_again_is_clean, push_runtime

#: The first test also waits for the run's server: an install, migrations and a start.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(1200)]

#: Medusa's order statuses in ShipStation's terms; tracking completes a fully shipped order.
RULES: dict[str, Any] = {
    "status": {
        "map": {
            "pending": "awaiting_shipment",
            "requires_action": "on_hold",
            "completed": "shipped",
            "canceled": "cancelled",
        }
    },
    "tracking": {"shipped": "completed", "partially_shipped": "pending"},
}

FULFILLMENTS = "id,status,*items,*fulfillments,*fulfillments.items,*fulfillments.labels"


async def runtime_for(
    server: MedusaServer, engine: AsyncEngine, emulator: Emulator, **store: Any
) -> Runtime:
    settings = {
        "base_url": server.base_url,
        "email": ADMIN_EMAIL,
        "password_env": PASSWORD_ENV,
        **store,
    }
    return await push_runtime("medusa", settings, RULES, engine, emulator)


async def state_of(
    shop: Shop, source_id: str
) -> tuple[str, list[tuple[str | None, dict[str, int]]]]:
    """The order's status and its shipped fulfillments as (tracking number, units by SKU)."""
    order = await shop.order(source_id, FULFILLMENTS)
    skus = {item["id"]: item["variant_sku"] for item in order["items"]}
    shipped = [
        (
            next((label["tracking_number"] for label in f["labels"]), None),
            {skus[item["line_item_id"]]: item["quantity"] for item in f["items"]},
        )
        for f in order["fulfillments"]
        if f["shipped_at"] is not None and f["canceled_at"] is None
    ]
    return order["status"], sorted(shipped, key=lambda pair: pair[0] or "")


async def test_orders_ship_in_shipstation_and_medusa_shows_the_fulfillments(
    medusa_server: MedusaServer,
    shop: Shop,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, medusa_server.password)
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))
    runtime = await runtime_for(medusa_server, engine, emulator)
    store = runtime.push.store
    assert isinstance(store, MedusaStore)
    canonical = [make_order(n, seed=41) for n in range(12)]
    several = [o for o in canonical if len(o.lines) >= 2 and o.lines[0].quantity >= 2]
    whole, two_boxes, split, relabelled = await shop.place_all(
        [canonical[0], several[0], several[1], canonical[2]]
    )

    await run_pass(runtime)
    remote = {o["orderKey"]: o for o in emulator.orders()}
    placed = (whole, two_boxes, split, relabelled)
    ids = {sid: remote[f"medusa:{sid}"]["orderId"] for sid in placed}
    assert {remote[f"medusa:{sid}"]["orderStatus"] for sid in placed} == {"awaiting_shipment"}
    lines = {sid: order.lines for sid, order in (await store.orders_by_id(placed)).items()}

    emulator.ship_order(ids[whole], carrier_code="ups", tracking_number="1ZWHOLE")
    first, second = lines[two_boxes][0], lines[two_boxes][1]
    emulator.ship_order(
        ids[two_boxes],
        tracking_number="9400BOX1",
        items=[{"lineItemKey": first.line_id, "quantity": first.quantity}],
    )
    emulator.ship_order(
        ids[two_boxes],
        tracking_number="9400BOX2",
        items=[{"lineItemKey": line.line_id} for line in lines[two_boxes][1:]],
    )
    one_unit = [{"lineItemKey": lines[split][0].line_id, "quantity": 1}]
    emulator.ship_order(ids[split], tracking_number="9400SPLIT1", items=one_unit)
    label = emulator.ship_order(ids[relabelled], tracking_number="VOIDME")
    emulator.void_label(label["shipmentId"])
    emulator.ship_order(ids[relabelled], tracking_number="RELABEL")
    await track(runtime)

    everything = {line.sku: line.quantity for line in lines[whole]}
    assert await state_of(shop, whole) == ("completed", [("1ZWHOLE", everything)])
    status, boxes = await state_of(shop, two_boxes)
    assert status == "completed"
    assert boxes == [
        ("9400BOX1", {first.sku: first.quantity}),
        ("9400BOX2", {line.sku: line.quantity for line in lines[two_boxes][1:]}),
    ]
    assert second.sku in boxes[1][1]
    assert await state_of(shop, split) == ("pending", [("9400SPLIT1", {lines[split][0].sku: 1})])
    status, relabels = await state_of(shop, relabelled)
    assert status == "completed" and [tracking for tracking, _ in relabels] == ["RELABEL"]

    emulator.ship_order(ids[split], tracking_number="9400SPLIT2")
    await track(runtime)
    status, parts = await state_of(shop, split)
    assert status == "completed"
    assert [tracking for tracking, _ in parts] == ["9400SPLIT1", "9400SPLIT2"]
    again = await track(runtime)
    assert again.applied == 0 and again.store_failures == 0
    assert len((await state_of(shop, split))[1]) == 2

    await check_a_pass_again_is_clean(runtime, emulator, placed)
    await store.aclose()

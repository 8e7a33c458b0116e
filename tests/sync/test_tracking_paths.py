"""Tracking end to end: webhooks as hints into the inbox, polling as truth, both into the store."""

from __future__ import annotations

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import run_pass, run_tracking, track
from stationmaster.shipstation.models import ShipmentList, WebhookPayload
from stationmaster.sync.inbox import page_url, process_inbox
from stationmaster.sync.subscriptions import sync_webhooks
from stationmaster.testing.factories import make_orders
from stationmaster.web.webhooks import WebhookTarget, webhooks_router
from tests.sync.conftest import Pushing, wire

pytestmark = pytest.mark.anyio

TOKEN = "hook-token-0123456789abcdef"


async def receiving(engine: AsyncEngine, *, duplicate: bool = False) -> tuple[Pushing, FastAPI]:
    app = FastAPI()
    emulator = Emulator(
        EmulatorConfig(
            api_key="k",
            api_secret="s",
            webhook_transport=httpx2.ASGITransport(app=app),
            webhook_duplicate_rate=1.0 if duplicate else 0.0,
        )
    )
    pushing = await wire(engine, emulator)
    target = WebhookTarget("shop", TOKEN, emulator.base_url)
    app.include_router(webhooks_router(engine, connections={"shop": target}))
    await sync_webhooks(
        pushing.runtime.push.client,
        connection="shop",
        public_url="http://stationmaster.test",
        token=TOKEN,
        store_id=None,
    )
    return pushing, app


async def pushed(pushing: Pushing, count: int) -> list[int]:
    orders = make_orders(count, seed=11)
    await pushing.store.ingest_many(orders)
    await run_pass(pushing.runtime)
    by_key = {o["orderKey"]: o["orderId"] for o in pushing.emulator.orders()}
    return [by_key[f"shop:{o.source_id}"] for o in orders]


async def live_packages(pushing: Pushing) -> dict[str, list[str]]:
    found = {}
    for order in make_orders(len(pushing.emulator.orders()), seed=11):
        shipment = await pushing.store.shipments_of(order.source_id)
        found[order.source_id] = sorted(
            p.tracking_number or "" for p in shipment.packages if not p.voided
        )
    return found


async def test_a_webhook_brings_tracking_without_a_poll(engine: AsyncEngine) -> None:
    pushing, _ = await receiving(engine)
    [first, _second] = await pushed(pushing, 2)
    await pushing.emulator.deliver_webhooks()  # ORDER_NOTIFY of the push
    label = pushing.emulator.ship_order(first)
    await pushing.emulator.deliver_webhooks()
    stats = await process_inbox(
        engine, "shop", pushing.runtime.push.client, pushing.runtime.tracker
    )
    assert stats.applied >= 1
    packages = await live_packages(pushing)
    assert label["trackingNumber"] in [n for numbers in packages.values() for n in numbers]
    async with engine.connect() as conn:
        counts = await db.inbox_counts(conn, "shop")
    assert counts.pending == 0 and counts.failed == 0


async def test_lost_webhooks_are_recovered_by_the_poll(engine: AsyncEngine) -> None:
    pushing, _ = await receiving(engine)
    ids = await pushed(pushing, 3)
    labels = [pushing.emulator.ship_order(order_id) for order_id in ids]
    pushing.emulator.pending_webhooks.clear()  # every delivery lost
    await run_tracking(pushing.runtime)
    numbers = sorted(n for numbers in (await live_packages(pushing)).values() for n in numbers)
    assert numbers == sorted(label["trackingNumber"] for label in labels)


async def test_duplicated_and_reordered_deliveries_change_nothing(engine: AsyncEngine) -> None:
    pushing, _ = await receiving(engine, duplicate=True)
    ids = await pushed(pushing, 2)
    pushing.emulator.ship_order(ids[0])
    pushing.emulator.ship_order(ids[1])
    results = await pushing.emulator.deliver_webhooks()
    assert any(r.duplicate for r in results)
    async with engine.connect() as conn:
        entries = await db.inbox_due(conn, "shop", 100)
    assert len(entries) == len({(e.resource_type, e.resource_url) for e in entries})
    client, tracker = pushing.runtime.push.client, pushing.runtime.tracker
    for entry in reversed(entries):  # newest first: the end state must not depend on order
        listed = await client.webhooks.resource(
            WebhookPayload(resource_url=entry.resource_url, resource_type=entry.resource_type)
        )
        if isinstance(listed, ShipmentList):
            await tracker.apply_shipments(listed.records())
    first = await live_packages(pushing)
    assert all(len(numbers) == 1 for numbers in first.values())
    await process_inbox(engine, "shop", client, tracker)  # the same deliveries, in order
    await track(pushing.runtime)
    assert await live_packages(pushing) == first


def test_page_url_keeps_the_batch_and_asks_for_a_page_with_items() -> None:
    url = (
        "https://ssapi6.shipstation.com/shipments?storeID=1&batchId=abc"
        "&includeShipmentItems=False&page=3"
    )
    assert page_url(url, 2) == (
        "https://ssapi6.shipstation.com/shipments?storeID=1&batchId=abc"
        "&includeShipmentItems=True&page=2&pageSize=500"
    )
    orders = "https://ssapi.shipstation.com/orders?storeID=1&importBatch=x"
    assert page_url(orders, 1).endswith("importBatch=x&page=1&pageSize=500")


async def test_a_partial_label_announced_without_items_stays_partial(engine: AsyncEngine) -> None:
    pushing, _ = await receiving(engine)
    order = next(o for o in make_orders(40, seed=11) if len(o.lines) > 1)
    await pushing.store.ingest_many(make_orders(40, seed=11))
    await run_pass(pushing.runtime)
    remote = next(
        o for o in pushing.emulator.orders() if o["orderKey"] == f"shop:{order.source_id}"
    )
    await pushing.emulator.deliver_webhooks()
    pushing.emulator.ship_order(remote["orderId"], items=[remote["items"][0]["lineItemKey"]])
    await pushing.emulator.deliver_webhooks()
    await process_inbox(engine, "shop", pushing.runtime.push.client, pushing.runtime.tracker)
    [stored] = (await pushing.store.orders_by_id([order.source_id])).values()
    assert stored.status == "partially shipped"

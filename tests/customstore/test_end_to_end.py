"""The emulator as ShipStation against our Custom Store endpoint: pull the export, ship, notify."""

from __future__ import annotations

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_orders
from stationmaster.web.customstore import CustomStoreTarget, customstore_router

pytestmark = pytest.mark.anyio


async def test_shipstation_pulls_every_page_and_its_labels_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "xml", mode="pull", store_kind="native")
    store = NativeStore(engine, "xml", source="xml")
    orders = make_orders(230, seed=9)
    await store.ingest_many(orders)
    target = CustomStoreTarget("xml", "ss-user", "ss-pass-123", store, load_rules({}), "xml")
    app = FastAPI()
    app.include_router(customstore_router(engine, connections={"xml": target}))
    to_us = httpx2.ASGITransport(app=app)

    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s"))
    linked = emulator.add_custom_store(
        url="https://shop.example.com/customstore/xml",
        username="ss-user",
        password="ss-pass-123",
        paid_status="paid,ready,processing",
    )
    pulled = await emulator.pull_custom_store(linked["storeId"], transport=to_us)
    assert pulled.outcome == "imported", pulled
    assert pulled.pages >= 3
    imported = {o["orderNumber"]: o for o in emulator.orders()}
    paid = [o for o in orders if o.status in ("paid", "ready", "processing")]
    assert paid and all(o.number in imported for o in paid)

    shipped = paid[0]
    label = emulator.ship_order(imported[shipped.number]["orderId"])
    results = await emulator.deliver_shipnotices(transport=to_us)
    assert [r.status for r in results] == [200]
    packages = (await store.shipments_of(shipped.source_id)).packages
    assert [p.tracking_number for p in packages] == [label["trackingNumber"]]

    again = await emulator.pull_custom_store(linked["storeId"], transport=to_us)
    assert again.outcome == "imported"
    assert len({o["orderNumber"] for o in emulator.orders()}) == len(imported)


async def test_wrong_credentials_import_nothing(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "xml", mode="pull", store_kind="native")
    store = NativeStore(engine, "xml", source="xml")
    await store.ingest_many(make_orders(5, seed=9))
    target = CustomStoreTarget("xml", "ss-user", "ss-pass-123", store, load_rules({}), "xml")
    app = FastAPI()
    app.include_router(customstore_router(engine, connections={"xml": target}))
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s"))
    linked = emulator.add_custom_store(
        url="https://shop.example.com/customstore/xml", username="ss-user", password="wrong"
    )
    pulled = await emulator.pull_custom_store(
        linked["storeId"], transport=httpx2.ASGITransport(app=app)
    )
    assert pulled.outcome == "failed"
    assert emulator.orders() == []

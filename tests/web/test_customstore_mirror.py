"""Pull mode for a store that is not native: the export serves a copy, notices go to the store."""

import base64
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.customstore.mirror import MIRROR_STREAM, Mirror
from stationmaster.domain import Order, Shipment
from stationmaster.stores import ChangeBatch, StoreError, Unreadable
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_orders, plain_order
from stationmaster.web.customstore import CustomStoreTarget, customstore_router, export_url
from stationmaster.wiretime import utcnow
from tests.customstore.support import SOURCE, assert_valid

pytestmark = pytest.mark.anyio

USER, PASSWORD = "ss-user", "s3cret-pass"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


@dataclass
class RemoteStore:
    """A store reached over the network, played by a native store on another connection."""

    inner: NativeStore
    down: bool = False
    broken: set[str] = field(default_factory=set)
    kind: str = "remote"
    capabilities = NativeStore.capabilities

    def _check(self) -> None:
        if self.down:
            raise StoreError("http://127.0.0.1:9/graphql: connection refused")

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        self._check()
        batch = await self.inner.changed_orders(cursor, limit)
        good = [o for o in batch.orders if o.source_id not in self.broken]
        bad = [Unreadable(o.source_id, "line 1 has no product") for o in batch.orders
               if o.source_id in self.broken]  # fmt: skip
        return ChangeBatch(good, batch.cursor, batch.more, bad)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        self._check()
        return await self.inner.orders_by_id(source_ids)

    async def set_status(self, source_id: str, status: str) -> None:
        self._check()
        await self.inner.set_status(source_id, status)

    async def apply_shipment(self, shipment: Shipment) -> None:
        self._check()
        await self.inner.apply_shipment(shipment)

    async def adjust_stock(self, sku: str, delta: int) -> int:
        self._check()
        return await self.inner.adjust_stock(sku, delta)


@dataclass
class Pulled:
    http: httpx2.AsyncClient
    remote: RemoteStore
    mirror: Mirror
    engine: AsyncEngine


@pytest.fixture
async def pulled(engine: AsyncEngine) -> AsyncIterator[Pulled]:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "upstream", mode="push", store_kind="native")
        await db.ensure_connection(conn, "xml", mode="pull", store_kind="remote")
    remote = RemoteStore(NativeStore(engine, "upstream", source="up"))
    mirror = Mirror(engine, "xml", remote, source=SOURCE, page=3)
    target = CustomStoreTarget(
        name="xml",
        user=USER,
        password=PASSWORD,
        store=remote,
        rules=load_rules(),
        source=SOURCE,
        mirror=mirror,
    )
    app = FastAPI()
    app.include_router(customstore_router(engine, connections={"xml": target}))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        yield Pulled(http, remote, mirror, engine)


async def _exported(pulled: Pulled) -> dict[str, str]:
    """Order id -> status of every order the export shows for the last hour, all pages."""
    now = utcnow()
    seen: dict[str, str] = {}
    page, pages = 1, 1
    while page <= pages:
        url = export_url("", "xml", now - timedelta(hours=1), now + timedelta(minutes=1), page)
        reply = await pulled.http.get(url, headers=BASIC)
        assert reply.status_code == 200
        root = assert_valid(reply.content)
        pages = int(root.get("pages"))
        for order in root.iterfind("Order"):
            seen[order.findtext("OrderID")] = order.findtext("OrderStatus")
        page += 1
    return seen


async def _problem(pulled: Pulled) -> str | None:
    async with pulled.engine.connect() as conn:
        (row,) = await db.connection_counters(conn, ["xml"])
    return row.problem


async def test_the_export_serves_the_stores_orders_and_follows_its_changes(
    pulled: Pulled,
) -> None:
    orders = make_orders(7, seed=5)
    for order in orders:
        await pulled.remote.inner.put(order)
    assert await _exported(pulled) == {o.source_id: o.status for o in orders}
    await pulled.remote.inner.set_status(orders[2].source_id, "on hold")
    assert (await _exported(pulled))[orders[2].source_id] == "on hold"


async def test_a_store_that_is_down_leaves_the_last_copy_and_a_noted_problem(
    pulled: Pulled,
) -> None:
    orders = make_orders(3, seed=6)
    for order in orders:
        await pulled.remote.inner.put(order)
    before = await _exported(pulled)
    pulled.remote.down = True
    await pulled.remote.inner.put(plain_order(source_id="late", number="LATE-1"))
    assert await _exported(pulled) == before
    assert await _problem(pulled) == (
        "store (remote): http://127.0.0.1:9/graphql: connection refused"
    )
    pulled.remote.down = False
    assert "late" in await _exported(pulled)
    assert await _problem(pulled) is None


async def test_an_order_the_store_cannot_hand_over_is_noted_and_the_rest_are_served(
    pulled: Pulled,
) -> None:
    orders = make_orders(4, seed=8)
    pulled.remote.broken.add(orders[1].source_id)
    for order in orders:
        await pulled.remote.inner.put(order)
    shown = await _exported(pulled)
    assert set(shown) == {o.source_id for o in orders} - {orders[1].source_id}
    async with pulled.engine.connect() as conn:
        record = await db.get_sync_record(conn, "xml", f"{SOURCE}:{orders[1].source_id}")
        cursor = await db.get_cursor(conn, "xml", MIRROR_STREAM)
    assert record is not None and record.last_error == "store: line 1 has no product"
    assert cursor is not None


async def test_a_ship_notice_goes_to_the_store_itself(pulled: Pulled) -> None:
    order = plain_order(source_id="o1", number="ORD-1", status="paid")
    await pulled.remote.inner.put(order)
    await _exported(pulled)
    url = "/customstore/xml?action=shipnotify&order_number=ORD-1&carrier=UPS&tracking_number=1Z1"
    reply = await pulled.http.post(url, content=b"", headers=BASIC)
    assert (reply.status_code, reply.text.strip()) == (200, "applied")
    shipment = await pulled.remote.inner.shipments_of("o1")
    assert [p.tracking_number for p in shipment.packages] == ["1Z1"]
    assert (await pulled.remote.inner.get("o1")).status == "shipped"


async def test_a_connector_store_without_a_mirror_is_refused(engine: AsyncEngine) -> None:
    remote = RemoteStore(NativeStore(engine, "upstream", source="up"))
    with pytest.raises(ValueError, match="needs a mirror"):
        CustomStoreTarget("xml", USER, PASSWORD, remote, load_rules(), SOURCE)

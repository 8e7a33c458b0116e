"""Finding an order and reading its whole story: snapshot, payloads with fingerprints,
ShipStation ids, tracking, dead letters and exchanges, secrets redacted, in a few queries."""

import json
from collections.abc import Sequence
from dataclasses import replace

import anyio
import httpx2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order, Shipment
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import ChangeBatch, StoreError
from stationmaster.sync.mapping import fingerprint
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_order
from stationmaster.web.dashboard import ConnectionSetup, DashboardOptions
from stationmaster.web.dashboard.story import sent_payloads, whole_values
from tests.web.dashboard.support import (
    NOW,
    client_for,
    counting_queries,
    log_in,
    make_app,
    minutes_ago,
    park_letter,
    record_call,
    shared_login,
    text_of,
)

pytestmark = pytest.mark.anyio

KEY = "shop:100001"
SECRET = "s3cr3t-value-never-shown"


def wire(key: str, number: str, **extra: object) -> dict[str, object]:
    return {"orderKey": key, "orderNumber": number, "orderStatus": "awaiting_shipment", **extra}


async def _seed_story(engine: AsyncEngine) -> dict[str, object]:
    """Order SM-10001 of shop: refused once, then accepted, shipped and tracked."""
    store = NativeStore(engine, "shop", source="shop")
    await store.ingest(make_order(1))
    await park_letter(engine, "shop", KEY, minutes_ago(90), reason="Invalid postal code")
    ours = wire(KEY, "SM-10001", shipTo={"postalCode": "98101"})
    other = wire("shop:100002", "SM-10002")
    audit_id = await record_call(
        engine,
        "shop",
        minutes_ago(30),
        request=[other, ours],
        response={"results": [{"orderKey": KEY, "orderId": 7, "success": True}]},
        headers={"Authorization": f"Basic {SECRET}", "X-Rate-Limit-Remaining": "39"},
    )
    await record_call(
        engine, "shop", minutes_ago(29), method="POST", request={"apiSecret": SECRET, "x": KEY}
    )
    async with engine.begin() as conn:
        await db.remember_sources(conn, "shop", {KEY: "100001"}, now=minutes_ago(31))
        await db.enqueue(
            conn, "shop", [db.OutboxItem(KEY, ours, fingerprint(ours))], now=minutes_ago(31)
        )
        rows = await db.claim(conn, "shop", 10, now=minutes_ago(31))
        await db.record_successes(conn, [(rows[0], 7, "awaiting_shipment")], now=minutes_ago(30))
        await db.record_tracked(
            conn,
            "shop",
            [
                db.TrackedWrite(
                    "100001", "shipment:300000019", 7, "1Z999", {"carrier": "ups"}, False
                )
            ],
            now=minutes_ago(10),
        )
        await db.link_orders(conn, "shop", [(8, KEY, "split")])
    return {"audit_id": audit_id, "fingerprint": fingerprint(ours)}


async def test_search_by_key_number_or_store_id_goes_straight_to_the_order(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    await _seed_story(shop)
    for query in (KEY, "SM-10001", "100001"):
        answer = await logged_in.get("/orders", params={"q": query})
        assert answer.status_code == 303, query
        assert answer.headers["location"] == "/order?connection=shop&key=shop%3A100001"


async def test_a_number_in_two_connections_lists_both(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    async with shop.begin() as conn:
        await db.ensure_connection(conn, "outlet", mode="push", store_kind="native")
    await NativeStore(shop, "shop", source="shop").ingest(make_order(1))
    await NativeStore(shop, "outlet", source="outlet").ingest(make_order(1))
    answer = await logged_in.get("/orders", params={"q": "SM-10001"})
    assert answer.status_code == 200
    assert "2 orders match" in text_of(answer)
    assert "outlet:100001" in answer.text and "shop:100001" in answer.text
    narrowed = await logged_in.get("/orders", params={"q": "SM-10001", "connection": "outlet"})
    assert narrowed.headers["location"] == "/order?connection=outlet&key=outlet%3A100001"
    nothing = await logged_in.get("/orders", params={"q": "SM-404"})
    assert "No order matches “SM-404”" in text_of(nothing)


async def test_the_story_tells_everything_and_shows_no_secret(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    seeded = await _seed_story(shop)
    answer = await logged_in.get("/order", params={"connection": "shop", "key": KEY})
    assert answer.status_code == 200
    page = text_of(answer)
    assert "SM-10001" in page  # the store snapshot
    assert "Stored copy, version 1" in page
    assert (
        f"Fingerprint <code>{seeded['fingerprint']}</code> <strong>(what ShipStation holds now)"
        in page
    )
    assert "98101" in page  # the payload sent
    assert "ShipStation order id</dt><dd>7" in page
    assert "order 8 carries shipments of this order" in page
    assert "1Z999" in page
    assert "Invalid postal code" in page
    assert "/orders/createorders" in page
    assert SECRET not in page
    assert "[redacted]" in page


async def test_the_story_takes_a_few_queries(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    await _seed_story(shop)
    await logged_in.get("/order", params={"connection": "shop", "key": KEY})
    with counting_queries(shop) as counted:
        answer = await logged_in.get("/order", params={"connection": "shop", "key": KEY})
    assert answer.status_code == 200
    assert counted.count <= 8, counted.statements


async def test_an_unknown_order_or_a_half_address_is_a_clear_error(
    logged_in: httpx2.AsyncClient,
) -> None:
    half = await logged_in.get("/order", params={"connection": "shop"})
    assert half.status_code == 400
    assert "needs both connection and key" in half.text
    unknown = await logged_in.get("/order", params={"connection": "shop", "key": "shop:0"})
    assert unknown.status_code == 404
    assert "no order with key 'shop:0' in connection 'shop'" in text_of(unknown)


def test_a_body_cut_by_the_size_cap_still_gives_the_orders_before_the_cut() -> None:
    first, second = wire("a:1", "1"), wire("a:2", "2", notes="x" * 50)
    text = json.dumps([first, second])
    cut = text[: len(text) - 20] + "…[truncated 20 bytes]"
    assert whole_values(cut) == [first]
    assert whole_values(text) == [first, second]
    assert whole_values(json.dumps(first)) == [first]
    assert whole_values("not json") == []
    entry = db.AuditEntry(1, NOW, "a", "k", "POST", "u", cut, 200, None, {}, 1, 0.1, None)
    [found] = sent_payloads([entry], "a:1", fingerprint(first))
    assert found.whole and found.current and found.payload == first
    [lost] = sent_payloads([entry], "a:2", None)
    assert not lost.whole and lost.fingerprint is None


class FarStore:
    """A store whose orders are not in our tables (as Oscar's or Vendure's are not)."""

    kind = "far"
    capabilities = frozenset({"orders"})

    def __init__(self, order: Order | None, *, fail: bool = False, delay: float = 0.0) -> None:
        self.order, self.fail, self.delay = order, fail, delay

    async def changed_orders(self, cursor: object, limit: int) -> ChangeBatch:
        return ChangeBatch([], cursor, False)  # type: ignore[arg-type]

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        await anyio.sleep(self.delay)
        if self.fail:
            raise StoreError("503 from the shop")
        found = self.order
        return (
            {found.source_id: found} if found is not None and found.source_id in source_ids else {}
        )

    async def set_status(self, source_id: str, status: str) -> None:
        raise NotImplementedError

    async def apply_shipment(self, shipment: Shipment) -> None:
        raise NotImplementedError

    async def adjust_stock(self, sku: str, delta: int) -> int:
        raise NotImplementedError


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        (FarStore(make_order(3)), "SM-10003"),
        (FarStore(None), "The store no longer has this order."),
        (FarStore(make_order(3), fail=True), "Could not read the store: the store failed: 503"),
        (FarStore(make_order(3), delay=5), "the store did not answer in time"),
    ],
)
async def test_a_remote_store_is_read_live_and_its_failures_are_shown(
    shop: AsyncEngine, store: FarStore, expected: str
) -> None:
    async with shop.begin() as conn:
        await db.ensure_connection(conn, "far", mode="push", store_kind="far")
        await db.remember_sources(conn, "far", {"far:100003": "100003"})
    setup = ConnectionSetup(store, load_rules({}), "far")  # type: ignore[arg-type]
    options = DashboardOptions(login=shared_login(), connections={"far": setup}, store_timeout=0.2)
    async with client_for(make_app(shop, options=replace(options), now=NOW)) as http:
        await log_in(http)
        answer = await http.get("/order", params={"connection": "far", "key": "far:100003"})
    assert answer.status_code == 200
    assert expected in text_of(answer)

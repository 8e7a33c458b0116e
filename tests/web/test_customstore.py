"""The Custom Store URL: XSD-valid export pages over a window, ship notices applied once
through the tracking path, and every bad request a plain 4xx that changes nothing."""

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.customstore.export import ExportOptions
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_orders, plain_order
from stationmaster.web.customstore import CustomStoreTarget, customstore_router, export_url
from tests.customstore.support import SOURCE, assert_valid, store_at

pytestmark = pytest.mark.anyio

USER, PASSWORD = "ss-user", "s3cret-pass"
T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


@dataclass
class Shop:
    http: httpx2.AsyncClient
    store: NativeStore
    engine: AsyncEngine


@pytest.fixture
async def shop(engine: AsyncEngine) -> AsyncIterator[Shop]:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "xml", mode="pull", store_kind="native")
    store = NativeStore(engine, "xml", source=SOURCE)
    target = CustomStoreTarget(
        name="xml",
        user=USER,
        password=PASSWORD,
        store=store,
        rules=load_rules(),
        source=SOURCE,
        export=ExportOptions(page_size=7),
        max_notice_bytes=64 * 1024,
    )
    app = FastAPI()
    app.include_router(customstore_router(engine, connections={"xml": target}))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        yield Shop(http, store, engine)


def _window(page: int = 1, start: datetime = T0, end: datetime = T0 + timedelta(hours=1)) -> str:
    return export_url("", "xml", start, end, page)


async def test_export_pages_a_window_of_generated_orders_and_each_page_validates(
    shop: Shop,
) -> None:
    orders = make_orders(40, seed=3)
    for index, order in enumerate(orders):
        await store_at(shop.engine, "xml", order, T0 + timedelta(minutes=index))
    seen: list[str] = []
    first = await shop.http.get(_window(), headers=BASIC)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/xml")
    pages = int(assert_valid(first.content).get("pages"))
    assert pages == -(-40 // 7)
    for page in range(1, pages + 2):
        reply = await shop.http.get(_window(page), headers=BASIC)
        root = assert_valid(reply.content)
        assert root.get("pages") == str(pages)
        seen += [order.findtext("OrderID") for order in root.iterfind("Order")]
    exported = set(seen)
    assert len(seen) == len(exported)
    assert exported <= {order.source_id for order in orders}
    assert len(exported) >= 30


async def test_window_is_inclusive_by_minute_and_status_is_the_stores_own(shop: Shop) -> None:
    inside = plain_order(source_id="in", number="N-1", status="cancelled")
    edge = plain_order(source_id="edge", number="N-2")
    outside = plain_order(source_id="out", number="N-3")
    await store_at(shop.engine, "xml", inside, T0)
    await store_at(shop.engine, "xml", edge, T0 + timedelta(hours=1, seconds=59))
    await store_at(shop.engine, "xml", outside, T0 + timedelta(hours=1, minutes=1))
    root = assert_valid((await shop.http.get(_window(), headers=BASIC)).content)
    assert [o.findtext("OrderID") for o in root.iterfind("Order")] == ["in", "edge"]
    assert root.find("Order").findtext("OrderStatus") == "cancelled"
    empty = await shop.http.get(
        _window(start=T0 - timedelta(days=2), end=T0 - timedelta(days=1)), headers=BASIC
    )
    assert assert_valid(empty.content).get("pages") == "0"


async def test_hostile_text_stays_valid(shop: Shop) -> None:
    nasty = "Ø ]]> & <b> \"q\" 'a' £ é 🚀 שלום \x01\x1f"
    order = plain_order(source_id="x1", customer_notes=nasty, internal_notes="]]>" * 400)
    await store_at(shop.engine, "xml", order, T0)
    root = assert_valid((await shop.http.get(_window(), headers=BASIC)).content)
    assert root.findtext("Order/CustomerNotes") == nasty[:-2]  # controls dropped
    assert len(root.findtext("Order/InternalNotes")) <= 1000


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("action=export", {}),
        ("action=export", {"Authorization": "Basic " + base64.b64encode(b"ss-user:nope").decode()}),
        ("action=export&SS-UserName=ss-user&SS-Password=wrong", {}),
        ("action=export", {"Authorization": "Basic !!!"}),
    ],
)
async def test_wrong_or_missing_credentials_get_401_with_a_challenge(
    shop: Shop, query: str, headers: dict[str, str]
) -> None:
    reply = await shop.http.get(f"/customstore/xml?{query}", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == 'Basic realm="ShipStation"'
    assert (
        await shop.http.get("/customstore/other?action=export", headers=BASIC)
    ).status_code == 401


async def test_query_credentials_match_names_in_any_case(shop: Shop) -> None:
    url = _window() + f"&ss-username={USER}&SS-PASSWORD={PASSWORD}"
    assert (await shop.http.get(url)).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "",
        "action=dance",
        "action=export",
        "action=export&start_date=garbage&end_date=11/21/2026 09:00",
        "action=export&start_date=11/21/2026 10:00&end_date=11/21/2026 09:00",
        "action=export&start_date=11/21/2026 08:00&end_date=11/21/2026 09:00&page=0",
        "action=export&start_date=11/21/2026 08:00&end_date=11/21/2026 09:00&page=x",
    ],
)
async def test_bad_export_requests_get_400_in_plain_text(shop: Shop, query: str) -> None:
    reply = await shop.http.get(f"/customstore/xml?{query}", headers=BASIC)
    assert reply.status_code == 400
    assert reply.text.strip()


async def test_action_is_matched_without_case(shop: Shop) -> None:
    url = _window().replace("action=export", "action=EXPORT")
    assert (await shop.http.get(url, headers=BASIC)).status_code == 200


def _notice(number: str, tracking: str, items: str) -> bytes:
    return (
        f"<ShipNotice><OrderNumber>{number}</OrderNumber><TrackingNumber>{tracking}</TrackingNumber>"
        f"<Carrier>UPS</Carrier><Items>{items}</Items></ShipNotice>"
    ).encode()


def _item(line: str, quantity: int) -> str:
    return f"<Item><LineItemID>{line}</LineItemID><Quantity>{quantity}</Quantity></Item>"


async def _packages(shop: Shop, source_id: str) -> list[str | None]:
    shipment = await shop.store.shipments_of(source_id)
    return sorted(p.tracking_number or "" for p in shipment.packages)


async def test_two_packages_ship_the_order_and_a_repeat_changes_nothing(shop: Shop) -> None:
    order = plain_order(source_id="o1", number="ORD-1", status="paid")
    await shop.store.put(order)
    first, second = order.lines[0], order.lines[1]
    url = "/customstore/xml?action=shipnotify&order_number=ORD-1&carrier=UPS&service=Ground"
    one = _notice("ORD-1", "1Z1", _item(first.line_id, first.quantity))
    reply = await shop.http.post(url + "&tracking_number=1Z1", content=one, headers=BASIC)
    assert (reply.status_code, reply.text.strip()) == (200, "applied")
    assert (await shop.store.get("o1")).status == "partially shipped"
    again = await shop.http.post(url + "&tracking_number=1Z1", content=one, headers=BASIC)
    assert (again.status_code, again.text.strip()) == (200, "already applied")
    two = _notice("ORD-1", "1Z2", _item(second.line_id, second.quantity))
    await shop.http.post(url + "&tracking_number=1Z2", content=two, headers=BASIC)
    assert await _packages(shop, "o1") == ["1Z1", "1Z2"]
    assert (await shop.store.get("o1")).status == "shipped"


async def test_an_empty_body_falls_back_to_the_query(shop: Shop) -> None:
    await shop.store.put(plain_order(source_id="o2", number="ORD-2", status="paid"))
    url = "/customstore/xml?action=shipnotify&order_number=ORD-2&carrier=USPS&tracking_number=9400"
    reply = await shop.http.post(url, content=b"", headers=BASIC)
    assert reply.status_code == 200
    assert await _packages(shop, "o2") == ["9400"]
    assert (await shop.store.get("o2")).status == "shipped"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><ShipNotice>&x;</ShipNotice>',
            400,
        ),
        (
            b'<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<ShipNotice>&b;</ShipNotice>",
            400,
        ),
        (b"<ShipNotice>" + b"x" * (10 * 1024 * 1024) + b"</ShipNotice>", 400),
        (b"not xml", 400),
        (_notice("ORD-404", "1Z9", ""), 404),
        (_notice("ORD-3", "1Z9", _item("no-such-line", 1)), 422),
    ],
)
async def test_bad_notices_are_refused_and_change_nothing(
    shop: Shop, body: bytes, code: int
) -> None:
    await shop.store.put(plain_order(source_id="o3", number="ORD-3", status="paid"))
    url = "/customstore/xml?action=shipnotify&order_number=ORD-3&tracking_number=1Z9"
    if b"ORD-404" in body:
        url = url.replace("ORD-3", "ORD-404")
    reply = await shop.http.post(url, content=body, headers=BASIC)
    assert reply.status_code == code
    assert await _packages(shop, "o3") == []
    assert (await shop.store.get("o3")).status == "paid"


async def test_methods_must_match_the_action(shop: Shop) -> None:
    assert (await shop.http.post(_window(), headers=BASIC)).status_code == 405
    reply = await shop.http.get("/customstore/xml?action=shipnotify", headers=BASIC)
    assert reply.status_code == 405


async def test_a_pull_connection_serves_a_store_another_connection_pushes(
    engine: AsyncEngine,
) -> None:
    """One native store served both ways (as the demo does): the export pages the store's
    own orders, and a notice finds its order by number there."""
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "api", mode="push", store_kind="native")
        await db.ensure_connection(conn, "api-xml", mode="pull", store_kind="native")
    store = NativeStore(engine, "api", source=SOURCE)
    order = plain_order(source_id="o9", number="ORD-9", status="paid")
    await store_at(engine, "api", order, T0 + timedelta(minutes=5))
    target = CustomStoreTarget("api-xml", USER, PASSWORD, store, load_rules(), SOURCE)
    assert target.orders_connection == "api"
    app = FastAPI()
    app.include_router(customstore_router(engine, connections={"api-xml": target}))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        export = await http.get(
            export_url("", "api-xml", T0, T0 + timedelta(hours=1)), headers=BASIC
        )
        assert export.status_code == 200
        assert_valid(export.content)
        assert export.text.count("<Order>") == 1 and "ORD-9" in export.text
        url = "/customstore/api-xml?action=shipnotify&order_number=ORD-9&tracking_number=1Z9"
        reply = await http.post(url, content=b"", headers=BASIC)
        assert (reply.status_code, reply.text.strip()) == (200, "applied")
        unknown = url.replace("ORD-9", "ORD-404")
        assert (await http.post(unknown, content=b"", headers=BASIC)).status_code == 404
    assert [p.tracking_number for p in (await store.shipments_of("o9")).packages] == ["1Z9"]


async def test_an_export_whose_note_cannot_be_written_is_still_served(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError
    from structlog.testing import capture_logs

    from stationmaster.customstore.export import EXPORT_STREAM

    await store_at(shop.engine, "xml", plain_order(source_id="n1"), T0 + timedelta(minutes=1))

    async def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE cursors", {}, Exception("database is locked"))

    monkeypatch.setattr(db, "set_cursor", locked)
    with capture_logs() as logs:
        reply = await shop.http.get(_window(), headers=BASIC)
    assert reply.status_code == 200 and reply.text.count("<Order>") == 1
    assert [e["error"] for e in logs if e["event"] == "customstore.export_not_noted"] == [
        "OperationalError"
    ]
    monkeypatch.undo()
    async with shop.engine.connect() as conn:
        assert await db.get_cursor(conn, "xml", EXPORT_STREAM) is None

"""The emulator as ShipStation against a Custom Store URL: pulls, status mapping, ship notices."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import httpx2
import pytest
from defusedxml import ElementTree as safe_xml
from starlette.types import Receive, Scope, Send

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock, Missing, Refused
from tests.emulator.helpers import KEY, SECRET, START

pytestmark = pytest.mark.anyio

URL = "http://shop.test/shipstation?auth_key=abc"
USER, PASSWORD = "ss-user", "p@ss word&1"
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "examples"


def order_xml(number: int, status: str = "paid", *, sku: str = "MUG") -> str:
    return f"""<Order><OrderID><![CDATA[id-{number}]]></OrderID>
<OrderNumber><![CDATA[N-{number}]]></OrderNumber><OrderDate>03/02/2026 17:05</OrderDate>
<OrderStatus><![CDATA[{status}]]></OrderStatus><LastModified>03/02/2026 17:30</LastModified>
<OrderTotal>25.00</OrderTotal><ShippingAmount>5.00</ShippingAmount>
<Customer><CustomerCode>c{number}@example.com</CustomerCode>
<BillTo><Name>Buyer {number}</Name></BillTo>
<ShipTo><Name>Buyer {number}</Name><Address1>1 Main St</Address1><City>Austin</City>
<State>TX</State><PostalCode>78701</PostalCode><Country>US</Country></ShipTo></Customer>
<Items><Item><LineItemID>li-{number}-a</LineItemID><SKU>{sku}</SKU><Name>Mug</Name>
<Weight>12</Weight><WeightUnits>Ounces</WeightUnits><Quantity>2</Quantity>
<UnitPrice>10.00</UnitPrice></Item></Items></Order>"""


def pages_of(orders: list[str], per_page: int) -> dict[int, bytes]:
    chunks = [orders[i : i + per_page] for i in range(0, len(orders), per_page)] or [[]]
    return {
        n: f'<?xml version="1.0" encoding="utf-8"?><Orders pages="{len(orders) and len(chunks)}">'
        f"{''.join(chunk)}</Orders>".encode()
        for n, chunk in enumerate(chunks, start=1)
    }


@dataclass
class Seen:
    method: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeStore:
    """A tiny Custom Store (ASGI): serves export pages, records shipnotify POSTs, checks auth."""

    pages: dict[int, bytes] = field(default_factory=dict)
    #: Forced answers (status, body) for the next requests, oldest first.
    forced: list[tuple[int, bytes]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def authorised(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        by_header = headers.get("authorization") == f"Basic {token}"
        lowered = {k.lower(): v for k, v in query.items()}
        by_query = lowered.get("ss-username") == USER and lowered.get("ss-password") == PASSWORD
        return by_header or by_query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append(Seen(scope["method"], query, headers, body))
        if self.forced:
            status, content = self.forced.pop(0)
        elif not self.authorised(query, headers) or query.get("auth_key") != "abc":
            status, content = 401, b"no"
        elif query.get("action") == "export":
            status, content = 200, self.pages.get(int(query["page"]), pages_of([], 1)[1])
        else:
            status, content = 200, b""
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": content})

    @property
    def exports(self) -> list[Seen]:
        return [s for s in self.seen if s.query.get("action") == "export"]

    @property
    def notices(self) -> list[Seen]:
        return [s for s in self.seen if s.query.get("action") == "shipnotify"]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def emu(store: FakeStore) -> Emulator:
    config = EmulatorConfig(
        api_key=KEY, api_secret=SECRET, customstore_transport=httpx2.ASGITransport(app=store)
    )
    return Emulator(config, clock=ManualClock(START))


def link(emu: Emulator, **options: object) -> int:
    row = emu.add_custom_store(url=URL, username=USER, password=PASSWORD, **options)
    return int(row["storeId"])


def by_number(emu: Emulator) -> dict[str, dict[str, object]]:
    return {o["orderNumber"]: o for o in emu.orders()}


async def test_pulls_reference_example_and_maps_fields(emu: Emulator, store: FakeStore) -> None:
    store.pages = {1: (EXAMPLES / "export-two-orders.xml").read_bytes()}
    store_id = link(emu)
    start, end = datetime(2026, 11, 21, 9, tzinfo=UTC), datetime(2026, 11, 21, 10, tzinfo=UTC)
    result = await emu.pull_custom_store(store_id, start, end)
    assert result.outcome == "imported" and result.created == ("ORD-1001", "ORD-1002")
    sent = store.exports[0].query
    assert sent["start_date"] == "11/21/2026 09:00" and sent["end_date"] == "11/21/2026 10:00"
    assert sent["page"] == "1" and sent["SS-UserName"] == USER and sent["SS-Password"] == PASSWORD
    assert store.exports[0].headers["authorization"].startswith("Basic ")
    order = by_number(emu)["ORD-1002"]
    assert order["orderKey"] == "sm-acme-000982" and order["orderStatus"] == "awaiting_shipment"
    assert order["orderDate"] == "2026-11-21T00:47:00.0000000"  # 08:47 UTC in Pacific time
    assert order["advancedOptions"]["storeId"] == store_id  # type: ignore[index]
    items = order["items"]
    assert [i["lineItemKey"] for i in items] == ["li-2001", "li-2002", "li-2003"]  # type: ignore[attr-defined,index]
    assert items[2]["adjustment"] is True and items[2]["unitPrice"] == -10.3  # type: ignore[index]
    assert "]]>" in str(by_number(emu)["ORD-1001"]["internalNotes"])


async def test_all_pages_statuses_and_update_on_repull(emu: Emulator, store: FakeStore) -> None:
    statuses = ["paid", "unpaid", "Paid", "processing", "cancelled", "on_hold", "paid"]
    orders = [order_xml(n, s) for n, s in enumerate(statuses, start=1)]
    store.pages = pages_of(orders, 3)
    store_id = link(emu, paid_status="paid,processing")
    result = await emu.pull_custom_store(store_id)
    assert result.pages == 3 and [f.page for f in result.fetches] == [1, 2, 3]
    assert result.skipped == (("N-3", "Paid"),)  # case-sensitive, as ShipStation
    found = {n: o["orderStatus"] for n, o in by_number(emu).items()}
    assert found == {
        "N-1": "awaiting_shipment",
        "N-2": "awaiting_payment",
        "N-4": "awaiting_shipment",
        "N-5": "cancelled",
        "N-6": "on_hold",
        "N-7": "awaiting_shipment",
    }
    first_end = result.end
    emu.advance(600)
    store.pages = pages_of([order_xml(2, "paid", sku="MUG-2"), order_xml(5, "paid")], 10)
    again = await emu.pull_custom_store(store_id)
    assert again.start == first_end and again.updated == ("N-2",) and again.unchanged == ("N-5",)
    orders_now = by_number(emu)
    assert orders_now["N-2"]["orderStatus"] == "awaiting_shipment"
    assert orders_now["N-2"]["items"][0]["sku"] == "MUG-2"  # type: ignore[index]
    assert orders_now["N-5"]["orderStatus"] == "cancelled"  # a locked order is not reopened
    assert len(emu.orders()) == 6


async def test_label_sends_shipnotice_with_package_items(emu: Emulator, store: FakeStore) -> None:
    store.pages = {1: (EXAMPLES / "export-two-orders.xml").read_bytes()}
    store_id = link(emu)
    await emu.pull_custom_store(store_id)
    order = by_number(emu)["ORD-1002"]
    shipment = emu.ship_order(int(order["orderId"]), carrier_code="ups", items=["li-2001"])  # type: ignore[call-overload]
    assert store.notices == [] and len(emu.pending_shipnotices) == 1
    results = await emu.deliver_shipnotices()
    assert [r.outcome for r in results] == ["delivered"] and results[0].status == 200
    notice = store.notices[0]
    assert notice.method == "POST" and notice.headers["content-type"].startswith("application/xml")
    assert notice.query["order_number"] == "ORD-1002" and notice.query["carrier"] == "UPS"
    assert notice.query["tracking_number"] == shipment["trackingNumber"]
    body = safe_xml.fromstring(notice.body)
    assert body.findtext("OrderID") == "sm-acme-000982"
    assert [(i.findtext("LineItemID"), i.findtext("Quantity")) for i in body.iter("Item")] == [
        ("li-2001", "2")
    ]
    assert body.findtext("LabelCreateDate") == START.strftime("%m/%d/%Y %H:%M")
    assert emu.shipments()[0]["marketplaceNotified"] is True


async def test_mark_shipped_sends_notice_and_failure_is_recorded(
    emu: Emulator, store: FakeStore
) -> None:
    store.pages = pages_of([order_xml(1)], 5)
    await emu.pull_custom_store(link(emu))
    order_id = int(emu.orders()[0]["orderId"])
    emu.mark_shipped(order_id, carrier_code="fedex")
    store.forced = [(500, b"boom")]
    result = (await emu.deliver_shipnotices())[0]
    assert result.outcome == "failed" and result.status == 500
    assert (
        store.notices[0].query["tracking_number"] == "" and store.notices[0].query["service"] == ""
    )
    fulfillment = emu.fulfillments()[0]
    assert (
        fulfillment["marketplaceNotified"] is False and "500" in fulfillment["notifyErrorMessage"]
    )


async def test_orders_of_other_stores_send_no_notice(emu: Emulator, store: FakeStore) -> None:
    link(emu)
    created = emu.seed(
        orders=[
            {
                "orderNumber": "M-1",
                "orderDate": "2026-03-02",
                "orderStatus": "awaiting_shipment",
                "billTo": {"name": "A"},
                "shipTo": {"name": "A", "postalCode": "98101"},
            }
        ]
    )
    emu.ship_order(created["orders"][0]["orderId"])
    assert emu.pending_shipnotices == []


@pytest.mark.parametrize("mode", ["header", "query"])
async def test_credentials_one_way_only(emu: Emulator, store: FakeStore, mode: str) -> None:
    store.pages = pages_of([order_xml(1)], 5)
    result = await emu.pull_custom_store(link(emu, credentials=mode))
    assert result.outcome == "imported"
    sent = store.exports[0]
    assert ("authorization" in sent.headers) is (mode == "header")
    assert ("SS-Password" in sent.query) is (mode == "query")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((401, b"no"), "answered 401"),
        ((500, b"<html>oops</html>"), "answered 500"),
        ((200, b""), "Root element is missing"),
        ((200, b"<Orders pages='1'><Order>"), "invalid XML"),
        ((200, b"<html><body>hi</body></html>"), "not <Orders>"),
        (
            (200, b'<!DOCTYPE Orders [<!ENTITY x "y">]><Orders pages="1">&x;</Orders>'),
            "refused XML",
        ),
    ],
)
async def test_bad_answers_import_nothing(
    emu: Emulator, store: FakeStore, answer: tuple[int, bytes], expected: str
) -> None:
    store_id = link(emu)
    before = emu.orders()
    store.forced = [answer]
    result = await emu.pull_custom_store(store_id)
    assert result.outcome == "failed" and expected in (result.error or "")
    assert PASSWORD not in (result.error or "")
    assert emu.orders() == before and emu.pulls[-1] is result
    store.pages = pages_of([order_xml(1)], 5)
    retry = await emu.pull_custom_store(store_id)
    assert retry.start == result.start  # a failed window is asked for again


async def test_failing_later_page_imports_nothing(emu: Emulator, store: FakeStore) -> None:
    store.pages = pages_of([order_xml(n) for n in range(1, 5)], 2)
    store.pages[2] = b"not xml"
    result = await emu.pull_custom_store(link(emu))
    assert result.outcome == "failed" and [f.status for f in result.fetches] == [200, 200]
    assert emu.orders() == []


async def test_wrong_credentials_are_401(emu: Emulator, store: FakeStore) -> None:
    store_id = int(emu.add_custom_store(url=URL, username=USER, password="wrong")["storeId"])
    result = await emu.pull_custom_store(store_id)
    assert result.outcome == "failed" and "401" in (result.error or "")
    assert "wrong" not in repr(emu.custom_store(store_id))


async def test_refreshstore_api_and_control_api(emu: Emulator, store: FakeStore) -> None:
    store.pages = pages_of([order_xml(1)], 5)
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
    ) as http:
        made = await http.post(
            "/_emulator/custom-stores",
            json={"url": URL, "username": USER, "password": PASSWORD, "store_id": 310555},
        )
        assert made.status_code == 201 and "password" not in made.json()["custom_store"]
        refreshed = await http.post("/stores/refreshstore", params={"storeId": 310555})
        assert refreshed.json()["success"] is True
        pulls = (await http.post("/_emulator/custom-stores/refreshes")).json()["pulls"]
        assert pulls[0]["outcome"] == "imported" and pulls[0]["created"] == ["N-1"]
        store.forced = [(500, b"")]
        failed = await http.post("/_emulator/custom-stores/310555/pull", json={})
        assert failed.json()["outcome"] == "failed"
        listed = (await http.get("/_emulator/custom-stores/pulls")).json()["pulls"]
        assert [p["outcome"] for p in listed] == ["imported", "failed"]
        mapped = (await http.get("/stores/310555")).json()["statusMappings"]
        assert {"orderStatus": "awaiting_shipment", "statusKey": "paid"} in mapped
        bad = await http.post("/_emulator/custom-stores", json={"url": "ftp://x", "username": "u"})
        assert bad.status_code == 400


async def test_bad_setup_is_refused(emu: Emulator) -> None:
    with pytest.raises(Refused):
        emu.add_custom_store(url=URL, username=USER, password=PASSWORD, store_id=310554)
    with pytest.raises(Missing):
        await emu.pull_custom_store(310554)
    store_id = link(emu)
    with pytest.raises(Refused):
        await emu.pull_custom_store(store_id, START, START - timedelta(minutes=1))

"""Webhook subscriptions, the events that queue deliveries, and delivering them (§11)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from stationmaster.emulator import Emulator, EmulatorConfig, EmulatorTransport, ManualClock
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio

HOOK = "http://receiver.test/hooks/shipstation"


class Receiver:
    """A tiny webhook receiver (ASGI) that fetches each ``resource_url`` from the emulator."""

    def __init__(
        self, emu: Emulator, statuses: list[int] | None = None, pause: float = 0.0
    ) -> None:
        self.emu = emu
        self.statuses = statuses or []
        self.pause = pause
        self.payloads: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.fetched: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        message = await receive()
        payload = json.loads(message["body"])
        self.payloads.append(payload)
        self.content_types.append(dict(scope["headers"]).get(b"content-type", b"").decode())
        async with httpx2.AsyncClient(transport=self.emu.transport(), auth=(KEY, SECRET)) as c:
            self.fetched.append((await c.get(payload["resource_url"])).json())
        if self.pause:
            await anyio.sleep(self.pause)
        status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def emulator(**switches: Any) -> Emulator:
    return Emulator(
        EmulatorConfig(api_key=KEY, api_secret=SECRET, **switches), clock=ManualClock(START)
    )


def http(emu: Emulator) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET))


async def subscribe(client: httpx2.AsyncClient, event: str, **extra: Any) -> int:
    response = await client.post(
        "/webhooks/subscribe", json={"target_url": HOOK, "event": event, **extra}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_subscribe_list_delete(client: httpx2.AsyncClient) -> None:
    hook = await subscribe(client, "SHIP_NOTIFY", store_id=310554, friendly_name="Tracking")
    listed = (await client.get("/webhooks")).json()["webhooks"]
    assert listed == [
        {
            "IsLabelAPIHook": False,
            "WebHookID": hook,
            "SellerID": 100000,
            "StoreID": 310554,
            "HookType": "SHIP_NOTIFY",
            "MessageFormat": "Json",
            "Url": HOOK,
            "Name": "Tracking",
            "BulkCopyBatchID": None,
            "BulkCopyRecordID": None,
            "Active": True,
            "WebhookLogs": [],
            "Seller": None,
            "Store": None,
        }
    ]
    deleted = await client.delete(f"/webhooks/{hook}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert (await client.get("/webhooks")).json() == {"webhooks": []}
    assert (await client.delete(f"/webhooks/{hook}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"event": "ORDER_NOTIFY"}, "target_url"),
        ({"target_url": HOOK, "event": "NOPE"}, "Unknown event"),
        ({"target_url": "ftp://x", "event": "ORDER_NOTIFY"}, "http"),
        ({"target_url": HOOK, "event": "ORDER_NOTIFY", "store_id": 5}, "Store 5"),
    ],
)
async def test_subscribe_refusals(
    client: httpx2.AsyncClient, body: dict[str, Any], reason: str
) -> None:
    response = await client.post("/webhooks/subscribe", json=body)
    assert response.status_code == 500 and reason in response.json()["ExceptionMessage"]
    assert (await client.get("/webhooks")).json() == {"webhooks": []}


async def test_openapi_subscribe_shape() -> None:
    emu = emulator(webhook_subscribe_response="openapi")
    async with http(emu) as c:
        response = await c.post(
            "/webhooks/subscribe",
            json={"target_url": HOOK, "event": "ORDER_NOTIFY", "friendly_name": "n"},
        )
    assert response.status_code == 201
    assert response.json() == {
        "WebHookID": 10001,
        "HookType": "ORDER_NOTIFY",
        "Url": HOOK,
        "Name": "n",
    }


async def test_order_notify_round_trip(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await subscribe(client, "ORDER_NOTIFY")
    await subscribe(client, "ITEM_ORDER_NOTIFY")
    batch = [
        new_order("A", "a"),
        new_order("B", "b", orderStatus="awaiting_payment"),
        new_order("C", "c"),
    ]
    await client.post("/orders/createorders", json=batch)
    receiver = Receiver(emu)
    results = await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert [(r.outcome, r.status, r.attempts) for r in results] == [("delivered", 200, 1)] * 2
    assert [p["resource_type"] for p in receiver.payloads] == ["ORDER_NOTIFY", "ITEM_ORDER_NOTIFY"]
    url = receiver.payloads[0]["resource_url"]
    assert url.startswith("http://ssapi.emulator/orders?storeID=310554&importBatch=")
    assert receiver.payloads[1]["resource_url"] == url
    assert set(receiver.payloads[0]) == {"resource_url", "resource_type"}
    assert receiver.content_types[0].startswith("application/json")
    assert [o["orderNumber"] for o in receiver.fetched[0]["orders"]] == ["A", "C"]
    assert emu.pending_webhooks == []
    assert await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver)) == []


async def test_order_notify_rules(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await subscribe(client, "ORDER_NOTIFY")
    await client.post(
        "/orders/createorder", json=new_order("P", "p", orderStatus="awaiting_payment")
    )
    await client.post(
        "/orders/createorder", json=new_order("Q", "q", orderStatus="awaiting_payment")
    )
    assert emu.pending_webhooks == []
    await client.post(
        "/orders/createorder",
        json=new_order("P", "p", internalNotes="edit", orderStatus="awaiting_payment"),
    )
    await client.post("/orders/createorder", json=new_order("Q", "q", orderStatus="cancelled"))
    assert emu.pending_webhooks == []
    await client.post("/orders/createorder", json=new_order("P", "p"))
    receiver = Receiver(emu)
    await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert [o["orderNumber"] for o in receiver.fetched[0]["orders"]] == ["P"]
    await client.post("/orders/createorder", json=new_order("P", "p", internalNotes="edited"))
    order_id = receiver.fetched[0]["orders"][0]["orderId"]
    await client.post(
        "/orders/holduntil", json={"orderId": order_id, "holdUntilDate": "2026-04-01"}
    )
    assert emu.pending_webhooks == []


async def test_subscription_store_filter(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await subscribe(client, "ORDER_NOTIFY", store_id=310555)
    await client.post("/orders/createorder", json=new_order("A", "a"))
    assert emu.pending_webhooks == []
    await client.post(
        "/orders/createorders",
        json=[new_order("B", "b", advancedOptions={"storeId": 310555}), new_order("C", "c")],
    )
    assert len(emu.pending_webhooks) == 1
    receiver = Receiver(emu)
    await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert "storeID=310555" in receiver.payloads[0]["resource_url"]
    assert [o["orderNumber"] for o in receiver.fetched[0]["orders"]] == ["B"]


async def test_no_order_notify_when_switched_off() -> None:
    emu = emulator(order_notify_on_api_create=False)
    async with http(emu) as c:
        await subscribe(c, "ORDER_NOTIFY")
        await c.post("/orders/createorder", json=new_order())
    assert emu.pending_webhooks == []
    emu.seed(orders=[new_order("S", "s")], notify=True)
    assert len(emu.pending_webhooks) == 1


async def test_ship_notify_per_label(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await subscribe(client, "SHIP_NOTIFY")
    await subscribe(client, "ITEM_SHIP_NOTIFY")
    first = (await client.post("/orders/createorder", json=new_order("A", "a"))).json()["orderId"]
    second = (await client.post("/orders/createorder", json=new_order("B", "b"))).json()["orderId"]
    label = {
        "carrierCode": "ups",
        "serviceCode": "ups_ground",
        "packageCode": "package",
        "shipDate": "2026-03-02",
        "testLabel": False,
    }
    shipment = (
        await client.post("/orders/createlabelfororder", json={"orderId": first, **label})
    ).json()
    emu.mark_shipped(second)
    await client.post("/shipments/voidlabel", json={"shipmentId": shipment["shipmentId"]})
    receiver = Receiver(emu)
    await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert [p["resource_type"] for p in receiver.payloads] == ["SHIP_NOTIFY", "ITEM_SHIP_NOTIFY"]
    plain, items = (p["resource_url"] for p in receiver.payloads)
    assert plain.startswith("http://ssapi.emulator/shipments?storeID=310554&batchId=")
    assert plain.endswith("&includeShipmentItems=False") and items.endswith(
        "&includeShipmentItems=True"
    )
    assert [s["shipmentId"] for s in receiver.fetched[0]["shipments"]] == [shipment["shipmentId"]]
    assert receiver.fetched[0]["shipments"][0]["shipmentItems"] is None
    assert receiver.fetched[1]["shipments"][0]["shipmentItems"][0]["lineItemKey"] == "line-1"


async def test_retries_on_non_2xx() -> None:
    emu = emulator(webhook_attempts=3)
    async with http(emu) as c:
        await subscribe(c, "ORDER_NOTIFY")
        await c.post("/orders/createorder", json=new_order())
    receiver = Receiver(emu, statuses=[500, 502])
    (result,) = await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert (result.outcome, result.status, result.attempts) == ("delivered", 200, 3)
    assert len(receiver.payloads) == 3


async def test_single_attempt_by_default(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await subscribe(client, "ORDER_NOTIFY")
    await client.post("/orders/createorder", json=new_order())
    (result,) = await emu.deliver_webhooks(httpx2.ASGITransport(app=Receiver(emu, statuses=[503])))
    assert (result.outcome, result.status, result.attempts) == ("failed", 503, 1)
    assert emu.deliveries == [result]


async def test_timeout_fails_the_delivery() -> None:
    emu = emulator(webhook_timeout_seconds=0.05)
    async with http(emu) as c:
        await subscribe(c, "ORDER_NOTIFY")
        await c.post("/orders/createorder", json=new_order())
    (result,) = await emu.deliver_webhooks(EmulatorTransport(Receiver(emu, pause=0.5)))
    assert result.outcome == "failed" and result.status is None
    assert result.error is not None and "ReadTimeout" in result.error


async def test_drop_and_duplicate_rates() -> None:
    dropping = emulator(webhook_drop_rate=1.0)
    async with http(dropping) as c:
        await subscribe(c, "ORDER_NOTIFY")
        await c.post("/orders/createorder", json=new_order())
    receiver = Receiver(dropping)
    (dropped,) = await dropping.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert dropped.outcome == "dropped" and receiver.payloads == []
    doubling = emulator(webhook_duplicate_rate=1.0)
    async with http(doubling) as c:
        await subscribe(c, "ORDER_NOTIFY")
        await c.post("/orders/createorder", json=new_order())
    receiver = Receiver(doubling)
    results = await doubling.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    assert [r.duplicate for r in results] == [False, True]
    assert receiver.payloads[0] == receiver.payloads[1]


async def test_configured_transport_and_delay() -> None:
    holder: list[Receiver] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await holder[0](scope, receive, send)

    emu = emulator(webhook_transport=httpx2.ASGITransport(app=app), webhook_delay_seconds=30)
    holder.append(Receiver(emu))
    async with http(emu) as c:
        await subscribe(c, "ORDER_NOTIFY")
        await c.post("/orders/createorder", json=new_order())
    assert await emu.deliver_webhooks(due_only=True) == []
    emu.advance(30)
    (result,) = await emu.deliver_webhooks(due_only=True)
    assert result.outcome == "delivered" and len(holder[0].payloads) == 1


async def test_reset_drops_pending_deliveries(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await subscribe(client, "ORDER_NOTIFY")
    await client.post("/orders/createorder", json=new_order())
    assert emu.pending_webhooks
    emu.reset()
    assert emu.pending_webhooks == [] and (await client.get("/webhooks")).json() == {"webhooks": []}

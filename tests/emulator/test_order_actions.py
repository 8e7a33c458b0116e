"""Holds, tags, user assignment, mark-as-shipped and the status transitions of §6."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator
from tests.emulator.helpers import new_order

pytestmark = pytest.mark.anyio


async def create(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    number = fields.pop("number", "ORD-1")
    response = await client.post(
        "/orders/createorder", json=new_order(number, f"key-{number}", **fields)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def fetch(client: httpx2.AsyncClient, order_id: int) -> dict[str, Any]:
    return dict((await client.get(f"/orders/{order_id}")).json())


async def test_hold_and_restore(client: httpx2.AsyncClient) -> None:
    order = await create(client)
    held = await client.post(
        "/orders/holduntil", json={"orderId": order["orderId"], "holdUntilDate": "2026-03-10"}
    )
    assert held.json() == {"success": True, "message": "Order held successfully."}
    after = await fetch(client, order["orderId"])
    assert (after["orderStatus"], after["holdUntilDate"]) == ("on_hold", "2026-03-10")
    restored = await client.post("/orders/restorefromhold", json={"orderId": order["orderId"]})
    assert restored.json()["success"] is True
    after = await fetch(client, order["orderId"])
    assert (after["orderStatus"], after["holdUntilDate"]) == ("awaiting_shipment", None)
    again = await client.post("/orders/restorefromhold", json={"orderId": order["orderId"]})
    assert again.json()["success"] is False


async def test_hold_date_reached_by_the_clock(emu: Emulator, client: httpx2.AsyncClient) -> None:
    order = await create(client)
    await client.post(
        "/orders/holduntil", json={"orderId": order["orderId"], "holdUntilDate": "2026-03-04"}
    )
    emu.advance(24 * 3600)
    assert (await fetch(client, order["orderId"]))["orderStatus"] == "on_hold"
    emu.advance(24 * 3600)
    released = await fetch(client, order["orderId"])
    assert released["orderStatus"] == "awaiting_shipment"
    assert released["holdUntilDate"] is None
    assert released["modifyDate"] == "2026-03-04T00:00:00.0000000"


async def test_hold_refused_for_shipped_and_unknown_orders(client: httpx2.AsyncClient) -> None:
    order = await create(client, orderStatus="shipped")
    refused = await client.post(
        "/orders/holduntil", json={"orderId": order["orderId"], "holdUntilDate": "2026-03-10"}
    )
    assert refused.json()["success"] is False
    missing = await client.post(
        "/orders/holduntil", json={"orderId": 1, "holdUntilDate": "2026-03-10"}
    )
    assert missing.status_code == 404
    bad_date = await client.post(
        "/orders/holduntil", json={"orderId": order["orderId"], "holdUntilDate": "soon"}
    )
    assert bad_date.status_code == 400


async def test_tags(client: httpx2.AsyncClient) -> None:
    order = await create(client)
    body = {"orderId": order["orderId"], "tagId": 8362}
    assert (await client.post("/orders/addtag", json=body)).json() == {
        "success": True,
        "message": "Tag added successfully.",
    }
    await client.post("/orders/addtag", json=body)
    assert (await fetch(client, order["orderId"]))["tagIds"] == [8362]
    assert (await client.post("/orders/removetag", json=body)).json()["success"] is True
    assert (await fetch(client, order["orderId"]))["tagIds"] is None
    unknown_tag = await client.post(
        "/orders/addtag", json={"orderId": order["orderId"], "tagId": 1}
    )
    assert unknown_tag.status_code == 200 and unknown_tag.json()["success"] is False
    unknown_order = await client.post("/orders/addtag", json={"orderId": 1, "tagId": 8362})
    assert unknown_order.status_code == 404


async def test_assign_user_is_all_or_nothing(client: httpx2.AsyncClient) -> None:
    a = await create(client, number="A")
    b = await create(client, number="B")
    user = (await client.get("/users")).json()[0]["userId"]
    partial = await client.post(
        "/orders/assignuser", json={"orderIds": [a["orderId"], 999], "userId": user}
    )
    assert partial.json()["success"] is False
    assert (await fetch(client, a["orderId"]))["userId"] is None
    whole = await client.post(
        "/orders/assignuser", json={"orderIds": [a["orderId"], b["orderId"]], "userId": user}
    )
    assert whole.json()["success"] is True
    assert (await fetch(client, b["orderId"]))["userId"] == user
    stranger = await client.post(
        "/orders/assignuser", json={"orderIds": [a["orderId"]], "userId": "nobody"}
    )
    assert stranger.json()["success"] is False
    partial = await client.post("/orders/unassignuser", json={"orderIds": [a["orderId"], 999]})
    assert partial.json()["success"] is False
    assert (await fetch(client, a["orderId"]))["userId"] == user
    await client.post("/orders/unassignuser", json={"orderIds": [a["orderId"], b["orderId"]]})
    assert (await fetch(client, a["orderId"]))["userId"] is None


async def test_mark_as_shipped_creates_a_fulfillment(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    await client.post(
        "/webhooks/subscribe", json={"target_url": "http://hook.test/s", "event": "SHIP_NOTIFY"}
    )
    order = await create(client)
    body = {
        "orderId": order["orderId"],
        "carrierCode": "usps",
        "shipDate": "2026-03-03",
        "trackingNumber": "TRK1",
        "notifySalesChannel": True,
    }
    answer = await client.post("/orders/markasshipped", json=body)
    assert answer.json() == {"orderId": order["orderId"], "orderNumber": "ORD-1"}
    assert (await fetch(client, order["orderId"]))["orderStatus"] == "shipped"
    fulfillments = (await client.get("/fulfillments")).json()["fulfillments"]
    assert fulfillments[0]["trackingNumber"] == "TRK1"
    assert fulfillments[0]["shipDate"] == "2026-03-03T00:00:00.0000000"
    assert fulfillments[0]["marketplaceNotified"] is True
    assert (await client.get("/shipments")).json()["total"] == 0
    assert emu.pending_webhooks == []
    missing = await client.post("/orders/markasshipped", json={"orderId": order["orderId"]})
    assert missing.status_code == 500 and "carrierCode" in missing.json()["ExceptionMessage"]


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("awaiting_payment", "update:awaiting_shipment", "awaiting_shipment"),
        ("awaiting_shipment", "update:cancelled", "cancelled"),
        ("on_hold", "update:shipped", "shipped"),
        ("awaiting_shipment", "hold", "on_hold"),
        ("on_hold", "hold", "on_hold"),
        ("awaiting_payment", "hold", "on_hold"),
        ("pending_fulfillment", "hold", "pending_fulfillment"),
        ("on_hold", "restore", "awaiting_shipment"),
        ("awaiting_shipment", "markasshipped", "shipped"),
        ("awaiting_payment", "label", "shipped"),
        ("shipped", "update:awaiting_shipment", "shipped"),
        ("cancelled", "update:awaiting_shipment", "cancelled"),
        ("cancelled", "markasshipped", "cancelled"),
        ("cancelled", "label", "cancelled"),
    ],
)
async def test_status_transitions(
    client: httpx2.AsyncClient, start: str, action: str, end: str
) -> None:
    order = await create(client, orderStatus=start)
    order_id = order["orderId"]
    if action.startswith("update:"):
        await client.post(
            "/orders/createorder", json=new_order("ORD-1", "key-ORD-1", orderStatus=action[7:])
        )
    elif action == "hold":
        await client.post(
            "/orders/holduntil", json={"orderId": order_id, "holdUntilDate": "2026-04-01"}
        )
    elif action == "restore":
        await client.post("/orders/restorefromhold", json={"orderId": order_id})
    elif action == "markasshipped":
        await client.post("/orders/markasshipped", json={"orderId": order_id, "carrierCode": "ups"})
    else:
        await client.post(
            "/orders/createlabelfororder",
            json={
                "orderId": order_id,
                "carrierCode": "ups",
                "serviceCode": "ups_ground",
                "packageCode": "package",
                "shipDate": "2026-03-02",
                "testLabel": False,
            },
        )
    assert (await fetch(client, order_id))["orderStatus"] == end

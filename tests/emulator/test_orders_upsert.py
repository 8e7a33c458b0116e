"""createorder / createorders: upsert by key, full replace, totals, locks, switches (§6, §9)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio


def emulator(**switches: Any) -> Emulator:
    return Emulator(
        EmulatorConfig(api_key=KEY, api_secret=SECRET, **switches), clock=ManualClock(START)
    )


def http(emu: Emulator) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET))


async def create(client: httpx2.AsyncClient, order: dict[str, Any]) -> httpx2.Response:
    return await client.post("/orders/createorder", json=order)


async def test_create_returns_the_stored_order(client: httpx2.AsyncClient) -> None:
    response = await create(client, new_order())
    assert response.status_code == 200
    order = response.json()
    assert order["orderKey"] == "acme:1"
    assert order["orderDate"] == "2026-03-02T07:55:00.0000000"
    assert order["paymentDate"] == "2026-03-02T07:56:00.0000000"
    assert order["createDate"] == order["modifyDate"] == "2026-03-02T10:00:00.0000000"
    assert order["advancedOptions"]["storeId"] == 310554
    assert order["advancedOptions"]["mergedOrSplit"] is False
    assert order["weight"] == {"value": 28, "units": "ounces", "WeightUnits": 1}
    assert [i["createDate"] for i in order["items"]] == ["2026-03-02T10:00:00"] * 2
    assert order["shipTo"]["addressVerified"] == "Address not yet validated"
    assert (await client.get(f"/orders/{order['orderId']}")).json() == order


async def test_unicode_round_trips(client: httpx2.AsyncClient) -> None:
    text = 'Happy housewarming! \U0001f3e1 Café "Grande" & <tea> — ]]>'
    order = (await create(client, new_order(giftMessage=text))).json()
    assert order["giftMessage"] == text
    assert (await client.get(f"/orders/{order['orderId']}")).json()["giftMessage"] == text


async def test_order_total_uses_decimal_arithmetic(client: httpx2.AsyncClient) -> None:
    # 2 x 10.10 + 3 x 0.20 + 4.05 + 1.15 = 26.00 exactly (floats would give 25.999999...).
    order = (await create(client, new_order())).json()
    assert order["orderTotal"] == 26
    assert json.dumps(order["orderTotal"]) == "26"


async def test_generated_key_is_32_hex(client: httpx2.AsyncClient) -> None:
    first = (await create(client, new_order(key=None))).json()
    second = (await create(client, new_order(key=None))).json()
    assert re.fullmatch(r"[0-9a-f]{32}", first["orderKey"])
    assert first["orderKey"] != second["orderKey"]
    assert first["orderId"] != second["orderId"]


async def test_update_by_key_replaces_everything(emu: Emulator, client: httpx2.AsyncClient) -> None:
    created = (await create(client, new_order(internalNotes="fragile", gift=True))).json()
    emu.advance(90)
    changed = new_order(items=[new_order()["items"][1]])
    updated = (await create(client, changed)).json()
    assert updated["orderId"] == created["orderId"]
    assert updated["internalNotes"] is None and updated["gift"] is False
    assert [i["lineItemKey"] for i in updated["items"]] == ["line-2"]
    assert updated["createDate"] == created["createDate"]
    assert updated["modifyDate"] == "2026-03-02T10:01:30.0000000"
    listed = (await client.get("/orders")).json()
    assert listed["total"] == 1


async def test_order_item_id_kept_for_matching_line_keys(client: httpx2.AsyncClient) -> None:
    created = (await create(client, new_order())).json()
    ids = {i["lineItemKey"]: i["orderItemId"] for i in created["items"]}
    items = new_order()["items"]
    items[1]["lineItemKey"] = "line-3"
    updated = (await create(client, new_order(items=items))).json()
    again = {i["lineItemKey"]: i["orderItemId"] for i in updated["items"]}
    assert again["line-1"] == ids["line-1"]
    assert again["line-3"] not in ids.values()


async def test_update_by_order_id_without_key(client: httpx2.AsyncClient) -> None:
    created = (await create(client, new_order())).json()
    updated = (
        await create(client, new_order(key=None, orderId=created["orderId"], internalNotes="x"))
    ).json()
    assert updated["orderId"] == created["orderId"]
    assert updated["orderKey"] == "acme:1" and updated["internalNotes"] == "x"


async def test_store_id_only_taken_at_creation(client: httpx2.AsyncClient) -> None:
    first = (await create(client, new_order(advancedOptions={"storeId": 310555}))).json()
    again = (await create(client, new_order(advancedOptions={"storeId": 310554}))).json()
    assert first["advancedOptions"]["storeId"] == again["advancedOptions"]["storeId"] == 310555


async def test_disagreeing_id_and_key_fail_that_element(client: httpx2.AsyncClient) -> None:
    one = (await create(client, new_order("A", "key-a"))).json()
    await create(client, new_order("B", "key-b"))
    response = await client.post(
        "/orders/createorders",
        json=[new_order("B", "key-b", orderId=one["orderId"]), new_order("C", "key-c")],
    )
    results = response.json()["results"]
    assert [r["success"] for r in results] == [False, True]
    assert "does not match" in results[0]["errorMessage"]
    single = await create(client, new_order("B", "key-b", orderId=one["orderId"]))
    assert single.status_code == 500


async def test_createorders_reproduces_the_reference_example(
    client: httpx2.AsyncClient, shared: Path
) -> None:
    examples = shared / "reference" / "examples"
    request = json.loads((examples / "createorders-request.json").read_text())
    expected = json.loads((examples / "createorders-response.json").read_text())
    answer = (await client.post("/orders/createorders", json=request)).json()
    assert answer["hasErrors"] is True
    for got, want in zip(answer["results"], expected["results"], strict=True):
        assert (got["orderKey"], got["orderNumber"], got["success"]) == (
            want["orderKey"],
            want["orderNumber"],
            want["success"],
        )
    failed = answer["results"][1]
    assert failed == expected["results"][1]
    assert (await client.get("/orders")).json()["total"] == 1


async def test_one_bad_order_never_fails_the_rest(client: httpx2.AsyncClient) -> None:
    bad_type = new_order("B", "key-b", items=[{"name": "x", "quantity": "x"}])
    batch = [new_order("A", "key-a"), bad_type, "not an order", new_order("C", "key-c")]
    answer = (await client.post("/orders/createorders", json=batch)).json()
    assert [r["success"] for r in answer["results"]] == [True, False, False, True]
    assert "items[0].quantity" in answer["results"][1]["errorMessage"]
    assert answer["results"][1]["orderKey"] == "key-b"
    assert answer["results"][2]["orderKey"] is None
    assert answer["hasErrors"] is True


async def test_createorders_over_the_limit_is_400(client: httpx2.AsyncClient) -> None:
    batch = [new_order(str(i), f"k{i}") for i in range(101)]
    response = await client.post("/orders/createorders", json=batch)
    assert response.status_code == 400
    assert "at most 100" in response.json()["Message"]
    assert (await client.get("/orders")).json()["total"] == 0
    ok = await client.post("/orders/createorders", json=batch[:100])
    assert ok.status_code == 200 and not ok.json()["hasErrors"]


async def test_failed_result_order_id_switch() -> None:
    emu = emulator(failed_result_order_id=None)
    async with http(emu) as c:
        bad = new_order(shipTo={"name": "x"})
        answer = (await c.post("/orders/createorders", json=[bad])).json()
    assert answer["results"][0]["orderId"] is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"orderNumber": None}, "Order Number is required."),
        ({"orderDate": None}, "Order Date is required."),
        ({"orderStatus": None}, "Order Status is required."),
        ({"orderStatus": "lost"}, "not a valid order status"),
        ({"billTo": None}, "Bill To: the address is required."),
        ({"shipTo": None}, "Ship To: the address is required."),
        ({"shipTo": {"name": "x", "country": "US"}}, "Ship To: postal code is missing."),
        ({"items": [{"sku": "x", "quantity": 1}]}, "Item 1: name is missing."),
        ({"tagIds": [1]}, "Tag 1 does not exist"),
        ({"advancedOptions": {"storeId": 1}}, "Store 1 does not exist"),
    ],
)
async def test_validation_failures_use_the_exception_envelope(
    client: httpx2.AsyncClient, change: dict[str, Any], reason: str
) -> None:
    response = await create(client, new_order(**change))
    assert response.status_code == 500
    body = response.json()
    assert body["Message"] == "An error has occurred."
    assert reason in body["ExceptionMessage"]
    assert body["ExceptionType"] == "System.Exception"
    assert "stationmaster" not in body["StackTrace"] and "Traceback" not in body["StackTrace"]
    batch = (await client.post("/orders/createorders", json=[new_order(**change)])).json()
    assert reason in batch["results"][0]["errorMessage"]
    assert (await client.get("/orders")).json()["total"] == 0


async def test_validation_status_400_switch() -> None:
    emu = emulator(validation_status=400)
    async with http(emu) as c:
        response = await create(c, new_order(orderNumber=None))
    assert response.status_code == 400
    assert response.json()["ExceptionMessage"] == "Order Number is required."


async def test_type_errors_are_400_model_state(client: httpx2.AsyncClient) -> None:
    response = await create(client, new_order(orderId="abc", gift="maybe"))
    assert response.status_code == 400
    body = response.json()
    assert body["Message"] == "The request is invalid."
    assert set(body["ModelState"]) == {"orderId", "gift"}
    assert "System.Int32" in body["ModelState"]["orderId"][0]


@pytest.mark.parametrize("status", ["shipped", "cancelled", "rejected_fulfillment"])
async def test_locked_orders_noop(client: httpx2.AsyncClient, status: str) -> None:
    locked = (await create(client, new_order(orderStatus=status))).json()
    again = await create(client, new_order(orderStatus="awaiting_shipment", internalNotes="late"))
    assert again.status_code == 200
    assert again.json() == locked
    batch = (await client.post("/orders/createorders", json=[new_order(internalNotes="x")])).json()
    assert batch["results"][0]["success"] is True


async def test_locked_orders_error_switch() -> None:
    emu = emulator(locked_update="error")
    async with http(emu) as c:
        await create(c, new_order(orderStatus="cancelled"))
        single = await create(c, new_order(internalNotes="late"))
        batch = (await c.post("/orders/createorders", json=[new_order(internalNotes="x")])).json()
    assert single.status_code == 500
    assert "cancelled and can no longer be updated" in single.json()["ExceptionMessage"]
    assert batch["results"][0]["success"] is False


async def test_createorder_to_shipped_switch() -> None:
    allowed = emulator()
    async with http(allowed) as c:
        order = (await create(c, new_order(orderStatus="shipped"))).json()
        assert order["orderStatus"] == "shipped"
        assert (await c.get("/shipments")).json()["total"] == 0
        assert (await c.get("/fulfillments")).json()["total"] == 0
    refused = emulator(createorder_to_shipped="reject")
    async with http(refused) as c:
        await create(c, new_order())
        response = await create(c, new_order(orderStatus="shipped"))
        assert response.status_code == 500
        assert (await c.get("/orders")).json()["orders"][0]["orderStatus"] == "awaiting_shipment"


async def test_order_key_scope_switch() -> None:
    for scope, expected in (("account", 1), ("store", 2)):
        emu = emulator(order_key_scope=scope)
        async with http(emu) as c:
            await create(c, new_order())
            await create(c, new_order(advancedOptions={"storeId": 310555}))
            assert (await c.get("/orders")).json()["total"] == expected, scope


async def test_soft_delete_then_404_and_gone_from_lists(client: httpx2.AsyncClient) -> None:
    order = (await create(client, new_order())).json()
    deleted = await client.delete(f"/orders/{order['orderId']}")
    assert deleted.json() == {"success": True, "message": "The requested order has been deleted."}
    assert (await client.get(f"/orders/{order['orderId']}")).status_code == 404
    assert (await client.get(f"/orders/{order['orderId']}")).json() == {"message": "Not Found"}
    assert (await client.get("/orders")).json()["total"] == 0
    assert (await client.delete(f"/orders/{order['orderId']}")).status_code == 404


async def test_deleted_key_repost_revive_and_new() -> None:
    for mode, same_id in (("revive", True), ("new", False)):
        emu = emulator(deleted_key_repost=mode)
        async with http(emu) as c:
            first = (await create(c, new_order())).json()
            await c.delete(f"/orders/{first['orderId']}")
            again = (await create(c, new_order())).json()
            assert (again["orderId"] == first["orderId"]) is same_id, mode
            assert (await c.get(f"/orders/{again['orderId']}")).status_code == 200
            assert (await c.get("/orders")).json()["total"] == 1


async def test_customers_come_from_orders(client: httpx2.AsyncClient) -> None:
    order = (await create(client, new_order())).json()
    customer = (await client.get(f"/customers/{order['customerId']}")).json()
    assert customer["name"] == "Min Kim" and customer["email"] == "min.kim@example.com"
    assert customer["marketplaceUsernames"][0]["username"] == "mkim"
    moved = new_order("ORD-2", "acme:2", shipTo={**new_order()["shipTo"], "city": "Tacoma"})
    again = (await create(client, moved)).json()
    assert again["customerId"] == order["customerId"]
    assert (await client.get(f"/customers/{order['customerId']}")).json()["city"] == "Tacoma"
    anonymous = (await create(client, new_order("ORD-3", "acme:3", customerUsername=None))).json()
    assert anonymous["customerId"] is None


async def test_unknown_skus_become_products(client: httpx2.AsyncClient) -> None:
    item = {
        "lineItemKey": "n",
        "sku": "NEW-SKU",
        "name": "New thing",
        "quantity": 1,
        "unitPrice": 5,
    }
    order = (await create(client, new_order(items=[item]))).json()
    products = (await client.get("/products", params={"sku": "NEW-SKU"})).json()["products"]
    assert len(products) == 1 and products[0]["name"] == "New thing"
    assert order["items"][0]["productId"] == products[0]["productId"]


async def test_offsets_in_body_dates_follow_the_switch() -> None:
    for mode, expected in (
        ("ignore", "2026-03-02T07:55:00.0000000"),
        ("honour", "2026-03-01T23:55:00.0000000"),
    ):
        emu = emulator(filter_offset_mode=mode)
        async with http(emu) as c:
            order = (await create(c, new_order(orderDate="2026-03-02T07:55:00Z"))).json()
            assert order["orderDate"] == expected, mode
    emu = emulator(filter_offset_mode="reject")
    async with http(emu) as c:
        response = await create(c, new_order(orderDate="2026-03-02T07:55:00Z"))
        assert response.status_code == 400

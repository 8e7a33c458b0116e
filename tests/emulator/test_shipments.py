"""Labels, voids, rates and the shipment and fulfillment lists (§6, §7)."""

from __future__ import annotations

import base64
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator
from tests.emulator.helpers import new_order

pytestmark = pytest.mark.anyio

LABEL = {
    "carrierCode": "stamps_com",
    "serviceCode": "usps_priority_mail",
    "packageCode": "package",
    "shipDate": "2026-03-03",
    "testLabel": False,
}


async def order_id(client: httpx2.AsyncClient, number: str = "ORD-1", **fields: Any) -> int:
    response = await client.post(
        "/orders/createorder", json=new_order(number, f"k-{number}", **fields)
    )
    return int(response.json()["orderId"])


async def test_label_for_order(client: httpx2.AsyncClient) -> None:
    oid = await order_id(client)
    answer = await client.post("/orders/createlabelfororder", json={"orderId": oid, **LABEL})
    assert answer.status_code == 200
    shipment = answer.json()
    assert base64.b64decode(shipment["labelData"]).startswith(b"%PDF-1.4")
    assert shipment["trackingNumber"].startswith("9400111899")
    # 7.30 + 0.15 per ounce x 28 ounces (the order's weight) = 11.50
    assert shipment["shipmentCost"] == 11.5
    assert shipment["orderId"] == oid and shipment["shipDate"] == "2026-03-03"
    assert [i["lineItemKey"] for i in shipment["shipmentItems"]] == ["line-1", "line-2"]
    order = (await client.get(f"/orders/{oid}")).json()
    assert order["orderStatus"] == "shipped" and order["shipDate"] == "2026-03-03"
    second = (
        await client.post("/orders/createlabelfororder", json={"orderId": oid, **LABEL})
    ).json()
    assert second["trackingNumber"] != shipment["trackingNumber"]


@pytest.mark.parametrize(
    "field", ["orderId", "carrierCode", "serviceCode", "packageCode", "shipDate", "testLabel"]
)
async def test_label_for_order_required_fields(client: httpx2.AsyncClient, field: str) -> None:
    oid = await order_id(client)
    body = {"orderId": oid, **LABEL}
    del body[field]
    answer = await client.post("/orders/createlabelfororder", json=body)
    assert answer.status_code == 500
    assert field in answer.json()["ExceptionMessage"]
    assert (await client.get("/shipments")).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"carrierCode": "dhl"}, "Unknown carrier"),
        ({"serviceCode": "ups_ground"}, "has no service"),
        ({"packageCode": "crate"}, "has no package"),
    ],
)
async def test_label_refuses_unknown_codes(
    client: httpx2.AsyncClient, change: dict[str, str], reason: str
) -> None:
    oid = await order_id(client)
    answer = await client.post(
        "/orders/createlabelfororder", json={"orderId": oid, **LABEL, **change}
    )
    assert answer.status_code == 500 and reason in answer.json()["ExceptionMessage"]
    assert (await client.get(f"/orders/{oid}")).json()["orderStatus"] == "awaiting_shipment"


async def test_order_weight_defaults_to_its_lines(client: httpx2.AsyncClient) -> None:
    oid = await order_id(client, weight=None)
    # 2 x 8 oz + 3 x 4 oz
    weight = (await client.get(f"/orders/{oid}")).json()["weight"]
    assert weight == {"value": 28, "units": "ounces", "WeightUnits": 1}


async def test_label_needs_a_weight(emu: Emulator, client: httpx2.AsyncClient) -> None:
    items = [{"lineItemKey": "x", "name": "Weightless", "quantity": 1, "unitPrice": 1}]
    oid = await order_id(client, weight=None, items=items)
    answer = await client.post("/orders/createlabelfororder", json={"orderId": oid, **LABEL})
    assert answer.status_code == 500 and "weight" in answer.json()["ExceptionMessage"]
    weighed = {"orderId": oid, **LABEL, "weight": {"value": 1, "units": "pounds"}}
    assert (await client.post("/orders/createlabelfororder", json=weighed)).json()[
        "shipmentCost"
    ] == 9.7


async def test_label_for_unknown_order_is_404(client: httpx2.AsyncClient) -> None:
    assert (
        await client.post("/orders/createlabelfororder", json={"orderId": 5, **LABEL})
    ).status_code == 404


async def test_create_label_without_order(client: httpx2.AsyncClient) -> None:
    address = new_order()["shipTo"]
    body = {
        **LABEL,
        "weight": {"value": 10, "units": "ounces"},
        "shipFrom": address,
        "shipTo": address,
    }
    shipment = (await client.post("/shipments/createlabel", json=body)).json()
    assert shipment["orderId"] is None and shipment["labelData"]
    assert shipment["advancedOptions"]["storeId"] == 310554
    listed = (await client.get("/shipments")).json()["shipments"]
    assert listed[0]["labelData"] is None
    incomplete = await client.post("/shipments/createlabel", json={**LABEL, "shipTo": address})
    assert incomplete.status_code == 500
    assert "weight, shipFrom" in incomplete.json()["ExceptionMessage"]


async def test_void_keeps_the_shipment_listed(emu: Emulator, client: httpx2.AsyncClient) -> None:
    oid = await order_id(client)
    shipment = (
        await client.post("/orders/createlabelfororder", json={"orderId": oid, **LABEL})
    ).json()
    emu.advance(60)
    answer = await client.post("/shipments/voidlabel", json={"shipmentId": shipment["shipmentId"]})
    assert answer.json() == {"approved": True, "message": "Label voided successfully."}
    listed = (await client.get("/shipments")).json()["shipments"]
    assert listed[0]["voided"] is True and listed[0]["voidDate"] == "2026-03-02T10:01:00.0000000"
    assert (await client.get("/shipments", params={"voidDateStart": "2026-03-02 10:01:00"})).json()[
        "total"
    ] == 1
    assert (await client.get(f"/orders/{oid}")).json()["orderStatus"] == "awaiting_shipment"
    again = await client.post("/shipments/voidlabel", json={"shipmentId": shipment["shipmentId"]})
    assert again.json()["approved"] is False
    assert (await client.post("/shipments/voidlabel", json={"shipmentId": 1})).status_code == 404


async def test_get_rates_is_deterministic(client: httpx2.AsyncClient) -> None:
    body = {
        "carrierCode": "ups",
        "fromPostalCode": "98104",
        "toState": "NY",
        "toCountry": "US",
        "toPostalCode": "10001",
        "weight": {"value": 1, "units": "pounds"},
        "confirmation": "signature",
    }
    first = (await client.post("/shipments/getrates", json=body)).json()
    assert first == (await client.post("/shipments/getrates", json=body)).json()
    assert [r["serviceCode"] for r in first] == [
        "ups_ground",
        "ups_2nd_day_air",
        "ups_next_day_air",
    ]
    assert first[0] == {
        "serviceName": "UPS® Ground",
        "serviceCode": "ups_ground",
        "shipmentCost": 12.04,
        "otherCost": 2.7,
    }
    abroad = (await client.post("/shipments/getrates", json={**body, "toCountry": "GB"})).json()
    assert {r["serviceCode"] for r in abroad} == {
        "ups_standard_international",
        "ups_worldwide_saver",
    }
    no_state = await client.post("/shipments/getrates", json={**body, "toState": None})
    assert no_state.status_code == 500 and "toState" in no_state.json()["ExceptionMessage"]


async def test_shipment_list_filters(emu: Emulator, client: httpx2.AsyncClient) -> None:
    a = await order_id(client, "A-1")
    b = await order_id(
        client, "B-1", shipTo={**new_order()["shipTo"], "name": "Ann Other", "country": "CA"}
    )
    emu.ship_order(a, carrier_code="ups", service_code="ups_ground", tracking_number="1ZTRACK")
    emu.advance(3600)
    emu.ship_order(
        b, carrier_code="fedex", service_code="fedex_international_economy", ship_date="2026-03-05"
    )

    async def ids(**params: Any) -> list[int]:
        answer = (await client.get("/shipments", params=params)).json()
        return [s["orderId"] for s in answer["shipments"]]

    assert await ids() == [a, b]
    assert await ids(sortBy="ShipDate", sortDir="DESC") == [b, a]
    assert await ids(recipientName="other") == [b]
    assert await ids(recipientCountryCode="ca") == [b]
    assert await ids(orderNumber="A") == [a]
    assert await ids(orderId=b) == [b]
    assert await ids(carrierCode="ups") == [a]
    assert await ids(serviceCode="fedex_international_economy") == [b]
    assert await ids(trackingNumber="1ZTRACK") == [a]
    assert await ids(createDateStart="2026-03-02 10:30:00") == [b]
    assert await ids(shipDateStart="2026-03-04", shipDateEnd="2026-03-05") == [b]
    assert await ids(storeId=999) == []
    plain = (await client.get("/shipments")).json()["shipments"][0]
    assert plain["shipmentItems"] is None
    full = (await client.get("/shipments", params={"includeShipmentItems": "True"})).json()[
        "shipments"
    ][0]
    assert full["shipmentItems"][0]["sku"] == "TEAPOT-CER-1L"


async def test_fulfillment_list_filters(emu: Emulator, client: httpx2.AsyncClient) -> None:
    a = await order_id(client, "A-1")
    b = await order_id(client, "B-1", shipTo={**new_order()["shipTo"], "name": "Ann Other"})
    first = emu.mark_shipped(a, tracking_number="T-A", ship_date="2026-03-01")
    emu.advance(60)
    emu.mark_shipped(b, tracking_number="T-B", carrier_code="ups")

    async def ids(**params: Any) -> list[int]:
        answer = (await client.get("/fulfillments", params=params)).json()
        return [f["orderId"] for f in answer["fulfillments"]]

    assert await ids() == [a, b]
    assert await ids(fulfillmentId=first["fulfillmentId"]) == [a]
    assert await ids(orderId=b) == [b]
    assert await ids(orderNumber="B") == [b]
    assert await ids(trackingNumber="T-A") == [a]
    assert await ids(recipientName="ann") == [b]
    assert await ids(shipDateEnd="2026-03-01") == [a]
    assert await ids(createDateStart="2026-03-02 10:00:30") == [b]
    assert await ids(sortBy="CreateDate", sortDir="DESC") == [b, a]


async def test_partial_label_ships_chosen_lines(emu: Emulator, client: httpx2.AsyncClient) -> None:
    oid = await order_id(client)
    shipment = emu.ship_order(oid, items=[{"lineItemKey": "line-2", "quantity": 2}])
    assert [(i["lineItemKey"], i["quantity"]) for i in shipment["shipmentItems"]] == [("line-2", 2)]
    with pytest.raises(ValueError, match="Quantity"):
        emu.ship_order(oid, items=[{"lineItemKey": "line-2", "quantity": 9}])
    with pytest.raises(ValueError, match="no line"):
        emu.ship_order(oid, items=[{"lineItemKey": "nope"}])
    assert len(emu.shipments()) == 1

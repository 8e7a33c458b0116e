"""Every REST sample in ``reference/samples/rest``: the emulator's answer has at least its keys.

Each sample file maps to the request that produces the matching answer (the table below). The
check is recursive: nested objects, and the first element of lists (which must then not be
empty). A sample file without a row in the table fails, so new samples cannot be forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator
from tests.emulator.helpers import new_order

pytestmark = pytest.mark.anyio

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "samples" / "rest"
LABEL = {
    "carrierCode": "stamps_com",
    "serviceCode": "usps_priority_mail",
    "packageCode": "package",
    "shipDate": "2026-03-03",
    "testLabel": False,
}
INTERNATIONAL = new_order(
    "INTL-1",
    "intl-1",
    shipTo={
        "name": "Sandro Pigoni",
        "street1": "Weystrasse 1",
        "city": "Luzern",
        "postalCode": "5000",
        "country": "CH",
        "phone": "+41 41 000 00 00",
        "residential": True,
    },
    dimensions={"units": "inches", "length": 7, "width": 5, "height": 6},
    internationalOptions={
        "contents": "merchandise",
        "nonDelivery": "return_to_sender",
        "customsItems": [
            {
                "description": "Teapot",
                "quantity": 1,
                "value": 39,
                "harmonizedTariffCode": "6912.00",
                "countryOfOrigin": "PT",
            }
        ],
    },
    insuranceOptions={"provider": "carrier", "insureShipment": True, "insuredValue": 50},
    advancedOptions={"customField1": "gift wrap", "billToParty": "my_account", "source": "web"},
    tagIds=[8362],
)


def missing_keys(sample: Any, answer: Any, path: str = "$") -> list[str]:
    """Keys of ``sample`` absent from ``answer`` (objects recursively, lists by first element)."""
    if isinstance(sample, dict):
        if not isinstance(answer, dict):
            return [f"{path}: expected an object, got {type(answer).__name__}"]
        found: list[str] = []
        for key, value in sample.items():
            if key not in answer:
                found.append(f"{path}.{key}")
            else:
                found += missing_keys(value, answer[key], f"{path}.{key}")
        return found
    if isinstance(sample, list) and sample:
        if not isinstance(answer, list) or not answer:
            return [f"{path}: expected a non-empty list"]
        return missing_keys(sample[0], answer[0], f"{path}[0]")
    return []


def test_missing_keys_finds_what_is_missing() -> None:
    sample = {"a": 1, "b": {"c": 2}, "d": [{"e": 3}], "f": []}
    assert missing_keys(sample, {"a": 0, "b": {"c": 0}, "d": [{"e": 0}], "f": [], "extra": 1}) == []
    assert missing_keys(sample, {"b": {}, "d": [], "f": None}) == [
        "$.a",
        "$.b.c",
        "$.d: expected a non-empty list",
    ]


class World:
    """An account holding one of everything a sample can ask for."""

    def __init__(self, emu: Emulator, client: httpx2.AsyncClient) -> None:
        self.emu, self.client = emu, client

    async def build(self) -> World:
        c, emu = self.client, self.emu
        emu.seed(stores=[{"storeId": 12345, "storeName": "Sample store", "marketplaceId": 36}])
        self.order = (await c.post("/orders/createorder", json=INTERNATIONAL)).json()
        user = (await c.get("/users")).json()[0]["userId"]
        await c.post(
            "/orders/assignuser", json={"orderIds": [self.order["orderId"]], "userId": user}
        )
        self.customer_id = self.order["customerId"]
        emu.seed(
            customers=[
                {
                    "customerId": self.customer_id,
                    "name": "Sandro Pigoni",
                    "username": "mkim",
                    "tags": [{"tagId": 8363}],
                }
            ]
        )
        self.label = (
            await c.post(
                "/orders/createlabelfororder", json={"orderId": self.order["orderId"], **LABEL}
            )
        ).json()
        self.voided = emu.ship_order(self.order["orderId"])
        emu.void_label(self.voided["shipmentId"])
        emu.mark_shipped(self.order["orderId"], tracking_number="1Z0001", carrier_code="ups")
        survivor = (await c.post("/orders/createorder", json=new_order("MERGED-1", "m-1"))).json()
        absorbed = (await c.post("/orders/createorder", json=new_order("MERGED-2", "m-2"))).json()
        emu.merge_orders(survivor["orderId"], [absorbed["orderId"]])
        emu.split_order(survivor["orderId"], [{"lineItemKey": "line-2", "quantity": 1}])
        self.open = (await c.post("/orders/createorder", json=new_order("OPEN-1", "open-1"))).json()
        self.product_id = (await c.get("/products")).json()["products"][0]["productId"]
        await c.post(
            "/webhooks/subscribe",
            json={
                "target_url": "http://r.test/",
                "event": "ORDER_NOTIFY",
                "store_id": 12345,
                "friendly_name": "orders",
            },
        )
        return self

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: Any) -> Any:
        response = await self.client.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()


async def _delivered(world: World, event: str) -> Any:
    emu = world.emu
    await world.client.post(
        "/webhooks/subscribe", json={"target_url": "http://r.test/", "event": event}
    )
    order = emu.seed(orders=[new_order("HOOK-1", "hook-1")], notify=True)["orders"][0]
    emu.ship_order(order["orderId"])
    payloads: list[Any] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        payloads.append(json.loads((await receive())["body"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    await emu.deliver_webhooks(httpx2.ASGITransport(app=receiver))
    return next(p for p in payloads if p["resource_type"] == event)


async def _subscribe_request(world: World, sample: Any) -> Any:
    """A request sample: the emulator accepts it and keeps every field it carries."""
    created = await world.post("/webhooks/subscribe", sample)
    hooks = (await world.get("/webhooks"))["webhooks"]
    hook = next(h for h in hooks if h["WebHookID"] == created["id"])
    return {
        "target_url": hook["Url"],
        "event": hook["HookType"],
        "store_id": hook["StoreID"],
        "friendly_name": hook["Name"],
    }


Request = Callable[[World, Any], Awaitable[Any]]


def _label(w: World, s: Any) -> Awaitable[Any]:
    return w.post("/orders/createlabelfororder", {"orderId": w.open["orderId"], **LABEL})


REQUESTS: dict[str, Request] = {
    "addtag_response.json": lambda w, s: w.post(
        "/orders/addtag", {"orderId": w.open["orderId"], "tagId": 8362}
    ),
    "carrier_addfunds_response.json": lambda w, s: w.post(
        "/carriers/addfunds", {"carrierCode": "stamps_com", "amount": 20}
    ),
    "carrier_get.json": lambda w, s: w.get("/carriers/getcarrier", carrierCode="stamps_com"),
    "carrier_packages_list.json": lambda w, s: w.get(
        "/carriers/listpackages", carrierCode="stamps_com"
    ),
    "carrier_services_list.json": lambda w, s: w.get("/carriers/listservices", carrierCode="fedex"),
    "carriers_list.json": lambda w, s: w.get("/carriers"),
    "createlabelfororder_response.json": _label,
    "createorder_response.json": lambda w, s: w.post(
        "/orders/createorder", {**INTERNATIONAL, "orderNumber": "NEW-1", "orderKey": "new-1"}
    ),
    "createorders_response.json": lambda w, s: w.post(
        "/orders/createorders", [new_order("NEW-2", "new-2")]
    ),
    "customer_get.json": lambda w, s: w.get(f"/customers/{w.customer_id}"),
    "customers_list_page.json": lambda w, s: w.get("/customers"),
    "fulfillments_list_page.json": lambda w, s: w.get("/fulfillments"),
    "fulfillments_list_page_b.json": lambda w, s: w.get("/fulfillments"),
    "getrates_response.json": lambda w, s: w.post(
        "/shipments/getrates",
        {
            "carrierCode": "fedex",
            "fromPostalCode": "98104",
            "toCountry": "US",
            "toPostalCode": "10001",
            "toState": "NY",
            "weight": {"value": 3, "units": "pounds"},
        },
    ),
    "holduntil_response.json": lambda w, s: w.post(
        "/orders/holduntil", {"orderId": w.open["orderId"], "holdUntilDate": "2026-04-01"}
    ),
    "markasshipped_response.json": lambda w, s: w.post(
        "/orders/markasshipped", {"orderId": w.open["orderId"], "carrierCode": "ups"}
    ),
    "marketplaces_list.json": lambda w, s: w.get("/stores/marketplaces"),
    "order_delete_response.json": lambda w, s: _delete(w),
    "order_get.json": lambda w, s: w.get(f"/orders/{w.order['orderId']}"),
    "order_get_international_ch.json": lambda w, s: w.get(f"/orders/{w.order['orderId']}"),
    "orders_list_page.json": lambda w, s: w.get("/orders"),
    "orders_list_page_split.json": lambda w, s: w.get("/orders", orderNumber="MERGED-1"),
    "orders_listbytag_page.json": lambda w, s: w.get(
        "/orders/listbytag", orderStatus="shipped", tagId=8362
    ),
    "product_get.json": lambda w, s: w.get(f"/products/{w.product_id}"),
    "products_list_page.json": lambda w, s: w.get("/products"),
    "restorefromhold_response.json": lambda w, s: _restore(w),
    "shipments_list_page.json": lambda w, s: w.get("/shipments", includeShipmentItems="true"),
    "shipments_list_page_b.json": lambda w, s: w.get("/shipments"),
    "shipments_list_page_voided.json": lambda w, s: w.get(
        "/shipments", voidDateStart="2026-03-01 00:00:00"
    ),
    "store_get.json": lambda w, s: w.get("/stores/12345"),
    "store_refreshstatus.json": lambda w, s: w.get("/stores/getrefreshstatus", storeId=12345),
    "stores_list.json": lambda w, s: w.get("/stores"),
    "stores_list_b.json": lambda w, s: w.get("/stores"),
    "tags_list.json": lambda w, s: w.get("/accounts/listtags"),
    "voidlabel_response.json": lambda w, s: w.post(
        "/shipments/voidlabel", {"shipmentId": w.label["shipmentId"]}
    ),
    "warehouse_create_response.json": lambda w, s: w.post(
        "/warehouses/createwarehouse",
        {"warehouseName": "New", "originAddress": new_order()["shipTo"]},
    ),
    "warehouse_get.json": lambda w, s: w.get("/warehouses/187650"),
    "warehouses_list.json": lambda w, s: w.get("/warehouses"),
    "warehouses_list_b.json": lambda w, s: w.get("/warehouses"),
    "webhook_payload_order_notify.json": lambda w, s: _delivered(w, "ORDER_NOTIFY"),
    "webhook_payload_ship_notify.json": lambda w, s: _delivered(w, "SHIP_NOTIFY"),
    "webhook_subscribe_request.json": _subscribe_request,
    "webhook_subscribe_response.json": lambda w, s: w.post(
        "/webhooks/subscribe", {"target_url": "http://r.test/", "event": "SHIP_NOTIFY"}
    ),
    "webhooks_list.json": lambda w, s: w.get("/webhooks"),
}


async def _delete(world: World) -> Any:
    response = await world.client.delete(f"/orders/{world.open['orderId']}")
    return response.json()


async def _restore(world: World) -> Any:
    await world.post(
        "/orders/holduntil", {"orderId": world.open["orderId"], "holdUntilDate": "2026-04-01"}
    )
    return await world.post("/orders/restorefromhold", {"orderId": world.open["orderId"]})


def test_samples_folder_is_there() -> None:
    assert SAMPLES.is_dir(), f"samples folder missing: {SAMPLES}"
    assert sorted(p.name for p in SAMPLES.glob("*.json"))


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.json")) or ["<no samples>"])
async def test_sample_keys(emu: Emulator, client: httpx2.AsyncClient, name: str) -> None:
    assert name in REQUESTS, f"no request mapped for sample {name}: add a row to REQUESTS"
    sample = json.loads((SAMPLES / name).read_text())
    world = await World(emu, client).build()
    answer = await REQUESTS[name](world, sample)
    assert missing_keys(sample, answer) == []

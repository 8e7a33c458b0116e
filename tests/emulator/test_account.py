"""Account data: stores, warehouses, carriers, products, customers, tags and users (§8)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator
from tests.emulator.helpers import new_order

pytestmark = pytest.mark.anyio

ORIGIN = {
    "name": "Dock",
    "street1": "1 Pier",
    "city": "Austin",
    "state": "TX",
    "postalCode": "78703",
    "country": "US",
    "phone": "512-555-0100",
}


async def test_stores_list_and_filters(client: httpx2.AsyncClient) -> None:
    active = (await client.get("/stores")).json()
    assert [s["storeId"] for s in active] == [310554, 310555]
    assert all(s["statusMappings"] is None for s in active)
    every = (await client.get("/stores", params={"showInactive": "true"})).json()
    assert [s["storeId"] for s in every] == [310554, 310555, 310556]
    manual = (await client.get("/stores", params={"marketplaceId": 0})).json()
    assert [s["storeName"] for s in manual] == ["ShipStation Manual Store"]


async def test_store_get_put_and_activation(client: httpx2.AsyncClient) -> None:
    store = (await client.get("/stores/310555")).json()
    assert store["statusMappings"][0] == {"orderStatus": "awaiting_payment", "statusKey": "Pending"}
    changed = {**store, "storeName": "Renamed", "marketplaceId": 2}
    updated = (await client.put("/stores/310555", json=changed)).json()
    assert updated["storeName"] == "Renamed" and updated["marketplaceId"] == 46
    assert (await client.put("/stores/310555", json={**store, "storeId": 1})).status_code == 500
    assert (await client.get("/stores/1")).status_code == 404
    off = await client.post("/stores/deactivate", json={"storeId": 310555})
    assert off.json() == {"success": True, "message": "The store has been deactivated."}
    assert [s["storeId"] for s in (await client.get("/stores")).json()] == [310554]
    await client.post("/stores/reactivate", json={"storeId": 310555})
    assert (await client.get("/stores/310555")).json()["active"] is True
    assert (await client.post("/stores/deactivate", json={"storeId": 2})).status_code == 404


async def test_store_refresh(emu: Emulator, client: httpx2.AsyncClient) -> None:
    status = (await client.get("/stores/getrefreshstatus", params={"storeId": 310555})).json()
    assert (status["refreshStatusId"], status["refreshStatus"]) == (1, "Idle")
    answer = await client.post(
        "/stores/refreshstore?storeId=310555&refreshDate=2026-03-01+00:00:00",
        json={"storeId": 310555, "refreshDate": "2026-03-01 00:00:00"},
    )
    assert answer.json()["success"] is True
    status = (await client.get("/stores/getrefreshstatus", params={"storeId": 310555})).json()
    assert status["refreshStatus"] == "Updating orders"
    assert status["refreshDate"] == "2026-03-01T00:00:00"
    assert status["lastRefreshAttempt"] == "2026-03-02T10:00:00"
    emu.advance(31)
    status = (await client.get("/stores/getrefreshstatus", params={"storeId": 310555})).json()
    assert status["refreshStatus"] == "Idle"
    inactive = await client.post("/stores/refreshstore", json={"storeId": 310556})
    assert inactive.json()["success"] is False
    assert (await client.post("/stores/refreshstore")).json()["success"] is True
    manual = (await client.get("/stores/getrefreshstatus", params={"storeId": 310554})).json()
    assert manual["refreshStatus"] == "Idle"
    assert (await client.get("/stores/getrefreshstatus")).status_code == 400


async def test_marketplaces(client: httpx2.AsyncClient) -> None:
    markets = (await client.get("/stores/marketplaces")).json()
    assert {m["name"] for m in markets} >= {"ShipStation", "Amazon", "WooCommerce"}
    assert set(markets[0]) == {
        "name",
        "marketplaceId",
        "canRefresh",
        "supportsCustomMappings",
        "supportsCustomStatuses",
        "canConfirmShipments",
    }


async def test_warehouses_crud_and_soft_delete(client: httpx2.AsyncClient) -> None:
    listed = (await client.get("/warehouses")).json()
    assert [w["warehouseId"] for w in listed] == [187650, 187651]
    created = (
        await client.post(
            "/warehouses/createwarehouse", json={"warehouseName": "Austin", "originAddress": ORIGIN}
        )
    ).json()
    assert created["returnAddress"]["city"] == "Austin" and created["isDefault"] is False
    wid = created["warehouseId"]
    made_default = {**created, "warehouseName": "Austin HQ", "isDefault": True}
    updated = (await client.put(f"/warehouses/{wid}", json=made_default)).json()
    assert updated["warehouseName"] == "Austin HQ" and updated["isDefault"] is True
    assert (await client.get("/warehouses/187650")).json()["isDefault"] is False
    undefault = await client.put(f"/warehouses/{wid}", json={**made_default, "isDefault": False})
    assert undefault.status_code == 500
    refused = await client.delete(f"/warehouses/{wid}")
    assert refused.json()["success"] is False
    assert (await client.delete("/warehouses/187651")).json()["success"] is True
    assert (await client.get("/warehouses/187651")).status_code == 404
    assert 187651 not in [w["warehouseId"] for w in (await client.get("/warehouses")).json()]
    missing = await client.post("/warehouses/createwarehouse", json={"warehouseName": "x"})
    assert missing.status_code == 500 and "originAddress" in missing.json()["ExceptionMessage"]


async def test_carriers(client: httpx2.AsyncClient) -> None:
    carriers = (await client.get("/carriers")).json()
    assert [c["code"] for c in carriers] == ["stamps_com", "ups", "fedex"]
    one = (await client.get("/carriers/getcarrier", params={"carrierCode": "ups"})).json()
    assert one["name"] == "UPS"
    assert (
        await client.get("/carriers/getcarrier", params={"carrierCode": "dhl"})
    ).status_code == 404
    assert (await client.get("/carriers/getcarrier")).status_code == 400
    packages = (await client.get("/carriers/listpackages", params={"carrierCode": "fedex"})).json()
    assert {
        "carrierCode": "fedex",
        "code": "fedex_pak",
        "name": "FedEx® Pak",
        "domestic": True,
        "international": True,
    } in packages
    services = (
        await client.get("/carriers/listservices", params={"carrierCode": "stamps_com"})
    ).json()
    assert services[0]["code"] == "usps_first_class_mail"


@pytest.mark.parametrize(
    ("amount", "accepted"), [(9.99, False), (10, True), (10000, True), (10000.01, False)]
)
async def test_add_funds_between_10_and_10000(
    client: httpx2.AsyncClient, amount: float, accepted: bool
) -> None:
    answer = await client.post(
        "/carriers/addfunds", json={"carrierCode": "stamps_com", "amount": amount}
    )
    balance = (
        await client.get("/carriers/getcarrier", params={"carrierCode": "stamps_com"})
    ).json()["balance"]
    if accepted:
        assert answer.status_code == 200
        assert answer.json()["balance"] == balance == 100 + amount
    else:
        assert answer.status_code == 500 and "$10" in answer.json()["ExceptionMessage"]
        assert balance == 100


async def test_add_funds_refuses_unfunded_carriers(client: httpx2.AsyncClient) -> None:
    answer = await client.post("/carriers/addfunds", json={"carrierCode": "ups", "amount": 50})
    assert answer.status_code == 500


async def test_products(emu: Emulator, client: httpx2.AsyncClient) -> None:
    emu.advance(60)
    emu.seed(
        products=[
            {"sku": "OLD-1", "name": "Retired mug", "active": False, "tags": [{"tagId": 8365}]}
        ]
    )

    async def skus(**params: Any) -> list[str]:
        return [p["sku"] for p in (await client.get("/products", params=params)).json()["products"]]

    assert await skus() == ["TEAPOT-CER-1L", "TEA-SENCHA-100"]
    assert await skus(showInactive="true") == ["TEAPOT-CER-1L", "TEA-SENCHA-100", "OLD-1"]
    assert await skus(sku="tea-sencha-100") == ["TEA-SENCHA-100"]
    assert await skus(name="teapot") == ["TEAPOT-CER-1L"]
    assert await skus(productCategoryId=502) == ["TEA-SENCHA-100"]
    assert await skus(productTypeId=71) == ["TEAPOT-CER-1L"]
    assert await skus(tagId=8364) == ["TEAPOT-CER-1L"]
    assert await skus(showInactive="true", startDate="2026-03-02 10:00:30") == ["OLD-1"]
    assert await skus(showInactive="true", endDate="2026-03-02 10:00:30") == [
        "TEAPOT-CER-1L",
        "TEA-SENCHA-100",
    ]
    assert await skus(sortBy="SKU") == ["TEA-SENCHA-100", "TEAPOT-CER-1L"]
    product = (await client.get("/products", params={"sku": "TEAPOT-CER-1L"})).json()["products"][0]
    pid = product["productId"]
    assert (await client.get(f"/products/{pid}")).json() == product
    answer = await client.put(
        f"/products/{pid}", json={**product, "name": "Teapot XL", "price": 45}
    )
    assert answer.json() == {"success": True, "message": "The requested product has been updated"}
    after = (await client.get(f"/products/{pid}")).json()
    assert (after["name"], after["price"], after["createDate"]) == (
        "Teapot XL",
        45,
        product["createDate"],
    )
    assert (
        await client.put(f"/products/{pid}", json={**product, "productId": 1})
    ).status_code == 500
    assert (await client.get("/products/1")).status_code == 404


async def test_customers(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await client.post("/orders/createorder", json=new_order())
    emu.seed(
        customers=[
            {
                "name": "Zed",
                "state": "ON",
                "countryCode": "CA",
                "username": "zed",
                "marketplaceId": 2,
                "tags": [{"tagId": 8363}],
            }
        ]
    )

    async def names(**params: Any) -> list[str]:
        return [
            c["name"] for c in (await client.get("/customers", params=params)).json()["customers"]
        ]

    assert await names() == ["Min Kim", "Zed"]
    assert await names(stateCode="wa") == ["Min Kim"]
    assert await names(countryCode="CA") == ["Zed"]
    assert await names(marketplaceId=2) == ["Zed"]
    assert await names(tagId=8363) == ["Zed"]
    assert await names(sortBy="Name", sortDir="DESC") == ["Zed", "Min Kim"]
    first = (await client.get("/customers")).json()["customers"][0]
    assert (await client.get(f"/customers/{first['customerId']}")).json() == first
    assert (await client.get("/customers/1")).status_code == 404


async def test_tags_and_users(emu: Emulator, client: httpx2.AsyncClient) -> None:
    tags = (await client.get("/accounts/listtags")).json()
    assert tags[0] == {"tagId": 8362, "name": "Backorder", "color": "#800080"}
    emu.seed(users=[{"userName": "gone@acme.example", "name": "Gone", "active": False}])
    users = (await client.get("/users")).json()
    assert len(users) == 2 and set(users[0]) == {"userId", "userName", "name"}
    assert len((await client.get("/users", params={"showInactive": "true"})).json()) == 3

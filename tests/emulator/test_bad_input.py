"""Bad input gets a 4xx (or the documented 500 envelope), a clear message, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator
from tests.emulator.helpers import new_order

pytestmark = pytest.mark.anyio

POSTS = [
    "/orders/createorder",
    "/orders/createorders",
    "/orders/holduntil",
    "/orders/restorefromhold",
    "/orders/markasshipped",
    "/orders/addtag",
    "/orders/removetag",
    "/orders/assignuser",
    "/orders/unassignuser",
    "/orders/createlabelfororder",
    "/shipments/createlabel",
    "/shipments/getrates",
    "/shipments/voidlabel",
    "/carriers/addfunds",
    "/stores/deactivate",
    "/stores/reactivate",
    "/warehouses/createwarehouse",
    "/webhooks/subscribe",
]
PUTS = ["/stores/310554", "/warehouses/187650"]


async def snapshot(client: httpx2.AsyncClient) -> list[Any]:
    paths = [
        "/orders",
        "/shipments",
        "/fulfillments",
        "/products?showInactive=true",
        "/customers",
        "/stores?showInactive=true",
        "/warehouses",
        "/carriers",
        "/webhooks",
    ]
    return [(await client.get(p)).json() for p in paths]


def no_internals(response: httpx2.Response) -> None:
    text = response.text
    for leak in ("Traceback", 'File "', ".py", "stationmaster"):
        assert leak not in text, (leak, text)


@pytest.fixture
async def before(client: httpx2.AsyncClient) -> list[Any]:
    await client.post("/orders/createorder", json=new_order())
    return await snapshot(client)


@pytest.mark.parametrize("path", POSTS + PUTS)
@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, NaN]", b'{"a": 1'], ids=str)
async def test_malformed_json_is_400(
    client: httpx2.AsyncClient, before: list[Any], path: str, body: bytes
) -> None:
    method = "PUT" if path in PUTS else "POST"
    response = await client.request(
        method, path, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["Message"] == "The request is invalid."
    no_internals(response)
    assert await snapshot(client) == before


@pytest.mark.parametrize("path", [p for p in POSTS if p != "/orders/createorders"] + PUTS)
@pytest.mark.parametrize("body", [[], [{"orderId": 1}], "text", 5, None], ids=repr)
async def test_wrong_shape_bodies(
    client: httpx2.AsyncClient, before: list[Any], path: str, body: Any
) -> None:
    method = "PUT" if path in PUTS else "POST"
    response = await client.request(method, path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["ModelState"]
    no_internals(response)
    assert await snapshot(client) == before


@pytest.mark.parametrize("body", [{"orders": []}, "x", 3, None], ids=repr)
async def test_createorders_needs_an_array(
    client: httpx2.AsyncClient, before: list[Any], body: Any
) -> None:
    response = await client.post("/orders/createorders", json=body)
    assert response.status_code == 400 and "array" in json.dumps(response.json())
    assert await snapshot(client) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orders/holduntil", {"orderId": "abc", "holdUntilDate": "2026-04-01"}, "orderId"),
        ("/orders/addtag", {"orderId": 1, "tagId": [1]}, "tagId"),
        ("/orders/createlabelfororder", {"orderId": 1.5}, "orderId"),
        ("/shipments/voidlabel", {"shipmentId": True}, "shipmentId"),
        ("/carriers/addfunds", {"carrierCode": "stamps_com", "amount": "ten"}, "amount"),
        ("/orders/assignuser", {"orderIds": "1,2", "userId": "u"}, "orderIds"),
        (
            "/orders/createorder",
            {**new_order(), "items": [{"name": "x", "quantity": "x"}]},
            "items[0].quantity",
        ),
        ("/orders/createorder", {**new_order(), "orderId": 2**40}, "orderId"),
        ("/orders/createorder", {**new_order(), "shipTo": ["not", "an", "address"]}, "shipTo"),
        ("/orders/createorder", {**new_order(), "orderDate": "yesterday"}, "orderDate"),
    ],
)
async def test_wrong_types_name_the_field(
    client: httpx2.AsyncClient, before: list[Any], path: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 400
    assert field in response.json()["ModelState"]
    no_internals(response)
    assert await snapshot(client) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/orders/999", None),
        ("DELETE", "/orders/999", None),
        ("POST", "/orders/holduntil", {"orderId": 999, "holdUntilDate": "2026-04-01"}),
        ("POST", "/orders/restorefromhold", {"orderId": 999}),
        ("POST", "/orders/markasshipped", {"orderId": 999, "carrierCode": "ups"}),
        ("POST", "/shipments/voidlabel", {"shipmentId": 999}),
        ("GET", "/products/999", None),
        ("PUT", "/products/999", {"sku": "x", "name": "y"}),
        ("GET", "/customers/999", None),
        ("GET", "/stores/999", None),
        ("GET", "/warehouses/999", None),
        ("DELETE", "/warehouses/999", None),
        ("DELETE", "/webhooks/999", None),
    ],
)
async def test_unknown_ids_are_404(
    client: httpx2.AsyncClient, before: list[Any], method: str, path: str, body: Any
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
    assert await snapshot(client) == before


async def test_bad_query_values_are_400(client: httpx2.AsyncClient) -> None:
    for params in (
        {"storeId": "abc"},
        {"createDateStart": "tomorrow"},
        {"sortDir": "up"},
        {"page": "1.5"},
    ):
        response = await client.get("/orders", params=params)
        assert response.status_code == 400, params
        assert next(iter(params)) in response.json()["ModelState"]
    response = await client.get("/shipments", params={"includeShipmentItems": "sometimes"})
    assert response.status_code == 400


async def test_an_unexpected_crash_is_a_500_and_undone(
    emu: Emulator, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch, before: list[Any]
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("boom /secret/path.py")

    monkeypatch.setattr("stationmaster.emulator.orders.queue_order_notify", explode)
    response = await client.post(
        "/orders/createorders",
        json=[
            new_order(
                "NEW-1",
                "new-1",
                customerUsername="someone-new",
                items=[{"sku": "BRAND-NEW", "name": "n", "quantity": 1, "unitPrice": 1}],
            )
        ],
    )
    assert response.status_code == 500
    assert response.json() == {"Message": "An error has occurred."}
    assert await snapshot(client) == before
    assert emu.account.next_ids["order"] == 100_000_002


async def test_refused_python_levers_change_nothing(
    emu: Emulator, client: httpx2.AsyncClient, before: list[Any]
) -> None:
    with pytest.raises(ValueError, match=r"orders\[1\]"):
        emu.seed(orders=[new_order("S1", "s1"), new_order("S2", "s2", shipTo=None)])
    with pytest.raises(ValueError, match="products"):
        emu.seed(products=[{"sku": "x"}])
    with pytest.raises(ValueError, match="Unknown carrier"):
        emu.ship_order(100_000_001, carrier_code="dhl")
    with pytest.raises(KeyError):
        emu.void_label(5)
    assert await snapshot(client) == before

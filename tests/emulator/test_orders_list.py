"""GET /orders and /orders/listbytag: filters, date bounds, offsets, sorting and paging."""

from __future__ import annotations

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


async def numbers(client: httpx2.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/orders", params=params)
    assert response.status_code == 200, response.text
    return [o["orderNumber"] for o in response.json()["orders"]]


@pytest.fixture
async def three(emu: Emulator, client: httpx2.AsyncClient) -> None:
    """Orders 100 (10:00), 1000 (10:10, on hold), 200-B (10:20, other store, tagged)."""
    await client.post(
        "/orders/createorder", json=new_order("100", "k1", orderDate="2026-03-01 08:00:00")
    )
    emu.advance(600)
    await client.post(
        "/orders/createorder",
        json=new_order(
            "1000",
            "k2",
            orderDate="2026-03-01 09:00:00",
            orderStatus="on_hold",
            billTo={"name": "Sherlock Holmes"},
            items=[
                {
                    "sku": "CANE-1",
                    "name": "Fine White Oak Cane",
                    "quantity": 1,
                    "unitPrice": 5,
                    "options": [{"name": "Finish", "value": "Walnut"}],
                }
            ],
        ),
    )
    emu.advance(600)
    await client.post(
        "/orders/createorder",
        json=new_order(
            "200-B",
            "k3",
            orderDate="2026-03-01 10:00:00",
            tagIds=[8362],
            advancedOptions={"storeId": 310555},
        ),
    )


@pytest.mark.usefixtures("three")
async def test_filters(client: httpx2.AsyncClient) -> None:
    assert await numbers(client) == ["100", "1000", "200-B"]
    assert await numbers(client, orderNumber="100") == ["100", "1000"]
    assert await numbers(client, orderStatus="on_hold") == ["1000"]
    assert await numbers(client, customerName="holmes") == ["1000"]
    assert await numbers(client, itemKeyword="oak cane") == ["1000"]
    assert await numbers(client, itemKeyword="walnut") == ["1000"]
    assert await numbers(client, itemKeyword="CANE-1") == ["1000"]
    assert await numbers(client, storeId=310555) == ["200-B"]
    assert await numbers(client, createDateStart="2026-03-02 10:10:00") == ["1000", "200-B"]
    assert await numbers(client, createDateEnd="2026-03-02 10:10:00") == ["100", "1000"]
    assert await numbers(client, modifyDateStart="2026-03-02 10:15:00") == ["200-B"]
    assert await numbers(client, paymentDateStart="2026-03-02 07:56:00") == ["100", "1000", "200-B"]


@pytest.mark.usefixtures("three")
async def test_order_date_start_is_exclusive_as_documented(client: httpx2.AsyncClient) -> None:
    assert await numbers(client, orderDateStart="2026-03-01 09:00:00") == ["200-B"]
    assert await numbers(client, orderDateEnd="2026-03-01 09:00:00") == ["100", "1000"]


async def test_bounds_switch() -> None:
    # Created at 10:00, 10:10, 10:20 Pacific; ordered at 08:00, 09:00, 10:00.
    created = {"documented": ["1000", "200-B"], "strict": [], "inclusive": ["1000", "200-B"]}
    ordered = {"documented": ["200-B"], "strict": ["200-B"], "inclusive": ["1000", "200-B"]}
    for mode in created:
        emu = emulator(filter_bounds=mode)
        async with http(emu) as c:
            for number, hour in (("100", 8), ("1000", 9), ("200-B", 10)):
                order = new_order(number, number, orderDate=f"2026-03-01 {hour:02}:00:00")
                await c.post("/orders/createorder", json=order)
                emu.advance(600)
            window = {
                "createDateStart": "2026-03-02 10:10:00",
                "createDateEnd": "2026-03-02 10:20:00",
            }
            assert await numbers(c, **window) == created[mode], mode
            assert await numbers(c, orderDateStart="2026-03-01 09:00:00") == ordered[mode], mode


async def test_filter_offsets_switch() -> None:
    # Created 10:00 Pacific = 18:00 UTC. A client sending UTC with "Z" asks for >= 18:00.
    for mode, total in (("ignore", 0), ("honour", 1)):
        emu = emulator(filter_offset_mode=mode)
        async with http(emu) as c:
            await c.post("/orders/createorder", json=new_order())
            answer = await c.get("/orders", params={"createDateStart": "2026-03-02T18:00:00Z"})
            assert answer.json()["total"] == total, mode
    emu = emulator(filter_offset_mode="reject")
    async with http(emu) as c:
        answer = await c.get("/orders", params={"createDateStart": "2026-03-02T18:00:00Z"})
        assert answer.status_code == 400
        assert "createDateStart" in answer.json()["ModelState"]


@pytest.mark.usefixtures("three")
async def test_sorting(client: httpx2.AsyncClient) -> None:
    assert await numbers(client, sortBy="OrderDate", sortDir="DESC") == ["200-B", "1000", "100"]
    assert await numbers(client, sortBy="modifydate") == ["100", "1000", "200-B"]
    assert await numbers(client, sortBy="CreateDate", sortDir="desc") == ["200-B", "1000", "100"]
    bad = await client.get("/orders", params={"sortBy": "Price"})
    assert bad.status_code == 400 and "sortBy" in bad.json()["ModelState"]


async def test_paging(emu: Emulator, client: httpx2.AsyncClient) -> None:
    batch = [new_order(f"N{i:03}", f"k{i}") for i in range(7)]
    await client.post("/orders/createorders", json=batch)
    first = (await client.get("/orders", params={"pageSize": 3})).json()
    assert (first["total"], first["page"], first["pages"], len(first["orders"])) == (7, 1, 3, 3)
    last = (await client.get("/orders", params={"pageSize": 3, "page": 3})).json()
    assert [o["orderNumber"] for o in last["orders"]] == ["N006"]
    past = (await client.get("/orders", params={"pageSize": 3, "page": 9})).json()
    assert (past["orders"], past["total"], past["pages"], past["page"]) == ([], 7, 3, 9)
    default = (await client.get("/orders")).json()
    assert default["pages"] == 1 and len(default["orders"]) == 7
    for bad in ({"page": 0}, {"pageSize": 0}, {"page": "x"}):
        assert (await client.get("/orders", params=bad)).status_code == 400


async def test_page_size_default_and_maximum_switches() -> None:
    emu = emulator(default_page_size=2)
    async with http(emu) as c:
        await c.post("/orders/createorders", json=[new_order(str(i), str(i)) for i in range(3)])
        assert (await c.get("/orders")).json()["pages"] == 2
        clamped = (await c.get("/orders", params={"pageSize": 5000})).json()
        assert clamped["pages"] == 1
    emu = emulator(max_page_size_mode="error", max_page_size=10)
    async with http(emu) as c:
        refused = await c.get("/orders", params={"pageSize": 11})
        assert refused.status_code == 400 and "pageSize" in refused.json()["ModelState"]


@pytest.mark.usefixtures("three")
async def test_list_by_tag(client: httpx2.AsyncClient) -> None:
    found = await client.get(
        "/orders/listbytag", params={"orderStatus": "awaiting_shipment", "tagId": 8362}
    )
    assert [o["orderNumber"] for o in found.json()["orders"]] == ["200-B"]
    other = await client.get("/orders/listbytag", params={"orderStatus": "on_hold", "tagId": 8362})
    assert other.json()["total"] == 0
    for params in ({"tagId": 8362}, {"orderStatus": "awaiting_shipment"}):
        assert (await client.get("/orders/listbytag", params=params)).status_code == 400


async def test_unknown_status_filter_is_400(client: httpx2.AsyncClient) -> None:
    response = await client.get("/orders", params={"orderStatus": "lost"})
    assert response.status_code == 400


async def test_import_batch_filter(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await client.post(
        "/webhooks/subscribe", json={"target_url": "http://hook.test/x", "event": "ORDER_NOTIFY"}
    )
    await client.post("/orders/createorders", json=[new_order("A", "a"), new_order("B", "b")])
    await client.post("/orders/createorder", json=new_order("C", "c"))
    url = emu.pending_webhooks[0].resource_url
    batch = url.split("importBatch=")[1]
    answer = (await client.get("/orders", params={"importBatch": batch, "storeID": 310554})).json()
    assert [o["orderNumber"] for o in answer["orders"]] == ["A", "B"]

"""Split and merged orders as ShipStation shows them (§13), through Python and the control API."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio


async def create(
    client: httpx2.AsyncClient, number: str = "ORD-1", **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/orders/createorder", json=new_order(number, f"k-{number}", **fields)
    )
    return dict(response.json())


async def test_split_moves_lines_to_a_child(emu: Emulator, client: httpx2.AsyncClient) -> None:
    parent = await create(client)
    child = emu.split_order(
        parent["orderId"],
        [
            {"lineItemKey": "line-2", "quantity": 1},
            {"orderItemId": parent["items"][0]["orderItemId"]},
        ],
    )
    assert child["orderId"] != parent["orderId"]
    assert child["orderNumber"] == "ORD-1" and child["orderKey"] == "k-ORD-1-split-1"
    assert child["advancedOptions"]["mergedOrSplit"] is True
    assert child["advancedOptions"]["parentId"] == parent["orderId"]
    assert [(i["lineItemKey"], i["quantity"]) for i in child["items"]] == [
        ("line-2", 1),
        ("line-1", 2),
    ]
    stored = (await client.get(f"/orders/{parent['orderId']}")).json()
    assert [(i["lineItemKey"], i["quantity"]) for i in stored["items"]] == [("line-2", 2)]
    assert stored["advancedOptions"]["mergedOrSplit"] is True
    assert stored["orderKey"] == "k-ORD-1"
    listed = (await client.get("/orders", params={"orderNumber": "ORD-1"})).json()
    assert listed["total"] == 2
    second = emu.split_order(parent["orderId"], [{"lineItemKey": "line-2", "quantity": 1}])
    assert second["orderKey"] == "k-ORD-1-split-2"


async def test_lines_by_bare_key_or_id(emu: Emulator, client: httpx2.AsyncClient) -> None:
    parent = await create(client)
    child = emu.split_order(parent["orderId"], ["line-2"])
    assert [(i["lineItemKey"], i["quantity"]) for i in child["items"]] == [("line-2", 3)]
    with pytest.raises(ValueError, match="Name a line"):
        emu.split_order(parent["orderId"], [3.5])  # type: ignore[list-item]
    shipment = emu.ship_order(parent["orderId"], items=[parent["items"][0]["orderItemId"]])
    assert [i["lineItemKey"] for i in shipment["shipmentItems"]] == ["line-1"]


async def test_split_refusals_change_nothing(emu: Emulator, client: httpx2.AsyncClient) -> None:
    parent = await create(client)
    for items, reason in (
        ([{"lineItemKey": "line-1"}, {"lineItemKey": "line-2"}], "at least one line"),
        ([{"lineItemKey": "line-1", "quantity": 3}], "Quantity"),
        ([], "at least one line"),
        ([{"lineItemKey": "ghost"}], "no line"),
    ):
        with pytest.raises(ValueError, match=reason):
            emu.split_order(parent["orderId"], items)
    assert (await client.get(f"/orders/{parent['orderId']}")).json() == parent
    with pytest.raises(KeyError):
        emu.split_order(999, [{"lineItemKey": "line-1"}])


async def test_split_child_key_and_number_switches() -> None:
    emu = Emulator(
        EmulatorConfig(
            api_key=KEY, api_secret=SECRET, split_child_key="guid", split_child_number="suffix"
        ),
        clock=ManualClock(START),
    )
    parent = emu.seed(orders=[new_order()])["orders"][0]
    child = emu.split_order(parent["orderId"], [{"lineItemKey": "line-1"}])
    assert re.fullmatch(r"[0-9a-f]{32}", child["orderKey"])
    assert child["orderNumber"] == "ORD-1-1"


async def test_merge(emu: Emulator, client: httpx2.AsyncClient) -> None:
    survivor = await create(client, "A")
    absorbed = [await create(client, "B"), await create(client, "C")]
    merged = emu.merge_orders(survivor["orderId"], [o["orderId"] for o in absorbed])
    assert merged["advancedOptions"]["mergedOrSplit"] is True
    assert merged["advancedOptions"]["mergedIds"] == [o["orderId"] for o in absorbed]
    assert len(merged["items"]) == 6 and merged["orderTotal"] == 78
    for order in absorbed:
        assert (await client.get(f"/orders/{order['orderId']}")).status_code == 404
    assert [o["orderNumber"] for o in (await client.get("/orders")).json()["orders"]] == ["A"]
    repost = await client.post("/orders/createorder", json=new_order("B", "k-B"))
    assert repost.status_code == 500 and "merged into" in repost.json()["ExceptionMessage"]
    shipment = emu.ship_order(survivor["orderId"])
    assert shipment["orderId"] == survivor["orderId"]


async def test_merge_refusals(emu: Emulator, client: httpx2.AsyncClient) -> None:
    a, b = await create(client, "A"), await create(client, "B", orderStatus="shipped")
    with pytest.raises(ValueError, match="shipped"):
        emu.merge_orders(a["orderId"], [b["orderId"]])
    with pytest.raises(ValueError, match="distinct"):
        emu.merge_orders(a["orderId"], [a["orderId"]])
    with pytest.raises(KeyError):
        emu.merge_orders(a["orderId"], [404])
    assert (await client.get("/orders")).json()["total"] == 2


async def test_split_and_merge_through_the_control_api(client: httpx2.AsyncClient) -> None:
    parent = await create(client)
    split = await client.post(
        f"/_emulator/orders/{parent['orderId']}/split",
        json={"items": [{"lineItemKey": "line-1", "quantity": 1}]},
    )
    assert (
        split.status_code == 200
        and split.json()["advancedOptions"]["parentId"] == parent["orderId"]
    )
    other = await create(client, "B")
    merge = await client.post(
        f"/_emulator/orders/{parent['orderId']}/merge", json={"absorbed_ids": [other["orderId"]]}
    )
    assert merge.json()["advancedOptions"]["mergedIds"] == [other["orderId"]]
    bad = await client.post(f"/_emulator/orders/{parent['orderId']}/split", json={"items": "all"})
    assert bad.status_code == 400 and "items" in bad.json()["message"]

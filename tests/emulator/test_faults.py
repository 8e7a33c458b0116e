"""Injected faults: 429, 500, delay, drop, fail_orders, null_elements, page_500."""

from __future__ import annotations

import httpx2
import pytest

from stationmaster.emulator import Emulator
from tests.emulator.helpers import new_order

pytestmark = pytest.mark.anyio


async def test_429_fault_has_headers_and_body(emu: Emulator, client: httpx2.AsyncClient) -> None:
    emu.inject(429, reset_seconds=7)
    refused = await client.get("/stores")
    assert refused.status_code == 429
    assert refused.content == b'{"message": "Too Many Requests"}'
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    assert refused.headers["X-Rate-Limit-Reset"] == "7"
    after = await client.get("/stores")
    assert after.status_code == 200 and after.headers["X-Rate-Limit-Remaining"] == "39"


async def test_500_fault_is_the_transient_envelope(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    emu.inject("500", count=2)
    first, second, third = [await client.get("/stores") for _ in range(3)]
    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert first.json() == {"Message": "An error has occurred."}
    assert first.headers["X-Rate-Limit-Remaining"] == "39"


async def test_faults_match_method_and_path(emu: Emulator, client: httpx2.AsyncClient) -> None:
    emu.inject("500", method="POST", path="/Orders/CreateOrder")
    assert (await client.get("/stores")).status_code == 200
    assert (await client.get("/orders")).status_code == 200
    assert (await client.post("/orders/createorder", json=new_order())).status_code == 500
    assert (await client.post("/orders/createorder", json=new_order())).status_code == 200


async def test_faults_skip_bad_credentials(emu: Emulator) -> None:
    emu.inject("500")
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=("x", "y")
    ) as c:
        assert (await c.get("/stores")).status_code == 401
    assert len(emu.faults.pending()) == 1


async def test_delay_answers_late_but_normally(emu: Emulator, client: httpx2.AsyncClient) -> None:
    emu.inject("delay", seconds=0.05)
    response = await client.get("/stores")
    assert response.status_code == 200
    assert response.headers["X-Rate-Limit-Remaining"] == "39"


async def test_delay_past_the_read_timeout_is_a_read_timeout(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    emu.inject("delay", seconds=1.0, path="/orders/createorder")
    with pytest.raises(httpx2.ReadTimeout):
        await client.post("/orders/createorder", json=new_order(), timeout=0.05)
    # The write took effect before the answer was lost: the outcome-unknown case.
    assert (await client.get("/orders")).json()["total"] == 1


async def test_drop_is_a_protocol_error(emu: Emulator, client: httpx2.AsyncClient) -> None:
    emu.inject("drop")
    with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
        await client.get("/stores")
    assert emu.calls[-1].status is None
    assert (await client.get("/stores")).status_code == 200


async def test_fail_orders_fails_only_listed_keys(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    emu.inject("fail_orders", order_keys=["k-b"], message="Simulated outage for this order.")
    answer = (
        await client.post(
            "/orders/createorders", json=[new_order("A", "k-a"), new_order("B", "k-b")]
        )
    ).json()
    assert [r["success"] for r in answer["results"]] == [True, False]
    assert answer["results"][1]["errorMessage"] == "Simulated outage for this order."
    retry = (await client.post("/orders/createorders", json=[new_order("B", "k-b")])).json()
    assert retry["results"][0]["success"] is True
    emu.inject("fail_orders", order_keys=["k-c"])
    single = await client.post("/orders/createorder", json=new_order("C", "k-c"))
    assert single.status_code == 500 and "Injected failure" in single.json()["ExceptionMessage"]


async def test_fail_orders_waits_for_a_matching_key(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    emu.inject("fail_orders", order_keys=["k-z"])
    assert (await client.post("/orders/createorder", json=new_order("A", "k-a"))).status_code == 200
    assert len(emu.faults.pending()) == 1


async def test_null_elements(emu: Emulator, client: httpx2.AsyncClient) -> None:
    oid = (await client.post("/orders/createorder", json=new_order())).json()["orderId"]
    emu.ship_order(oid)
    emu.inject("null_elements", path="/shipments", positions=[0, 5])
    page = (await client.get("/shipments")).json()
    assert page["shipments"][0] is None and page["shipments"][-1] is None
    assert len(page["shipments"]) == 3 and page["total"] == 1
    assert None not in (await client.get("/shipments")).json()["shipments"]


async def test_page_500_fails_pages_holding_the_bad_record(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    await client.post("/orders/createorders", json=[new_order(str(i), str(i)) for i in range(8)])
    emu.inject("page_500", path="/orders", position=5, count=100)
    # A client halving pageSize (SkuVault's way) finds the one bad position and skips it.
    failed = await client.get("/orders", params={"pageSize": 8})
    assert failed.status_code == 500 and failed.json() == {"Message": "An error has occurred."}
    assert failed.headers["X-Rate-Limit-Remaining"] == "38"
    assert (await client.get("/orders", params={"pageSize": 4, "page": 1})).status_code == 200
    assert (await client.get("/orders", params={"pageSize": 4, "page": 2})).status_code == 500
    assert (await client.get("/orders", params={"pageSize": 2, "page": 3})).status_code == 500
    assert (await client.get("/orders", params={"pageSize": 1, "page": 5})).status_code == 200
    assert (await client.get("/orders", params={"pageSize": 1, "page": 6})).status_code == 500
    assert (await client.get("/orders", params={"pageSize": 1, "page": 7})).status_code == 200


async def test_inject_checks_its_arguments(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="seconds"):
        emu.inject("delay")
    with pytest.raises(ValueError, match="order_keys"):
        emu.inject("fail_orders")
    with pytest.raises(ValueError, match="position"):
        emu.inject("page_500")
    with pytest.raises(ValueError, match="kind"):
        emu.inject("meteor")  # type: ignore[arg-type]
    assert emu.faults.pending() == []

"""The control API under /_emulator/: every endpoint, no auth, no rate limit, never recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio


@pytest.fixture
async def control(emu: Emulator) -> AsyncIterator[httpx2.AsyncClient]:
    """No credentials: the control API needs none."""
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=f"{emu.base_url}/_emulator"
    ) as c:
        yield c


async def test_index_lists_endpoints(control: httpx2.AsyncClient) -> None:
    endpoints = (await control.get("")).json()["endpoints"]
    assert "POST /_emulator/faults" in endpoints and len(endpoints) == 25


async def test_seed_reset_and_config(
    emu: Emulator, control: httpx2.AsyncClient, client: httpx2.AsyncClient
) -> None:
    seeded = await control.post("/seed", json={"orders": [new_order()], "tags": [{"name": "Rush"}]})
    assert seeded.status_code == 200
    created = seeded.json()["created"]
    assert created["orders"][0]["orderKey"] == "acme:1" and created["tags"][0]["tagId"] == 9001
    assert (await client.get("/orders")).json()["total"] == 1
    assert (await control.post("/reset")).json() == {"reset": True}
    assert (await client.get("/orders")).json()["total"] == 0
    config = (await control.get("/config")).json()
    assert config["limit"] == 40 and config["locked_update"] == "noop"
    assert "api_key" not in config and "api_secret" not in config and SECRET not in str(config)


async def test_ship_mark_void(
    emu: Emulator, control: httpx2.AsyncClient, client: httpx2.AsyncClient
) -> None:
    first, second = emu.seed(orders=[new_order("A", "a"), new_order("B", "b")])["orders"]
    shipped = await control.post(
        f"/orders/{first['orderId']}/ship",
        json={"carrier_code": "ups", "tracking_number": "1ZCONTROL"},
    )
    assert shipped.status_code == 200 and shipped.json()["trackingNumber"] == "1ZCONTROL"
    marked = await control.post(
        f"/orders/{second['orderId']}/mark-shipped",
        json={"carrier_code": "fedex", "ship_date": "2026-03-03"},
    )
    assert marked.json()["shipDate"] == "2026-03-03T00:00:00.0000000"
    voided = await control.post(f"/shipments/{shipped.json()['shipmentId']}/void")
    assert voided.json()["voided"] is True
    again = await control.post(f"/shipments/{shipped.json()['shipmentId']}/void")
    assert again.status_code == 400 and "already been voided" in again.json()["message"]
    missing = await control.post("/orders/5/ship", json={})
    assert missing.status_code == 404 and "Order 5" in missing.json()["message"]


async def test_faults_endpoints(control: httpx2.AsyncClient, client: httpx2.AsyncClient) -> None:
    added = await control.post("/faults", json={"kind": 500, "count": 2, "path": "/stores"})
    assert added.status_code == 201
    assert added.json()["fault"]["kind"] == "500" and added.json()["fault"]["remaining"] == 2
    assert (await client.get("/stores")).status_code == 500
    pending = (await control.get("/faults")).json()["faults"]
    assert pending[0]["remaining"] == 1
    assert (await control.delete("/faults")).json() == {"cleared": 1}
    assert (await client.get("/stores")).status_code == 200
    for bad in (
        {"kind": "meteor"},
        {"kind": "delay"},
        {"kind": "500", "count": 0},
        {"kind": "500", "x": 1},
    ):
        response = await control.post("/faults", json=bad)
        assert response.status_code == 400 and response.json()["message"], bad


async def test_calls_endpoints(control: httpx2.AsyncClient, client: httpx2.AsyncClient) -> None:
    await client.get("/stores", params={"showInactive": "true"})
    calls = (await control.get("/calls")).json()["calls"]
    assert [(c["method"], c["path"], c["status"], c["query"]) for c in calls] == [
        ("GET", "/stores", 200, {"showInactive": "true"})
    ]
    assert (await control.delete("/calls")).json() == {"cleared": 1}
    assert (await control.get("/calls")).json() == {"calls": []}


async def test_webhook_endpoints() -> None:
    received: list[bytes] = []

    async def receiver(scope: Scope, receive: Receive, send: Send) -> None:
        received.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    emu_with_hook = Emulator(
        EmulatorConfig(
            api_key=KEY, api_secret=SECRET, webhook_transport=httpx2.ASGITransport(app=receiver)
        ),
        clock=ManualClock(START),
    )
    async with httpx2.AsyncClient(
        transport=emu_with_hook.transport(), base_url=emu_with_hook.base_url, auth=(KEY, SECRET)
    ) as api:
        await api.post(
            "/webhooks/subscribe", json={"target_url": "http://r.test/", "event": "ORDER_NOTIFY"}
        )
        await api.post("/orders/createorder", json=new_order())
        pending = (await api.get("/_emulator/webhooks")).json()["pending"]
        assert pending[0]["payload"]["resource_type"] == "ORDER_NOTIFY"
        results = (await api.post("/_emulator/webhooks/deliver", json={})).json()["results"]
    assert results[0]["outcome"] == "delivered" and results[0]["status"] == 204
    assert len(received) == 1


async def test_clock_endpoints(emu: Emulator, control: httpx2.AsyncClient) -> None:
    assert (await control.get("/clock")).json() == {
        "now": "2026-03-02T18:00:00+00:00",
        "monotonic": 0.0,
    }
    moved = (await control.post("/clock/advance", json={"seconds": 90})).json()
    assert moved == {"now": "2026-03-02T18:01:30+00:00", "monotonic": 90.0}
    for bad in ({"seconds": -1}, {"seconds": "soon"}, {}):
        assert (await control.post("/clock/advance", json=bad)).status_code == 400


async def test_bad_control_input_is_400(control: httpx2.AsyncClient) -> None:
    for path, body in (
        ("/seed", b"{nope"),
        ("/seed", b'{"orders": {}}'),
        ("/seed", b'{"planets": []}'),
        ("/seed", b'{"orders": [{"orderNumber": "x"}]}'),
        ("/clock/advance", b"[]"),
    ):
        response = await control.post(path, content=body)
        assert response.status_code == 400, (path, body)
        assert response.json()["message"]
    assert (await control.get("/nowhere")).status_code == 404
    assert (await control.get("/reset")).status_code == 405


async def test_control_is_free_and_unrecorded() -> None:
    emu = Emulator(
        EmulatorConfig(api_key=KEY, api_secret=SECRET, limit=1), clock=ManualClock(START)
    )
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as anonymous:
        for _ in range(5):
            response = await anonymous.get("/_emulator/config")
            assert response.status_code == 200 and "X-Rate-Limit-Limit" not in response.headers
    assert emu.calls == []
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
    ) as c:
        assert (await c.get("/stores")).headers["X-Rate-Limit-Remaining"] == "0"

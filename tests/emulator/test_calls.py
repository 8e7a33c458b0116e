"""Recorded API calls: method, path, query, status, parsed body, time; never credentials."""

from __future__ import annotations

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio


async def test_calls_are_recorded(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await client.post("/Orders/CreateOrder", json=new_order())
    emu.advance(5)
    await client.get(
        "/orders", params={"orderStatus": "shipped", "api_key": "leak", "password": "p"}
    )
    await client.post("/orders/createorder", content=b"{broken")
    first, second, third = emu.calls
    assert (first.method, first.path, first.status) == ("POST", "/Orders/CreateOrder", 200)
    assert first.body["orderKey"] == "acme:1"  # type: ignore[index, call-overload]
    assert first.time == START
    assert second.query == {"orderStatus": "shipped"} and second.body is None
    assert (third.status, third.body) == (400, "{broken")
    assert second.to_json()["time"] == "2026-03-02T18:00:05+00:00"


async def test_credentials_never_recorded(emu: Emulator) -> None:
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=("wrong-key", "wrong-secret")
    ) as c:
        await c.get("/stores")
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
    ) as c:
        await c.get("/stores")
    text = repr(emu.calls) + str([c.to_json() for c in emu.calls])
    assert [c.status for c in emu.calls] == [401, 200]
    for secret in ("wrong-key", "wrong-secret", "Basic"):
        assert secret not in text


async def test_reset_and_clear(emu: Emulator, client: httpx2.AsyncClient) -> None:
    await client.get("/stores")
    emu.clear_calls()
    assert emu.calls == []
    await client.get("/stores")
    emu.reset()
    assert emu.calls == []


async def test_calls_can_be_kept_without_their_bodies() -> None:
    emu = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET, record_call_bodies=False))
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
    ) as c:
        await c.post("/orders/createorder", json=new_order())
        await c.post("/orders/createorder", content=b"{broken")
    assert [(c.method, c.status, c.body) for c in emu.calls] == [
        ("POST", 200, None),
        ("POST", 400, None),
    ]
    assert len(emu.orders()) == 1, "the order itself is kept"

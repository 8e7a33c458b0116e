"""Credentials, case-insensitive routing, aliases, partner headers, unknown routes."""

from __future__ import annotations

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio


async def test_good_credentials_answer(client: httpx2.AsyncClient) -> None:
    response = await client.get("/stores")
    assert response.status_code == 200
    assert any(s["marketplaceName"] == "ShipStation" for s in response.json())


@pytest.mark.parametrize(
    "auth", [None, ("K", "wrong"), ("wrong", "S"), ("", "")], ids=["none", "secret", "key", "empty"]
)
async def test_bad_credentials_are_401_with_the_configured_body(
    emu: Emulator, auth: tuple[str, str] | None
) -> None:
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url, auth=auth) as c:
        response = await c.get("/orders")
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}
    assert "X-Rate-Limit-Remaining" in response.headers


async def test_garbled_authorization_header_is_401(emu: Emulator) -> None:
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as c:
        for header in ("Basic !!!notbase64", "Bearer abc", "Basic S0s="):
            response = await c.get("/stores", headers={"Authorization": header})
            assert response.status_code == 401


async def test_extra_key_pair_is_accepted() -> None:
    emu = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET, extra_key_pairs=(("K2", "S2"),)))
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=("K2", "S2")
    ) as c:
        assert (await c.get("/stores")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/Orders/CreateOrder", "/ORDERS/createorder", "/orders/createorder/"]
)
async def test_paths_ignore_case(client: httpx2.AsyncClient, path: str) -> None:
    response = await client.post(path, json=new_order())
    assert response.status_code == 200
    assert response.json()["orderKey"] == "acme:1"


async def test_query_names_ignore_case(client: httpx2.AsyncClient) -> None:
    await client.post("/orders/createorder", json=new_order())
    for name in ("storeId", "storeID", "STOREID"):
        response = await client.get("/orders", params={name: 999})
        assert response.json()["total"] == 0, name
        response = await client.get("/orders", params={name: 310554})
        assert response.json()["total"] == 1, name


async def test_orders_list_alias(client: httpx2.AsyncClient) -> None:
    await client.post("/orders/createorder", json=new_order())
    plain = (await client.get("/orders")).json()
    alias = (await client.get("/orders/list")).json()
    assert plain == alias and plain["total"] == 1


async def test_partner_headers_are_accepted_and_ignored(client: httpx2.AsyncClient) -> None:
    headers = {"x-partner": "partner-key", "x-shipstation-partner": "other"}
    response = await client.get("/stores", headers=headers)
    assert response.status_code == 200


async def test_unknown_route_is_404_with_a_clear_message(client: httpx2.AsyncClient) -> None:
    response = await client.get("/orders/markshipped")
    assert response.status_code == 404
    assert "No HTTP resource was found" in response.json()["Message"]
    response = await client.get("/orders/not-a-number")
    assert response.status_code == 404


async def test_wrong_method_is_405(client: httpx2.AsyncClient) -> None:
    response = await client.put("/orders/createorder", json={})
    assert response.status_code == 405
    assert "does not support http method 'PUT'" in response.json()["Message"]
    assert response.headers["Allow"] == "POST"


async def test_rate_headers_do_not_leak_between_emulators() -> None:
    first = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET), clock=ManualClock(START))
    second = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET), clock=ManualClock(START))
    for emu, expected in ((first, "39"), (second, "39")):
        async with httpx2.AsyncClient(
            transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
        ) as c:
            assert (await c.get("/stores")).headers["X-Rate-Limit-Remaining"] == expected

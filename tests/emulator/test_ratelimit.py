"""The fixed-window rate limit per key pair, its headers, and the 429 answer."""

from __future__ import annotations

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from tests.emulator.helpers import KEY, SECRET, START

pytestmark = pytest.mark.anyio


def limited(limit: int | None = 3, **switches: object) -> Emulator:
    config = EmulatorConfig(
        api_key=KEY,
        api_secret=SECRET,
        limit=limit,
        window_seconds=60.0,
        extra_key_pairs=(("K2", "S2"),),
        **switches,
    )
    return Emulator(config, clock=ManualClock(START))


def http(emu: Emulator, auth: tuple[str, str] | None = (KEY, SECRET)) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url, auth=auth)


def budget(response: httpx2.Response) -> tuple[str, str, str]:
    h = response.headers
    return h["X-Rate-Limit-Limit"], h["X-Rate-Limit-Remaining"], h["X-Rate-Limit-Reset"]


async def test_window_counts_down_then_429_with_exact_body() -> None:
    emu = limited()
    async with http(emu) as c:
        seen = [budget(await c.get("/stores")) for _ in range(3)]
        assert seen == [("3", "2", "60"), ("3", "1", "60"), ("3", "0", "60")]
        emu.advance(20.4)
        refused = await c.get("/stores")
    assert refused.status_code == 429
    assert refused.content == b'{"message": "Too Many Requests"}'
    assert budget(refused) == ("3", "0", "40")


async def test_reset_counts_whole_seconds_and_the_window_reopens() -> None:
    emu = limited()
    async with http(emu) as c:
        await c.get("/stores")
        emu.advance(12.5)
        assert budget(await c.get("/stores"))[2] == "48"
        emu.advance(47.5)
        reopened = await c.get("/stores")
    assert reopened.status_code == 200
    assert budget(reopened) == ("3", "2", "60")


async def test_headers_on_every_status() -> None:
    emu = limited(limit=3)
    async with http(emu) as c, http(emu, None) as anonymous:
        responses = [
            await c.get("/stores"),
            await c.get("/orders/123"),
            await c.get("/no/such/route"),
            await anonymous.get("/stores"),
            await c.get("/stores"),
        ]
    assert [r.status_code for r in responses] == [200, 404, 404, 401, 429]
    assert [budget(r)[1] for r in responses] == ["2", "1", "0", "3", "0"]


async def test_401_and_429_do_not_count_by_default() -> None:
    emu = limited(limit=2)
    async with http(emu) as c, http(emu, (KEY, "bad")) as bad:
        for _ in range(5):
            assert (await bad.get("/stores")).status_code == 401
        assert budget(await c.get("/stores"))[1] == "1"
        assert budget(await c.get("/stores"))[1] == "0"
        assert (await c.get("/stores")).status_code == 429
        emu.advance(60)
        assert (await c.get("/stores")).status_code == 200


async def test_count_401_429_switch() -> None:
    emu = limited(limit=2, count_401_429=True)
    async with http(emu, (KEY, "bad")) as bad:
        first = await bad.get("/stores")
        second = await bad.get("/stores")
    assert (budget(first)[1], budget(second)[1]) == ("1", "0")


async def test_each_key_pair_has_its_own_window() -> None:
    emu = limited(limit=1)
    async with http(emu) as one, http(emu, ("K2", "S2")) as two:
        assert (await one.get("/stores")).status_code == 200
        assert (await one.get("/stores")).status_code == 429
        other = await two.get("/stores")
    assert other.status_code == 200 and budget(other)[1] == "0"


async def test_limit_off_never_refuses() -> None:
    emu = limited(limit=None)
    async with http(emu) as c:
        for _ in range(60):
            response = await c.get("/stores")
            assert response.status_code == 200
    assert "X-Rate-Limit-Limit" not in response.headers


async def test_custom_rate_limit_body() -> None:
    emu = limited(limit=1, rate_limit_body={"Message": "slow down"})
    async with http(emu) as c:
        await c.get("/stores")
        assert (await c.get("/stores")).json() == {"Message": "slow down"}


async def test_reset_clears_windows() -> None:
    emu = limited(limit=1)
    async with http(emu) as c:
        await c.get("/stores")
        emu.reset()
        assert (await c.get("/stores")).status_code == 200

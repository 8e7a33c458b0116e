"""The emulator fleet: many accounts on one address, each with its own orders and limit."""

import httpx2
import pytest

from stationmaster.emulator import EmulatorConfig
from stationmaster.emulator.fleet import SUMMARY_PATH, EmulatorFleet, fleet_key_pairs

pytestmark = pytest.mark.anyio


def _order(key: str) -> dict[str, object]:
    return {
        "orderNumber": key,
        "orderKey": key,
        "orderDate": "2026-11-20T10:00:00.0000000",
        "orderStatus": "awaiting_shipment",
        "billTo": {"name": "A"},
        "shipTo": {
            "name": "A",
            "street1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "postalCode": "78701",
            "country": "US",
        },
    }


@pytest.fixture
def fleet() -> EmulatorFleet:
    config = EmulatorConfig(limit=3, window_seconds=60)
    return EmulatorFleet(fleet_key_pairs(3), config=config)


def _client(fleet: EmulatorFleet, auth: tuple[str, str]) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=fleet.transport(), base_url="http://fleet", auth=auth)


async def test_each_key_reaches_its_own_account(fleet: EmulatorFleet) -> None:
    async with _client(fleet, ("K1", "S1")) as one, _client(fleet, ("K2", "S2")) as two:
        assert (await one.post("/orders/createorder", json=_order("a:1"))).status_code == 200
        assert (await two.post("/orders/createorder", json=_order("b:1"))).status_code == 200
        assert (await two.post("/orders/createorder", json=_order("b:2"))).status_code == 200
    summary = {row.account: row for row in fleet.summary()}
    assert [summary[n].orders for n in (1, 2, 3)] == [1, 2, 0]
    assert all(row.duplicate_order_keys == 0 for row in summary.values())


async def test_the_limit_is_per_account(fleet: EmulatorFleet) -> None:
    async with _client(fleet, ("K1", "S1")) as one, _client(fleet, ("K2", "S2")) as two:
        statuses = [(await one.get("/stores")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await two.get("/stores")).status_code == 200
    summary = fleet.summary()
    assert (summary[0].rate_limited, summary[0].busiest_window) == (1, 3)
    assert (summary[1].rate_limited, summary[1].busiest_window) == (0, 1)


@pytest.mark.parametrize(
    "auth", [("K1", "wrong"), ("K9", "S9"), None], ids=["bad-secret", "no-account", "none"]
)
async def test_unknown_or_wrong_credentials_are_refused(
    fleet: EmulatorFleet, auth: tuple[str, str] | None
) -> None:
    async with httpx2.AsyncClient(transport=fleet.transport(), base_url="http://fleet") as http:
        reply = await http.get("/stores", auth=auth) if auth else await http.get("/stores")
    assert reply.status_code == 401
    assert all(row.calls == 0 or row.account == 1 for row in fleet.summary())


async def test_the_summary_is_served_without_keys(fleet: EmulatorFleet) -> None:
    async with httpx2.AsyncClient(transport=fleet.transport(), base_url="http://fleet") as http:
        rows = (await http.get(SUMMARY_PATH)).json()
    assert [row["account"] for row in rows] == [1, 2, 3]
    assert "K1" not in str(rows) and "S1" not in str(rows)


def test_a_fleet_needs_distinct_keys_and_one_account() -> None:
    with pytest.raises(ValueError, match="own API key"):
        EmulatorFleet([("K", "S"), ("K", "T")])
    with pytest.raises(ValueError, match="at least one"):
        fleet_key_pairs(0)

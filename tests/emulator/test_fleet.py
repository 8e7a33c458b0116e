"""The emulator fleet: many accounts on one address, each with its own orders and limit."""

from collections import Counter

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from stationmaster.emulator.backend import Backend
from stationmaster.emulator.fleet import SUMMARY_PATH, EmulatorFleet, fleet_key_pairs
from stationmaster.emulator.replies import Reply, ok
from stationmaster.emulator.routing import ApiRequest
from tests.emulator.helpers import START, new_order

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


def _counted_from_every_order(emulator: Emulator) -> tuple[int, int]:
    """The summary's order figures the slow way: keys of a copy of every active order."""
    keys = Counter(order["orderKey"] for order in emulator.orders())
    return len(keys), sum(count - 1 for count in keys.values())


async def test_the_order_figures_match_a_count_over_every_order() -> None:
    config = EmulatorConfig(limit=None, order_key_scope="store", deleted_key_repost="new")
    fleet = EmulatorFleet(fleet_key_pairs(2), config=config)
    ids: dict[str, int] = {}
    async with _client(fleet, ("K1", "S1")) as one:
        for key in ("a:1", "a:2", "a:3", "a:4", "a:5"):
            created = await one.post("/orders/createorder", json=new_order(key, key))
            ids[key] = created.json()["orderId"]
        in_another_store = new_order("a:1", "a:1", advancedOptions={"storeId": 310555})
        assert (await one.post("/orders/createorder", json=in_another_store)).is_success
        for key in ("a:2", "a:3"):
            assert (await one.delete(f"/orders/{ids[key]}")).is_success
        assert (await one.post("/orders/createorder", json=new_order("a:2", "a:2"))).is_success
    first = fleet.emulators["K1"]
    first.merge_orders(ids["a:4"], [ids["a:5"]])
    first.split_order(ids["a:1"], ["line-1"])
    slow = [_counted_from_every_order(emulator) for emulator in fleet.emulators.values()]
    assert [(row.orders, row.duplicate_order_keys) for row in fleet.summary()] == slow
    assert slow == [(4, 1), (0, 0)]  # a:1 twice, a:2 reposted, a:4, a:1's split child


async def test_a_slow_answer_does_not_make_a_window_look_fuller() -> None:
    clock = ManualClock(START)
    config = EmulatorConfig(limit=2, window_seconds=10)
    fleet = EmulatorFleet(fleet_key_pairs(1), config=config, clock=clock)

    def slow(backend: Backend, request: ApiRequest) -> Reply:
        clock.advance(9.5)  # arrived at 0 s, answered at 9.5 s
        return ok([])

    fleet.emulators["K1"].app.gateway.router.add("GET", "/slow", slow)
    async with _client(fleet, ("K1", "S1")) as one:
        assert (await one.get("/slow")).status_code == 200
        clock.advance(0.5)  # 10 s: the limiter's first window has closed
        statuses = [(await one.get("/stores")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    (row,) = fleet.summary()
    assert (row.busiest_window, row.rate_limited) == (2, 1)
    assert [call.arrived for call in fleet.emulators["K1"].calls] == [0, 10, 10, 10]


async def test_bulk_creates_are_counted_by_when_they_arrived() -> None:
    """Successful bulk creates that arrived in [from, to) count: not one before or at the end,
    nor a refused one, nor another kind of call."""
    clock = ManualClock(START)
    config = EmulatorConfig(limit=3, window_seconds=10)
    fleet = EmulatorFleet(fleet_key_pairs(2), config=config, clock=clock)
    async with _client(fleet, ("K1", "S1")) as one, _client(fleet, ("K2", "S2")) as two:
        assert (await one.post("/orders/createorders", json=[_order("a:1")])).status_code == 200
        clock.advance(10)
        start = fleet.clock.monotonic()
        assert (await one.post("/Orders/CreateOrders", json=[_order("a:2")])).status_code == 200
        assert (await one.post("/orders/createorder", json=_order("a:3"))).status_code == 200
        assert (await two.post("/orders/createorders", json=[{"bad": 1}])).status_code == 200
        assert (await one.post("/orders/createorders", json=[_order("a:4")])).status_code == 200
        assert (await one.post("/orders/createorders", json=[_order("a:5")])).status_code == 429
        clock.advance(5)
        end = fleet.clock.monotonic()
        assert (await two.post("/orders/createorders", json=[_order("b:1")])).status_code == 200
    assert [row.created_between for row in fleet.summary((start, end))] == [2, 1]
    assert [row.created_between for row in fleet.summary()] == [0, 0]


async def test_the_clock_and_an_interval_are_served(fleet: EmulatorFleet) -> None:
    async with httpx2.AsyncClient(transport=fleet.transport(), base_url="http://fleet") as http:
        start = (await http.get("/_fleet/clock")).json()["monotonic"]
        async with _client(fleet, ("K1", "S1")) as one:
            await one.post("/orders/createorders", json=[_order("a:1")])
        end = (await http.get("/_fleet/clock")).json()["monotonic"]
        rows = (await http.get(SUMMARY_PATH, params={"from": start, "to": end + 1})).json()
        assert [row["created_between"] for row in rows] == [1, 0, 0]
        for params in ({"from": start}, {"from": "x", "to": "1"}, {"from": 2, "to": 1}):
            reply = await http.get(SUMMARY_PATH, params=params)
            assert reply.status_code == 400, params
            assert "from" in reply.json()["message"]

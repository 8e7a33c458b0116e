"""Workers sharing keys in turns: one owner per key, every order once, nobody starved."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig, ShipStationConfig
from stationmaster.emulator import EmulatorConfig
from stationmaster.emulator.fleet import EmulatorFleet, fleet_key_pairs
from stationmaster.engine.lease import lease_name
from stationmaster.engine.runner import Runtime, build_runtime
from stationmaster.engine.scheduler import Scheduler
from stationmaster.shipstation import Credentials
from stationmaster.stores.native import NativeStore
from stationmaster.testing.factories import make_orders
from stationmaster.testing.plugin import FAST_RETRY

pytestmark = pytest.mark.anyio


async def _runtimes(
    engine: AsyncEngine,
    fleet: EmulatorFleet,
    count: int,
    *,
    owner: str = "tests",
    window: float = 1.0,
    limit: int = 40,
    per_key: int = 1,
) -> list[Runtime]:
    """``count`` connections, ``per_key`` of them on each key pair of the fleet."""
    pairs = list(fleet.emulators.items())
    runtimes = []
    for n in range(count):
        key, emulator = pairs[n // per_key]
        config = ConnectionConfig(
            name=f"shop{n}",
            source=f"s{n}",
            poll_seconds=0.2,
            shipstation=ShipStationConfig(
                base_url="http://fleet", window_seconds=window, limit=limit
            ),
        )
        runtime = await build_runtime(
            config,
            engine,
            owner=owner,
            credentials=Credentials(key, emulator.config.api_secret),
            transport=fleet.transport(),
        )
        runtime.push.client.retry = FAST_RETRY
        runtimes.append(runtime)
    return runtimes


def _fleet(accounts: int, *, limit: int = 40, window: float = 1.0) -> EmulatorFleet:
    return EmulatorFleet(
        fleet_key_pairs(accounts), config=EmulatorConfig(limit=limit, window_seconds=window)
    )


async def _seed(runtimes: Sequence[Runtime], orders: int) -> None:
    for runtime in runtimes:
        store = runtime.push.store
        assert isinstance(store, NativeStore)
        await store.ingest_many(make_orders(orders, seed=hash(runtime.name) % 1000))


async def _eventually(predicate: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait until ``predicate()`` holds (the emulator's figures have no event to wait on)."""
    with anyio.fail_after(seconds):
        while not predicate():  # noqa: ASYNC110
            await anyio.sleep(0.05)


async def _run_until(
    schedulers: Sequence[Scheduler], done: Callable[[], bool], seconds: float = 30.0
) -> None:
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        for scheduler in schedulers:
            group.start_soon(scheduler.run, stop)
        await _eventually(done, seconds)
        stop.set()


async def test_two_workers_push_every_order_of_every_key_once(engine: AsyncEngine) -> None:
    fleet = _fleet(6)
    first = await _runtimes(engine, fleet, 6, owner="a")
    second = await _runtimes(engine, fleet, 6, owner="b")
    await _seed(first, 30)
    workers = [
        Scheduler(engine, first, "worker-a", concurrency=2, lease_seconds=5),
        Scheduler(engine, second, "worker-b", concurrency=2, lease_seconds=5),
    ]

    def done() -> bool:
        return all(row.orders == 30 for row in fleet.summary())

    await _run_until(workers, done)
    for row in fleet.summary():
        assert (row.orders, row.duplicate_order_keys, row.rate_limited) == (30, 0, 0), row
    assert all(worker.turns for worker in workers), "both workers served keys"


async def test_a_key_with_a_backlog_does_not_starve_the_others(engine: AsyncEngine) -> None:
    fleet = _fleet(3, limit=4, window=1.0)
    runtimes = await _runtimes(engine, fleet, 3)
    await _seed(runtimes[:1], 400)  # 4 batches/s: takes seconds
    await _seed(runtimes[1:], 5)
    worker = Scheduler(engine, runtimes, "solo", concurrency=1, turn_seconds=0.5, lease_seconds=5)

    def small_ones_done() -> bool:
        return all(row.orders == 5 for row in fleet.summary()[1:])

    await _run_until([worker], small_ones_done, 20)
    assert fleet.summary()[0].orders < 400, "the small keys were served before the backlog ended"


async def test_a_dead_workers_key_is_taken_over_at_once(engine: AsyncEngine) -> None:
    fleet = _fleet(1)
    runtimes = await _runtimes(engine, fleet, 1)
    await _seed(runtimes, 10)
    name = lease_name(runtimes[0].lease.key_id)
    dead = db.owner_id("worker").rsplit(":", 2)
    gone = f"{dead[0]}:999999999:{dead[2]}"  # this host, a pid that cannot exist
    await db.ensure_leases(engine, [name])
    assert await db.acquire_lease(engine, name, gone, 600) is not None
    worker = Scheduler(engine, runtimes, "heir", concurrency=1, lease_seconds=5)
    await _run_until([worker], lambda: fleet.summary()[0].orders == 10, 10)


async def test_a_resting_key_wakes_when_work_arrives(engine: AsyncEngine) -> None:
    fleet = _fleet(1)
    runtimes = await _runtimes(engine, fleet, 1)
    runtimes[0].config.poll_seconds = 3600  # would rest an hour
    worker = Scheduler(engine, runtimes, "w", concurrency=1, lease_seconds=5, idle_seconds=0.1)
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(worker.run, stop)
        await _eventually(lambda: worker.turns >= 1, 10)
        await _seed(runtimes, 3)
        await anyio.sleep(0.5)
        assert fleet.summary()[0].orders == 0, "resting: nothing pushed yet"
        await worker.work_arrived("shop0")
        await _eventually(lambda: fleet.summary()[0].orders == 3, 10)
        await worker.work_arrived("not-mine")  # ignored
        stop.set()


async def test_the_keys_budget_travels_with_the_lease(engine: AsyncEngine) -> None:
    fleet = _fleet(1, limit=6, window=30.0)
    runtimes = await _runtimes(engine, fleet, 1, window=30.0, limit=6)
    await _seed(runtimes, 1000)  # ten batches: far more than one window allows
    first = Scheduler(engine, runtimes, "first", concurrency=1, lease_seconds=5)
    await _run_until([first], lambda: fleet.summary()[0].calls >= 5)
    heirs = await _runtimes(engine, fleet, 1, owner="other", window=30.0, limit=6)
    heir = Scheduler(engine, heirs, "second", concurrency=1, lease_seconds=5)
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(heir.run, stop)
        await anyio.sleep(2)
        stop.set()
    row = fleet.summary()[0]
    assert heir.turns or row.calls >= 5
    assert row.rate_limited == 0, "the heir knew how much of the window was spent"
    assert row.busiest_window <= 6


async def test_a_turn_cut_short_leaves_tracking_for_later(engine: AsyncEngine) -> None:
    """A key with a backlog spends its budget pushing: tracking re-reads the recent orders, so
    it waits until a turn ends with nothing left to send."""
    fleet = _fleet(1, limit=2, window=1.0)
    runtimes = await _runtimes(engine, fleet, 1, limit=2, window=1.0)
    await _seed(runtimes, 600)  # six batches at two a second: several turns
    worker = Scheduler(engine, runtimes, "w", concurrency=1, turn_seconds=0.5, lease_seconds=5)
    [emulator] = fleet.emulators.values()

    def tracked() -> bool:
        return any(call.method == "GET" for call in emulator.calls)

    await _run_until([worker], tracked, 20)
    methods = [call.method for call in emulator.calls]
    first_read = methods.index("GET")
    assert methods[:first_read] == ["POST"] * 6, methods
    assert worker.turns > 1, "the backlog took several turns"


def test_bad_settings_are_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Scheduler(engine, [], "w", concurrency=0)
    with pytest.raises(ValueError, match="positive"):
        Scheduler(engine, [], "w", turn_seconds=0)

"""Faults end in success or in a classified error, never in a hang, and never cost a duplicate."""

from __future__ import annotations

import time

import anyio
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.errors import AuthenticationError, ServerError, TransportError
from stationmaster.shipstation import Budget, Credentials, RetryPolicy, Timeouts
from stationmaster.shipstation.models import OrderFilter
from stationmaster.shipstation.paging import SkippedRecord
from stationmaster.testing.plugin import make_client
from tests.contract.test_orders import simple_order

pytestmark = pytest.mark.anyio


def emulator(**config: object) -> Emulator:
    return Emulator(EmulatorConfig(api_key="k", api_secret="s", **config))  # type: ignore[arg-type]


def statuses(emu: Emulator) -> list[int]:
    return [call.status for call in emu.calls]


async def test_a_429_burst_is_waited_out_and_the_same_batch_sent_again() -> None:
    emu = emulator()
    emu.inject("429", count=3, reset_seconds=0)
    batch = [simple_order(f"R-{i}", key=f"shop:r{i}") for i in range(3)]
    async with make_client(emu) as client:
        with anyio.fail_after(10):
            result = await client.orders.create_many(batch)
    assert result.hasErrors is False
    assert statuses(emu) == [429, 429, 429, 200]
    bodies = [call.body for call in emu.calls]
    assert bodies[0] == bodies[-1]  # the very same payload, not a re-built or dropped one
    assert (await make_client(emu).orders.list()).total == 3


async def test_a_429_reset_is_respected_before_the_retry() -> None:
    emu = emulator()
    emu.inject("429", count=1, reset_seconds=1)
    async with make_client(emu) as client:
        started = time.monotonic()
        await client.stores.list()
        assert time.monotonic() - started >= 0.95


async def test_transient_500s_are_retried_for_idempotent_calls() -> None:
    emu = emulator()
    emu.inject("500", count=2)
    async with make_client(emu) as client:
        result = await client.orders.create_many([simple_order("T-1", key="shop:t1")])
    assert result.hasErrors is False
    assert statuses(emu) == [500, 500, 200]


async def test_a_write_without_order_key_is_not_retried_blindly() -> None:
    emu = emulator()
    emu.inject("500", count=1)
    async with make_client(emu) as client:
        with pytest.raises(ServerError) as caught:
            await client.orders.create(simple_order("NK-1"))
    assert caught.value.resolution.kind == "retry"  # the caller decides after a re-read
    assert statuses(emu) == [500]


async def test_persistent_500s_end_in_a_classified_error_after_bounded_attempts() -> None:
    emu = emulator()
    emu.inject("500", count=50)
    retry = RetryPolicy(attempts=4, wait_initial=0, wait_max=0.01, wait_jitter=0)
    async with make_client(emu, retry=retry) as client:
        with anyio.fail_after(10), pytest.raises(ServerError) as caught:
            await client.orders.list()
    assert caught.value.status == 500
    assert len(emu.calls) == 4


async def test_timeouts_and_dropped_connections_are_retried() -> None:
    emu = emulator()
    emu.inject("delay", count=1, seconds=2.0)
    emu.inject("drop", count=1)
    async with make_client(emu, timeouts=Timeouts(default=0.2, bulk=0.2)) as client:
        with anyio.fail_after(10):
            listed = await client.stores.list()
    assert listed


async def test_a_dead_network_ends_in_a_transport_error() -> None:
    emu = emulator()
    emu.inject("drop", count=50)
    retry = RetryPolicy(attempts=3, wait_initial=0, wait_max=0.01, wait_jitter=0)
    async with make_client(emu, retry=retry) as client:
        with pytest.raises(TransportError) as caught:
            await client.stores.list()
    assert caught.value.resolution.kind == "retry"


async def test_wrong_credentials_fail_the_connection_at_once() -> None:
    emu = emulator()
    async with make_client(emu, credentials=Credentials("k", "wrong")) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.stores.list()
    assert caught.value.resolution.kind == "fail_connection"
    assert statuses(emu) == [401]


async def test_one_bad_order_in_a_batch_fails_alone() -> None:
    emu = emulator()
    emu.inject("fail_orders", order_keys=("shop:f2",))
    batch = [simple_order(f"F-{i}", key=f"shop:f{i}") for i in range(1, 4)]
    async with make_client(emu) as client:
        result = await client.orders.create_many(batch)
    assert result.hasErrors is True
    outcome = {r.orderKey: r.success for r in result.results or []}
    assert outcome == {"shop:f1": True, "shop:f2": False, "shop:f3": True}


async def test_null_list_elements_are_dropped() -> None:
    emu = emulator()
    async with make_client(emu) as client:
        await client.orders.create_many(
            [simple_order(f"NU-{i}", key=f"shop:nu{i}") for i in range(3)]
        )
        emu.inject("null_elements", positions=(0, 2))
        listed = await client.orders.list()
    assert len(listed.records()) == 3


async def test_a_corrupt_record_skips_only_itself_and_is_reported() -> None:
    emu = emulator()
    async with make_client(emu) as client:
        await client.orders.create_many(
            [simple_order(f"C-{i}", key=f"shop:c{i}") for i in range(12)]
        )
        emu.inject("page_500", count=100, position=5)
        skipped: list[SkippedRecord] = []
        got = [o async for o in client.orders.iterate(OrderFilter(pageSize=4), skipped=skipped)]
    assert len(got) == 11
    assert [s.position for s in skipped] == [5]


async def test_the_budget_keeps_a_busy_client_under_the_limit() -> None:
    emu = emulator(limit=5, window_seconds=0.5)
    async with make_client(emu, budget=Budget(limit=5, window=0.5)) as client:
        with anyio.fail_after(15):
            async with anyio.create_task_group() as group:
                for _ in range(16):
                    group.start_soon(client.stores.list)
    assert statuses(emu) == [200] * 16

"""What the tests of the API store connectors (Medusa, Vendure) do alike: read a feed to its
end and walk it through ties and same-instant edits on a fake Admin API, fail a client's every
request, seed the conformance kit through a shop, build a push runtime against the emulator,
take the store down mid-sync, and run the CLI against a store."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx2
import pytest
from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig, ShipStationConfig, StoreConfig
from stationmaster.domain import Order
from stationmaster.emulator import Emulator
from stationmaster.engine.runner import Runtime, build_runtime, run_pass
from stationmaster.shipstation import Credentials
from stationmaster.stores import Store
from stationmaster.sync.push import ORDERS_STREAM
from stationmaster.testing.factories import make_order
from stationmaster.testing.plugin import FAST_RETRY
from stationmaster.testing.store_conformance import Seed
from tests.served import free_port

T0 = datetime(2026, 11, 22, 3, 8, 47, tzinfo=UTC)
"""The instant the feed tests stamp their orders from."""


async def read_feed(store: Store, cursor: JsonValue, limit: int) -> tuple[list[str], JsonValue]:
    """The ids of every order the feed hands out from ``cursor`` on, and the cursor at its end;
    each batch holds at most ``limit`` orders and the feed must end within 100 batches."""
    seen: list[str] = []
    for _ in range(100):
        batch = await store.changed_orders(cursor, limit)
        assert len(batch.orders) + len(batch.unreadable) <= limit
        seen += [order.source_id for order in batch.orders]
        cursor = batch.cursor
        if not batch.more:
            return seen, cursor
    raise AssertionError("the feed never ended")


Ties = Callable[[list[dict[str, Any]]], None]
"""How a fake Admin API puts orders with one stamp in order (in place), as a database may."""


class FakeAdmin(Protocol):
    """A connector's fake Admin API: the orders it holds, and its store."""

    orders: list[dict[str, Any]]

    def store(self) -> Store: ...


@dataclass(frozen=True)
class FeedFakes:
    """How one connector's feed tests build its fake and its raw orders.

    ``fake(orders, ties)`` holds ``orders``; ``order(n, instant)`` is order number ``n``
    updated at ``instant``; ``tick`` is the store's stamp resolution and ``id_format`` spells
    an order's id from its number.
    """

    fake: Callable[[list[dict[str, Any]], Ties], FakeAdmin]
    order: Callable[[int, datetime], dict[str, Any]]
    tick: timedelta
    id_format: str

    def stamp(self, ticks: int) -> datetime:
        """The instant ``ticks`` ticks after :data:`T0`."""
        return T0 + ticks * self.tick

    def source_id(self, number: int) -> str:
        return self.id_format.format(number)

    def ids(self, *numbers: int) -> list[str]:
        return [self.source_id(n) for n in numbers]


async def check_ties_across_pages_come_once(fakes: FeedFakes, limit: int, shuffled: bool) -> None:
    """Five orders stamped with one tick straddle every page boundary; none is lost or
    repeated, whichever order the database returns the ties in on each call."""
    orders = [fakes.order(1, fakes.stamp(0))]
    orders += [fakes.order(n, fakes.stamp(1)) for n in range(2, 7)]
    ties: Ties = random.Random(limit).shuffle if shuffled else list.reverse
    store = fakes.fake([*orders, fakes.order(7, fakes.stamp(2))], ties).store()
    got, end = await read_feed(store, None, limit)
    assert sorted(got) == sorted(fakes.ids(*range(1, 8)))
    assert len(got) == len(set(got)) == 7
    assert [got[0], got[-1]] == fakes.ids(1, 7)
    again, _ = await read_feed(store, end, limit)
    assert again == []
    await _close(store)


async def check_new_orders_at_the_cursors_instant_come(fakes: FeedFakes) -> None:
    """An order committed within the tick of the last one handed out is not skipped."""
    fake = fakes.fake(
        [fakes.order(1, fakes.stamp(0)), fakes.order(2, fakes.stamp(0))], list.reverse
    )
    store = fake.store()
    first, cursor = await read_feed(store, None, 10)
    fake.orders.append(fakes.order(3, fakes.stamp(0)))
    later, _ = await read_feed(store, cursor, 10)
    assert (sorted(first), later) == (fakes.ids(1, 2), fakes.ids(3))
    await _close(store)


async def check_an_edit_within_the_tick_comes_back(
    fakes: FeedFakes, edit: Callable[[dict[str, Any]], None]
) -> None:
    """An order ``edit`` changes within the tick it was handed out at comes back, once."""
    fake = fakes.fake(
        [fakes.order(1, fakes.stamp(0)), fakes.order(2, fakes.stamp(0))], list.reverse
    )
    store = fake.store()
    _, cursor = await read_feed(store, None, 10)
    edit(fake.orders[0])
    later, cursor = await read_feed(store, cursor, 10)
    assert later == fakes.ids(1)
    assert (await read_feed(store, cursor, 10))[0] == []
    await _close(store)


async def check_a_later_update_comes_back(fakes: FeedFakes, field: str) -> None:
    """An order whose ``field`` (its change stamp) moves past the cursor comes back."""
    fake = fakes.fake([fakes.order(n, fakes.stamp(n)) for n in range(1, 4)], list.reverse)
    store = fake.store()
    _, cursor = await read_feed(store, None, 2)
    fake.orders[0][field] = fakes.stamp(9).isoformat()
    assert (await read_feed(store, cursor, 2))[0] == fakes.ids(1)
    await _close(store)


async def _close(store: Store) -> None:
    assert isinstance(store, Closing)
    await store.aclose()


def raising(failure: Exception) -> Callable[[httpx2.Request], httpx2.Response]:
    """A transport handler that fails every request with ``failure``."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        raise failure

    return handler


class Shop(Protocol):
    """A test shop that places canonical orders in a real store and edits them."""

    async def place(self, order: Order) -> str: ...

    async def touch(self, source_id: str) -> None: ...

    async def place_all(self, orders: Sequence[Order]) -> list[str]: ...


def seed_with(shop: Shop) -> Seed:
    """Places new orders through the shop; an order it placed before is edited instead."""
    placed: set[str] = set()

    async def seed(orders: Sequence[Order]) -> list[str]:
        ids: list[str] = []
        for order in orders:
            if order.source_id in placed:
                await shop.touch(order.source_id)
                ids.append(order.source_id)
            else:
                source_id = await shop.place(order)
                placed.add(source_id)
                ids.append(source_id)
        return ids

    return seed


async def push_runtime(
    kind: str,
    store: dict[str, Any],
    rules: dict[str, Any],
    engine: AsyncEngine,
    emulator: Emulator,
) -> Runtime:
    """A push connection named ``kind`` (and so its source) from the store of that kind with
    ``store`` settings to the emulator, retrying without waiting."""
    config = ConnectionConfig(
        name=kind,
        source=kind,
        store=StoreConfig.model_validate({"kind": kind, **store}),
        shipstation=ShipStationConfig(base_url=emulator.base_url),
        rules=rules,
    )
    runtime = await build_runtime(
        config,
        engine,
        owner=f"{kind}-test",
        credentials=Credentials("k", "s"),
        transport=emulator.transport(),
    )
    runtime.push.client.retry = FAST_RETRY
    return runtime


async def check_a_pass_again_is_clean(
    runtime: Runtime, emulator: Emulator, placed: Sequence[str]
) -> None:
    """Once tracking has written every ``placed`` order back, whatever the store feeds again
    maps and pushes cleanly (nothing is dead-lettered) and ShipStation shows them shipped."""
    dead_letters = runtime.push.stats.dead_lettered
    await run_pass(runtime)
    assert runtime.push.stats.dead_lettered == dead_letters
    statuses = {o["orderKey"]: o["orderStatus"] for o in emulator.orders()}
    assert {statuses[f"{runtime.name}:{sid}"] for sid in placed} == {"shipped"}


async def check_an_outage_keeps_the_cursor(
    runtime_at: Callable[[str | None], Awaitable[Runtime]],
    shop: Shop,
    engine: AsyncEngine,
    emulator: Emulator,
    *,
    dead_url: str,
    error: type[Exception],
    message: str,
) -> None:
    """A pass against the store gone down (at ``dead_url``) fails with ``error`` (``message``),
    leaves the cursor where it was, and the next pass up pushes the order placed meanwhile.

    ``runtime_at(url)`` builds the connection's runtime, at the store's own url for ``None``.
    """
    up = await runtime_at(None)
    name = up.name
    await shop.place_all([make_order(1, seed=3)])
    await run_pass(up)
    async with engine.connect() as conn:
        cursor = await db.get_cursor(conn, name, ORDERS_STREAM)
    (later,) = await shop.place_all([make_order(2, seed=3)])

    down = await runtime_at(dead_url)
    with pytest.raises(error, match=re.escape(message)):
        await run_pass(down)
    async with engine.connect() as conn:
        assert await db.get_cursor(conn, name, ORDERS_STREAM) == cursor

    await run_pass(up)
    assert f"{name}:{later}" in {order["orderKey"] for order in emulator.orders()}
    for runtime in (up, down):
        store = runtime.push.store
        assert isinstance(store, Closing)
        await store.aclose()


@runtime_checkable
class Closing(Protocol):
    """A store holding a connection it closes."""

    async def aclose(self) -> None: ...


def push_with_cli(
    tmp_path: Path, store_toml: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``stationmaster sync push`` in a child process, for one connection ``shop`` with the
    store ``store_toml`` (an inline table) and ShipStation on a closed port."""
    config = tmp_path / "stationmaster.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "sm.db"}"\n\n'
        '[[connections]]\nname = "shop"\n'
        f"store = {store_toml}\n"
        f'shipstation = {{ base_url = "http://127.0.0.1:{free_port()}" }}\n',
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "stationmaster", "sync", "push", "--config", str(config)],
        env=dict(os.environ, SHIPSTATION_KEY="K", SHIPSTATION_SECRET="S", **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

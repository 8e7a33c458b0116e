"""The full reconcile: dry run and real run agree, every SKU is covered, runs never overlap."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db.tables import sync_records
from stationmaster.domain import Order
from stationmaster.stock.lease import ReconcileBusy
from stationmaster.stock.levels import LevelSource
from stationmaster.stock.native_book import NativeBook
from stationmaster.stock.reconcile import reconcile
from stationmaster.stock.runs import Reconciler
from stationmaster.stock.schedule import reconcile_periodically
from stationmaster.stores.native import NativeStore
from stationmaster.sync.mapping import order_key
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import plain_order
from stationmaster.wiretime import utcnow
from tests.stock.support import (
    CONNECTION,
    FakeLevels,
    book,
    fixed,
    ledger_count,
    levels,
    seed_levels,
)

pytestmark = pytest.mark.anyio


def _order(source_id: str, sku: str, quantity: int, **changes: object) -> Order:
    order = plain_order(source_id=source_id, number=f"SM-{source_id}")
    line = order.lines[0].model_copy(update={"sku": sku, "quantity": quantity})
    return order.model_copy(update={"lines": [line], **changes})


async def test_a_dry_run_plans_what_the_real_run_then_does(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await seed_levels(store, {"TEA": 3, "COFFEE": 9, "MUG": 4, "OLD": 7})
    await store.put(_order("1", "TEA", 2))
    remote = fixed({"TEA": 10, "COFFEE": 9, "MUG": 1, "NEW": 6}, split=("wh-1", "wh-2"))

    dry = await reconcile(book(engine), remote, dry_run=True)
    assert await levels(engine) == {"TEA": 3, "COFFEE": 9, "MUG": 4, "OLD": 7}
    assert await ledger_count(engine) == 0
    plan = [(c.sku, c.current, c.available, c.demand, c.target, c.delta) for c in dry.plan.changes]
    assert plan == [
        ("MUG", 4, 1, 0, 1, -3),
        ("NEW", 0, 6, 0, 6, 6),
        ("TEA", 3, 10, 2, 8, 5),
    ]
    assert (dry.plan.unchanged, dry.plan.store_only, dry.plan.created) == (1, 1, 1)
    assert (dry.listed, dry.calls) == (8, 1)

    real = await reconcile(book(engine), remote)
    assert [(c.sku, c.delta) for c in real.plan.changes] == [(c[0], c[5]) for c in plan]
    assert await levels(engine) == {"TEA": 8, "COFFEE": 9, "MUG": 1, "OLD": 7, "NEW": 6}
    async with engine.connect() as conn:
        entries = await db.stock_ledger_entries(conn, CONNECTION)
    written = [(e.sku, e.delta, e.result, e.reason) for e in entries if e.reason == "reconcile"]
    assert written == [
        ("MUG", -3, 1, "reconcile"),
        ("NEW", 6, 6, "reconcile"),
        ("TEA", 5, 8, "reconcile"),
    ]

    again = await reconcile(book(engine), remote)
    assert again.plan.changes == [] and again.plan.unchanged == 4


async def test_oversold_skus_are_held_at_zero(store: NativeStore, engine: AsyncEngine) -> None:
    await seed_levels(store, {"TEA": 5})
    await store.put(_order("1", "TEA", 4))
    done = await reconcile(book(engine), fixed({"TEA": 1}))
    assert done.plan.oversold == ["TEA"]
    assert await levels(engine) == {"TEA": 0}


async def test_only_orders_shipstation_has_not_taken_and_would_hold_stock_count(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await seed_levels(store, {"TEA": 0})
    await store.put(_order("waiting", "TEA", 1))
    await store.put(_order("unpaid", "TEA", 2, status="unpaid"))
    await store.put(_order("pushed", "TEA", 4))
    await store.put(_order("gone", "TEA", 8))
    await store.delete("gone")
    await store.put(_order("cancelled", "TEA", 16, status="cancelled"))
    await store.put(_order("on-hold", "TEA", 32, status="on hold"))
    await store.put(_order("refused", "TEA", 64))
    async with engine.begin() as conn:
        await db.remember_sources(
            conn, CONNECTION, {order_key("shop", s): s for s in ("pushed", "refused")}
        )
        await conn.execute(
            update(sync_records)
            .where(sync_records.c.order_key == order_key("shop", "pushed"))
            .values(order_id=900, fingerprint="f")
        )
    done = await reconcile(book(engine), fixed({"TEA": 100}))
    assert done.plan.changes[0].demand == 1 + 2 + 64
    assert await levels(engine) == {"TEA": 100 - 67}


async def test_the_rules_decide_what_would_be_pushed(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await seed_levels(store, {"TEA": 0})
    await store.put(_order("on-hold", "TEA", 32, status="on hold"))
    holding = NativeBook(
        engine, CONNECTION, load_rules({"eligibility": {"skip_on_hold": False}}), "shop"
    )
    done = await reconcile(holding, fixed({"TEA": 40}), dry_run=True)
    assert done.plan.changes[0].demand == 32


async def test_one_warehouse_or_all_of_them(store: NativeStore, engine: AsyncEngine) -> None:
    await seed_levels(store, {"TEA": 0})
    remote = fixed({"TEA": 11}, split=("wh-1", "wh-2"))
    assert (await reconcile(book(engine), remote, dry_run=True)).plan.changes[0].target == 11
    only = await reconcile(book(engine), remote, dry_run=True, warehouse_id="wh-2")
    assert only.plan.changes[0].target == 5
    assert remote.asked_warehouses == [None, "wh-2"]


async def test_a_failing_walk_keeps_nothing(store: NativeStore, engine: AsyncEngine) -> None:
    await seed_levels(store, {"TEA": 2})

    def broken() -> dict[str, int]:
        raise ConnectionError("ShipStation went away")

    with pytest.raises(ConnectionError):
        await reconcile(book(engine), FakeLevels(broken))
    assert await levels(engine) == {"TEA": 2}
    await store.adjust_stock("TEA", 1)  # nothing stayed locked
    assert await levels(engine) == {"TEA": 3}


async def test_a_reconcile_settles_adjustments_left_in_doubt(
    store: NativeStore, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        for key, minutes in (("old", 30), ("fresh", 0)):
            await db.claim_stock_key(
                conn,
                CONNECTION,
                key,
                "TEA",
                1,
                state="pending",
                now=utcnow() - timedelta(minutes=minutes),
            )
    await reconcile(book(engine), fixed({}))
    assert await ledger_count(engine, state="reconciled") == 1
    assert await ledger_count(engine, state="pending") == 1


# --- every SKU, whatever the chunk ------------------------------------------------------------

SKU = st.text(alphabet="aAbB-_.0z", min_size=1, max_size=4)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    store_side=st.dictionaries(SKU, st.integers(0, 9), max_size=14),
    remote_side=st.dictionaries(SKU, st.integers(0, 9), max_size=14),
    chunk=st.integers(1, 16),
)
async def test_every_sku_is_covered_whatever_the_chunk(
    engine: AsyncEngine,
    store_side: dict[str, int],
    remote_side: dict[str, int],
    chunk: int,
) -> None:
    name = f"c-{uuid.uuid4().hex[:12]}"
    async with engine.begin() as conn:
        await db.ensure_connection(conn, name, mode="push", store_kind="native")
    native = NativeStore(engine, name, source="shop")
    await seed_levels(native, store_side)
    held = NativeBook(engine, name, load_rules(), "shop")
    done = await reconcile(held, fixed(remote_side), chunk=chunk)
    assert done.locked == len(set(store_side) | set(remote_side))
    async with engine.connect() as conn:
        after = {s.sku: s.on_hand for s in await db.list_native_stock(conn, name)}
    assert after == {**store_side, **remote_side}


# --- never two at once ------------------------------------------------------------------------


def _reconciler(engine: AsyncEngine, remote: LevelSource, **options: float) -> Reconciler:
    @asynccontextmanager
    async def open_source() -> AsyncIterator[LevelSource]:
        yield remote

    return Reconciler(
        engine, book(engine), open_source, owner=f"test-{uuid.uuid4().hex[:6]}", **options
    )


async def test_two_reconciles_never_overlap(store: NativeStore, engine: AsyncEngine) -> None:
    await seed_levels(store, {"TEA": 1})
    gate = anyio.Event()
    walking = anyio.Event()

    def slow_levels() -> dict[str, int]:
        walking.set()
        return {"TEA": 5}

    holding: list[anyio.Event] = []

    class Gated(FakeLevels):
        async def levels(self, **options: object):  # type: ignore[no-untyped-def,override]
            holding[-1].set()  # the walk has begun: the lease is held
            await gate.wait()
            async for level in super().levels(**options):  # type: ignore[arg-type]
                yield level

    first, second = _reconciler(engine, Gated(slow_levels)), _reconciler(engine, fixed({"TEA": 7}))
    async with anyio.create_task_group() as group:
        holding.append(anyio.Event())
        group.start_soon(first.run)
        await holding[-1].wait()
        with pytest.raises(ReconcileBusy, match="'shop' is being reconciled"):
            await second.run()
        gate.set()
    assert walking.is_set() and await levels(engine) == {"TEA": 5}
    assert await first.last_finished() is not None

    waiting = _reconciler(engine, fixed({"TEA": 7}))
    gate = anyio.Event()
    async with anyio.create_task_group() as group:
        holding.append(anyio.Event())
        group.start_soon(first.run)
        await holding[-1].wait()
        group.start_soon(lambda: waiting.run(wait=10))
        await anyio.sleep(0.2)
        gate.set()
    assert await levels(engine) == {"TEA": 7}


async def test_the_schedule_runs_when_due_and_survives_a_failure(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await seed_levels(store, {"TEA": 1})
    walks = 0
    third = anyio.Event()

    def counting() -> dict[str, int]:
        nonlocal walks
        walks += 1
        if walks == 2:
            raise ConnectionError("ShipStation hiccup")
        if walks == 3:
            third.set()
        return {"TEA": 10 + walks}

    reconciler = _reconciler(engine, FakeLevels(counting), interval=0.3, jitter=0.05)
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: reconcile_periodically(reconciler, stop=stop, retry=0.1))
        with anyio.fail_after(10):
            await third.wait()
        stop.set()
    assert walks == 3
    assert await levels(engine) == {"TEA": 13}
    assert await ledger_count(engine, reason="reconcile") == 2


async def test_levels_that_move_during_the_walk_are_read_again_under_the_lock(
    store: NativeStore, engine: AsyncEngine
) -> None:
    skus = {f"S{n:03d}": 10 for n in range(120)}
    await seed_levels(store, skus)
    remote = dict(skus)

    def walking() -> dict[str, int]:
        counts = dict(remote)
        remote["S007"] += 4  # the warehouse books a delivery while the walk is on ...
        return counts

    source = FakeLevels(walking)
    held = book(engine)
    real_marks = held.marks

    async def marks_then_delivery() -> dict[str, int]:
        marks = dict(await real_marks())
        await store.adjust_stock_once("S007", 4, "delivery")  # ... and tells the store too
        return marks

    held.marks = marks_then_delivery  # type: ignore[method-assign]  # a change mid-walk
    done = await reconcile(held, source, page_size=50)
    assert done.moved == 1 and source.asked_skus == [None, ["S007"]]
    assert done.plan.changes == []
    assert (await levels(engine))["S007"] == 14

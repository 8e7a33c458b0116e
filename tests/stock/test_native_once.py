"""The native store's keyed adjustments and orders: each key once, refusals keep nothing."""

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order
from stationmaster.stores.native import InvalidStoreInput, NativeStore, OutOfStock
from stationmaster.stores.protocol import StockBelowZero, StockKeyReused, StockReceipt, UnknownSku
from stationmaster.testing.factories import plain_order
from tests.stock.support import CONNECTION, ledger_count, levels

pytestmark = pytest.mark.anyio


async def test_a_key_is_applied_once_and_a_repeat_reads_the_level(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await store.adjust_stock("TEA", 10)
    assert await store.adjust_stock_once("TEA", 5, "wh-1", reason="delivery") == StockReceipt(
        15, True
    )
    await store.adjust_stock("TEA", -1)
    assert await store.adjust_stock_once("TEA", 5, "wh-1") == StockReceipt(14, False)
    assert await store.adjust_stock("TEA", 5, "wh-1") == 14
    assert await levels(engine) == {"TEA": 14}
    async with engine.connect() as conn:
        (entry,) = await db.stock_ledger_entries(conn, CONNECTION)
    assert (entry.key, entry.sku, entry.delta, entry.reason) == ("wh-1", "TEA", 5, "delivery")
    assert (entry.state, entry.result) == ("applied", 15)


async def test_one_key_sent_many_times_at_once_is_applied_once(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await store.adjust_stock("TEA", 100)
    receipts: list[StockReceipt] = []

    async def deliver() -> None:
        receipts.append(await store.adjust_stock_once("TEA", -7, "order-77"))

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(deliver)
    assert sorted(r.applied for r in receipts) == [False] * 7 + [True]
    assert {r.on_hand for r in receipts} == {93}
    assert await levels(engine) == {"TEA": 93}
    assert await ledger_count(engine, idempotency_key="order-77") == 1


async def test_a_key_reused_for_another_change_is_refused(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await store.adjust_stock("TEA", 10)
    await store.adjust_stock_once("TEA", 2, "k")
    for sku, delta in (("TEA", 3), ("COFFEE", 2)):
        with pytest.raises(StockKeyReused, match="'k' was used for \\+2 of 'TEA'"):
            await store.adjust_stock_once(sku, delta, "k")
    assert await levels(engine) == {"TEA": 12}


async def test_an_unknown_sku_is_refused_and_not_invented(
    store: NativeStore, engine: AsyncEngine
) -> None:
    with pytest.raises(UnknownSku, match="'GHOST'"):
        await store.adjust_stock_once("GHOST", 5, "k")
    assert await levels(engine) == {}
    assert await ledger_count(engine) == 0


async def test_below_zero_is_refused_keeps_nothing_and_frees_the_key(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await store.adjust_stock("TEA", 2)
    with pytest.raises(StockBelowZero, match="is 2; adjusting it by -3"):
        await store.adjust_stock_once("TEA", -3, "k")
    assert await levels(engine) == {"TEA": 2}
    assert await ledger_count(engine) == 0
    await store.adjust_stock("TEA", 5)
    assert await store.adjust_stock_once("TEA", -3, "k") == StockReceipt(4, True)


async def test_the_protocol_call_with_a_key_starts_a_new_sku_at_zero(
    store: NativeStore, engine: AsyncEngine
) -> None:
    assert await store.adjust_stock("NEW", 3, "first") == 3
    assert await store.adjust_stock("NEW", 3, "first") == 3
    assert await levels(engine) == {"NEW": 3}


# --- orders take their units ----------------------------------------------------------------


def _order(source_id: str = "1001", *, teapots: int = 1, sencha: int = 3) -> Order:
    order = plain_order(source_id=source_id, number=f"SM-{source_id}")
    lines = [
        order.lines[0].model_copy(update={"quantity": teapots}),
        order.lines[1].model_copy(update={"quantity": sencha}),
    ]
    return order.model_copy(update={"lines": lines})


async def test_placing_an_order_takes_its_units_once(
    store: NativeStore, engine: AsyncEngine
) -> None:
    order = _order()
    teapot, sencha = (line.sku for line in order.lines)
    assert teapot is not None and sencha is not None
    await store.adjust_stock(teapot, 5)
    await store.adjust_stock(sencha, 10)
    assert await store.place(order) == "created"
    assert await store.place(order) == "unchanged"
    assert await levels(engine) == {teapot: 4, sencha: 7}
    assert await store.get(order.source_id) == order
    async with engine.connect() as conn:
        reasons = {e.reason for e in await db.stock_ledger_entries(conn, CONNECTION)}
    assert reasons == {"order SM-1001"}


async def test_an_order_that_would_oversell_keeps_nothing(
    store: NativeStore, engine: AsyncEngine
) -> None:
    order = _order(teapots=2)
    teapot, sencha = (line.sku for line in order.lines)
    assert teapot is not None and sencha is not None
    await store.adjust_stock(teapot, 1)
    await store.adjust_stock(sencha, 10)
    with pytest.raises(OutOfStock, match="is 1; adjusting it by -2"):
        await store.place(order)
    assert await store.get(order.source_id) is None
    assert await levels(engine) == {teapot: 1, sencha: 10}
    assert await ledger_count(engine) == 0


async def test_skus_without_a_level_are_not_tracked(
    store: NativeStore, engine: AsyncEngine
) -> None:
    order = _order()
    sencha = order.lines[1].sku
    assert sencha is not None
    await store.adjust_stock(sencha, 3)
    assert await store.place(order) == "created"
    assert await levels(engine) == {sencha: 0}


async def test_a_reason_too_long_to_keep_is_refused(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await store.adjust_stock("TEA", 1)
    with pytest.raises(InvalidStoreInput, match="at most 255"):
        await store.adjust_stock_once("TEA", 1, "k", reason="r" * 256)
    assert await levels(engine) == {"TEA": 1}

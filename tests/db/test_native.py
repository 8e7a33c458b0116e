"""The native store: change numbers in order, idempotent writes, stock that stays whole."""

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    InsufficientStock,
    InvalidStateInput,
    UnknownConnection,
    UnknownNativeOrder,
    adjust_native_stock,
    ensure_connection,
    get_native_order,
    get_native_orders_by_key,
    get_native_stock,
    list_native_stock,
    mark_native_deleted,
    native_changes_since,
    set_native_status,
    upsert_native_order,
)
from tests.db.support import T0, at

pytestmark = pytest.mark.anyio


def _payload(n: int = 1, **extra: object) -> dict[str, object]:
    return {"number": f"100{n}", "lines": [{"sku": "S", "quantity": n}], **extra}


async def test_each_change_takes_the_next_number(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        assert await upsert_native_order(conn, shop, "1", "shop-1", _payload(1), "paid", now=T0)
        assert await upsert_native_order(conn, shop, "2", "shop-2", _payload(2), "paid", now=T0)
        assert await upsert_native_order(conn, shop, "1", "shop-1", _payload(3), "paid", now=at(1))
        assert await set_native_status(conn, shop, "2", "shipped", now=at(2))
        assert await mark_native_deleted(conn, shop, "1", now=at(3))
        changes = await native_changes_since(conn, shop, 0)
        after_three = await native_changes_since(conn, shop, 3)
    assert [(c.source_id, c.change_seq, c.version) for c in changes] == [("2", 4, 2), ("1", 5, 3)]
    assert [(c.source_id, c.status, c.deleted) for c in after_three] == [
        ("2", "shipped", False),
        ("1", "paid", True),
    ]
    assert changes[1].payload == _payload(3)
    assert changes[1].updated_at == at(3)


async def test_an_identical_write_changes_nothing(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await upsert_native_order(conn, shop, "1", "shop-1", _payload(1, note="é"), "paid")
        # Same content, keys in another order.
        again = {"lines": [{"quantity": 1, "sku": "S"}], "note": "é", "number": "1001"}
        assert not await upsert_native_order(conn, shop, "1", "shop-1", again, "paid")
        assert not await set_native_status(conn, shop, "1", "paid")
        assert await mark_native_deleted(conn, shop, "1")
        assert not await mark_native_deleted(conn, shop, "1")
        # Writing a deleted order again brings it back.
        assert await upsert_native_order(conn, shop, "1", "shop-1", again, "paid")
        order = await get_native_order(conn, shop, "1")
    assert order is not None
    assert (order.change_seq, order.version, order.deleted) == (3, 3, False)


async def test_changes_page_by_cursor(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        for n in range(7):
            await upsert_native_order(conn, shop, str(n), f"k{n}", _payload(n), "paid")
        seen: list[str] = []
        cursor = 0
        while page := await native_changes_since(conn, shop, cursor, limit=3):
            seen += [order.source_id for order in page]
            cursor = page[-1].change_seq
        by_key = await get_native_orders_by_key(conn, shop, ["k2", "k5", "nope"])
    assert seen == [str(n) for n in range(7)]
    assert sorted(by_key) == ["k2", "k5"]


async def test_change_numbers_are_per_connection(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await ensure_connection(conn, "other", mode="push", store_kind="native")
        await upsert_native_order(conn, shop, "1", "a", _payload(), "paid")
        await upsert_native_order(conn, "other", "1", "a", _payload(), "paid")
        mine = await native_changes_since(conn, shop, 0)
        theirs = await native_changes_since(conn, "other", 0)
    assert [o.change_seq for o in mine] == [o.change_seq for o in theirs] == [1]


async def test_concurrent_writers_get_distinct_increasing_numbers(
    engine: AsyncEngine, shop: str
) -> None:
    async def write(n: int) -> None:
        async with engine.begin() as conn:
            await upsert_native_order(conn, shop, str(n), f"k{n}", _payload(n), "paid")

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(write, n)
    async with engine.connect() as conn:
        changes = await native_changes_since(conn, shop, 0, limit=100)
    assert [c.change_seq for c in changes] == list(range(1, 21))
    assert sorted(int(c.source_id) for c in changes) == list(range(20))


async def test_bad_native_orders_are_refused_and_nothing_is_stored(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        await upsert_native_order(conn, shop, "1", "taken", _payload(), "paid")
        with pytest.raises(InvalidStateInput, match="already belongs"):
            await upsert_native_order(conn, shop, "2", "taken", _payload(), "paid")
        with pytest.raises(InvalidStateInput, match="JSON"):
            await upsert_native_order(conn, shop, "3", "k3", {"at": T0}, "paid")
        with pytest.raises(InvalidStateInput):
            await upsert_native_order(conn, shop, "", "k4", _payload(), "paid")
        with pytest.raises(InvalidStateInput):
            await upsert_native_order(conn, shop, "5", "k5", ["not", "a", "dict"], "paid")  # type: ignore[arg-type]
        with pytest.raises(UnknownConnection):
            await upsert_native_order(conn, "ghost", "6", "k6", _payload(), "paid")
        with pytest.raises(UnknownNativeOrder):
            await set_native_status(conn, shop, "404", "paid")
        changes = await native_changes_since(conn, shop, 0)
    assert [(c.source_id, c.change_seq) for c in changes] == [("1", 1)]


async def test_stock_adjusts_atomically_and_never_goes_negative(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        assert (await adjust_native_stock(conn, shop, "S", 5, now=T0)).on_hand == 5
        level = await adjust_native_stock(conn, shop, "S", -3, now=at(1))
        assert (level.on_hand, level.version, level.updated_at) == (2, 2, at(1))
        with pytest.raises(InsufficientStock, match="below zero") as caught:
            await adjust_native_stock(conn, shop, "S", -3)
        assert (caught.value.on_hand, caught.value.delta) == (2, -3)
        with pytest.raises(InsufficientStock):
            await adjust_native_stock(conn, shop, "NEW", -1)
        assert await get_native_stock(conn, shop, "NEW") is None
        kept = await get_native_stock(conn, shop, "S")
        assert kept is not None
        assert (kept.on_hand, kept.version) == (2, 2)
        backordered = await adjust_native_stock(conn, shop, "S", -3, allow_negative=True)
        assert backordered.on_hand == -1


async def test_bad_stock_adjustments_are_refused(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        for sku, delta in (("", 1), ("S", 1.5), ("S", True)):
            with pytest.raises(InvalidStateInput):
                await adjust_native_stock(conn, shop, sku, delta)  # type: ignore[arg-type]
        with pytest.raises(UnknownConnection):
            await adjust_native_stock(conn, "ghost", "S", 1)
        assert await list_native_stock(conn, shop) == []


async def test_concurrent_stock_adjustments_all_count(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await adjust_native_stock(conn, shop, "S", 10)
    refused: list[int] = []

    async def take(n: int) -> None:
        try:
            async with engine.begin() as conn:
                await adjust_native_stock(conn, shop, "S", -1)
        except InsufficientStock:
            refused.append(n)

    async with anyio.create_task_group() as group:
        for n in range(15):
            group.start_soon(take, n)
    async with engine.connect() as conn:
        [level] = await list_native_stock(conn, shop)
    assert (level.on_hand, len(refused)) == (0, 5)

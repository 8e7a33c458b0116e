"""The outbox: coalescing, skips, cursor atomicity, claiming and postponing."""

from typing import Any

import anyio
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    InvalidStateInput,
    OutboxItem,
    Skipped,
    UnknownConnection,
    claim,
    enqueue,
    fingerprint,
    get_cursor,
    outbox_rows,
    postpone,
    record_success,
    update_sync_record,
)
from stationmaster.db import outbox as outbox_module
from stationmaster.db.tables import outbox, sync_records
from tests.db.support import T0, at, count, order

pytestmark = pytest.mark.anyio


async def test_enqueue_queues_items_and_moves_the_cursor(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        result = await enqueue(conn, shop, [order("a"), order("b")], ("orders", 7), now=T0)
    assert result.queued == ("a", "b")
    async with engine.connect() as conn:
        rows = await outbox_rows(conn, shop)
        assert await get_cursor(conn, shop, "orders") == 7
    assert [(r.order_key, r.attempts, r.version, r.available_at) for r in rows] == [
        ("a", 0, 1, T0),
        ("b", 0, 1, T0),
    ]
    assert rows[0].payload == {
        "orderKey": "a",
        "orderNumber": "A",
        "orderStatus": "awaiting_shipment",
    }


async def test_a_newer_payload_replaces_the_queued_one(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a")], now=T0)
        [row] = await claim(conn, shop, now=T0)
        await conn.execute(
            update(outbox).values(attempts=3, last_error="boom", available_at=at(600))
        )
        newer = order("a", orderStatus="cancelled")
        result = await enqueue(conn, shop, [newer], now=at(10))
        [replaced] = await outbox_rows(conn, shop)
    assert result.replaced == ("a",)
    assert replaced.id == row.id
    assert replaced.payload["orderStatus"] == "cancelled"
    assert replaced.fingerprint == newer.fingerprint
    assert (replaced.attempts, replaced.last_error, replaced.version) == (0, None, 2)
    assert replaced.enqueued_at == T0  # keeps its place in the queue
    assert replaced.available_at == at(10)  # and is due again at once


async def test_the_same_payload_again_leaves_the_queued_row_alone(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a")], now=T0)
        await postpone(conn, await claim(conn, shop, now=T0), at(60))
        result = await enqueue(conn, shop, [order("a")], now=at(1))
        [row] = await outbox_rows(conn, shop)
    assert result.skipped == (Skipped("a", "pending"),)
    assert (row.version, row.available_at) == (1, at(60))


async def test_the_last_item_for_a_key_wins(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        result = await enqueue(conn, shop, [order("a", n=1), order("b"), order("a", n=2)], now=T0)
        rows = await outbox_rows(conn, shop)
    assert result.queued == ("a", "b")
    assert [(r.order_key, r.payload.get("n")) for r in rows] == [("a", 2), ("b", None)]


async def _accepted(engine: AsyncEngine, shop: str, item: OutboxItem) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [item], now=T0)
        [row] = await claim(conn, shop, now=T0)
        await record_success(conn, row, 1001, "awaiting_shipment", now=T0)


async def test_unchanged_orders_are_skipped(engine: AsyncEngine, shop: str) -> None:
    await _accepted(engine, shop, order("a"))
    async with engine.begin() as conn:
        result = await enqueue(conn, shop, [order("a"), order("b")], now=at(5))
    assert result.skipped == (Skipped("a", "unchanged"),)
    assert result.queued == ("b",)


async def test_reverting_to_the_accepted_payload_replaces_a_queued_change(
    engine: AsyncEngine, shop: str
) -> None:
    # The queued change is no longer the order's state: ShipStation must get the revert.
    await _accepted(engine, shop, order("a"))
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a", orderStatus="on_hold")], now=at(1))
        result = await enqueue(conn, shop, [order("a")], now=at(2))
        [row] = await outbox_rows(conn, shop)
    assert result.replaced == ("a",)
    assert row.fingerprint == order("a").fingerprint


@pytest.mark.parametrize("flag", ["locked", "frozen"])
async def test_locked_and_frozen_orders_are_skipped_and_withdrawn(
    engine: AsyncEngine, shop: str, flag: str
) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a"), order("b")], now=T0)
        await update_sync_record(conn, shop, "b", order_id=5, remote_status="awaiting_shipment")
        result = await enqueue(conn, shop, [order("a", n=2), order("b", n=2)], now=at(1))
        assert result.replaced == ("a", "b")
        if flag == "locked":
            await update_sync_record(conn, shop, "a", remote_status="shipped")
        else:
            await update_sync_record(conn, shop, "a", frozen=True, related_ids=[7, 8])
        # Marking it already withdrew the queued row; queue one more to see enqueue do it.
        assert [r.order_key for r in await outbox_rows(conn, shop)] == ["b"]
        result = await enqueue(conn, shop, [order("a", n=3)], now=at(2))
    assert result.skipped == (Skipped("a", flag),)  # type: ignore[arg-type]
    assert result.queued == result.replaced == ()


async def test_enqueue_withdraws_rows_queued_before_a_lock(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a")], now=T0)
        # A lock written by something other than update_sync_record (e.g. an operator's SQL).
        await conn.execute(
            insert(sync_records).values(
                connection=shop, order_key="a", locked=True, frozen=False, updated_at=T0
            )
        )
        result = await enqueue(conn, shop, [order("a", n=2)], now=at(1))
        assert await outbox_rows(conn, shop) == []
    assert result.withdrawn == ("a",)


async def test_deleting_an_order_shipstation_never_got_sends_nothing(
    engine: AsyncEngine, shop: str
) -> None:
    gone = OutboxItem.of("a", {}, action="delete")
    await _accepted(engine, shop, order("b"))
    async with engine.begin() as conn:
        result = await enqueue(conn, shop, [gone, OutboxItem.of("b", {}, action="delete")], now=T0)
    assert result.skipped == (Skipped("a", "not_pushed"),)
    assert result.queued == ("b",)


async def test_a_delete_replaces_a_queued_upsert(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a")], now=T0)
        result = await enqueue(conn, shop, [OutboxItem.of("a", {}, action="delete")], now=T0)
        [row] = await outbox_rows(conn, shop)
    assert result.replaced == ("a",)
    assert row.action == "delete"


class CursorStoreDown(Exception):
    pass


async def test_a_failure_midway_leaves_neither_rows_nor_cursor(
    engine: AsyncEngine, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("old")], ("orders", 1), now=T0)
    calls: list[str] = []

    async def fail(*args: object, **kwargs: object) -> None:
        calls.append("cursor")
        raise CursorStoreDown("disk full")

    monkeypatch.setattr(outbox_module, "set_cursor", fail)
    with pytest.raises(CursorStoreDown):
        async with engine.begin() as conn:
            await enqueue(conn, shop, [order("a"), order("old", n=2)], ("orders", 2), now=T0)
    async with engine.connect() as conn:
        rows = await outbox_rows(conn, shop)
        assert await get_cursor(conn, shop, "orders") == 1
    assert calls == ["cursor"]  # the rows were written before the failure
    assert [(r.order_key, r.version) for r in rows] == [("old", 1)]


async def test_a_caller_that_swallows_the_failure_still_commits_nothing_of_it(
    engine: AsyncEngine, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*args: object, **kwargs: object) -> None:
        raise CursorStoreDown("disk full")

    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("mine")], ("orders", "mine"), now=T0)
        with monkeypatch.context() as patch:
            patch.setattr(outbox_module, "set_cursor", fail)
            with pytest.raises(CursorStoreDown):
                await enqueue(conn, shop, [order("a"), order("mine", n=2)], ("orders", 2), now=T0)
        # The caller carries on and commits its own work.
    async with engine.connect() as conn:
        rows = await outbox_rows(conn, shop)
        assert await get_cursor(conn, shop, "orders") == "mine"
    assert [(r.order_key, r.version) for r in rows] == [("mine", 1)]


async def test_bad_input_is_refused_before_anything_is_written(
    engine: AsyncEngine, shop: str
) -> None:
    with pytest.raises(InvalidStateInput, match="JSON"):
        OutboxItem.of("a", {"when": T0})
    with pytest.raises(InvalidStateInput, match="JSON"):
        OutboxItem.of("a", {"weight": float("nan")})
    bad_items: list[tuple[Any, ...]] = [
        ("", {}, "f"),
        ("a", {}, "f", "merge"),
        ("a", [], "f"),
        ("a", {}, ""),
        ("k" * 256, {}, "f"),
    ]
    for arguments in bad_items:
        with pytest.raises(InvalidStateInput):
            OutboxItem(*arguments)
    sneaky = OutboxItem("a", {"when": T0}, "f")  # a fingerprint given, payload never dumped
    async with engine.begin() as conn:
        with pytest.raises(InvalidStateInput, match="JSON"):
            await enqueue(conn, shop, [order("b"), sneaky], now=T0)
        not_json: Any = {1, 2}
        with pytest.raises(InvalidStateInput, match="cursor value"):
            await enqueue(conn, shop, [order("b")], ("orders", not_json), now=T0)
        with pytest.raises(UnknownConnection):
            await enqueue(conn, "ghost", [order("b")], now=T0)
    assert await count(engine, "outbox") == 0


def test_fingerprints_follow_content_not_key_order() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint({}, "upsert") != fingerprint({}, "delete")


async def test_claim_takes_due_rows_oldest_first_up_to_the_limit(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        for n, key in enumerate("cab"):
            await enqueue(conn, shop, [order(key)], now=at(n))
        await postpone(conn, await claim(conn, shop, limit=1, now=at(10)), at(100))
        assert [r.order_key for r in await claim(conn, shop, now=at(10))] == ["a", "b"]
        assert [r.order_key for r in await claim(conn, shop, limit=1, now=at(10))] == ["a"]
        assert [r.order_key for r in await claim(conn, shop, now=at(100))] == ["c", "a", "b"]
        assert await claim(conn, shop, now=at(-1)) == []
        with pytest.raises(InvalidStateInput):
            await claim(conn, shop, limit=0)


async def test_postpone_keeps_attempts_and_notes_the_reason(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order("a"), order("b")], now=T0)
        batch = await claim(conn, shop, now=T0)
        await postpone(conn, batch, at(60), reason="rate limited")
        rows = await outbox_rows(conn, shop)
    assert [(r.attempts, r.available_at, r.last_error) for r in rows] == [
        (0, at(60), "rate limited"),
        (0, at(60), "rate limited"),
    ]


async def test_large_batches_are_handled_in_chunks(engine: AsyncEngine, shop: str) -> None:
    items = [order(f"k{n:05}") for n in range(1234)]
    async with engine.begin() as conn:
        first = await enqueue(conn, shop, items, now=T0)
        second = await enqueue(conn, shop, items, now=at(1))
        assert len(await claim(conn, shop, limit=2000, now=at(1))) == 1234
    assert len(first.queued) == 1234
    assert {s.reason for s in second.skipped} == {"pending"}


async def test_postgres_claims_skip_rows_another_worker_holds(
    engine: AsyncEngine, shop: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serializes whole transactions")
    async with engine.begin() as conn:
        await enqueue(conn, shop, [order(f"k{n}") for n in range(6)], now=T0)
    first_claimed = anyio.Event()
    release = anyio.Event()
    seen: dict[str, list[str]] = {}

    async def worker(name: str, limit: int) -> None:
        async with engine.begin() as conn:
            seen[name] = [r.order_key for r in await claim(conn, shop, limit=limit, now=T0)]
            if name == "first":
                first_claimed.set()
                await release.wait()

    async with anyio.create_task_group() as group:
        group.start_soon(worker, "first", 4)
        await first_claimed.wait()
        await worker("second", 10)
        release.set()
    assert seen == {"first": ["k0", "k1", "k2", "k3"], "second": ["k4", "k5"]}

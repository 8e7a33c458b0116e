"""Replaying dead letters: back into the outbox by coalescing, so twice is harmless."""

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster.db import (
    InvalidStateInput,
    OutboxItem,
    claim,
    enqueue,
    ensure_connection,
    get_dead_letter,
    list_dead_letters,
    outbox_rows,
    record_failure,
    record_success,
    replay,
    resolve_dead_letters,
    update_sync_record,
)
from stationmaster.errors import Resolution
from tests.db.support import T0, at, order

pytestmark = pytest.mark.anyio

BAD = Resolution("fail_record", "validation: bad address")


async def _dead(conn: AsyncConnection, shop: str, item: OutboxItem) -> int:
    await enqueue(conn, shop, [item], now=T0)
    [row] = [r for r in await claim(conn, shop, now=T0) if r.order_key == item.order_key]
    outcome = await record_failure(conn, row, BAD, "bad address", now=T0)
    assert outcome.dead_letter_id is not None
    return outcome.dead_letter_id


async def test_replay_requeues_and_replaying_twice_changes_nothing(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        letter = await _dead(conn, shop, order("a"))
        first = await replay(conn, [letter], now=at(5))
        second = await replay(conn, [letter], now=at(6))
        third = await replay(conn, all=True, now=at(7))
        rows = await outbox_rows(conn, shop)
        replayed = await get_dead_letter(conn, letter)
    assert first.replayed == (letter,)
    assert second.replayed == third.replayed == ()
    assert [(r.order_key, r.attempts, r.available_at) for r in rows] == [("a", 0, at(5))]
    assert replayed is not None
    assert (replayed.state, replayed.replayed_at) == ("replayed", at(5))


async def test_replay_never_overwrites_a_newer_queued_payload(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        letter = await _dead(conn, shop, order("a"))
        await enqueue(conn, shop, [order("a", fixed=True)], now=at(1))
        result = await replay(conn, connection=shop, now=at(2))
        [row] = await outbox_rows(conn, shop)
    assert result.replayed == (letter,)
    assert row.payload["fixed"] is True


async def test_of_several_letters_for_one_order_the_newest_is_sent(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        older = await _dead(conn, shop, order("a", n=1))
        newer = await _dead(conn, shop, order("a", n=2))
        result = await replay(conn, all=True, now=at(1))
        [row] = await outbox_rows(conn, shop)
    assert result.replayed == (older, newer)
    assert row.payload["n"] == 2


async def test_letters_shipstation_no_longer_needs_are_resolved_or_kept(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        accepted = await _dead(conn, shop, order("a"))
        await enqueue(conn, shop, [order("a")], now=at(1))  # sent again later, and accepted
        [row] = await claim(conn, shop, now=at(1))
        await record_success(conn, row, 7, "awaiting_shipment", now=at(1))
        shipped = await _dead(conn, shop, order("b"))
        await update_sync_record(conn, shop, "b", remote_status="shipped")
        result = await replay(conn, all=True, now=at(2))
        assert await outbox_rows(conn, shop) == []
        still_open = await list_dead_letters(conn)
    assert result.resolved == (accepted,)
    assert result.kept == ((shipped, "locked"),)
    assert [letter.id for letter in still_open] == [shipped]


async def test_replay_by_connection_leaves_other_connections_alone(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        await ensure_connection(conn, "other", mode="push", store_kind="native")
        mine = await _dead(conn, shop, order("a"))
        theirs = await _dead(conn, "other", order("a"))
        result = await replay(conn, connection=shop, now=at(1))
        assert [r.order_key for r in await outbox_rows(conn, "other")] == []
        open_letters = await list_dead_letters(conn)
    assert result.replayed == (mine,)
    assert [letter.id for letter in open_letters] == [theirs]


async def test_replay_needs_a_selection(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await _dead(conn, shop, order("a"))
        with pytest.raises(InvalidStateInput, match="all=True"):
            await replay(conn)
        assert len(await list_dead_letters(conn)) == 1


async def test_resolving_closes_without_sending(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        letter = await _dead(conn, shop, order("a"))
        assert await resolve_dead_letters(conn, [letter], now=at(1)) == 1
        assert await resolve_dead_letters(conn, [letter], now=at(1)) == 0
        assert (await replay(conn, all=True)).replayed == ()
        assert await outbox_rows(conn, shop) == []
        assert [d.state for d in await list_dead_letters(conn, state=None)] == ["resolved"]

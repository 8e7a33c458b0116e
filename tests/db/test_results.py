"""Recording results: success, retries with backoff, dead letters, stopping, superseded rows."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster.db import (
    Backoff,
    InvalidStateInput,
    OutboxRow,
    claim,
    enqueue,
    get_dead_letter,
    get_sync_record,
    list_dead_letters,
    outbox_rows,
    record_exchange,
    record_failure,
    record_success,
)
from stationmaster.errors import Resolution
from stationmaster.shipstation.client import Exchange
from tests.db.support import T0, at, order

pytestmark = pytest.mark.anyio

RETRY = Resolution("retry", "server error: busy")
BAD_ORDER = Resolution("fail_record", "validation envelope: shipTo.country is required")
BAD_KEY = Resolution("fail_connection", "unauthorized")


async def _claimed(conn: AsyncConnection, shop: str, *items: str) -> list[OutboxRow]:
    await enqueue(conn, shop, [order(key) for key in items], now=T0)
    return await claim(conn, shop, now=T0)


async def test_success_records_the_fingerprint_and_removes_the_row(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        [row] = await _claimed(conn, shop, "a")
        assert await record_success(conn, row, 1001, "awaiting_shipment", now=at(1))
        record = await get_sync_record(conn, shop, "a")
        assert await outbox_rows(conn, shop) == []
    assert record is not None
    assert (record.order_id, record.fingerprint, record.remote_status) == (
        1001,
        row.fingerprint,
        "awaiting_shipment",
    )
    assert (record.locked, record.frozen, record.pushed_at) == (False, False, at(1))


async def test_success_keeps_a_newer_payload_queued_meanwhile(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        [sent] = await _claimed(conn, shop, "a")
        # While ``sent`` is in flight, the order changes again.
        await enqueue(conn, shop, [order("a", orderStatus="on_hold")], now=at(1))
        assert not await record_success(conn, sent, 1001, "awaiting_shipment", now=at(2))
        [still] = await outbox_rows(conn, shop)
        record = await get_sync_record(conn, shop, "a")
    assert still.payload["orderStatus"] == "on_hold"
    assert still.version == sent.version + 1
    assert record is not None
    assert record.fingerprint == sent.fingerprint  # what ShipStation actually has


@pytest.mark.parametrize("status", ["shipped", "cancelled", "rejected_fulfillment"])
async def test_a_shipped_or_cancelled_answer_locks_the_order(
    engine: AsyncEngine, shop: str, status: str
) -> None:
    async with engine.begin() as conn:
        [sent] = await _claimed(conn, shop, "a")
        await enqueue(conn, shop, [order("a", n=2)], now=at(1))
        await record_success(conn, sent, 1001, status, now=at(2))
        record = await get_sync_record(conn, shop, "a")
        assert await outbox_rows(conn, shop) == []  # the newer payload may never be sent
        later = await enqueue(conn, shop, [order("a", n=3)], now=at(3))
    assert record is not None
    assert record.locked
    assert [s.reason for s in later.skipped] == ["locked"]


async def test_retries_back_off_then_dead_letter_after_max_attempts(
    engine: AsyncEngine, shop: str
) -> None:
    backoff = Backoff(initial=10, factor=2, cap=25)
    outcomes = []
    async with engine.begin() as conn:
        [row] = await _claimed(conn, shop, "a")
        now = T0
        for _ in range(3):
            outcome = await record_failure(
                conn, row, RETRY, "HTTP 503", now=now, max_attempts=4, backoff=backoff
            )
            outcomes.append((outcome.kind, outcome.available_at))
            assert outcome.available_at is not None
            assert await claim(conn, shop, now=outcome.available_at - timedelta(seconds=1)) == []
            [row] = await claim(conn, shop, now=outcome.available_at)
            now = outcome.available_at
        assert row.attempts == 3
        assert row.last_error == "HTTP 503"
        last = await record_failure(conn, row, RETRY, "HTTP 503", now=now, max_attempts=4)
        assert await outbox_rows(conn, shop) == []
        assert last.dead_letter_id is not None
        letter = await get_dead_letter(conn, last.dead_letter_id)
        record = await get_sync_record(conn, shop, "a")
    assert outcomes == [
        ("retry", at(10)),
        ("retry", at(10 + 20)),
        ("retry", at(10 + 20 + 25)),  # capped
    ]
    assert last.kind == "dead_letter"
    assert letter is not None
    assert (letter.state, letter.attempts, letter.resolution) == ("open", 4, "retry")
    assert letter.payload == row.payload
    assert record is not None
    assert (record.last_error, record.fingerprint) == ("HTTP 503", None)


async def test_an_order_fault_goes_straight_to_the_dead_letters(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        [row] = await _claimed(conn, shop, "a")
        exchange = Exchange(
            "key1", "POST", "https://x/orders/createorders", "{}", 200, "{}", {}, 1, 0.2
        )
        audit_id = await record_exchange(conn, exchange, shop)
        outcome = await record_failure(conn, row, BAD_ORDER, BAD_ORDER.reason, audit_id, now=at(1))
        letters = await list_dead_letters(conn, connection=shop)
        assert await outbox_rows(conn, shop) == []
    assert outcome.kind == "dead_letter"
    [letter] = letters
    assert (letter.id, letter.order_key, letter.resolution, letter.attempts) == (
        outcome.dead_letter_id,
        "a",
        "fail_record",
        1,
    )
    assert (letter.reason, letter.audit_id, letter.created_at) == (
        BAD_ORDER.reason,
        audit_id,
        at(1),
    )
    assert letter.fingerprint == row.fingerprint


async def test_a_connection_fault_keeps_the_row_and_says_stop(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        [row] = await _claimed(conn, shop, "a")
        outcome = await record_failure(conn, row, BAD_KEY, "HTTP 401", now=at(1))
        [kept] = await outbox_rows(conn, shop)
        assert await list_dead_letters(conn) == []
    assert outcome.kind == "stop_connection"
    assert (kept.attempts, kept.available_at, kept.last_error) == (0, T0, "HTTP 401")


async def test_a_rate_limited_order_waits_without_spending_an_attempt(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        [row] = await _claimed(conn, shop, "a")
        limited = Resolution("rate_limited", "throttled", wait=42)
        outcome = await record_failure(conn, row, limited, "HTTP 429", now=T0, max_attempts=1)
        [kept] = await outbox_rows(conn, shop)
    assert (outcome.kind, outcome.available_at) == ("retry", at(42))
    assert (kept.attempts, kept.available_at) == (0, at(42))


async def test_a_failure_of_a_replaced_payload_leaves_the_newer_one_alone(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        [sent] = await _claimed(conn, shop, "a")
        await enqueue(conn, shop, [order("a", n=2)], now=at(1))
        outcome = await record_failure(conn, sent, BAD_ORDER, "bad", now=at(2))
        [kept] = await outbox_rows(conn, shop)
        assert await list_dead_letters(conn) == []
    assert outcome.kind == "superseded"
    assert (kept.payload["n"], kept.attempts, kept.last_error) == (2, 0, None)


async def test_ignore_is_not_a_failure(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        [row] = await _claimed(conn, shop, "a")
        with pytest.raises(InvalidStateInput, match="record_success"):
            await record_failure(conn, row, Resolution("ignore", "ok"), "ok")
        with pytest.raises(InvalidStateInput, match="max_attempts"):
            await record_failure(conn, row, RETRY, "x", max_attempts=0)
        assert len(await outbox_rows(conn, shop)) == 1


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    backoff = Backoff(initial=5, factor=3, cap=100)
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4, 5000)] == [5, 15, 45, 100, 100]
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial=0)
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial=10, cap=5)

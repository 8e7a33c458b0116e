"""Status page counters: backlog, pushed, failed, last success per connection."""

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db import (
    ConnectionCounters,
    claim,
    connection_counters,
    enqueue,
    ensure_connection,
    record_failure,
    record_success,
)
from stationmaster.errors import Resolution
from tests.db.support import T0, at, order

pytestmark = pytest.mark.anyio


async def test_counters_per_connection(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await ensure_connection(conn, "idle", mode="pull", store_kind="oscar")
        await enqueue(conn, shop, [order(k) for k in "abcd"], now=T0)
        a, b, c, _ = await claim(conn, shop, now=T0)
        await record_success(conn, a, 1, "awaiting_shipment", now=at(1))
        await record_success(conn, b, 2, "awaiting_shipment", now=at(2))
        await record_failure(conn, c, Resolution("fail_record", "bad"), "bad", now=at(3))
        counters = await connection_counters(conn)
        only_idle = await connection_counters(conn, ["idle"])
    assert counters == [
        ConnectionCounters("idle", backlog=0, pushed=0, failed=0, last_success=None),
        ConnectionCounters(
            "shop", backlog=1, pushed=2, failed=1, last_success=at(2), order_errors=1
        ),
    ]
    assert only_idle == counters[:1]


async def test_a_connection_problem_shows_until_cleared(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await ensure_connection(conn, "shop", mode="push", store_kind="native")
        await db.note_problem(conn, "shop", "  store (oscar): database is locked ", at(5))
        (row,) = await connection_counters(conn, ["shop"])
        assert (row.problem, row.problem_at) == ("store (oscar): database is locked", at(5))
        await db.note_problem(conn, "shop", "x" * 5000, at(6))
        (row,) = await connection_counters(conn, ["shop"])
        assert row.problem is not None and len(row.problem) == db.connections.PROBLEM_MAX_LENGTH
        await db.clear_problem(conn, "shop")
        (row,) = await connection_counters(conn, ["shop"])
        assert row.problem is None and row.problem_at is None
    with pytest.raises(db.NaiveDatetimeError):
        async with engine.begin() as conn:
            await db.note_problem(conn, "shop", "late", datetime(2026, 1, 1))

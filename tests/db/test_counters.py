"""Status page counters: backlog, pushed, failed, last success per connection."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

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
        ConnectionCounters("shop", backlog=1, pushed=2, failed=1, last_success=at(2)),
    ]
    assert only_idle == counters[:1]

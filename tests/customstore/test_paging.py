"""The export's reads: a window's orders in key order, page by page, and pages that cost the
same early and late in the window."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.native_export import ExportKey, count_modified, key_at, modified_after
from stationmaster.db.tables import native_orders

pytestmark = pytest.mark.anyio

SHOP = "paged"
START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=1)


async def _seed(engine: AsyncEngine, inside: int, before: int, after: int = 0) -> list[ExportKey]:
    """Orders in the window (three at a time share a modification time), others before
    and after it; the window's keys in export order."""
    times = [START - timedelta(hours=1, seconds=n) for n in range(before)]
    times += [START + timedelta(seconds=20 * (n // 3)) for n in range(inside)]
    times += [END + timedelta(seconds=n) for n in range(after)]
    rows = [
        {
            "connection": SHOP,
            "source_id": f"o-{(n * 7919) % len(times):06d}",  # ids out of time order
            "order_key": f"k-{n}",
            "payload": {},
            "status": "paid",
            "deleted": False,
            "version": 1,
            "change_seq": n + 1,
            "updated_at": moment,
        }
        for n, moment in enumerate(times)
    ]
    async with engine.begin() as conn:
        await db.ensure_connection(conn, SHOP, mode="pull", store_kind="native")
        await conn.execute(insert(native_orders), rows)
    inside_rows = [row for row in rows if START <= row["updated_at"] < END]
    return sorted(ExportKey(row["updated_at"], row["source_id"]) for row in inside_rows)


async def test_pages_walk_the_window_in_key_order_without_gaps_or_repeats(
    engine: AsyncEngine,
) -> None:
    keys = await _seed(engine, inside=250, before=40, after=40)
    walked: list[ExportKey] = []
    async with engine.connect() as conn:
        assert await count_modified(conn, SHOP, START, END) == 250
        after: ExportKey | None = None
        while page := await modified_after(conn, SHOP, START, END, after, 40):
            walked += [ExportKey(row.updated_at, row.source_id) for row in page]
            after = walked[-1]
        for position in (0, 39, 40, 249):
            assert await key_at(conn, SHOP, START, END, position) == keys[position]
        assert await key_at(conn, SHOP, START, END, 250) is None
    assert walked == keys


async def test_a_key_before_the_window_starts_the_walk_at_the_window(engine: AsyncEngine) -> None:
    keys = await _seed(engine, inside=10, before=10)
    earlier = ExportKey(START - timedelta(days=3), "zzz")
    async with engine.connect() as conn:
        page = await modified_after(conn, SHOP, START, END, earlier, 5)
    assert [ExportKey(row.updated_at, row.source_id) for row in page] == keys[:5]


async def test_bad_limits_and_positions_are_refused(engine: AsyncEngine) -> None:
    await _seed(engine, inside=3, before=0)
    async with engine.connect() as conn:
        with pytest.raises(InvalidStateInput, match="limit"):
            await modified_after(conn, SHOP, START, END, None, 0)
        with pytest.raises(InvalidStateInput, match="position"):
            await key_at(conn, SHOP, START, END, -1)
        with pytest.raises(ValueError, match="aware"):
            await count_modified(conn, SHOP, START.replace(tzinfo=None), END)


async def _steps(conn: AsyncConnection) -> Callable[[Awaitable[object]], Awaitable[int]]:
    """A meter of SQLite's work: how many blocks of 100 VM instructions a read takes."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    counted = [0]

    def tick() -> int:
        counted[0] += 1
        return 0  # carry on

    await driver.set_progress_handler(tick, 100)

    async def measure(read: Awaitable[object]) -> int:
        counted[0] = 0
        await read
        return counted[0]

    return measure


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_a_late_page_reads_no_more_of_the_index_than_an_early_one(
    engine: AsyncEngine,
) -> None:
    keys = await _seed(engine, inside=6000, before=3000)
    async with engine.connect() as conn:
        measure = await _steps(conn)
        early = await measure(modified_after(conn, SHOP, START, END, keys[100], 50))
        late = await measure(modified_after(conn, SHOP, START, END, keys[5900], 50))
    assert early > 0
    assert late <= 2 * early, (early, late)

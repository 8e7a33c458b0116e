"""Sync records: what ShipStation holds per order key, and the store ids behind them."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    NaiveDatetimeError,
    claim,
    enqueue,
    get_sync_record,
    note_error,
    record_success,
    remember_sources,
    sources_for,
    update_sync_record,
)
from tests.db.support import T0, at, order

pytestmark = pytest.mark.anyio


async def test_a_lock_is_for_good(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await update_sync_record(conn, shop, "a", order_id=9, remote_status="shipped", now=T0)
        later = await update_sync_record(conn, shop, "a", remote_status="awaiting_shipment")
    assert (later.order_id, later.remote_status, later.locked) == (9, "awaiting_shipment", True)


async def test_frozen_records_keep_their_related_ids_and_can_be_thawed(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        frozen = await update_sync_record(conn, shop, "a", frozen=True, related_ids=[11, 12])
        thawed = await update_sync_record(conn, shop, "a", frozen=False)
    assert (frozen.frozen, frozen.related_ids) == (True, [11, 12])
    assert (thawed.frozen, thawed.related_ids, thawed.locked) == (False, [11, 12], False)


async def test_store_ids_are_remembered_by_order_key(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await remember_sources(conn, shop, {"shop-1": "1", "shop-2": "2"}, now=T0)
        await enqueue(conn, shop, [order("shop-1")], now=T0)
        [row] = await claim(conn, shop, now=T0)
        await record_success(conn, row, 77, "awaiting_shipment", now=at(1))
        await remember_sources(conn, shop, {"shop-2": "2b"}, now=at(2))
        await remember_sources(conn, shop, {}, now=at(3))
        found = await sources_for(conn, shop, ["shop-1", "shop-2", "shop-3"])
        record = await get_sync_record(conn, shop, "shop-1")
    assert found == {"shop-1": "1", "shop-2": "2b"}
    assert record is not None
    assert (record.source_id, record.order_id, record.fingerprint) == (
        "1",
        77,
        order("shop-1").fingerprint,
    )


async def test_a_refusal_reason_is_kept_without_marking_the_order_pushed(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        await note_error(conn, shop, "a", "shipTo.postalCode: required", T0)
        record = await get_sync_record(conn, shop, "a")
        with pytest.raises(NaiveDatetimeError):
            await note_error(conn, shop, "a", "x", T0.replace(tzinfo=None))
        result = await enqueue(conn, shop, [order("a")], now=T0)
    assert record is not None
    assert (record.last_error, record.fingerprint, record.locked) == (
        "shipTo.postalCode: required",
        None,
        False,
    )
    assert result.queued == ("a",)

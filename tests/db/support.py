"""Shared values for the state tests: a fixed clock and small builders."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import OutboxItem
from stationmaster.db.tables import metadata

#: A fixed "now" so times in assertions are exact.
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def order(key: str, **fields: Any) -> OutboxItem:
    """An upsert item for a ShipStation-shaped order payload."""
    payload = {"orderKey": key, "orderNumber": key.upper(), "orderStatus": "awaiting_shipment"}
    payload.update(fields)
    return OutboxItem.of(key, payload)


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(select(func.count()).select_from(metadata.tables[table]))
            ).scalar_one()
        )

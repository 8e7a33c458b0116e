"""The native store's stock levels: atomic adjustments that never go below zero by accident.

An adjustment is one ``INSERT ... ON CONFLICT DO UPDATE SET on_hand = on_hand + delta``, so
concurrent adjustments add up instead of overwriting each other; one that would leave a
negative level is undone (unless backorders are allowed) and raises
:class:`~stationmaster.db.errors.InsufficientStock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, require_connection, upsert
from stationmaster.db.errors import InsufficientStock, InvalidStateInput
from stationmaster.db.tables import KEY, native_stock
from stationmaster.db.types import require_aware
from stationmaster.wiretime import utcnow


@dataclass(frozen=True, slots=True)
class NativeStock:
    connection: str
    sku: str
    on_hand: int
    version: int
    updated_at: datetime


def _stock(row: RowMapping) -> NativeStock:
    return NativeStock(
        connection=row["connection"],
        sku=row["sku"],
        on_hand=row["on_hand"],
        version=row["version"],
        updated_at=row["updated_at"],
    )


async def adjust_native_stock(
    conn: AsyncConnection,
    connection: str,
    sku: str,
    delta: int,
    *,
    allow_negative: bool = False,
    now: datetime | None = None,
) -> NativeStock:
    """Add ``delta`` (may be negative) to ``sku``'s level, creating it at zero; the new level."""
    if not isinstance(sku, str) or not sku.strip() or len(sku) > KEY:
        raise InvalidStateInput(f"sku must be a non-empty string of at most {KEY} characters")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidStateInput(f"stock delta must be an integer, got {delta!r}")
    at = require_aware(now or utcnow(), "now")
    statement = upsert(conn, native_stock).values(
        connection=connection, sku=sku, on_hand=delta, version=1, updated_at=at
    )
    adjust = statement.on_conflict_do_update(
        index_elements=[native_stock.c.connection, native_stock.c.sku],
        set_={
            "on_hand": native_stock.c.on_hand + statement.excluded.on_hand,
            "version": native_stock.c.version + 1,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(*native_stock.c)
    async with atomic(conn):
        await require_connection(conn, connection)
        row = (await conn.execute(adjust)).mappings().one()
        level = _stock(row)
        if level.on_hand < 0 and not allow_negative:
            raise InsufficientStock(connection, sku, level.on_hand - delta, delta)
    return level


async def get_native_stock(conn: AsyncConnection, connection: str, sku: str) -> NativeStock | None:
    query = select(native_stock).where(
        native_stock.c.connection == connection, native_stock.c.sku == sku
    )
    row = (await conn.execute(query)).mappings().first()
    return _stock(row) if row is not None else None


async def list_native_stock(conn: AsyncConnection, connection: str) -> list[NativeStock]:
    """Every stock level of a connection, by SKU (a reconcile's snapshot of this side)."""
    query = (
        select(native_stock)
        .where(native_stock.c.connection == connection)
        .order_by(native_stock.c.sku)
    )
    return [_stock(row) for row in (await conn.execute(query)).mappings()]

"""Native orders modified in a time window, keyset-paged: the Custom Store export's reads.

Every query here runs on the index ``(connection, updated_at, source_id)``, so a page costs
the same whether the store holds a thousand orders or a million: the count and the page
boundary read only index entries of the window (``start`` included, ``end`` excluded), and
a page's rows are fetched from a key onwards (``(updated_at, source_id) > key``), never by
skipping rows with ``OFFSET``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.native_orders import NativeOrder, native_order_of
from stationmaster.db.tables import native_orders
from stationmaster.db.types import require_aware


@dataclass(frozen=True, slots=True, order=True)
class ExportKey:
    """Where an order sits in the export order: its modification time, then its id."""

    updated_at: datetime
    source_id: str


def _window(connection: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    require_aware(start, "start")
    require_aware(end, "end")
    return and_(
        native_orders.c.connection == connection,
        native_orders.c.updated_at >= start,
        native_orders.c.updated_at < end,
    )


async def count_modified(
    conn: AsyncConnection, connection: str, start: datetime, end: datetime
) -> int:
    """How many orders (deleted ones included) were modified in ``[start, end)``."""
    query = select(func.count()).select_from(native_orders).where(_window(connection, start, end))
    return int((await conn.execute(query)).scalar_one())


async def key_at(
    conn: AsyncConnection, connection: str, start: datetime, end: datetime, position: int
) -> ExportKey | None:
    """The key of the ``position``-th order (0-based) of the window, if there is one.

    Reads only the index (the selected columns are its own), so it finds a page boundary
    without loading any order.
    """
    if position < 0:
        raise InvalidStateInput(f"position must not be negative, got {position}")
    query = (
        select(native_orders.c.updated_at, native_orders.c.source_id)
        .where(_window(connection, start, end))
        .order_by(native_orders.c.updated_at, native_orders.c.source_id)
        .offset(position)
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return ExportKey(row.updated_at, row.source_id) if row is not None else None


async def modified_after(
    conn: AsyncConnection,
    connection: str,
    start: datetime,
    end: datetime,
    after: ExportKey | None,
    limit: int,
) -> list[NativeOrder]:
    """Up to ``limit`` orders of the window after ``after`` (``None``: from its start)."""
    if limit < 1:
        raise InvalidStateInput(f"limit must be at least 1, got {limit}")
    if after is None:
        condition = _window(connection, start, end)
    else:
        # The key is the range's only lower bound: given the window's start as well, SQLite
        # ranges the index from the start and filters every earlier entry of the window, so
        # each page would cost more than the one before it.
        condition = and_(
            _window(connection, max(start, after.updated_at), end),
            or_(
                native_orders.c.updated_at > after.updated_at,
                native_orders.c.source_id > after.source_id,
            ),
        )
    query = (
        select(native_orders)
        .where(condition)
        .order_by(native_orders.c.updated_at, native_orders.c.source_id)
        .limit(limit)
    )
    return [native_order_of(row) for row in (await conn.execute(query)).mappings()]


async def source_ids_by_number(conn: AsyncConnection, connection: str, number: str) -> list[str]:
    """The source ids of the connection's orders whose stored order number is ``number``.

    A ship notice names the order by number; the number lives in the stored document, so
    this reads the connection's documents (acceptable for one notice at a time).
    """
    query = select(native_orders.c.source_id).where(
        native_orders.c.connection == connection,
        native_orders.c.payload["number"].as_string() == number,
    )
    return list((await conn.execute(query)).scalars())


__all__ = [
    "ExportKey",
    "count_modified",
    "key_at",
    "modified_after",
    "source_ids_by_number",
]

"""The native orders ShipStation has not taken yet: the demand a reconcile must not give back.

An order counts until ShipStation has accepted some version of it (its sync record has an
order id or an accepted fingerprint); deleted orders never count. Whether an order is one
the sync will push at all is for the rules to say, so this only narrows the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db.tables import native_orders, sync_records
from stationmaster.db.types import JsonObject


@dataclass(frozen=True, slots=True)
class UnpushedOrder:
    source_id: str
    payload: JsonObject
    status: str


async def unpushed_native_orders(conn: AsyncConnection, connection: str) -> list[UnpushedOrder]:
    """Every live native order of the connection that ShipStation has never accepted."""
    record = sync_records
    query = (
        select(native_orders.c.source_id, native_orders.c.payload, native_orders.c.status)
        .select_from(
            native_orders.outerjoin(
                record,
                and_(
                    record.c.connection == native_orders.c.connection,
                    record.c.order_key == native_orders.c.order_key,
                ),
            )
        )
        .where(
            native_orders.c.connection == connection,
            native_orders.c.deleted.is_(False),
            or_(
                record.c.order_key.is_(None),
                and_(record.c.order_id.is_(None), record.c.fingerprint.is_(None)),
            ),
        )
        .order_by(native_orders.c.change_seq)
    )
    return [
        UnpushedOrder(source_id, payload, status)
        for source_id, payload, status in await conn.execute(query)
    ]

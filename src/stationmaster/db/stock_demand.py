"""Orders ShipStation has not taken yet: the demand a reconcile must not give back.

An order counts until ShipStation has accepted some version of it (its sync record has an
order id or an accepted fingerprint); deleted native orders never count. Whether an order is
one the sync will push at all is for the rules to say, so this only narrows the candidates.
The native store's orders are read from its table here; another store reads its own orders
and asks :func:`accepted_order_keys` which of them ShipStation holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, and_, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import chunks
from stationmaster.db.tables import native_orders, sync_records
from stationmaster.db.types import JsonObject


@dataclass(frozen=True, slots=True)
class UnpushedOrder:
    source_id: str
    payload: JsonObject
    status: str


def _accepted(record: Table) -> ColumnElement[bool]:
    """A sync record of an order ShipStation accepted in some version."""
    return or_(record.c.order_id.is_not(None), record.c.fingerprint.is_not(None))


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
            or_(record.c.order_key.is_(None), not_(_accepted(record))),
        )
        .order_by(native_orders.c.change_seq)
    )
    return [
        UnpushedOrder(source_id, payload, status)
        for source_id, payload, status in await conn.execute(query)
    ]


async def accepted_order_keys(
    conn: AsyncConnection, connection: str, order_keys: Sequence[str]
) -> set[str]:
    """The keys among ``order_keys`` of orders ShipStation accepted in some version."""
    record = sync_records
    accepted: set[str] = set()
    for part in chunks(list(dict.fromkeys(order_keys))):
        query = select(record.c.order_key).where(
            record.c.connection == connection,
            record.c.order_key.in_(list(part)),
            _accepted(record),
        )
        accepted.update(str(key) for key in (await conn.execute(query)).scalars())
    return accepted

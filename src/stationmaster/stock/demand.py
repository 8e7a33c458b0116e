"""Units sold in the store that ShipStation does not know of yet, by SKU.

ShipStation's ``available`` already excludes what its own orders have allocated, but an
order it has not received cannot be allocated there. Until the push delivers it, those units
are sold in the store and still available in ShipStation, so a reconcile subtracts them.

Counted, for any store (:func:`orders_demand`): orders that are not deleted, that
ShipStation has not accepted in any version, that the connection's rules would push
(eligible) and that map to a ShipStation status which holds stock (awaiting payment, awaiting
shipment, on hold): each line's quantity under its SKU, adjustment lines and lines without a
SKU left out. An order already in ShipStation is ShipStation's to count, even if a newer
version of it waits in the outbox (its allocation follows when that version is accepted).
The native store's orders are read here (:func:`native_demand`); a stored order that no
longer parses cannot be pushed either and is left out (logged).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db.stock_demand import unpushed_native_orders
from stationmaster.domain import Order
from stationmaster.sync.mapping import map_order
from stationmaster.sync.rules import Rules, SendableStatus

log = structlog.get_logger("stationmaster.stock.demand")

#: ShipStation statuses whose orders hold stock there once received.
HOLDING_STOCK: frozenset[SendableStatus] = frozenset(
    {"awaiting_payment", "awaiting_shipment", "on_hold"}
)


async def native_demand(
    conn: AsyncConnection, connection: str, *, rules: Rules, source: str, now: datetime
) -> dict[str, int]:
    """Units by SKU of the connection's native orders ShipStation has not taken yet."""
    orders: list[Order] = []
    unreadable = 0
    for row in await unpushed_native_orders(conn, connection):
        try:
            orders.append(
                Order.model_validate({**row.payload, "status": row.status, "deleted": False})
            )
        except ValidationError:
            unreadable += 1
    if unreadable:
        log.warning("stock.demand_unreadable_orders", connection=connection, orders=unreadable)
    return orders_demand(orders, rules, source=source, now=now)


def orders_demand(
    orders: Iterable[Order], rules: Rules, *, source: str, now: datetime
) -> dict[str, int]:
    """Units by SKU of those of ``orders`` (none of them in ShipStation yet) that the rules
    would push with a status holding stock; any store's orders, so every store counts alike."""
    demand: dict[str, int] = {}
    for order in orders:
        mapped = map_order(order, rules, source=source, now=now)
        if not mapped.eligible or mapped.status not in HOLDING_STOCK:
            continue
        for line in order.lines:
            if line.sku is not None and not line.adjustment:
                demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    return demand

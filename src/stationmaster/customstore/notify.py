"""Applying a ship notice to the store through the push mode's tracking path.

A notice names one package of one order. It becomes a :class:`~stationmaster.domain.Package`
with origin ``shipnotify`` whose id is a digest of (order, tracking number, item set), so the
same notice twice is one package; then the :class:`~stationmaster.sync.tracking.Tracker`
records it, hands it to the store once, and recomputes the order's status from every live
package (partial items make it partially shipped, full coverage shipped). Items are matched
to lines as ShipStation's shipment items are: by the line key we exported (``LineItemID``),
else by a SKU only one line has. Pull mode has no ShipStation API, so the tracker gets a
client whose every request is refused; the apply path never calls it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import httpx2
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.customstore.reader import ShipNotice
from stationmaster.db.native_export import source_ids_by_number
from stationmaster.domain import Order, Package
from stationmaster.shipstation import ShipStationClient
from stationmaster.shipstation import models as ss
from stationmaster.shipstation.credentials import Credentials
from stationmaster.stores.protocol import Store
from stationmaster.sync.rules import Rules
from stationmaster.sync.tracking import Tracker
from stationmaster.sync.tracking_packages import LineIndex, assign_items
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.customstore.notify")

NotifyResult = Literal["applied", "duplicate", "unknown_order", "ambiguous_order", "no_lines"]
_NO_API: Final = "pull mode has no ShipStation API"


@dataclass(frozen=True, slots=True)
class NotifyOutcome:
    """What a notice did: ``applied`` (a new package), ``duplicate`` (seen before, nothing
    changed), or why nothing was done."""

    result: NotifyResult
    source_id: str | None = None
    detail: str = ""


def _refuse_every_request(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(503, text=_NO_API)


def _no_api_client() -> ShipStationClient:
    return ShipStationClient(
        Credentials("pull-mode", "no-api"), transport=httpx2.MockTransport(_refuse_every_request)
    )


def notice_package(notice: ShipNotice, order: Order, rules: Rules) -> Package | None:
    """The package ``notice`` makes on ``order``; ``None`` when it lists items and none of
    them is a line of the order (recording it would wrongly ship the whole order)."""
    fields = rules.tracking.fields
    wire_items = [
        ss.ShipmentItem.model_construct(
            lineItemKey=item.line_item_id, sku=item.sku, quantity=item.quantity
        )
        for item in notice.items
    ]
    assigned = assign_items(wire_items, [LineIndex.of(order)]).items.get(order.source_id, [])
    if notice.items and not assigned:
        return None
    tracking = notice.tracking_number
    identity = {
        "order": order.source_id,
        "tracking": tracking or "",
        "items": sorted([item.line_id, item.quantity] for item in assigned),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()
    return Package(
        origin="shipnotify",
        origin_id=digest[:32],
        tracking_number=tracking if "tracking_number" in fields else None,
        carrier=notice.carrier if "carrier" in fields else None,
        service=notice.service if "service" in fields else None,
        ship_date=notice.ship_date if "ship_date" in fields else None,
        items=assigned if "items" in fields else [],
    )


class NoticeApplier:
    """Applies ship notices to one connection's store."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: str,
        store: Store,
        rules: Rules,
        *,
        source: str,
        orders_connection: str | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.connection = connection
        #: Whose native tables an order number is looked up in (by default the connection's).
        self.orders_connection = orders_connection or connection
        self.store = store
        self.rules = rules
        self.tracker = Tracker(
            engine, connection, store, _no_api_client(), rules, source=source, now=now
        )

    def __repr__(self) -> str:
        return f"NoticeApplier(connection={self.connection!r})"

    async def apply(self, notice: ShipNotice) -> NotifyOutcome:
        """Find the order, build its package, and apply it once; nothing changes otherwise."""
        found = await self._order(notice)
        if isinstance(found, NotifyOutcome):
            return found
        package = notice_package(notice, found, self.rules)
        if package is None:
            return NotifyOutcome(
                "no_lines", found.source_id, "no item of the notice is a line of the order"
            )
        if not notice.items:
            log.info(
                "customstore.notice_without_items",
                connection=self.connection,
                source_id=found.source_id,
            )
        stats = await self.tracker.apply_packages({found.source_id: package})
        result: NotifyResult = "applied" if stats.applied else "duplicate"
        return NotifyOutcome(result, found.source_id)

    async def _order(self, notice: ShipNotice) -> Order | NotifyOutcome:
        """The order the notice names: its ``OrderID`` (our source id) when that is ours and
        agrees with the number, else the one order with its ``order_number``."""
        if notice.order_id is not None:
            by_id = await self.store.orders_by_id([notice.order_id])
            order = by_id.get(notice.order_id)
            if order is not None and notice.order_number in (None, order.number):
                return order
        if notice.order_number is None:
            return NotifyOutcome("unknown_order", detail="the notice names no order")
        async with self.engine.connect() as conn:
            ids = await source_ids_by_number(conn, self.orders_connection, notice.order_number)
        if len(ids) > 1:
            return NotifyOutcome("ambiguous_order", detail="several orders have that number")
        orders = await self.store.orders_by_id(ids)
        if not orders:
            return NotifyOutcome("unknown_order", detail="no order has that number")
        return next(iter(orders.values()))

"""ShipStation shipments and fulfillments as store packages: lines matched, fields filtered.

Pure functions, no I/O. A shipment's ``lineItemKey`` is the key we pushed for a store line
(``line_item_key``, hashed when long), so each store order's lines are indexed by that key;
an item without a key falls back to its SKU when exactly one line of the order has it. When a
shipment belongs to several store orders (a merge), each order gets the items of its own
lines; a key two of them share is shared out by what each still has open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from stationmaster.domain import Order, Package, PackageItem
from stationmaster.shipstation import models as ss
from stationmaster.sync.mapping import line_item_key
from stationmaster.sync.rules import TrackingField
from stationmaster.wiretime import PACIFIC


@dataclass(frozen=True, slots=True)
class LineIndex:
    """One store order's product lines, as shipment items name them."""

    source_id: str
    by_key: dict[str, str]
    by_sku: dict[str, str]
    ordered: dict[str, int]

    @classmethod
    def of(cls, order: Order) -> LineIndex:
        lines = [line for line in order.lines if not line.adjustment]
        skus = Counter(line.sku for line in lines if line.sku)
        return cls(
            source_id=order.source_id,
            by_key={line_item_key(line.line_id): line.line_id for line in lines},
            by_sku={line.sku: line.line_id for line in lines if line.sku and skus[line.sku] == 1},
            ordered={line.line_id: line.quantity for line in lines},
        )

    def line_for(self, item: ss.ShipmentItem) -> str | None:
        if item.lineItemKey:
            return self.by_key.get(item.lineItemKey)
        if item.sku:
            return self.by_sku.get(item.sku)
        return None


@dataclass
class Assignment:
    """Shipment items shared out over store orders, and what could not be placed."""

    items: dict[str, list[PackageItem]] = field(default_factory=dict)
    unknown: int = 0
    """Items that name no line of any of the orders (or carry no usable quantity)."""


def assign_items(items: Sequence[ss.ShipmentItem], orders: Sequence[LineIndex]) -> Assignment:
    """Each item to the store order (and line) it belongs to; quantities per line add up."""
    result = Assignment()
    shipped: dict[str, Counter[str]] = {index.source_id: Counter() for index in orders}
    for item in items:
        quantity = item.quantity
        if quantity is None or quantity < 1:
            result.unknown += 1
            continue
        owners = [(index, line) for index in orders if (line := index.line_for(item)) is not None]
        if not owners:
            result.unknown += 1
            continue
        for position, (index, line_id) in enumerate(owners):
            last = position == len(owners) - 1
            room = index.ordered[line_id] - shipped[index.source_id][line_id]
            take = quantity if last else min(quantity, max(room, 0))
            if take <= 0:
                continue
            shipped[index.source_id][line_id] += take
            quantity -= take
            if quantity == 0:
                break
    for source_id, counts in shipped.items():
        if counts:
            result.items[source_id] = [
                PackageItem(line_id=line_id, quantity=quantity)
                for line_id, quantity in counts.items()
            ]
    return result


def shipment_package(
    shipment: ss.Shipment, items: Sequence[PackageItem], fields: frozenset[TrackingField]
) -> Package:
    """The package one label makes on one store order (no items: the whole order)."""
    return Package(
        origin="shipment",
        origin_id=str(shipment.shipmentId),
        tracking_number=_text(shipment.trackingNumber) if "tracking_number" in fields else None,
        carrier=_text(shipment.carrierCode) if "carrier" in fields else None,
        service=_text(shipment.serviceCode) if "service" in fields else None,
        ship_date=shipment.shipDate if "ship_date" in fields else None,
        items=list(items) if "items" in fields else [],
        voided=bool(shipment.voided),
    )


def fulfillment_package(fulfillment: ss.Fulfillment, fields: frozenset[TrackingField]) -> Package:
    """The package a fulfillment (Mark as Shipped, a 3PL) makes: always the whole order.

    Its ship date is the Pacific calendar day of ShipStation's midnight timestamp."""
    ship_date = fulfillment.shipDate
    return Package(
        origin="fulfillment",
        origin_id=str(fulfillment.fulfillmentId),
        tracking_number=_text(fulfillment.trackingNumber) if "tracking_number" in fields else None,
        carrier=_text(fulfillment.carrierCode) if "carrier" in fields else None,
        service=_text(fulfillment.fulfillmentServiceCode) if "service" in fields else None,
        ship_date=ship_date.astimezone(PACIFIC).date()
        if ship_date is not None and "ship_date" in fields
        else None,
        voided=bool(fulfillment.voided),
    )


def _text(value: str | None) -> str | None:
    """Blank text from ShipStation means "none" (fulfillments often carry ``""``)."""
    if value is None or not value.strip():
        return None
    return value.strip()

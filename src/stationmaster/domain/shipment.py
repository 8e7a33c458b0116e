"""What left the warehouse for an order: packages with tracking and the lines they hold.

An order can go out in several packages, each with its own tracking number (one label, one
ShipStation shipment or fulfillment, one shipnotify POST). A package names the record it came
from (``origin`` and ``origin_id``), so a record seen twice is recognised and applied once.
Shipped quantities are accumulated per line id, never by adding up events, so replays and
voided labels cannot double-count.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Literal

from pydantic import Field

from stationmaster.domain.order import Order
from stationmaster.domain.values import DomainModel, OptionalText, Quantity, Text

PackageOrigin = Literal["shipment", "fulfillment", "shipnotify"]


class PackageItem(DomainModel):
    """``quantity`` units of the order line ``line_id`` in one package."""

    line_id: Text
    quantity: Quantity
    sku: OptionalText = None


class Package(DomainModel):
    """One parcel. No ``items`` means the package holds the whole order (ShipStation omits
    items for labels bought without line detail, and fulfillments never have them)."""

    origin: PackageOrigin
    origin_id: Text
    """ShipStation's shipmentId or fulfillmentId, or a digest of a shipnotify body."""
    tracking_number: OptionalText = None
    carrier: OptionalText = None
    service: OptionalText = None
    ship_date: date | None = None
    items: list[PackageItem] = Field(default_factory=list)
    voided: bool = False

    @property
    def key(self) -> str:
        """Stable identity of the package's source record, such as ``shipment:300000001``."""
        return f"{self.origin}:{self.origin_id}"


class Shipment(DomainModel):
    """Every package known for one store order."""

    order_source_id: Text
    order_number: OptionalText = None
    packages: list[Package] = Field(default_factory=list)

    def live_packages(self) -> list[Package]:
        """The packages that count: not voided, each source record once (the last seen)."""
        by_key = {package.key: package for package in self.packages}
        return [package for package in by_key.values() if not package.voided]

    def shipped_quantities(self, order: Order) -> dict[str, int]:
        """Units shipped per product line of ``order``, capped at the ordered quantity.

        A package without items ships every line in full.
        """
        ordered = {line.line_id: line.quantity for line in order.lines if not line.adjustment}
        shipped: Counter[str] = Counter()
        for package in self.live_packages():
            if not package.items:
                return dict(ordered)
            for item in package.items:
                shipped[item.line_id] += item.quantity
        return {
            line_id: min(shipped[line_id], quantity)
            for line_id, quantity in ordered.items()
            if shipped[line_id]
        }

    def covers(self, order: Order) -> bool:
        """True when every product line of ``order`` has shipped in full."""
        shipped = self.shipped_quantities(order)
        return all(
            shipped.get(line.line_id, 0) >= line.quantity
            for line in order.lines
            if not line.adjustment
        )

"""ShipStation packages recorded on Oscar orders, the way the shop records a dispatch.

Each package becomes one ``ShippingEvent`` made by the shop's own ``EventHandler``
(``handle_shipping_event``, so the shop's validation, payment and e-mail rules run), typed
with the ``shipped_event_type`` setting, listing the lines and quantities the package holds
and carrying the tracking number in the event's notes. A package without items ships whatever
the order has not shipped yet. :class:`~stationmaster.stores.oscar.models.ShippedPackage`
keeps the package's key, so a package seen again is skipped.

A voided label re-types its event as ``voided_event_type`` (so Oscar no longer counts its
quantities as shipped, and a new label may ship them again) and adds an order note; a package
first seen already voided is recorded as an event of that type without lines. A void sticks:
the same package coming back live changes nothing.

Packages are recorded one transaction each, voids first. A package Oscar refuses (more units
than the line has left to ship, an item naming no line of the order) is reported in one
:class:`ShipmentRefused` after the others are recorded; it is retried with the next shipment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_class, get_model  # type: ignore[import-untyped]

from stationmaster.domain import Package, Shipment
from stationmaster.stores.oscar.errors import ShipmentRefused
from stationmaster.stores.oscar.models import ShippedPackage


@dataclass(frozen=True, slots=True)
class EventTypes:
    """The names of the shipping event types packages are recorded with."""

    shipped: str
    voided: str


class _Refused(Exception):
    """One package that cannot be recorded; the message says why."""


def apply_shipment(order: Any, shipment: Shipment, names: EventTypes) -> None:
    """Record ``shipment``'s packages on Oscar ``order`` (see the module)."""
    handler = get_class("order.processing", "EventHandler")()
    invalid = get_class("order.exceptions", "InvalidShippingEvent")
    event_type = get_model("order", "ShippingEventType")._default_manager
    shipped, _ = event_type.get_or_create(name=names.shipped)
    voided, _ = event_type.get_or_create(name=names.voided)
    latest = {package.key: package for package in shipment.packages}
    refused: list[str] = []
    for package in sorted(latest.values(), key=lambda package: not package.voided):
        try:
            with transaction.atomic():
                _record(order, package, handler, shipped, voided)
        except _Refused as exc:
            refused.append(f"package {package.key}: {exc}")
        except invalid as exc:
            refused.append(f"package {package.key}: Oscar refused the shipping event: {exc}")
    if refused:
        raise ShipmentRefused(order.number, refused)


def _record(order: Any, package: Package, handler: Any, shipped: Any, voided: Any) -> None:
    known = ShippedPackage.objects.select_for_update().filter(order=order, key=package.key)
    record = known.first()
    if record is not None:
        if package.voided and not record.voided:
            _void(order, record, package, handler, voided)
        return
    if package.voided:
        event = handler.create_shipping_event(order, voided, [], [], reference=describe(package))
        handler.create_note(order, f"ShipStation label voided: {describe(package)}")
    else:
        lines, quantities = _lines_of(order, package, shipped)
        event = handler.handle_shipping_event(
            order, shipped, lines, quantities, reference=describe(package)
        )
    ShippedPackage.objects.create(
        order=order,
        key=package.key,
        event=event,
        package=package.model_dump(mode="json", exclude={"voided"}),
        voided=package.voided,
        voided_at=timezone.now() if package.voided else None,
    )


def _void(order: Any, record: ShippedPackage, package: Package, handler: Any, voided: Any) -> None:
    event = record.event
    if event is not None:
        event.event_type = voided
        event.save(update_fields=["event_type"])
    record.voided = True
    record.voided_at = timezone.now()
    record.save(update_fields=["voided", "voided_at"])
    handler.create_note(order, f"ShipStation label voided: {describe(package)}")


def _lines_of(order: Any, package: Package, shipped: Any) -> tuple[list[Any], list[int]]:
    """The Oscar lines and quantities ``package`` ships."""
    lines = {str(line.pk): line for line in order.lines.all()}
    if not package.items:
        left = [
            (line, line.quantity - line.shipping_event_quantity(shipped)) for line in lines.values()
        ]
        chosen = [(line, quantity) for line, quantity in left if quantity > 0]
        return [line for line, _ in chosen], [quantity for _, quantity in chosen]
    wanted: Counter[str] = Counter()
    for item in package.items:
        wanted[item.line_id] += item.quantity
    for line_id, quantity in wanted.items():
        line = lines.get(line_id)
        if line is None:
            raise _Refused(f"an item names line {line_id!r}, which is not a line of this order")
        if quantity > line.quantity:
            raise _Refused(
                f"{quantity} units of line {line_id} ({line.title!r}) shipped, but the order "
                f"has {line.quantity}"
            )
    return [lines[line_id] for line_id in wanted], list(wanted.values())


def describe(package: Package) -> str:
    """The package for people: tracking number, carrier, service, date, and its key."""
    how = " ".join(part for part in (package.carrier, package.service) if part)
    parts = [package.tracking_number or "no tracking number"]
    if how:
        parts.append(f"({how})")
    if package.ship_date is not None:
        parts.append(f"shipped {package.ship_date.isoformat()}")
    return " ".join(parts) + f" [ShipStation {package.key}]"


def recorded(order: Any) -> Shipment:
    """Every package recorded on ``order`` (voided ones flagged), oldest first."""
    rows = ShippedPackage.objects.filter(order=order).order_by("id")
    return Shipment(
        order_source_id=str(order.pk),
        order_number=order.number,
        packages=[Package.model_validate({**row.package, "voided": row.voided}) for row in rows],
    )

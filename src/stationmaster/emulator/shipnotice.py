"""Queueing the shipnotify POST a Custom Store gets for each label or mark-as-shipped.

ShipStation posts ``?action=shipnotify&order_number=…&carrier=…&service=…&tracking_number=…``
with a ``<ShipNotice>`` body listing only the package's lines by ``LineItemID``
(``custom-store-xml.md`` §6, ``examples/shipnotice-ORD-1002-pkg1.xml``). The query and body are
fixed when the label is made, so a later edit of the order cannot change what was shipped.
Imported orders carry the shop's ``OrderID`` as ``orderKey`` and its ``LineItemID`` as
``lineItemKey``, which is how they are echoed back here.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from stationmaster.emulator import catalog
from stationmaster.emulator.backend import Backend
from stationmaster.emulator.state import PendingNotice
from stationmaster.emulator.wire import Wire
from stationmaster.emulator.xmlorders import render_export_date

#: The protocol's carrier names for the emulator's carrier codes (§6.1; an open set).
CARRIER_NAMES = {"stamps_com": "USPS", "ups": "UPS", "fedex": "FedEx"}


def carrier_name(carrier_code: str) -> str:
    return CARRIER_NAMES.get(carrier_code, carrier_code)


def service_name(carrier_code: str, service_code: str | None) -> str:
    carrier = catalog.carrier(carrier_code)
    service = next(
        (s for s in (carrier.services if carrier else ()) if s.code == service_code), None
    )
    return service.name if service is not None else (service_code or "")


def _add(parent: Element, name: str, value: object) -> Element:
    child = SubElement(parent, name)
    child.text = "" if value is None else str(value)
    return child


def _ship_date(wire_date: str) -> str:
    """``yyyy-MM-dd`` (ShipStation's ship day) as the protocol's ``MM/dd/yyyy``."""
    year, month, day = wire_date[:10].split("-")
    return f"{month}/{day}/{year}"


def notice_body(
    backend: Backend,
    order: Wire,
    *,
    carrier: str,
    service: str,
    tracking: str,
    ship_date: str,
    cost: object,
    items: list[Wire],
) -> bytes:
    """The ``<ShipNotice>`` document for one package of ``order``."""
    advanced = order["advancedOptions"] or {}
    root = Element("ShipNotice")
    _add(root, "OrderNumber", order["orderNumber"])
    _add(root, "OrderID", order["orderKey"])
    _add(root, "CustomerCode", order["customerUsername"] or order["customerEmail"])
    _add(root, "CustomerNotes", order["customerNotes"])
    _add(root, "InternalNotes", order["internalNotes"])
    _add(root, "NotesToCustomer", None)
    _add(root, "NotifyCustomer", "false")
    _add(root, "LabelCreateDate", render_export_date(backend.now()))
    _add(root, "ShipDate", _ship_date(ship_date))
    _add(root, "Carrier", carrier)
    _add(root, "Service", service)
    _add(root, "TrackingNumber", tracking)
    _add(root, "ShippingCost", f"{float(str(cost or 0)):.2f}")
    for index in (1, 2, 3):
        _add(root, f"CustomField{index}", advanced.get(f"customField{index}"))
    ship_to = order["shipTo"] or {}
    recipient = SubElement(root, "Recipient")
    for name, key in (
        ("Name", "name"),
        ("Company", "company"),
        ("Address1", "street1"),
        ("Address2", "street2"),
        ("City", "city"),
        ("State", "state"),
        ("PostalCode", "postalCode"),
        ("Country", "country"),
    ):
        _add(recipient, name, ship_to.get(key))
    lines = SubElement(root, "Items")
    for item in items:
        line = SubElement(lines, "Item")
        _add(line, "SKU", item["sku"])
        _add(line, "Name", item["name"])
        _add(line, "Quantity", item["quantity"])
        if item.get("lineItemKey"):
            _add(line, "LineItemID", item["lineItemKey"])
    return bytes(tostring(root, encoding="utf-8", xml_declaration=True))


def _queue(
    backend: Backend,
    order: Wire,
    body: bytes,
    params: tuple[tuple[str, str], ...],
    *,
    shipment_id: int | None,
    fulfillment_id: int | None,
) -> None:
    account = backend.account
    account.notice_outbox.append(
        PendingNotice(
            id=account.new_id("notice"),
            store_id=order["advancedOptions"]["storeId"],
            order_id=order["orderId"],
            order_number=order["orderNumber"],
            shipment_id=shipment_id,
            fulfillment_id=fulfillment_id,
            params=params,
            body=body,
            queued_at=backend.clock.monotonic(),
        )
    )


def _params(order: Wire, carrier: str, service: str, tracking: str) -> tuple[tuple[str, str], ...]:
    return (
        ("action", "shipnotify"),
        ("order_number", order["orderNumber"]),
        ("carrier", carrier),
        ("service", service),
        ("tracking_number", tracking),
    )


def queue_label_notice(backend: Backend, order: Wire, shipment: Wire) -> None:
    """Queue the notice for a label, if ``order`` belongs to a Custom Store."""
    if order["advancedOptions"]["storeId"] not in backend.account.custom_stores:
        return
    carrier = carrier_name(shipment["carrierCode"])
    service = service_name(shipment["carrierCode"], shipment["serviceCode"])
    tracking = shipment["trackingNumber"] or ""
    body = notice_body(
        backend,
        order,
        carrier=carrier,
        service=service,
        tracking=tracking,
        ship_date=shipment["shipDate"],
        cost=shipment["shipmentCost"],
        items=shipment["shipmentItems"] or [],
    )
    _queue(
        backend,
        order,
        body,
        _params(order, carrier, service, tracking),
        shipment_id=shipment["shipmentId"],
        fulfillment_id=None,
    )


def queue_fulfillment_notice(backend: Backend, order: Wire, fulfillment: Wire) -> None:
    """Queue the notice for mark-as-shipped (no label: no service, no cost, maybe no tracking)."""
    if order["advancedOptions"]["storeId"] not in backend.account.custom_stores:
        return
    carrier = carrier_name(fulfillment["carrierCode"])
    tracking = fulfillment["trackingNumber"] or ""
    items = [i for i in order["items"] if not i["adjustment"]]
    body = notice_body(
        backend,
        order,
        carrier=carrier,
        service="",
        tracking=tracking,
        ship_date=fulfillment["shipDate"],
        cost=0,
        items=items,
    )
    _queue(
        backend,
        order,
        body,
        _params(order, carrier, "", tracking),
        shipment_id=None,
        fulfillment_id=fulfillment["fulfillmentId"],
    )

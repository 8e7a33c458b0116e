"""Reading a Custom Store export page (``<Orders pages="N">``) into createorder-shaped orders.

The shop's XML is untrusted input, so it is parsed with defusedxml: a DOCTYPE, an entity or an
external reference refuses the whole page (:class:`ExportError`), as does a body that is not
XML or whose root is not ``Orders``. One order that cannot be read (a bad date or number) does
not spoil the page: it comes back with a ``problem`` and the puller reports it. Dates are UTC
``MM/dd/yyyy HH:mm`` (``custom-store-xml.md`` §4), also ``M/d/yyyy``, seconds and ``AM``/``PM``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from stationmaster.emulator.wire import Wire, number
from stationmaster.wiretime import render_v1

#: ``pages`` is ``xs:short`` in the published schema.
MAX_PAGES_ATTRIBUTE = 32767

_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?")
_WEIGHT_UNITS = {
    "pound": "pounds",
    "pounds": "pounds",
    "lb": "pounds",
    "lbs": "pounds",
    "ounce": "ounces",
    "ounces": "ounces",
    "oz": "ounces",
    "gram": "grams",
    "grams": "grams",
    "gm": "grams",
}


class ExportError(ValueError):
    """The page as a whole cannot be used (not XML, a DOCTYPE, a wrong root, a bad ``pages``)."""


class _BadOrder(ValueError):
    """One order's value cannot be read."""


@dataclass(frozen=True)
class ExportedOrder:
    """One ``<Order>``: its identity and shop status, and the order in createorder shape."""

    order_id: str | None
    order_number: str | None
    status: str | None
    #: The createorder body without ``orderKey``, ``orderStatus`` and the store.
    fields: Wire = field(default_factory=dict)
    #: Why the order cannot be imported, if it cannot.
    problem: str | None = None


@dataclass(frozen=True)
class ExportPage:
    pages: int
    orders: tuple[ExportedOrder, ...]


def parse_export_date(text: str) -> datetime:
    """A Custom Store datetime (UTC) as an aware datetime; ``ValueError`` if unreadable."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a MM/dd/yyyy HH:mm date: {text!r}")
    month, day, year, hour, minute, second, half = match.groups()
    hours = int(hour)
    if half is not None and hours <= 12:
        if half.upper() == "PM" and hours < 12:
            hours += 12
        elif half.upper() == "AM" and hours == 12:
            hours = 0
    try:
        return datetime(
            int(year), int(month), int(day), hours, int(minute), int(second or 0), tzinfo=UTC
        )
    except ValueError as exc:
        raise ValueError(f"not a real date: {text!r}") from exc


def render_export_date(moment: datetime) -> str:
    """An aware datetime as the protocol writes it: UTC ``MM/dd/yyyy HH:mm``."""
    return moment.astimezone(UTC).strftime("%m/%d/%Y %H:%M")


def parse_export(raw: bytes) -> ExportPage:
    """One export page; raises :class:`ExportError` when the page cannot be used at all."""
    if not raw.strip():
        raise ExportError("invalid XML: the body is empty (Root element is missing)")
    try:
        root = safe_xml.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ExportError(
            f"refused XML: {type(exc).__name__} (DOCTYPE and entities are not allowed)"
        ) from None
    except ParseError as exc:
        raise ExportError(f"invalid XML: {exc}") from None
    if root.tag != "Orders":
        raise ExportError(f"invalid export: the root element is <{root.tag}>, not <Orders>")
    pages_text = root.get("pages")
    try:
        pages = int(pages_text) if pages_text is not None else 1
    except ValueError:
        raise ExportError(f"invalid export: pages={pages_text!r} is not a number") from None
    if not 0 <= pages <= MAX_PAGES_ATTRIBUTE:
        raise ExportError(f"invalid export: pages={pages} is out of range")
    return ExportPage(pages, tuple(_order(node) for node in root.findall("Order")))


def _text(node: Element | None, name: str) -> str | None:
    child = node.find(name) if node is not None else None
    if child is None or child.text is None:
        return None
    value = child.text.strip()
    return value or None


def _money(node: Element | None, name: str) -> float | int | None:
    text = _text(node, name)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _BadOrder(f"{name} {text!r} is not a number") from None
    if not value.is_finite():
        raise _BadOrder(f"{name} {text!r} is not a number")
    return number(value)


def _quantity(node: Element) -> int:
    text = _text(node, "Quantity")
    if text is None or not text.isdigit():
        raise _BadOrder(f"Quantity {text!r} is not a whole number")
    return int(text)


def _bool(node: Element | None, name: str) -> bool:
    return (_text(node, name) or "").lower() == "true"


def _date(node: Element, name: str) -> str | None:
    text = _text(node, name)
    if text is None:
        return None
    try:
        return render_v1(parse_export_date(text))
    except ValueError as exc:
        raise _BadOrder(f"{name}: {exc}") from None


def _address(node: Element | None, *, ship_to: bool) -> Wire | None:
    if node is None:
        return None
    row: Wire = {
        "name": _text(node, "Name"),
        "company": _text(node, "Company"),
        "street1": _text(node, "Address1"),
        "street2": _text(node, "Address2"),
        "city": _text(node, "City"),
        "state": _text(node, "State"),
        "postalCode": _text(node, "PostalCode"),
        "country": _text(node, "Country"),
        "phone": _text(node, "Phone"),
    }
    if ship_to:
        row["residential"] = None
    return row


def _item(node: Element) -> Wire:
    weight = _money(node, "Weight")
    units_text = (_text(node, "WeightUnits") or "ounces").lower()
    units = _WEIGHT_UNITS.get(units_text)
    if weight is not None and units is None:
        raise _BadOrder(f"WeightUnits {units_text!r} is not a known unit")
    options_node = node.find("Options")
    options = [
        {"name": _text(option, "Name"), "value": _text(option, "Value")}
        for option in (options_node.findall("Option") if options_node is not None else [])
    ]
    return {
        "lineItemKey": _text(node, "LineItemID"),
        "sku": _text(node, "SKU"),
        "name": _text(node, "Name"),
        "imageUrl": _text(node, "ImageUrl"),
        "weight": {"value": weight, "units": units} if weight is not None else None,
        "quantity": _quantity(node),
        "unitPrice": _money(node, "UnitPrice"),
        "warehouseLocation": _text(node, "Location"),
        "options": options,
        "adjustment": _bool(node, "Adjustment"),
        "upc": _text(node, "UPC"),
    }


def _order(node: Element) -> ExportedOrder:
    order_id, order_number = _text(node, "OrderID"), _text(node, "OrderNumber")
    status = _text(node, "OrderStatus")
    try:
        customer = node.find("Customer")
        bill_to = _address(customer.find("BillTo") if customer is not None else None, ship_to=False)
        items_node = node.find("Items")
        items = [_item(i) for i in (items_node.findall("Item") if items_node is not None else [])]
        fields: Wire = {
            "orderNumber": order_number,
            "orderDate": _date(node, "OrderDate"),
            "customerUsername": _text(customer, "CustomerCode"),
            "customerEmail": _text(
                customer.find("BillTo") if customer is not None else None, "Email"
            ),
            "billTo": bill_to,
            "shipTo": _address(
                customer.find("ShipTo") if customer is not None else None, ship_to=True
            ),
            "items": [{k: v for k, v in i.items() if k != "upc"} for i in items],
            "amountPaid": _money(node, "OrderTotal"),
            "taxAmount": _money(node, "TaxAmount"),
            "shippingAmount": _money(node, "ShippingAmount"),
            "customerNotes": _text(node, "CustomerNotes"),
            "internalNotes": _text(node, "InternalNotes"),
            "gift": _bool(node, "Gift"),
            "giftMessage": _text(node, "GiftMessage"),
            "paymentMethod": _text(node, "PaymentMethod"),
            "requestedShippingService": _text(node, "ShippingMethod"),
            "advancedOptions": {
                "customField1": _text(node, "CustomField1"),
                "customField2": _text(node, "CustomField2"),
                "customField3": _text(node, "CustomField3"),
                "source": _text(node, "Source"),
            },
        }
    except _BadOrder as exc:
        return ExportedOrder(order_id, order_number, status, problem=str(exc))
    return ExportedOrder(order_id, order_number, status, fields)

"""Reading a ShipNotice body (``action=shipnotify``) safely into a :class:`ShipNotice`.

The body comes from the network, so it is parsed with defusedxml: a DOCTYPE, an entity
declaration or an external reference refuses it (:class:`NoticeError`), as does anything
that is not XML or whose root is not ``ShipNotice``. Values may arrive as text or CDATA;
blank means absent. The caller bounds the body's size before it gets here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from stationmaster.wiretime import WireTimeError, parse_customstore, parse_customstore_date

_YES = frozenset({"true", "yes", "1"})


class NoticeError(ValueError):
    """The body is not a ShipNotice we can read; the message says why (never echoes it)."""


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One line in the package: named by our ``LineItemID``, else its SKU, else its name."""

    line_item_id: str | None
    sku: str | None
    name: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipNotice:
    """What one label (one package) tells us about one order."""

    order_id: str | None = None
    order_number: str | None = None
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    ship_date: date | None = None
    label_created: datetime | None = None
    shipping_cost: Decimal | None = None
    notify_customer: bool = False
    items: tuple[NoticeItem, ...] = ()


def read_notice(body: bytes) -> ShipNotice:
    """The ShipNotice in ``body``; :class:`NoticeError` for anything unsafe or unreadable."""
    try:
        root = safe_xml.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise NoticeError("the body declares a DOCTYPE or entities, which are refused") from None
    except ParseError as exc:
        raise NoticeError(f"the body is not well-formed XML ({exc.code})") from None
    if root.tag != "ShipNotice":
        raise NoticeError("the root element is not ShipNotice")
    try:
        return ShipNotice(
            order_id=_text(root, "OrderID"),
            order_number=_text(root, "OrderNumber"),
            carrier=_text(root, "Carrier"),
            service=_text(root, "Service"),
            tracking_number=_text(root, "TrackingNumber"),
            ship_date=_date(root),
            label_created=_label_created(root),
            shipping_cost=_decimal(root, "ShippingCost"),
            notify_customer=(_text(root, "NotifyCustomer") or "").lower() in _YES,
            items=tuple(_item(item) for item in root.iterfind("Items/Item")),
        )
    except (WireTimeError, InvalidOperation, ValueError) as exc:
        raise NoticeError(str(exc)) from None


def _text(parent: Element, name: str) -> str | None:
    found = parent.find(name)
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return text or None


def _date(root: Element) -> date | None:
    text = _text(root, "ShipDate")
    return parse_customstore_date(text) if text is not None else None


def _label_created(root: Element) -> datetime | None:
    text = _text(root, "LabelCreateDate")
    return parse_customstore(text) if text is not None else None


def _decimal(root: Element, name: str) -> Decimal | None:
    text = _text(root, name)
    if text is None:
        return None
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(f"{name} is not a finite number")
    return value


def _item(item: Element) -> NoticeItem:
    quantity_text = _text(item, "Quantity")
    if quantity_text is None or not quantity_text.isascii() or not quantity_text.isdigit():
        raise ValueError("an item's Quantity is missing or not a whole number")
    quantity = int(quantity_text)
    if not 1 <= quantity <= 99999:
        raise ValueError(f"an item's Quantity {quantity} is outside 1-99999")
    return NoticeItem(
        line_item_id=_text(item, "LineItemID"),
        sku=_text(item, "SKU"),
        name=_text(item, "Name"),
        quantity=quantity,
    )

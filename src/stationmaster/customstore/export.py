"""The Custom Store export: which orders a window holds, page by page, written as XML.

ShipStation asks for every order modified in a UTC window (minute precision, both ends
included), whatever its status, ``page`` by ``page``. Orders go in ``(updated_at, source_id)``
order, so pages do not shift while ShipStation walks them. Each order goes through the push
mode's rules (``map_order``: address fallback, limits, SKU map, discounts as negative lines,
tax), with the eligibility by status switched off, since cancellations and shipped orders
must reach ShipStation too; ``OrderStatus`` is the store's own status text. An order the rules
refuse (an error, or held back by the sync start) is left out of its page and counted. Orders
the rules have nothing to report on take a shortcut to the same result (``OrderShaper``).

A page starts from a key, never an offset over rows: the key after page N is remembered
when page N is served (ShipStation walks pages in order), and otherwise found by reading the
window's index entries only.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final, NamedTuple

import structlog
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster.customstore.writer import OrderText
from stationmaster.db.native_export import ExportKey, count_modified, key_at, modified_after
from stationmaster.db.native_orders import NativeOrder
from stationmaster.domain import Address, Order, WeightUnit, round_to_minor
from stationmaster.shipstation import models as ss
from stationmaster.sync.mapping import line_item_key, map_order, order_key, template_values
from stationmaster.sync.rules import (
    CUSTOM_PREFIX,
    SENDABLE_STATUSES,
    TEMPLATE_FIELDS,
    Rules,
    is_iso_country,
    parse_template,
    render_template,
)
from stationmaster.wiretime import WireTimeError, parse_customstore, render_customstore, utcnow

log = structlog.get_logger("stationmaster.customstore.export")

MAX_PAGES: Final = 32767
"""``pages`` is an ``xs:short`` in the published schema."""
MAX_OPTIONS: Final = 10
"""The guide's limit per item (the schema allows 100): the stricter one is kept."""
EXPORT_STREAM: Final = "customstore.export"
"""The cursor stream a served export is noted in: when ShipStation last pulled, and what."""
_WEIGHT_UNITS: Final = {"ounces": "Ounces", "pounds": "Pounds", "grams": "Grams"}
_BOUNDARY_CACHE: Final = 512
#: How long a window's order count is reused while ShipStation walks its pages. Counting the
#: window is a scan of its index range, so counting it again for every page would make a
#: whole export grow with the square of the window.
_COUNT_TTL: Final = timedelta(minutes=5)


class ExportRequestError(ValueError):
    """The export request cannot be answered as asked (bad dates, page, too large a window)."""


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """How a connection's export is shaped.

    ``deleted_status``: the ``OrderStatus`` of an order the store deleted (it still has to
    reach ShipStation, as a cancellation). ``decode_html_entities``: for stores that keep
    ``&amp;pound;``-style text, decode entities once so ShipStation shows the character.
    """

    page_size: int = 100
    deleted_status: str = "cancelled"
    decode_html_entities: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 10_000:
            raise ValueError(f"page_size must be 1-10000, got {self.page_size}")
        if not self.deleted_status.strip() or len(self.deleted_status) > 50:
            raise ValueError("deleted_status must be 1-50 characters")


@dataclass(frozen=True, slots=True)
class Window:
    """The modification times asked for: ``start`` to ``end``, each a whole UTC minute."""

    start: datetime
    end: datetime

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> Window:
        """The window of the ``start_date``/``end_date`` parameters; seconds are dropped."""
        if not start or not end:
            raise ExportRequestError("start_date and end_date are both required")
        try:
            first, last = parse_customstore(start), parse_customstore(end)
        except WireTimeError as exc:
            raise ExportRequestError(str(exc)) from None
        window = cls(_minute(first), _minute(last))
        if window.end < window.start:
            raise ExportRequestError("end_date is before start_date")
        return window

    @property
    def stop(self) -> datetime:
        """The first instant after the window (``end`` is a whole minute, included)."""
        return self.end + timedelta(minutes=1)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass
class ExportPage:
    """One page: the ``pages`` count, its orders (each a written ``<Order>`` element, UTF-8),
    and what had to be left out."""

    pages: int
    orders: list[bytes] = field(default_factory=list)
    skipped: int = 0
    repaired: int = 0
    """Values cut or otherwise repaired to fit (the mapping's warnings), over the page."""


class NativeExport:
    """The export of one native-store connection."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: str,
        rules: Rules,
        *,
        source: str,
        options: ExportOptions | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.connection = connection
        self.rules = export_rules(rules)
        self.source = source
        self.shaper = OrderShaper(self.rules, source)
        self.options = options if options is not None else ExportOptions()
        self.now = now
        self._boundaries: OrderedDict[tuple[datetime, datetime, int], ExportKey] = OrderedDict()
        self._counts: OrderedDict[tuple[datetime, datetime], tuple[int, datetime]] = OrderedDict()

    def __repr__(self) -> str:
        return f"NativeExport(connection={self.connection!r})"

    async def page(self, window: Window, page: int) -> ExportPage:
        """Page ``page`` (from 1) of ``window``; a page past the end is empty, same ``pages``."""
        if page < 1:
            raise ExportRequestError(f"page must be 1 or more, got {page}")
        size = self.options.page_size
        async with self.engine.connect() as conn:
            total = await self._count(conn, window, page)
            pages = -(-total // size)
            if pages > MAX_PAGES:
                raise ExportRequestError(
                    f"the window holds {total} orders, more than {MAX_PAGES} pages; ask for a "
                    "shorter window"
                )
            result = ExportPage(pages=pages)
            if page > pages:
                return result
            after = await self._start_of(conn, window, page)
            rows = await modified_after(
                conn, self.connection, window.start, window.stop, after, size
            )
        if rows and page < pages:
            self._remember((window.start, window.end, page + 1), _key(rows[-1]))
        now = self.now()
        for row in rows:
            built = self._order(row, now)
            if built is None:
                result.skipped += 1
            else:
                written, repaired = built
                result.orders.append(written)
                result.repaired += repaired
        return result

    async def _count(self, conn: AsyncConnection, window: Window, page: int) -> int:
        """The window's order count: counted on page 1, reused for the pages that follow."""
        key, now = (window.start, window.end), self.now()
        cached = self._counts.get(key)
        if page > 1 and cached is not None and now - cached[1] < _COUNT_TTL:
            return cached[0]
        total = await count_modified(conn, self.connection, window.start, window.stop)
        self._counts[key] = (total, now)
        self._counts.move_to_end(key)
        while len(self._counts) > _BOUNDARY_CACHE:
            self._counts.popitem(last=False)
        return total

    async def _start_of(self, conn: AsyncConnection, window: Window, page: int) -> ExportKey | None:
        if page == 1:
            return None
        cached = self._boundaries.get((window.start, window.end, page))
        if cached is not None:
            return cached
        position = (page - 1) * self.options.page_size - 1
        return await key_at(conn, self.connection, window.start, window.stop, position)

    def _remember(self, where: tuple[datetime, datetime, int], key: ExportKey) -> None:
        self._boundaries[where] = key
        self._boundaries.move_to_end(where)
        while len(self._boundaries) > _BOUNDARY_CACHE:
            self._boundaries.popitem(last=False)

    def _order(self, row: NativeOrder, now: datetime) -> tuple[bytes, int] | None:
        try:
            order = Order.model_validate({**row.payload, "status": row.status, "deleted": False})
        except PydanticValidationError:
            log.warning(
                "customstore.unreadable_order", connection=self.connection, source_id=row.source_id
            )
            return None
        status = self.options.deleted_status if row.deleted else order.status
        if self.options.decode_html_entities:
            order = decode_entities(order)
        shaped = self.shaper.shape(order, now)
        if shaped is None:
            return None
        written = write_order(order, row.updated_at, status, shaped[0])
        return None if written is None else (written, shaped[1])


def _key(row: NativeOrder) -> ExportKey:
    return ExportKey(row.updated_at, row.source_id)


def export_rules(rules: Rules) -> Rules:
    """``rules`` with every status eligible: the export carries cancelled and held orders too."""
    eligibility = rules.eligibility.model_copy(
        update={"statuses": SENDABLE_STATUSES, "skip_on_hold": False}
    )
    return rules.model_copy(update={"eligibility": eligibility})


def decode_entities(order: Order) -> Order:
    """``order`` with HTML entities in its text decoded exactly once."""
    dumped = order.model_dump(mode="json")
    return Order.model_validate(_unescape(dumped))


def _unescape(value: object) -> object:
    if isinstance(value, str):
        return html.unescape(value)
    if isinstance(value, dict):
        return {key: _unescape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unescape(item) for item in value]
    return value


# --- one order, written -------------------------------------------------------------------------
#
# An order is written in two steps: the rules shape it (``Shaped``: the values the export
# writes, with the rules' cuts, fallbacks and SKU map applied), then ``write_order`` lays the
# shape out as the schema orders it. The full mapping (``shape_order``, through ``map_order``)
# shapes any order; ``OrderShaper`` shapes the common order, the one the rules find nothing
# to report on, for a small part of the cost, and hands every other order to the full mapping.


class Place(NamedTuple):
    """An address as shaped by the rules (cut to their limits)."""

    name: str | None
    company: str | None
    street1: str | None
    street2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    phone: str | None


class ItemShape(NamedTuple):
    """One item as shaped by the rules; ``weight`` is in ``units`` (the schema's name for
    them), both ``None`` unless both are known. ``options`` are (name, value) pairs."""

    key: str | None
    sku: str | None
    name: str | None
    adjustment: bool
    image_url: str | None
    weight: Decimal | None
    units: str | None
    quantity: int
    unit_price: Decimal
    location: str | None
    options: tuple[tuple[str | None, str | None], ...]


class Shaped(NamedTuple):
    """What the rules make of an order, as far as the export writes it."""

    ship_to: Place | None
    bill_to: Place | None
    email: str | None
    username: str | None
    items: list[ItemShape]
    shipping: Decimal
    tax: Decimal
    shipping_method: str | None
    payment_method: str | None
    customer_notes: str | None
    internal_notes: str | None
    gift: bool
    gift_message: str | None
    custom_fields: tuple[str | None, str | None, str | None]
    source: str | None


def shape_order(
    order: Order, rules: Rules, *, source: str, now: datetime
) -> tuple[Shaped, int] | None:
    """``order`` shaped by the full mapping, and how many values it repaired; ``None`` (the
    reason logged) when the rules refuse the order."""
    mapped = map_order(order, rules, source=source, now=now)
    if mapped.payload is None:
        log.warning(
            "customstore.order_left_out",
            order=order.source_id,
            reason=mapped.skip_reason or "; ".join(p.field for p in mapped.errors),
        )
        return None
    return _shaped(mapped.payload), len(mapped.warnings)


def _shaped(payload: ss.Order) -> Shaped:
    advanced = payload.advancedOptions or ss.AdvancedOptions()
    return Shaped(
        ship_to=_place(payload.shipTo),
        bill_to=_place(payload.billTo),
        email=payload.customerEmail,
        username=payload.customerUsername,
        items=[_item_shape(item) for item in payload.items or []],
        shipping=payload.shippingAmount or Decimal(0),
        tax=payload.taxAmount or Decimal(0),
        shipping_method=payload.requestedShippingService,
        payment_method=payload.paymentMethod,
        customer_notes=payload.customerNotes,
        internal_notes=payload.internalNotes,
        gift=bool(payload.gift),
        gift_message=payload.giftMessage,
        custom_fields=(advanced.customField1, advanced.customField2, advanced.customField3),
        source=advanced.source,
    )


def _place(address: ss.Address | None) -> Place | None:
    if address is None:
        return None
    return Place(
        name=address.name,
        company=address.company,
        street1=address.street1,
        street2=address.street2,
        city=address.city,
        state=address.state,
        postal_code=address.postalCode,
        country=address.country,
        phone=address.phone,
    )


def _item_shape(item: ss.OrderItem) -> ItemShape:
    weight = item.weight
    units = _WEIGHT_UNITS.get((weight.units or "").lower()) if weight is not None else None
    value = weight.value if weight is not None and units is not None else None
    return ItemShape(
        key=item.lineItemKey,
        sku=item.sku,
        name=item.name,
        adjustment=bool(item.adjustment),
        image_url=item.imageUrl,
        weight=value,
        units=units if value is not None else None,
        quantity=item.quantity or 0,
        unit_price=item.unitPrice or Decimal(0),
        location=item.warehouseLocation,
        options=tuple((option.name, option.value) for option in item.options or []),
    )


def write_order(
    order: Order, modified: datetime, status: str | None, shaped: Shaped
) -> bytes | None:
    """The ``<Order>`` element of ``order`` as ``shaped``, modified at ``modified``, with
    ``status`` as its ``OrderStatus`` (default: the order's own).

    ``None`` (logged) when the shipping address lacks what the schema requires (a name, a
    street, a city or a two-letter country).
    """
    ship_to = shaped.ship_to
    if ship_to is None or not (
        ship_to.name
        and ship_to.street1
        and ship_to.city
        and ship_to.country
        and len(ship_to.country) == 2
    ):
        log.warning("customstore.order_left_out", order=order.source_id, reason="shipTo")
        return None
    items = shaped.items
    total = sum((item.unit_price * item.quantity for item in items), Decimal(0))
    total = total + shaped.shipping + shaped.tax  # as the mapping's total check adds them
    code = _fit(shaped.username or shaped.email or order.number, 50)
    first, second, third = shaped.custom_fields
    out = OrderText()
    out.text("OrderID", order.source_id if len(order.source_id) <= 50 else None)
    out.text("OrderNumber", _fit(order.number, 50))
    out.plain("OrderDate", render_customstore(order.created_at))
    out.text("OrderStatus", _fit(status if status is not None else order.status, 50))
    out.plain("LastModified", render_customstore(modified))
    out.text("ShippingMethod", _opt(shaped.shipping_method, 100))
    out.text("PaymentMethod", _opt(shaped.payment_method, 50))
    out.plain("OrderTotal", _money(total))
    out.plain("TaxAmount", _money(shaped.tax))
    out.plain("ShippingAmount", _money(shaped.shipping))
    out.text("CustomerNotes", _opt(shaped.customer_notes, 1000))
    out.text("InternalNotes", _opt(shaped.internal_notes, 1000))
    out.plain("Gift", "true" if shaped.gift else "false")
    out.text("GiftMessage", _opt(shaped.gift_message, 1000))
    out.text("CustomField1", _opt(first, 100))
    out.text("CustomField2", _opt(second, 100))
    out.text("CustomField3", _opt(third, 100))
    out.text("RequestedWarehouse", _opt(order.warehouse, 100))
    out.text("Source", _opt(shaped.source, 50))
    out.start("Customer")
    out.text("CustomerCode", code)
    out.start("BillTo")
    _write_bill_to(out, shaped.bill_to or _NOWHERE, shaped.email, _fit(ship_to.name, 100))
    out.end("BillTo")
    out.start("ShipTo")
    _write_ship_to(out, ship_to)
    out.end("ShipTo")
    out.end("Customer")
    out.start("Items")
    for item in items:
        _write_item(out, item)
    out.end("Items")
    return out.finish()


def _fit(text: str, limit: int) -> str:
    """Cut by characters (never bytes), after the stripping the writer would do anyway."""
    return text[:limit]


def _opt(text: str | None, limit: int) -> str | None:
    return _fit(text, limit) if text else None


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _write_ship_to(out: OrderText, address: Place) -> None:
    """A shipping address known to have a name, a street, a city and a two-letter country."""
    out.text("Name", _fit(address.name or "", 100))
    out.text("Company", _opt(address.company, 100))
    out.text("Address1", _fit(address.street1 or "", 200))
    out.text("Address2", _opt(address.street2, 200))
    out.text("City", _fit(address.city or "", 100))
    out.text("State", _opt(address.state, 100))
    out.text("PostalCode", _fit(address.postal_code or "", 50))
    out.text("Country", address.country)
    out.text("Phone", _opt(address.phone, 50))


_NOWHERE: Final = Place(None, None, None, None, None, None, None, None, None)


def _write_bill_to(out: OrderText, address: Place, email: str | None, ship_name: str) -> None:
    """The billing address; without a name of its own, it takes the shipping name."""
    country = address.country if address.country and len(address.country) == 2 else None
    out.text("Name", _fit(address.name, 100) if address.name else ship_name)
    out.text("Company", _opt(address.company, 100))
    out.text("Phone", _opt(address.phone, 50))
    out.text("Email", email if email and len(email) <= 100 else None)
    out.text("Address1", _opt(address.street1, 200))
    out.text("Address2", _opt(address.street2, 200))
    out.text("City", _opt(address.city, 100))
    out.text("State", _opt(address.state, 100))
    out.text("PostalCode", _opt(address.postal_code, 50))
    out.text("Country", country)


def _write_item(out: OrderText, item: ItemShape) -> None:
    image, weight = item.image_url, item.weight
    options = [(name, value) for name, value in item.options[:MAX_OPTIONS] if name]
    out.start("Item")
    out.text("LineItemID", _opt(item.key, 50))
    out.text("SKU", _fit(item.sku or "", 50))
    out.text("Name", _fit(item.name or "", 200))
    out.plain("Adjustment", "true" if item.adjustment else None)
    out.text("ImageUrl", image if image and len(image) <= 500 and image.isprintable() else None)
    if weight is not None:
        out.plain("Weight", f"{weight:.2f}")
        out.plain("WeightUnits", item.units or None)
    out.plain("Quantity", str(item.quantity))
    out.plain("UnitPrice", _money(item.unit_price))
    out.text("Location", _opt(item.location, 100))
    if options:
        out.start("Options")
        for name, value in options:
            out.start("Option")
            out.text("Name", _fit(name, 100))
            out.text("Value", _fit(value or "", 100))
            out.end("Option")
        out.end("Options")
    out.end("Item")


# --- the shortcut for orders the rules have nothing to say about -------------------------------


class OrderShaper:
    """Orders shaped for the export under one connection's (export) rules.

    Mapping every order in full builds and checks a whole ShipStation REST order, most of
    which the XML never uses, and that was most of an export's time. ``shortcut`` shapes an
    order directly when the full mapping would have nothing to report on it but a missing
    address filled from the other one: no error, no other repair, no rule holding it back.
    It checks every condition under which the full mapping would report anything else, and
    hands any order meeting one of them to the full mapping, so the elements (and the
    refusals and repair counts) are the same either way.
    """

    def __init__(self, rules: Rules, source: str) -> None:
        self.rules = rules
        self.source = source
        self._limits = rules.limits
        self._templates = list(rules.custom_fields.templates().items())
        money = rules.money
        self._currency = money.account_currency
        self._usd_rate = money.rate(money.account_currency, "USD")
        self._known_statuses: dict[str, bool] = {}
        self._marketplace = rules.marketplace or source
        self.enabled = _shortcut_applies(rules, source)

    def __repr__(self) -> str:
        return f"OrderShaper(source={self.source!r}, shortcut={self.enabled})"

    def shape(self, order: Order, now: datetime) -> tuple[Shaped, int] | None:
        """Like ``shape_order`` under these rules, through the shortcut where it applies."""
        shaped = self.shortcut(order, now)
        if shaped is None:
            return shape_order(order, self.rules, source=self.source, now=now)
        return shaped

    def shortcut(self, order: Order, now: datetime) -> tuple[Shaped, int] | None:
        """``order`` shaped as the full mapping would shape it, and how many values that
        repaired (a missing address filled from the other one: the only repair taken here);
        ``None`` when the full mapping has anything else to say about it (it then decides)."""
        if not (self.enabled and self._plain_order(order, now)):
            return None
        limits = self._limits
        billing, shipping, repaired = self._fall_back(order)
        if shipping is None or billing is None:
            return None  # refused, or billed to the customer's name alone
        ship_to = self._ship_to(shipping)
        bill_to = self._bill_to(billing)
        if ship_to is None or bill_to is None:
            return None
        items = self._items(order)
        if items is None:
            return None
        shipping_amount = order.shipping_amount - (
            order.shipping_tax if order.prices_include_tax else Decimal(0)
        )
        country = ship_to.country
        if country not in self.rules.international.domestic_countries and not self._customs(
            order, items
        ):
            return None
        custom_fields = self._custom_fields(order, country)
        if custom_fields is None:
            return None
        total = sum((item.unit_price * item.quantity for item in items), Decimal(0))
        if total + shipping_amount + order.tax_amount != order.total:
            return None  # reported: ShipStation would compute another total
        username = order.customer_username or order.customer_email
        if (
            _over(username, limits.name)
            or _over(order.customer_email, limits.email)
            or _over(order.customer_notes, limits.notes)
            or _over(order.internal_notes, limits.notes)
            or _over(order.gift_message, limits.gift_message)
            or _over(order.payment_method, limits.payment_method)
            or _over(order.requested_service, limits.requested_service)
        ):
            return None  # cut or left out, with a warning
        return Shaped(
            ship_to=ship_to,
            bill_to=bill_to,
            email=order.customer_email,
            username=username,
            items=items,
            shipping=shipping_amount,
            tax=order.tax_amount,
            shipping_method=order.requested_service,
            payment_method=order.payment_method,
            customer_notes=order.customer_notes,
            internal_notes=order.internal_notes,
            gift=order.gift,
            gift_message=order.gift_message,
            custom_fields=custom_fields,
            source=self._marketplace,
        ), repaired

    def _plain_order(self, order: Order, now: datetime) -> bool:
        """No status, eligibility, currency, number, routing, date or weight question."""
        if now.tzinfo is None or now.utcoffset() is None or order.deleted:
            return False
        if not self._known(order.status) or order.currency != self._currency:
            return False
        if len(order.number) > self._limits.order_number:
            return False
        eligibility = self.rules.eligibility
        start, window = eligibility.sync_start, eligibility.ship_window_days
        if start is not None and order.created_at < start:
            return False
        ship_by = order.ship_by
        if window is not None and ship_by is not None and now < ship_by - timedelta(days=window):
            return False
        locations, warehouse = self.rules.warehouses.by_location, order.warehouse
        if locations and warehouse is not None and warehouse not in locations:
            return False  # reported: routed by country or to the default
        earliest, latest = _SAFE_DATES
        for moment in (order.created_at, order.paid_at, ship_by):
            if moment is not None and not earliest < moment < latest:
                return False
        return _weight_fits(order)

    def _fall_back(self, order: Order) -> tuple[Address | None, Address | None, int]:
        """The billing and shipping addresses, a missing one filled from the other where
        the rules say so; and how many were filled."""
        billing, shipping = order.billing, order.shipping
        if billing is not None and billing.is_empty:
            billing = None
        if shipping is not None and shipping.is_empty:
            shipping = None
        mode, filled = self.rules.address.fallback, 0
        if shipping is None and billing is not None and mode in _TO_SHIPPING:
            shipping, filled = billing, filled + 1
        if billing is None and shipping is not None and mode in _TO_BILLING:
            billing, filled = shipping, filled + 1
        return billing, shipping, filled

    def _known(self, status: str) -> bool:
        known = self._known_statuses.get(status)
        if known is None:
            known = self.rules.status.resolve(status)[1]
            if len(self._known_statuses) < _STATUS_MEMO:
                self._known_statuses[status] = known
        return known

    def _ship_to(self, shipping: Address) -> Place | None:
        """The shipping address when it has all ShipStation needs; its state upper-cased
        where the rules require a two-letter state."""
        name, country, postcode = shipping.name, shipping.country, shipping.postal_code
        if name is None or shipping.street1 is None or shipping.city is None:
            return None
        if country is None or not is_iso_country(country):
            return None
        address_rules = self.rules.address
        if postcode is None:
            if country not in address_rules.postcode_optional_countries:
                return None
        elif len(postcode) > self._limits.postal_code:
            return None
        state = shipping.state
        if country in address_rules.state_required_countries:
            if state is None or len(state) != 2 or not state.isascii() or not state.isalpha():
                return None
            state = state.upper()
        return self._place(shipping, name, state)

    def _bill_to(self, billing: Address) -> Place | None:
        country = billing.country
        if billing.name is None or (country is not None and not is_iso_country(country)):
            return None
        return self._place(billing, billing.name, billing.state)

    def _place(self, address: Address, name: str, state: str | None) -> Place | None:
        """``address`` as a ``Place``, or ``None`` when a part is over its limit."""
        limits = self._limits
        if (
            len(name) > limits.name
            or _over(address.company, limits.company)
            or _over(address.street1, limits.street)
            or _over(address.street2, limits.street)
            or _over(address.street3, limits.street)
            or _over(address.city, limits.city)
            or _over(state, limits.state)
            or _over(address.phone, limits.phone)
        ):
            return None
        return Place(
            name=name,
            company=address.company,
            street1=address.street1,
            street2=address.street2,
            city=address.city,
            state=state,
            postal_code=address.postal_code,
            country=address.country,
            phone=address.phone,
        )

    def _items(self, order: Order) -> list[ItemShape] | None:
        """The lines, then each discount as a negative adjustment line."""
        lines = order.lines
        if all(line.adjustment for line in lines):
            return None  # no product lines: refused
        limits, include_tax = self._limits, order.prices_include_tax
        sku_map = self.rules.sku_map
        items: list[ItemShape] = []
        for line in lines:
            unit = line.unit_price
            if include_tax and line.tax != 0:
                net = line.gross - line.tax
                unit = round_to_minor(net / line.quantity, order.currency)
                if unit * line.quantity != net:
                    return None  # reported: the units cannot carry the tax exactly
            if len(line.name) > limits.item_name:
                return None
            for option in line.options:
                if len(option.name) > limits.option or len(option.value) > limits.option:
                    return None
            weight, units = None, None
            if line.weight is not None:
                units, factor = _WIRE_WEIGHT[line.weight.unit]
                weight = (line.weight.value * factor).normalize()
            items.append(
                ItemShape(
                    key=line_item_key(line.line_id),
                    sku=None if line.sku is None else sku_map.get(line.sku, line.sku),
                    name=line.name,
                    adjustment=line.adjustment,
                    image_url=line.image_url,
                    weight=weight,
                    units=units,
                    quantity=line.quantity,
                    unit_price=unit,
                    location=line.warehouse_location,
                    options=tuple((option.name, option.value) for option in line.options),
                )
            )
        used = {item.key for item in items}
        for discount in order.discounts:
            base, name = f"discount:{discount.code}", f"Discount {discount.code}"
            if discount.line_id is not None:
                base = f"{base}:{discount.line_id}"
                line_of = order.line(discount.line_id)
                name = f"{name} on {line_of.name if line_of else discount.line_id}"
            key, repeat = line_item_key(base), 1
            while key in used:
                repeat += 1
                key = line_item_key(f"{base}#{repeat}")
            used.add(key)
            net = discount.amount - (discount.tax if include_tax else Decimal(0))
            if len(name) > limits.item_name:
                return None
            items.append(
                ItemShape(
                    key=key,
                    sku=None,
                    name=name,
                    adjustment=True,
                    image_url=None,
                    weight=None,
                    units=None,
                    quantity=1,
                    unit_price=-net,
                    location=None,
                    options=(),
                )
            )
        return items

    def _customs(self, order: Order, items: list[ItemShape]) -> bool:
        """Whether every product line declares completely, in values that can be sent."""
        rate = self._usd_rate
        if rate is None and order.currency != "USD":
            return False
        for line, item in zip(order.lines, items, strict=False):
            if line.adjustment:
                continue
            customs = line.customs
            if customs is None or customs.hs_code is None or customs.country_of_origin is None:
                return False  # reported as incomplete
            if not is_iso_country(customs.country_of_origin):
                return False
            if rate is not None and order.currency != "USD":
                value = customs.value if customs.value is not None else item.unit_price
                if not _sendable(round_to_minor(value * rate, "USD")):
                    return False
        return True

    def _custom_fields(
        self, order: Order, country: str | None
    ) -> tuple[str | None, str | None, str | None] | None:
        """``customField1..3`` from their templates, or ``None`` when one lacks a value of
        the order's or is over its limit (both reported)."""
        rendered: dict[str, str] = {}
        if self._templates:
            key = order_key(self.source, order.source_id)
            values = template_values(order, self.source, key, country)
            for wire_name, template in self._templates:
                text, missing = render_template(template, values, order.custom)
                if missing or len(text) > self._limits.custom_field:
                    return None
                if text:
                    rendered[wire_name] = text
        return (
            rendered.get("customField1"),
            rendered.get("customField2"),
            rendered.get("customField3"),
        )


_TO_SHIPPING: Final = frozenset({"billing_to_shipping", "both"})
_TO_BILLING: Final = frozenset({"shipping_to_billing", "both"})
_STATUS_MEMO: Final = 1024
"""Store statuses whose lookup in the status map is remembered (a store has a handful)."""
_SAFE_DATES: Final = (datetime(2, 1, 1, tzinfo=UTC), datetime(9998, 12, 31, tzinfo=UTC))
"""Dates the REST wire can carry in Pacific time; the full mapping judges any other."""
_WEIGHT_BOUND: Final = Decimal(10) ** 10
"""Sum of quantity × weight (in the lines' units) under which the order's weight in grams
(at most 1000 times as much), to the hundredth, has at most 15 digits, as JSON requires."""
_WIRE_WEIGHT: Final[dict[WeightUnit, tuple[str, Decimal]]] = {
    "g": ("Grams", Decimal(1)),
    "kg": ("Grams", Decimal(1000)),
    "oz": ("Ounces", Decimal(1)),
    "lb": ("Pounds", Decimal(1)),
}
"""A line weight's unit as the mapping sends it: the schema's name for it, and the factor."""


def _shortcut_applies(rules: Rules, source: str) -> bool:
    """Whether the shortcut can stand in for the full mapping under ``rules`` at all: the
    export's eligibility, a valid source, a marketplace name within its limit, and templates
    whose placeholders it knows."""
    eligibility = rules.eligibility
    if eligibility.statuses != SENDABLE_STATUSES or eligibility.skip_on_hold:
        return False
    try:
        order_key(source, "-")
    except ValueError:
        return False  # the full mapping raises; let it
    if len(rules.marketplace or source) > rules.limits.source:
        return False
    placeholders = {
        name
        for template in rules.custom_fields.templates().values()
        for _, name in parse_template(template)
        if name is not None
    }
    return all(name in TEMPLATE_FIELDS or name.startswith(CUSTOM_PREFIX) for name in placeholders)


def _sendable(amount: Decimal) -> bool:
    """Whether ``amount`` is a JSON number exactly, which the full mapping insists on.

    An order's own amounts always are (at most 15 digits, 9 before the point), and so is
    what the mapping derives from them by subtraction or by rounding to a currency's minor
    unit; a converted amount and the order's weight in grams need not be.
    """
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):
        return False
    return exponent >= 0 or Decimal(repr(float(amount))) == amount


def _weight_fits(order: Order) -> bool:
    """Whether the order's weight, when the mapping sends one, is sure to be sendable."""
    bound = Decimal(0)
    for line in order.lines:
        if line.adjustment:
            continue
        if line.weight is None:
            return True  # no order weight is sent
        bound += line.weight.value * line.quantity
    return bound < _WEIGHT_BOUND


def _over(text: str | None, limit: int) -> bool:
    return text is not None and len(text) > limit

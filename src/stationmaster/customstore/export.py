"""The Custom Store export: which orders a window holds, page by page, as XML-ready elements.

ShipStation asks for every order modified in a UTC window (minute precision, both ends
included), whatever its status, ``page`` by ``page``. Orders go in ``(updated_at, source_id)``
order, so pages do not shift while ShipStation walks them. Each order goes through the push
mode's rules (``map_order``: address fallback, limits, SKU map, discounts as negative lines,
tax), with the eligibility by status switched off, since cancellations and shipped orders
must reach ShipStation too; ``OrderStatus`` is the store's own status text. An order the rules
refuse (an error, or held back by the sync start) is left out of its page and counted.

A page starts from a key, never an offset over rows: the key after page N is remembered
when page N is served (ShipStation walks pages in order), and otherwise found by reading the
window's index entries only.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster.customstore.writer import Node, Plain
from stationmaster.db.native_export import ExportKey, count_modified, key_at, modified_after
from stationmaster.db.native_orders import NativeOrder
from stationmaster.domain import Order
from stationmaster.shipstation import models as ss
from stationmaster.sync.mapping import map_order
from stationmaster.sync.rules import SENDABLE_STATUSES, Rules
from stationmaster.wiretime import WireTimeError, parse_customstore, render_customstore, utcnow

log = structlog.get_logger("stationmaster.customstore.export")

MAX_PAGES: Final = 32767
"""``pages`` is an ``xs:short`` in the published schema."""
MAX_OPTIONS: Final = 10
"""The guide's limit per item (the schema allows 100): the stricter one is kept."""
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
    """One page: the ``pages`` count, its orders as elements, and what had to be left out."""

    pages: int
    orders: list[list[Node]] = field(default_factory=list)
    skipped: int = 0
    repaired: int = 0
    """Orders whose values were cut or otherwise repaired to fit (see the mapping warnings)."""


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
                nodes, repaired = built
                result.orders.append(nodes)
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

    def _order(self, row: NativeOrder, now: datetime) -> tuple[list[Node], int] | None:
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
        return order_elements(
            order, row.updated_at, self.rules, source=self.source, now=now, status=status
        )


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


# --- one order as elements ----------------------------------------------------------------------


def order_elements(
    order: Order,
    modified: datetime,
    rules: Rules,
    *,
    source: str,
    now: datetime,
    status: str | None = None,
) -> tuple[list[Node], int] | None:
    """``order`` as the children of its ``<Order>``, and how many values were repaired.

    ``None`` when the rules refuse the order or it lacks what the schema requires (a
    shipping street, city or country); the reason is logged.
    """
    mapped = map_order(order, rules, source=source, now=now)
    payload = mapped.payload
    if payload is None:
        log.warning(
            "customstore.order_left_out",
            order=order.source_id,
            reason=mapped.skip_reason or "; ".join(p.field for p in mapped.errors),
        )
        return None
    ship_to = _ship_to(payload.shipTo)
    if ship_to is None:
        log.warning("customstore.order_left_out", order=order.source_id, reason="shipTo")
        return None
    items = payload.items or []
    shipping = payload.shippingAmount or Decimal(0)
    tax = payload.taxAmount or Decimal(0)
    total = sum((_gross(item) for item in items), Decimal(0)) + shipping + tax
    code = _fit(payload.customerUsername or payload.customerEmail or order.number, 50)
    advanced = payload.advancedOptions or ss.AdvancedOptions()
    nodes: list[tuple[str, str | Plain | Sequence[Node] | None]] = [
        ("OrderID", order.source_id if len(order.source_id) <= 50 else None),
        ("OrderNumber", _fit(order.number, 50)),
        ("OrderDate", Plain(render_customstore(order.created_at))),
        ("OrderStatus", _fit(status if status is not None else order.status, 50)),
        ("LastModified", Plain(render_customstore(modified))),
        ("ShippingMethod", _opt(payload.requestedShippingService, 100)),
        ("PaymentMethod", _opt(payload.paymentMethod, 50)),
        ("OrderTotal", _money(total)),
        ("TaxAmount", _money(tax)),
        ("ShippingAmount", _money(shipping)),
        ("CustomerNotes", _opt(payload.customerNotes, 1000)),
        ("InternalNotes", _opt(payload.internalNotes, 1000)),
        ("Gift", Plain("true" if payload.gift else "false")),
        ("GiftMessage", _opt(payload.giftMessage, 1000)),
        ("CustomField1", _opt(advanced.customField1, 100)),
        ("CustomField2", _opt(advanced.customField2, 100)),
        ("CustomField3", _opt(advanced.customField3, 100)),
        ("RequestedWarehouse", _opt(order.warehouse, 100)),
        ("Source", _opt(advanced.source, 50)),
        (
            "Customer",
            [
                ("CustomerCode", code),
                ("BillTo", _bill_to(payload.billTo, payload.customerEmail, ship_to, code)),
                ("ShipTo", ship_to),
            ],
        ),
        ("Items", [("Item", _item(item)) for item in items]),
    ]
    return _present(nodes), len(mapped.warnings)


def _present(nodes: Sequence[tuple[str, str | Plain | Sequence[Node] | None]]) -> list[Node]:
    return [(name, value) for name, value in nodes if value is not None]


def _fit(text: str, limit: int) -> str:
    """Cut by characters (never bytes), after the stripping the writer would do anyway."""
    return text[:limit]


def _opt(text: str | None, limit: int) -> str | None:
    return _fit(text, limit) if text else None


def _money(amount: Decimal) -> Plain:
    return Plain(f"{amount:.2f}")


def _gross(item: ss.OrderItem) -> Decimal:
    return (item.unitPrice or Decimal(0)) * (item.quantity or 0)


def _ship_to(address: ss.Address | None) -> list[Node] | None:
    if address is None:
        return None
    name, street, city = address.name, address.street1, address.city
    country = address.country
    if not (name and street and city and country and len(country) == 2):
        return None
    return _present(
        [
            ("Name", _fit(name, 100)),
            ("Company", _opt(address.company, 100)),
            ("Address1", _fit(street, 200)),
            ("Address2", _opt(address.street2, 200)),
            ("City", _fit(city, 100)),
            ("State", _opt(address.state, 100)),
            ("PostalCode", _fit(address.postalCode or "", 50)),
            ("Country", country),
            ("Phone", _opt(address.phone, 50)),
        ]
    )


def _bill_to(
    address: ss.Address | None, email: str | None, ship_to: list[Node], code: str
) -> list[Node]:
    given = address or ss.Address()
    fallback_name = next((value for name, value in ship_to if name == "Name"), code)
    country = given.country if given.country and len(given.country) == 2 else None
    return _present(
        [
            ("Name", _fit(given.name, 100) if given.name else fallback_name),
            ("Company", _opt(given.company, 100)),
            ("Phone", _opt(given.phone, 50)),
            ("Email", email if email and len(email) <= 100 else None),
            ("Address1", _opt(given.street1, 200)),
            ("Address2", _opt(given.street2, 200)),
            ("City", _opt(given.city, 100)),
            ("State", _opt(given.state, 100)),
            ("PostalCode", _opt(given.postalCode, 50)),
            ("Country", country),
        ]
    )


def _item(item: ss.OrderItem) -> list[Node]:
    weight = item.weight
    units = _WEIGHT_UNITS.get((weight.units or "").lower()) if weight is not None else None
    weight_value = weight.value if weight is not None and units is not None else None
    options = [
        [("Name", _fit(option.name, 100)), ("Value", _fit(option.value or "", 100))]
        for option in (item.options or [])[:MAX_OPTIONS]
        if option.name
    ]
    image = item.imageUrl
    return _present(
        [
            ("LineItemID", _opt(item.lineItemKey, 50)),
            ("SKU", _fit(item.sku or "", 50)),
            ("Name", _fit(item.name or "", 200)),
            ("Adjustment", Plain("true") if item.adjustment else None),
            ("ImageUrl", image if image and len(image) <= 500 and image.isprintable() else None),
            ("Weight", Plain(f"{weight_value:.2f}") if weight_value is not None else None),
            ("WeightUnits", Plain(units) if weight_value is not None and units else None),
            ("Quantity", Plain(str(item.quantity or 0))),
            ("UnitPrice", _money(item.unitPrice or Decimal(0))),
            ("Location", _opt(item.warehouseLocation, 100)),
            ("Options", [("Option", option) for option in options] if options else None),
        ]
    )

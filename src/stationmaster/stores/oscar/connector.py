"""The Oscar store: stationmaster's :class:`~stationmaster.stores.protocol.Store` over a shop.

Source ids are Oscar order primary keys (as text); line ids are order line primary keys. The
change feed reads the app's change log (:mod:`.changelog`), so its cursor is a change number;
every ORM call runs in a worker thread (:mod:`.orm`). Reads map orders with :mod:`.mapping`,
writes go through the shop's own ``EventHandler`` (:mod:`.status`, :mod:`.shipping`) and
stock records (:mod:`.stock`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from oscar.core.loading import get_model  # type: ignore[import-untyped]
from pydantic import JsonValue

from stationmaster.domain import Order, Shipment
from stationmaster.stores.oscar import changelog, mapping, shipping, status, stock
from stationmaster.stores.oscar.errors import InvalidInput, UnknownOrder
from stationmaster.stores.oscar.kind import OscarSettings
from stationmaster.stores.oscar.orm import run_orm
from stationmaster.stores.protocol import Capability, ChangeBatch, StockReceipt, Unreadable

log = structlog.get_logger("stationmaster.stores.oscar")

OSCAR_CAPABILITIES: frozenset[Capability] = frozenset(
    {"orders", "status", "shipments", "stock", "stock_keys"}
)
#: Stock records hold 32-bit levels on most databases; a delta beyond this is a mistake.
STOCK_DELTA_LIMIT = 2**31 - 1


class OscarStore:
    """One django-oscar shop (the Django project this process has set up)."""

    kind = "oscar"
    capabilities: frozenset[Capability] = OSCAR_CAPABILITIES

    def __init__(self, settings: OscarSettings | None = None, *, connection: str = "oscar") -> None:
        self.settings = settings or OscarSettings()
        self.connection = connection
        self.options = mapping.MappingOptions(
            prices_include_tax=self.settings.prices_include_tax,
            weight_attribute=self.settings.weight_attribute,
            weight_unit=self.settings.weight_unit,
        )
        self.event_types = shipping.EventTypes(
            shipped=self.settings.shipped_event_type, voided=self.settings.voided_event_type
        )

    def __repr__(self) -> str:
        return f"OscarStore(connection={self.connection!r})"

    # ------------------------------------------------------------------ the change feed

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        """Orders changed after ``cursor`` (a change number; ``None``: from the start)."""
        after = _change_number(cursor)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput(f"limit must be a positive integer, got {limit!r}")
        return await run_orm(lambda: self._page(after, limit))

    def _page(self, after: int, limit: int) -> ChangeBatch:
        wait = timedelta(seconds=self.settings.gap_wait_seconds)
        page = changelog.read_page(after, limit, now=timezone.now(), gap_wait=wait)
        found = self._load([change.order_id for change in page.changes])
        wanted = self.settings.statuses
        orders: list[Order] = []
        unreadable: list[Unreadable] = []
        for change in page.changes:
            order = found.get(change.order_id)
            if order is None or (wanted is not None and order.status not in wanted):
                continue  # deleted from the shop, or not a status this connection syncs
            try:
                orders.append(mapping.map_order(order, change.changed_at, self.options))
            except mapping.Unmappable as exc:
                log.warning(
                    "oscar.unreadable_order",
                    connection=self.connection,
                    source_id=str(order.pk),
                    number=order.number,
                    reason=exc.reason,
                )
                unreadable.append(Unreadable(str(order.pk), exc.reason, order.number))
        return ChangeBatch(orders, page.cursor, page.more, unreadable)

    def _load(self, pks: Sequence[int]) -> dict[int, Any]:
        orders = _orders().filter(pk__in=list(pks))
        return {order.pk: order for order in mapping.details(orders, self.options)}

    # ------------------------------------------------------------------ reads

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        """The orders among ``source_ids`` that exist and map (unmappable ones left out)."""
        pks = {
            pk: source_id for source_id in source_ids if (pk := _pk_or_none(source_id)) is not None
        }
        if not pks:
            return {}
        return await run_orm(lambda: self._by_id(pks))

    def _by_id(self, pks: dict[int, str]) -> dict[str, Order]:
        found = self._load(list(pks))
        changed = changelog.last_changed(found)
        orders: dict[str, Order] = {}
        for pk, order in found.items():
            try:
                orders[pks[pk]] = mapping.map_order(order, changed.get(pk), self.options)
            except mapping.Unmappable:
                continue
        return orders

    async def shipment_of(self, source_id: str) -> Shipment:
        """Every package recorded on the order (voided ones flagged)."""
        pk = _pk(source_id)
        return await run_orm(lambda: shipping.recorded(self._order(pk, source_id)))

    # ------------------------------------------------------------------ write-backs

    async def set_status(self, source_id: str, status_name: str) -> None:
        """Move the order to the shop's status ``status_name`` through Oscar's pipeline."""
        if not isinstance(status_name, str) or not status_name.strip():
            raise InvalidInput(f"status must be non-blank text, got {status_name!r}")
        pk = _pk(source_id)

        def change() -> None:
            try:
                status.set_status(pk, status_name)
            except ObjectDoesNotExist:
                raise UnknownOrder(source_id) from None

        await run_orm(change)

    async def apply_shipment(self, shipment: Shipment) -> None:
        """Record each package as a shipping event of the order, once per package key."""
        pk = _pk(shipment.order_source_id)

        def apply() -> None:
            order = self._order(pk, shipment.order_source_id)
            shipping.apply_shipment(order, shipment, self.event_types)

        await run_orm(apply)

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        """Add ``delta`` to the SKU's stock record; the new ``num_in_stock``.

        With ``key`` the change is made once per key (a repeat returns the current level).
        """
        return (await self._adjust(sku, delta, key, None))[0]

    async def adjust_stock_once(
        self, sku: str, delta: int, key: str, *, reason: str | None = None
    ) -> StockReceipt:
        """Add ``delta`` once per ``key``, the key kept in the shop's database with the change."""
        if not isinstance(key, str):
            raise InvalidInput(f"key must be text, got {key!r}")
        on_hand, applied = await self._adjust(sku, delta, key, reason)
        return StockReceipt(on_hand, applied)

    async def _adjust(
        self, sku: str, delta: int, key: str | None, reason: str | None
    ) -> tuple[int, bool]:
        if not isinstance(sku, str) or not sku.strip():
            raise InvalidInput(f"sku must be non-blank text, got {sku!r}")
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidInput(f"delta must be an integer, got {delta!r}")
        if abs(delta) > STOCK_DELTA_LIMIT:
            raise InvalidInput(f"delta {delta} is beyond ±{STOCK_DELTA_LIMIT}")
        if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > 255):
            raise InvalidInput(
                "an idempotency key must be non-blank text of at most 255 characters"
            )
        change = stock.Change(sku, delta, self.settings.partner, key, reason)
        return await run_orm(lambda: stock.adjust_stock(change))

    # ------------------------------------------------------------------ upkeep

    async def resync(self, since: datetime | None = None) -> int:
        """Log every order (placed since ``since``) as changed; see :func:`changelog.resync`."""
        return await run_orm(lambda: changelog.resync(since))

    # ------------------------------------------------------------------ helpers

    def _order(self, pk: int, source_id: str) -> Any:
        try:
            return _orders().get(pk=pk)
        except ObjectDoesNotExist:
            raise UnknownOrder(source_id) from None


def _orders() -> Any:
    return get_model("order", "Order")._default_manager.all()


def _change_number(cursor: JsonValue) -> int:
    if cursor is None:
        return 0
    if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
        raise InvalidInput(
            f"cursor {cursor!r} is not one of this store's: a change number, or None"
        )
    return cursor


def _pk_or_none(source_id: str) -> int | None:
    """Oscar's primary key for a source id, or ``None`` when it cannot be one."""
    if (
        not isinstance(source_id, str)
        or not source_id.isdigit()
        or source_id != str(int(source_id))
    ):
        return None
    return int(source_id)


def _pk(source_id: str) -> int:
    pk = _pk_or_none(source_id)
    if pk is None:
        raise UnknownOrder(source_id)
    return pk

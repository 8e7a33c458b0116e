"""The Medusa connector: a :class:`~stationmaster.stores.protocol.Store` over the v2 Admin API.

* Change feed: orders in the configured statuses, oldest ``updated_at`` first, with the cursor
  of :mod:`.feed`. An order that cannot be mapped is reported as
  :class:`~stationmaster.stores.protocol.Unreadable` and the feed goes on.
* Status: Medusa moves an order between statuses only through its own operations, so
  ``set_status`` takes the statuses that have one: ``canceled`` (``POST .../cancel``, refused
  by Medusa while the order has fulfillments that are not cancelled), ``completed`` and
  ``archived``. A refusal carries Medusa's reason.
* Shipments: fulfillments marked shipped, keyed by package (see :mod:`.packages`).
* Stock: not offered. Medusa keeps stock per inventory item and stock location, apart from the
  variant's SKU, and has no keyed adjustment; a connection that needs stock uses another
  source for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx2
import structlog
from pydantic import JsonValue

from stationmaster.domain import Order, Shipment
from stationmaster.stores.medusa.feed import (
    ORDER_FIELDS,
    SHIPMENT_FIELDS,
    list_params,
    parse_cursor,
)
from stationmaster.stores.medusa.mapping import UnmappableOrder, map_order, order_number
from stationmaster.stores.medusa.packages import (
    KEY_FIELD,
    LEDGER,
    Recorded,
    Step,
    labels,
    noted,
    plan,
    read_back,
)
from stationmaster.stores.medusa.rest import (
    AdminClient,
    MedusaError,
    MedusaHTTPError,
    MedusaNotFound,
    Query,
)
from stationmaster.stores.protocol import Capability, ChangeBatch, Unreadable
from stationmaster.stores.reading import Answers, change_batch, feed_limit, orders_in_chunks
from stationmaster.stores.vendure.feed import Seen, digest_of

if TYPE_CHECKING:
    from stationmaster.stores.medusa.kind import MedusaSettings

log = structlog.get_logger("stationmaster.stores.medusa")

MEDUSA_CAPABILITIES: Final[frozenset[Capability]] = frozenset({"orders", "status", "shipments"})
#: Status -> the Admin API operation that moves an order there.
STATUS_ACTIONS: Final = {"canceled": "cancel", "completed": "complete", "archived": "archive"}
#: Other spellings of Medusa's statuses (stationmaster's defaults write "cancelled").
STATUS_ALIASES: Final = {"cancelled": "canceled"}
ANSWERS: Final = Answers("Medusa", MedusaError)


class InvalidMedusaInput(MedusaError, ValueError):
    """An argument the connector cannot send (a limit below one, say)."""


class UnknownMedusaOrder(MedusaError, LookupError):
    """Medusa has no order with this id."""

    def __init__(self, url: str, source_id: str) -> None:
        super().__init__(f"Medusa at {url} has no order with id {source_id!r}")
        self.source_id = source_id


class MedusaRefused(MedusaError):
    """Medusa refused a write, or has no operation for it; the message says which and why."""


class MedusaStore:
    """One Medusa v2 server as a store; see the module docstring."""

    kind = "medusa"
    capabilities: frozenset[Capability] = MEDUSA_CAPABILITIES

    def __init__(
        self,
        settings: MedusaSettings,
        *,
        email: str,
        password: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.client = AdminClient(
            settings.base_url,
            email=email,
            password=password,
            timeout=settings.timeout_seconds,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"MedusaStore(base_url={self.settings.base_url!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ reading orders

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        """Orders updated after ``cursor`` in the configured statuses, oldest first."""
        limit = feed_limit(limit, self.settings.page_size, InvalidMedusaInput)
        position = parse_cursor(cursor)
        params = list_params(position, self.settings.statuses, limit)
        items = _orders(await self.client.get("/admin/orders", params))
        after, fresh, more = position.walk([_seen(item) for item in items], limit)
        return change_batch((_map(items[index]) for index in fresh), after.dump(), more)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        """The orders among ``source_ids`` Medusa knows (unmappable ones are left out)."""
        return await orders_in_chunks(source_ids, self.settings.page_size, self._orders_among)

    async def _orders_among(self, chunk: list[str]) -> list[Order | Unreadable]:
        params: Query = {"fields": ",".join(ORDER_FIELDS), "id[]": chunk, "limit": len(chunk)}
        return [_map(item) for item in _orders(await self.client.get("/admin/orders", params))]

    # ------------------------------------------------------------------ writing back

    async def set_status(self, source_id: str, status: str) -> None:
        """Move the order to Medusa status ``status`` (nothing to do when it is there)."""
        order = await self._order(source_id, ("id", "display_id", "status"))
        wanted = STATUS_ALIASES.get(status, status)
        if order.get("status") == wanted:
            return
        what = f"move order #{order.get('display_id')} from {order.get('status')!r} to {wanted!r}"
        action = STATUS_ACTIONS.get(wanted)
        if action is None:
            raise MedusaRefused(
                f"Medusa has no operation to {what}; stationmaster can set "
                f"{', '.join(STATUS_ACTIONS)}"
            )
        try:
            await self.client.post(f"/admin/orders/{source_id}/{action}")
        except MedusaHTTPError as exc:
            raise MedusaRefused(f"Medusa refused to {what}: {exc}") from None

    async def apply_shipment(self, shipment: Shipment) -> None:
        """Record each package as a shipped fulfillment (or in the ledger), once."""
        source_id = shipment.order_source_id
        order = await self._order(source_id, SHIPMENT_FIELDS)
        metadata = dict(order.get("metadata") or {})
        for step in plan(shipment, _recorded(order)):
            if step.action == "note":
                metadata = await self._note(source_id, metadata, step)
            else:
                await self._write(source_id, step)

    async def shipments_of(self, source_id: str) -> Shipment:
        """The packages recorded on an order, with their keys and voided flags."""
        order = await self._order(source_id, SHIPMENT_FIELDS)
        return read_back(source_id, order_number(order), _recorded(order))

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        """Refused: the connector does not offer stock (see the module docstring)."""
        raise MedusaRefused(
            f"the Medusa connector does not adjust stock (asked {delta!r} of {sku!r}): Medusa "
            "keeps stock per inventory item and location, which stationmaster does not sync"
        )

    async def _write(self, source_id: str, step: Step) -> None:
        orders = f"/admin/orders/{source_id}/fulfillments"
        if step.action == "cancel":
            await self.client.post(f"{orders}/{step.fulfillment_id}/cancel", self._quiet())
            return
        fulfillment_id = step.fulfillment_id
        if step.action == "fulfil":
            fulfillment_id = await self._fulfil(source_id, step)
        body = {"items": _items(step.items), "labels": labels(step.package), **self._quiet()}
        await self.client.post(f"{orders}/{fulfillment_id}/shipments", body)

    async def _fulfil(self, source_id: str, step: Step) -> str:
        """Create the package's fulfillment; its id, found again by the package key."""
        key = step.package.key
        body: dict[str, Any] = {
            "items": _items(step.items),
            "metadata": {KEY_FIELD: key},
            **self._quiet(),
        }
        if self.settings.location_id:
            body["location_id"] = self.settings.location_id
        await self.client.post(f"/admin/orders/{source_id}/fulfillments", body)
        recorded = _recorded(await self._order(source_id, SHIPMENT_FIELDS))
        fresh = [f for f in recorded.fulfillments.get(key, []) if not (f.shipped or f.canceled)]
        if len(fresh) != 1:
            raise MedusaError(
                f"Medusa fulfilled package {key} of order {source_id!r}, but the order then "
                f"shows {len(fresh)} unshipped fulfillments with that key, not one"
            )
        return fresh[0].id

    async def _note(self, source_id: str, metadata: dict[str, Any], step: Step) -> dict[str, Any]:
        ledger = dict(metadata.get(LEDGER) or {})
        ledger[step.package.key] = noted(step.package).dump()
        updated = {**metadata, LEDGER: ledger}
        await self.client.post(f"/admin/orders/{source_id}", {"metadata": updated})
        return updated

    def _quiet(self) -> dict[str, bool]:
        return {"no_notification": not self.settings.notify_customer}

    async def _order(self, source_id: str, fields: Sequence[str]) -> Mapping[str, Any]:
        try:
            answer = await self.client.get(
                f"/admin/orders/{source_id}", {"fields": ",".join(fields)}
            )
        except MedusaNotFound:
            raise UnknownMedusaOrder(self.settings.base_url, source_id) from None
        order = answer.get("order")
        if not isinstance(order, dict) or order.get("id") != source_id:
            raise UnknownMedusaOrder(self.settings.base_url, source_id)
        return order


def _map(item: Mapping[str, Any]) -> Order | Unreadable:
    try:
        return map_order(item)
    except UnmappableOrder as exc:
        source_id, number = ANSWERS.order_id(item), order_number(item)
        log.warning("medusa.unreadable_order", source_id=source_id, number=number, reason=str(exc))
        return Unreadable(source_id, str(exc), number)


def _items(items: Mapping[str, int]) -> list[dict[str, object]]:
    return [{"id": line_id, "quantity": units} for line_id, units in items.items()]


def _seen(item: Mapping[str, Any]) -> Seen:
    order_id = ANSWERS.order_id(item)
    return Seen(
        order_id,
        ANSWERS.change_stamp(item.get("updated_at"), order_id, "updated_at"),
        digest_of(item),
    )


def _recorded(order: Mapping[str, Any]) -> Recorded:
    """What an order holds; a :class:`MedusaError` when Medusa's answer does not fit."""
    return ANSWERS.recorded(Recorded.of, order, "fulfillments or items")


def _orders(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    orders = answer.get("orders")
    if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
        raise MedusaError(f"Medusa answered the order list with {dict(answer)!r:.200}")
    return orders

"""The emulated account's data: plain wire-shaped dicts in tables, and undo for failed requests.

Rows are never changed in place: a handler copies a row (:func:`clone`), changes the copy and
puts it back. Every table (dict, list or set, and the id counters) belongs to the account's
undo :class:`~stationmaster.emulator.undo.Journal`, so :meth:`Account.transaction` can put
back exactly what a failed request changed, at the cost of what it touched rather than of
everything the account holds.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal, TypeVar

from stationmaster.emulator.storelink import CustomStoreLink
from stationmaster.emulator.undo import Journal
from stationmaster.emulator.wire import Wire

_Row = TypeVar("_Row", Wire, list[Wire])

IdKind = Literal[
    "order",
    "orderItem",
    "customsItem",
    "shipment",
    "fulfillment",
    "customer",
    "customerUser",
    "product",
    "warehouse",
    "store",
    "webhook",
    "tag",
    "delivery",
    "tracking",
    "notice",
]

#: Where each id sequence starts: distinct ranges make a mixed-up id obvious in a failing test.
FIRST_IDS: dict[IdKind, int] = {
    "order": 100_000_001,
    "orderItem": 200_000_001,
    "customsItem": 250_000_001,
    "shipment": 300_000_001,
    "fulfillment": 400_000_001,
    "customer": 500_000_001,
    "customerUser": 510_000_001,
    "product": 600_000_001,
    "warehouse": 187_700,
    "store": 310_600,
    "webhook": 10_001,
    "tag": 9_001,
    "delivery": 1,
    "tracking": 1,
    "notice": 1,
}


@dataclass(frozen=True)
class Delivery:
    """A webhook POST waiting to be sent."""

    id: int
    webhook_id: int
    target_url: str
    resource_url: str
    resource_type: str
    queued_at: float

    def payload(self) -> dict[str, str]:
        return {"resource_url": self.resource_url, "resource_type": self.resource_type}


@dataclass(frozen=True)
class PendingNotice:
    """A Custom Store shipnotify POST waiting to be sent (query and body fixed when queued)."""

    id: int
    store_id: int
    order_id: int
    order_number: str
    #: The label (``shipmentId``) or the mark-as-shipped fulfillment behind the notice.
    shipment_id: int | None
    fulfillment_id: int | None
    #: ``action``, ``order_number``, ``carrier``, ``service``, ``tracking_number``, in order.
    params: tuple[tuple[str, str], ...]
    body: bytes
    queued_at: float


@dataclass(frozen=True)
class RefreshState:
    """What ``GET /stores/getrefreshstatus`` reports for one store."""

    #: When the last refresh started, on the emulator's monotonic clock.
    started_at: float | None = None


@dataclass
class Account:
    """Every table of one ShipStation account, keyed by id.

    A table put in whole (``account.outbox = [...]``) joins the journal too, and is noted
    like any other change while a transaction is open.
    """

    #: Written through :meth:`add_order`, which keeps the two indexes below in step.
    orders: dict[int, Wire] = field(default_factory=dict)
    #: orderKey -> the ids of the orders that carry it (a key may outlive a deleted order).
    order_keys: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: Orders ``on_hold`` with a hold date: the only ones a request checks for a hold come due.
    held_orders: set[int] = field(default_factory=set)
    #: Soft-deleted orders and orders absorbed by a merge: 404 and out of every list.
    inactive_orders: set[int] = field(default_factory=set)
    #: Absorbed order id -> the order that absorbed it in a merge.
    merged_into: dict[int, int] = field(default_factory=dict)
    #: importBatch GUID -> the orders one import created (what ORDER_NOTIFY points at).
    import_batches: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: Per parent order, how many split children it has had.
    split_counts: dict[int, int] = field(default_factory=dict)
    shipments: dict[int, Wire] = field(default_factory=dict)
    #: The label PDFs (base64); lists show ``labelData: null``, create calls return them.
    label_data: dict[int, str] = field(default_factory=dict)
    #: batchId GUID -> the shipments one label action created (what SHIP_NOTIFY points at).
    label_batches: dict[str, tuple[int, ...]] = field(default_factory=dict)
    fulfillments: dict[int, Wire] = field(default_factory=dict)
    stores: dict[int, Wire] = field(default_factory=dict)
    store_refresh: dict[int, RefreshState] = field(default_factory=dict)
    marketplaces: dict[int, Wire] = field(default_factory=dict)
    warehouses: dict[int, Wire] = field(default_factory=dict)
    deleted_warehouses: set[int] = field(default_factory=set)
    carriers: dict[str, Wire] = field(default_factory=dict)
    services: dict[str, tuple[Wire, ...]] = field(default_factory=dict)
    packages: dict[str, tuple[Wire, ...]] = field(default_factory=dict)
    products: dict[int, Wire] = field(default_factory=dict)
    customers: dict[int, Wire] = field(default_factory=dict)
    #: Lower-cased marketplace username -> customerId (orders find their customer by it).
    customer_usernames: dict[str, int] = field(default_factory=dict)
    tags: dict[int, Wire] = field(default_factory=dict)
    users: dict[str, Wire] = field(default_factory=dict)
    inactive_users: set[str] = field(default_factory=set)
    webhooks: dict[int, Wire] = field(default_factory=dict)
    outbox: list[Delivery] = field(default_factory=list)
    #: storeId -> its Custom Store setup (stores of marketplace 46 that ShipStation pulls).
    custom_stores: dict[int, CustomStoreLink] = field(default_factory=dict)
    #: storeId -> where the last successful export window ended (the next one starts there).
    custom_store_windows: dict[int, datetime] = field(default_factory=dict)
    #: Custom Stores asked to refresh through the API, waiting for the puller.
    refresh_requests: list[int] = field(default_factory=list)
    #: shipnotify POSTs waiting to be sent.
    notice_outbox: list[PendingNotice] = field(default_factory=list)
    next_ids: dict[IdKind, int] = field(default_factory=lambda: dict(FIRST_IDS))
    seller_id: int = 100_000

    def __post_init__(self) -> None:
        self._journal = Journal()
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name))

    def __setattr__(self, name: str, value: object) -> None:
        journal: Journal | None = self.__dict__.get("_journal")
        if journal is not None:
            value = journal.adopt(value)
            if journal.recording:
                journal.note(object.__setattr__, self, name, getattr(self, name))
        object.__setattr__(self, name, value)

    def new_id(self, kind: IdKind) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value

    def reserve_id(self, kind: IdKind, value: int) -> None:
        """Make sure later generated ids of ``kind`` do not collide with ``value``."""
        if value >= self.next_ids[kind]:
            self.next_ids[kind] = value + 1

    def add_order(self, row: Wire) -> None:
        """Store a new order (or a new version of one); index its key and its hold."""
        order_id, key = row["orderId"], row["orderKey"]
        ids = self.order_keys.get(key, ())
        if order_id not in ids:
            self.order_keys[key] = (*ids, order_id)
        if row.get("orderStatus") == "on_hold" and row.get("holdUntilDate"):
            self.held_orders.add(order_id)
        else:
            self.held_orders.discard(order_id)
        self.orders[order_id] = row

    def active_orders(self) -> Iterator[Wire]:
        return (o for i, o in self.orders.items() if i not in self.inactive_orders)

    def order(self, order_id: int) -> Wire | None:
        """An active order (stored row: read it, do not change it)."""
        if order_id in self.inactive_orders:
            return None
        return self.orders.get(order_id)

    def transaction(self) -> AbstractContextManager[None]:
        """Undo every change made inside the block if it raises (blocks may nest)."""
        return self._journal.transaction()


def clone(row: _Row) -> _Row:
    """A private copy of a stored row (or list of rows), safe to change and put back."""
    return copy.deepcopy(row)

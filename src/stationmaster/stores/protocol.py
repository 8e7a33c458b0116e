"""The small contract between stationmaster and a store: what changed, fetch, write back.

A connector knows its store and nothing of ShipStation; the sync joins the two. Cursors are
opaque JSON values the connector hands out and gets back, so each store can page the way its
API allows (a change sequence, an updated-at plus id, a GraphQL page token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from pydantic import JsonValue

from stationmaster.domain import Order, Shipment
from stationmaster.errors import StationmasterError

Capability = Literal[
    "orders", "status", "shipments", "stock", "stock_keys", "delete", "payment_capture"
]
"""What a store can do beyond reading orders. ``stock_keys``: the store keeps each stock
adjustment's key with the change itself, so a keyed adjustment sent again changes nothing
(without it, stationmaster's ledger alone tells a repeat from a first delivery)."""


class StoreError(StationmasterError):
    """The store refused or failed an operation; the message says which and why."""


class UnknownSku(StoreError, LookupError):
    """The store keeps no stock of this SKU; nothing was changed."""


class StockBelowZero(StoreError):
    """A stock adjustment would take a level below zero, which the store forbids; nothing
    was changed."""


class StockKeyReused(StoreError, ValueError):
    """An idempotency key already stands for a different adjustment (another SKU or delta);
    nothing was changed."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A changed order the connector could not turn into an :class:`Order`, and why.

    One broken order in a store (a missing address country, a line without a product) must
    not hold back the orders behind it: the connector reports it here and moves on, the push
    sync records it as that order's error (visible in ``stationmaster status``), and the next
    change to the order in the store brings it back through the feed.
    """

    source_id: str
    reason: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """Orders changed after a cursor, oldest change first, and the cursor that follows them.

    ``cursor`` is what the next call takes to continue, past the unreadable orders too;
    ``more`` says whether the store already knows of further changes (so a caller can keep
    reading without waiting). ``orders`` plus ``unreadable`` is never more than the limit.
    """

    orders: list[Order]
    cursor: JsonValue
    more: bool
    unreadable: list[Unreadable] = field(default_factory=list)


@runtime_checkable
class Store(Protocol):
    """One store behind one connection."""

    kind: str
    capabilities: frozenset[Capability]

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        """Orders changed after ``cursor`` (None: from the beginning), at most ``limit``."""
        ...

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        """The orders among ``source_ids`` that exist, by source id."""
        ...

    async def set_status(self, source_id: str, status: str) -> None:
        """Move an order to one of the store's own statuses (e.g. "submitted")."""
        ...

    async def apply_shipment(self, shipment: Shipment) -> None:
        """Record a shipment's packages on its order; applying the same one twice is a no-op."""
        ...

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        """Change a SKU's on-hand quantity by ``delta``; returns the new quantity.

        With ``key``, a store offering ``stock_keys`` makes the change at most once per key,
        however often (or however concurrently) it is asked for: a repeat changes nothing and
        returns the level. A key given again with another SKU or delta is refused
        (:class:`StockKeyReused`). A store without ``stock_keys`` may ignore the key. Refusals:
        :class:`UnknownSku`, :class:`StockBelowZero`; each leaves the level as it was.
        """
        ...


@dataclass(frozen=True, slots=True)
class StockReceipt:
    """What a keyed stock adjustment did: the level after it, and whether this call made it
    (``False``: the key had been applied before, and nothing changed now)."""

    on_hand: int
    applied: bool


@runtime_checkable
class StockReceipts(Protocol):
    """Optional: a store that tells the first delivery of a stock adjustment from a repeat.

    The warehouse endpoint reports each item as ``applied`` or ``duplicate``; a store that
    can say which offers this, and the store keeps the key with the change itself (its own
    exactly-once). A store without it is served through stationmaster's ledger
    (:mod:`stationmaster.stock.ledger`).
    """

    async def adjust_stock_once(
        self, sku: str, delta: int, key: str, *, reason: str | None = None
    ) -> StockReceipt:
        """Like :meth:`Store.adjust_stock` with ``key`` (required here); ``reason`` is kept
        with the change. Only SKUs the store already stocks are taken (:class:`UnknownSku`)."""
        ...


@runtime_checkable
class PaymentCapture(Protocol):
    """Optional: a store that can capture an authorised payment (capability ``payment_capture``).

    Kept apart from :class:`Store` so that stores without payments need not pretend to have
    them; :func:`payment_capture_of` says whether a store offers it.
    """

    async def capture_payment(self, source_id: str) -> None:
        """Capture the payment of order ``source_id``; raises :class:`StoreError` on refusal."""
        ...


def payment_capture_of(store: Store) -> PaymentCapture | None:
    """``store`` as a :class:`PaymentCapture` when it declares and implements the capability."""
    if "payment_capture" in store.capabilities and isinstance(store, PaymentCapture):
        return store
    return None

"""The small contract between stationmaster and a store: what changed, fetch, write back.

A connector knows its store and nothing of ShipStation; the sync joins the two. Cursors are
opaque JSON values the connector hands out and gets back, so each store can page the way its
API allows (a change sequence, an updated-at plus id, a GraphQL page token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from pydantic import JsonValue

from stationmaster.domain import Order, Shipment
from stationmaster.errors import StationmasterError

Capability = Literal["orders", "status", "shipments", "stock", "delete", "payment_capture"]


class StoreError(StationmasterError):
    """The store refused or failed an operation; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """Orders changed after a cursor, oldest change first, and the cursor that follows them.

    ``cursor`` is what the next call takes to continue; ``more`` says whether the store
    already knows of further changes (so a caller can keep reading without waiting).
    """

    orders: list[Order]
    cursor: JsonValue
    more: bool


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

    async def adjust_stock(self, sku: str, delta: int) -> int:
        """Change a SKU's on-hand quantity by ``delta``; returns the new quantity."""
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

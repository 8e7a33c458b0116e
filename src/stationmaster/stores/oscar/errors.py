"""What the Oscar connector refuses, each a :class:`StoreError` whose message says why."""

from __future__ import annotations

from collections.abc import Sequence

from stationmaster.errors import ConfigError
from stationmaster.stores.protocol import StockBelowZero, StoreError


class DjangoNotReady(StoreError, ConfigError):
    """Django or Oscar is missing, not configured, or the shop lacks the app's tables."""


class InvalidInput(StoreError, ValueError):
    """A cursor, limit, id or delta the connector cannot take as given."""


class UnknownOrder(StoreError, LookupError):
    """The shop has no order with this source id (Oscar's order primary key)."""

    def __init__(self, source_id: str) -> None:
        super().__init__(f"no Oscar order with id {source_id!r}")
        self.source_id = source_id


class IllegalStatusChange(StoreError):
    """Oscar's order status pipeline does not allow the move; nothing was changed."""

    def __init__(self, number: str, current: str, requested: str, allowed: Sequence[str]) -> None:
        options = ", ".join(repr(status) for status in allowed) or "none"
        super().__init__(
            f"Oscar order {number}: cannot move from status {current!r} to {requested!r}; "
            f"OSCAR_ORDER_STATUS_PIPELINE allows {options} from {current!r}"
        )
        self.number = number
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)


class ShipmentRefused(StoreError):
    """Packages Oscar would not record (others of the same shipment were recorded)."""

    def __init__(self, number: str, reasons: Sequence[str]) -> None:
        super().__init__(f"Oscar order {number}: " + "; ".join(reasons))
        self.number = number
        self.reasons = tuple(reasons)


class AmbiguousSku(StoreError):
    """Several partners' stock records carry this SKU; the ``partner`` setting picks one."""


class OutOfStock(StockBelowZero):
    """The adjustment would take the stock record below zero; it was left as it was."""

    def __init__(self, sku: str, on_hand: int, delta: int) -> None:
        super().__init__(
            f"stock of {sku!r} is {on_hand}; adjusting it by {delta} would go below zero"
        )
        self.sku = sku
        self.on_hand = on_hand
        self.delta = delta

"""Stock on hand of one SKU in one location, the unit inventory sync compares and adjusts."""

from __future__ import annotations

from stationmaster.domain.values import DomainModel, OptionalText, Text


class StockLevel(DomainModel):
    """``on_hand`` units of ``sku`` at ``warehouse`` (``None``: the store's only location).

    ``on_hand`` may be negative where a store lets orders oversell.
    """

    sku: Text
    warehouse: OptionalText = None
    on_hand: int

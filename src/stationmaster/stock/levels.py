"""ShipStation's side of a reconcile: every ``available`` level, summed per SKU.

The reconcile reads levels through :class:`LevelSource`, which the v2
:class:`~stationmaster.shipstation.inventory.InventoryClient` satisfies as it is (and a test
fake in a few lines). ShipStation lists a SKU once per warehouse or location; ``available``
(on hand less what its orders have allocated) is summed over them all, or taken from one
warehouse when the connection names it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


class Level(Protocol):
    """One listed level; only these two fields matter here."""

    @property
    def sku(self) -> str: ...

    @property
    def available(self) -> int: ...


class LevelSource(Protocol):
    """Where ShipStation's levels come from, page by page; ``calls`` counts requests sent."""

    @property
    def calls(self) -> int: ...

    def levels(
        self,
        *,
        skus: Sequence[str] | None = None,
        warehouse_id: str | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[Level]: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """ShipStation's ``available`` by SKU, from ``rows`` listed levels, for ``calls`` requests."""

    available: dict[str, int]
    rows: int
    calls: int


async def snapshot(
    source: LevelSource,
    *,
    skus: Sequence[str] | None = None,
    warehouse_id: str | None = None,
    page_size: int = 500,
    on_rows: Callable[[int], None] | None = None,
) -> Snapshot:
    """Walk every page of levels (of ``skus`` only, if given) and sum ``available`` per SKU."""
    calls_before = source.calls
    available: dict[str, int] = {}
    rows = 0
    listing = source.levels(skus=skus, warehouse_id=warehouse_id, page_size=page_size)
    async for level in listing:
        available[level.sku] = available.get(level.sku, 0) + level.available
        rows += 1
        if on_rows is not None and rows % page_size == 0:
            on_rows(rows)
    if on_rows is not None:
        on_rows(rows)
    return Snapshot(available, rows, source.calls - calls_before)

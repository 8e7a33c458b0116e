"""A store's stock as a reconcile needs it: held still, counted, and changed in one go.

:meth:`StockBook.hold` locks every level of the store and yields :class:`HeldStock`; until
the block ends, no other writer changes a level, so what the reconcile reads is still true
when it writes. The block's changes are kept only if it ends cleanly with ``commit``; a dry
run, a failure or a cancellation leaves the store exactly as it was. The native store is a
:class:`StockBook` (:mod:`stationmaster.stock.native_book`); another store joins the
reconcile by offering the same (for Oscar: its stock records ``select_for_update`` in one
transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from stationmaster.stock.plan import StockChange


class HeldStock(Protocol):
    """The store's levels, locked for as long as the hold lasts."""

    @property
    def levels(self) -> Mapping[str, int]:
        """Every level the store keeps, by SKU, as locked."""
        ...

    @property
    def marks(self) -> Mapping[str, int]:
        """Each level's change mark as locked (see :meth:`StockBook.marks`)."""
        ...

    async def add(self, skus: Sequence[str]) -> Mapping[str, int]:
        """Start keeping levels for SKUs the store has none of (at zero), locked too; the
        levels they have (another writer may have made one meanwhile)."""
        ...

    async def demand(self) -> Mapping[str, int]:
        """Units by SKU of the store's orders ShipStation has not taken yet."""
        ...

    async def write(self, changes: Sequence[StockChange], run_id: str) -> None:
        """Add each change's delta to its level, and record it, kept with the hold."""
        ...


class StockBook(Protocol):
    """A store whose stock can be held for a reconcile."""

    connection: str

    async def marks(self) -> Mapping[str, int]:
        """A mark per SKU that changes whenever its level does (a version), read without
        locking: comparing them with the held ones tells which levels moved in between."""
        ...

    def hold(
        self, *, chunk: int, commit: bool, on_locked: Callable[[int], None] | None = None
    ) -> AbstractAsyncContextManager[HeldStock]:
        """Lock every level, ``chunk`` at a time (``on_locked`` hears the running count)."""
        ...

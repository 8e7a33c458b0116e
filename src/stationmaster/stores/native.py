"""The native store: stationmaster's own order tables, for apps that have no store to sync.

A custom app hands its orders over (the JSON API, ``stationmaster import``, or :meth:`put`
from Python) and stationmaster keeps them in its database: every order as the canonical
document, its status and deleted flag in columns of their own (so a status written back by the
sync is never confused with what the app sent), a change number per write for the push's
cursor, and the packages ShipStation shipped. It is a complete :class:`Store`, so the sync
treats it exactly like a connector to a real store.

A stored document that no longer parses as an :class:`~stationmaster.domain.Order` (a change
to the model's rules, a hand-edited row) must not stall the change feed for every order behind
it: the feed reports it as :class:`~stationmaster.stores.protocol.Unreadable` (the push sync
records that as the order's error), logs ``native.unreadable_order`` with the fields at fault,
and counts it in :attr:`NativeStore.unreadable`; reading that one order directly raises
:class:`UnreadableRecord` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Literal

import structlog
from pydantic import JsonValue
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.db.tables import KEY
from stationmaster.domain import Order, Package, Shipment
from stationmaster.stores.protocol import (
    Capability,
    ChangeBatch,
    StockBelowZero,
    StockKeyReused,
    StockReceipt,
    StoreError,
    UnknownSku,
    Unreadable,
)
from stationmaster.sync.mapping import order_key

log = structlog.get_logger("stationmaster.stores.native")

IngestOutcome = Literal["created", "updated", "unchanged"]

NATIVE_CAPABILITIES: frozenset[Capability] = frozenset(
    {"orders", "status", "shipments", "stock", "stock_keys", "delete"}
)
#: Longest status the ``native_orders.status`` column holds.
STATUS_MAX_LENGTH = 40
#: Stock levels are 32-bit integers on PostgreSQL; a delta beyond this is a mistake anyway.
STOCK_DELTA_LIMIT = 2**31 - 1

#: Fields kept in columns of their own rather than in the stored document.
_COLUMN_FIELDS = frozenset({"status", "deleted"})


class InvalidStoreInput(StoreError, ValueError):
    """A value the store cannot take as given; ``field`` names it when one is to blame."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownStoreOrder(StoreError, LookupError):
    """The store has no order with this source id."""

    def __init__(self, connection: str, source_id: str) -> None:
        super().__init__(f"no order {source_id!r} in the native store of {connection!r}")
        self.source_id = source_id


class OutOfStock(StockBelowZero):
    """A stock adjustment would take a SKU below zero; the level was left as it was."""

    def __init__(self, sku: str, on_hand: int, delta: int) -> None:
        super().__init__(
            f"stock of {sku!r} is {on_hand}; adjusting it by {delta} would go below zero"
        )
        self.sku = sku
        self.on_hand = on_hand
        self.delta = delta


class UnreadableRecord(StoreError):
    """A stored document no longer parses as the model it was stored as."""


class NativeStore:
    """The native store of one connection; see the module docstring."""

    kind = "native"
    capabilities: frozenset[Capability] = NATIVE_CAPABILITIES

    def __init__(self, engine: AsyncEngine, connection: str, *, source: str = "native") -> None:
        try:
            order_key(source, "0")
        except ValueError as exc:
            raise InvalidStoreInput(str(exc), field="source") from None
        self.engine = engine
        self.connection = connection
        self.source = source
        #: Stored orders the change feed skipped because they no longer parse.
        self.unreadable = 0

    def __repr__(self) -> str:
        return f"NativeStore(connection={self.connection!r}, source={self.source!r})"

    # ------------------------------------------------------------------ writes from the app

    async def put(self, order: Order) -> IngestOutcome:
        """Store ``order`` as the app sent it: ``created``, ``updated`` or ``unchanged``.

        The same order again changes nothing and takes no change number. An order sent with
        ``deleted`` set is stored and marked deleted; one sent without it brings a deleted
        order back. Raises :class:`InvalidStoreInput` naming the field for values the tables
        cannot hold (a source id over 255 characters, a status over 40).
        """
        _check_storable(order)
        async with self._begin(order.source_id) as conn:
            outcome = await self._put_in(conn, order)
            if outcome != "unchanged":
                await db.notify_work(conn, self.connection)
            return outcome

    async def ingest_many(self, orders: Iterable[Order]) -> dict[IngestOutcome, int]:
        """Store many orders in one transaction: all of them, or (on a refusal) none.

        Every order is checked before the first is written, so a bad one is reported before
        anything is stored. Returns how many were created, updated and unchanged; an order
        given twice counts twice (the second time against the first).
        """
        batch = list(orders)
        for order in batch:
            _check_storable(order)
        writes = [
            db.NativeWrite(
                source_id=order.source_id,
                order_key=order_key(self.source, order.source_id),
                payload=order.model_dump(mode="json", exclude=set(_COLUMN_FIELDS)),
                status=order.status,
                deleted=order.deleted,
            )
            for order in batch
        ]
        counts: dict[IngestOutcome, int] = {"created": 0, "updated": 0, "unchanged": 0}
        async with self._begin() as conn:
            for outcome in await db.upsert_native_orders(conn, self.connection, writes):
                counts[outcome] += 1
            if counts["created"] or counts["updated"]:
                await db.notify_work(conn, self.connection)
        return counts

    async def _put_in(self, conn: AsyncConnection, order: Order) -> IngestOutcome:
        source_id = order.source_id
        key = order_key(self.source, source_id)
        document = order.model_dump(mode="json", exclude=set(_COLUMN_FIELDS))
        # Read before the write: "created" versus "updated" is only a report (two racing
        # first puts of one id may both say "created"); the write itself is exact.
        current = await db.get_native_order(conn, self.connection, source_id)
        if order.deleted and current is not None and current.deleted:
            same = (current.order_key, current.status, current.payload)
            if same == (key, order.status, document):
                return "unchanged"
        changed = await db.upsert_native_order(
            conn, self.connection, source_id, key, document, order.status
        )
        if order.deleted:
            changed = await db.mark_native_deleted(conn, self.connection, source_id) or changed
        if not changed:
            return "unchanged"
        return "created" if current is None else "updated"

    async def ingest(self, order: Order) -> bool:
        """Store ``order``; ``True`` if that changed anything (see :meth:`put`)."""
        return await self.put(order) != "unchanged"

    async def delete(self, source_id: str) -> bool:
        """Mark an order deleted, so the sync deletes it in ShipStation; ``True`` if it changed.

        The row stays (the change feed must carry the deletion); :class:`UnknownStoreOrder`
        if there is no such order.
        """
        async with self._begin(source_id) as conn:
            deleted = await db.mark_native_deleted(conn, self.connection, source_id)
            if deleted:
                await db.notify_work(conn, self.connection)
            return deleted

    async def get(self, source_id: str) -> Order | None:
        """The stored order with its current status, or ``None``; :class:`UnreadableRecord`
        if its stored document no longer parses."""
        async with self.engine.connect() as conn:
            stored = await db.get_native_order(conn, self.connection, source_id)
        if stored is None:
            return None
        try:
            return _rebuild(stored)
        except PydanticValidationError as exc:
            raise UnreadableRecord(
                f"stored order {source_id!r} of {self.connection!r} is no longer a valid "
                f"order ({_fields(exc)})"
            ) from None

    # ------------------------------------------------------------------ the Store protocol

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        """Orders written after ``cursor`` (a change number; ``None`` for all), oldest first.

        Deleted orders are included, flagged. ``more`` is true when the page is full.
        """
        after = _change_number(cursor)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidStoreInput(f"limit must be a positive integer, got {limit!r}")
        async with self.engine.connect() as conn:
            rows = await db.native_changes_since(conn, self.connection, after, limit)
        orders: list[Order] = []
        unreadable: list[Unreadable] = []
        for row in rows:
            try:
                orders.append(self._readable(row))
            except UnreadableRecord as exc:
                number = row.payload.get("number")
                unreadable.append(
                    Unreadable(row.source_id, str(exc), number if isinstance(number, str) else None)
                )
        next_cursor: JsonValue = rows[-1].change_seq if rows else cursor
        return ChangeBatch(orders, next_cursor, len(rows) == limit, unreadable)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        """The stored orders among ``source_ids`` (deleted ones included, flagged).

        Orders whose stored document no longer parses are left out, as in the change feed.
        """
        found: dict[str, Order] = {}
        async with self.engine.connect() as conn:
            for source_id in dict.fromkeys(source_ids):
                stored = await db.get_native_order(conn, self.connection, source_id)
                if stored is None:
                    continue
                with suppress(UnreadableRecord):
                    found[source_id] = self._readable(stored)
        return found

    async def set_status(self, source_id: str, status: str) -> None:
        """Set the order's status column; the order shows it from then on and is re-fed."""
        if not isinstance(status, str) or not status.strip() or len(status) > STATUS_MAX_LENGTH:
            raise InvalidStoreInput(
                f"status must be non-blank text of at most {STATUS_MAX_LENGTH} characters",
                field="status",
            )
        async with self._begin(source_id) as conn:
            await db.set_native_status(conn, self.connection, source_id, status)

    async def apply_shipment(self, shipment: Shipment) -> None:
        """Record each package of ``shipment`` on its order, once per source record.

        A package seen before is left alone; one that comes back voided marks the stored one
        voided. The order's change number does not move: a shipment is news from ShipStation,
        not a store change to push back. :class:`UnknownStoreOrder` if the order is unknown.
        """
        writes = [
            db.PackageWrite(
                package.key, package.model_dump(mode="json", exclude={"voided"}), package.voided
            )
            for package in shipment.packages
        ]
        async with self._begin(shipment.order_source_id) as conn:
            await db.record_native_packages(conn, self.connection, shipment.order_source_id, writes)

    async def shipments_of(self, source_id: str) -> Shipment:
        """Every package recorded on an order (voided ones flagged), as one :class:`Shipment`."""
        async with self.engine.connect() as conn:
            stored = await db.get_native_order(conn, self.connection, source_id)
            if stored is None:
                raise UnknownStoreOrder(self.connection, source_id)
            rows = await db.get_native_packages(conn, self.connection, source_id)
        number = stored.payload.get("number")
        try:
            packages = [
                Package.model_validate({**row.payload, "voided": row.voided}) for row in rows
            ]
        except PydanticValidationError as exc:
            raise UnreadableRecord(
                f"a stored package of order {source_id!r} is no longer valid ({_fields(exc)})"
            ) from None
        return Shipment(
            order_source_id=source_id,
            order_number=number if isinstance(number, str) else None,
            packages=packages,
        )

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        """Add ``delta`` to ``sku``'s on-hand level (a new SKU starts at zero); the new level.

        :class:`OutOfStock` (level unchanged) when it would go below zero. With ``key`` the
        change is made once per key (see :meth:`adjust_stock_once`); a repeat returns the
        current level.
        """
        _check_delta(delta)
        if key is not None:
            receipt = await self._adjust_once(sku, delta, key, reason=None, create=True)
            return receipt.on_hand
        try:
            async with self._begin() as conn:
                level = await db.adjust_native_stock(conn, self.connection, sku, delta)
        except db.InsufficientStock as exc:
            raise OutOfStock(sku, exc.on_hand, delta) from None
        except DataError:
            raise InvalidStoreInput(
                f"stock of {sku!r} would leave the range a level can hold", field="delta"
            ) from None
        return level.on_hand

    async def adjust_stock_once(
        self, sku: str, delta: int, key: str, *, reason: str | None = None
    ) -> StockReceipt:
        """Add ``delta`` to a stocked SKU once per ``key``, keeping the key in the same
        transaction as the change: exactly once, a crash included.

        :class:`~stationmaster.stores.protocol.UnknownSku` for a SKU without a level (a
        delivery from a warehouse must not invent products), :class:`OutOfStock` below zero,
        :class:`~stationmaster.stores.protocol.StockKeyReused` for a key recorded with
        another SKU or delta; each changes nothing.
        """
        _check_delta(delta)
        return await self._adjust_once(sku, delta, key, reason=reason, create=False)

    async def _adjust_once(
        self, sku: str, delta: int, key: str, *, reason: str | None, create: bool
    ) -> StockReceipt:
        try:
            async with self._begin() as conn:
                on_hand, applied = await db.adjust_native_stock_once(
                    conn, self.connection, sku, delta, key, reason=reason, create=create
                )
        except db.InsufficientStock as exc:
            raise OutOfStock(sku, exc.on_hand, delta) from None
        except db.UnknownStockSku as exc:
            raise UnknownSku(str(exc)) from None
        except db.LedgerKeyReused as exc:
            raise StockKeyReused(str(exc)) from None
        except DataError:
            raise InvalidStoreInput(
                f"stock of {sku!r} would leave the range a level can hold", field="delta"
            ) from None
        return StockReceipt(on_hand, applied)

    async def place(self, order: Order) -> IngestOutcome:
        """Store an order and take its units from stock, in one transaction.

        Each line's quantity is taken from its SKU's level (SKUs without a level are not
        tracked and take nothing), once per order and SKU: placing the same order again
        takes nothing more. :class:`OutOfStock` if a level would go below zero, and then
        neither the order nor any stock change is kept. A deleted order takes nothing.
        """
        _check_storable(order)
        taken: dict[str, int] = {}
        for line in order.lines:
            if line.sku is not None and not line.adjustment and not order.deleted:
                taken[line.sku] = taken.get(line.sku, 0) + line.quantity
        try:
            async with self._begin(order.source_id) as conn:
                await db.take_native_stock(
                    conn, self.connection, order.source_id, taken, reason=f"order {order.number}"
                )
                outcome = await self._put_in(conn, order)
                if outcome != "unchanged":
                    await db.notify_work(conn, self.connection)
        except db.InsufficientStock as exc:
            raise OutOfStock(exc.sku, exc.on_hand, exc.delta) from None
        return outcome

    # ------------------------------------------------------------------ helpers

    @asynccontextmanager
    async def _begin(self, source_id: str | None = None) -> AsyncIterator[AsyncConnection]:
        """A transaction whose state-layer refusals come out as :class:`StoreError`."""
        try:
            async with self.engine.begin() as conn:
                yield conn
        except db.UnknownNativeOrder:
            raise UnknownStoreOrder(self.connection, source_id or "") from None
        except db.UnknownConnection as exc:
            raise StoreError(str(exc)) from None
        except db.InvalidStateInput as exc:
            raise InvalidStoreInput(str(exc)) from None

    def _readable(self, stored: db.NativeOrder) -> Order:
        """The stored order, or :class:`UnreadableRecord` (logged and counted) naming why."""
        try:
            return _rebuild(stored)
        except PydanticValidationError as exc:
            self.unreadable += 1
            log.warning(
                "native.unreadable_order",
                connection=self.connection,
                source_id=stored.source_id,
                change_seq=stored.change_seq,
                fields=_fields(exc),
            )
            raise UnreadableRecord(
                f"stored order {stored.source_id!r} is no longer a valid order ({_fields(exc)})"
            ) from None


def _check_delta(delta: object) -> None:
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidStoreInput(f"delta must be an integer, got {delta!r}", field="delta")
    if abs(delta) > STOCK_DELTA_LIMIT:
        raise InvalidStoreInput(f"delta {delta} is beyond ±{STOCK_DELTA_LIMIT}", field="delta")


def _check_storable(order: Order) -> None:
    """Refuse, naming the field, what the tables cannot hold (before anything is written)."""
    if len(order.source_id) > KEY:
        raise InvalidStoreInput(
            f"source_id is {len(order.source_id)} characters; at most {KEY} are kept",
            field="source_id",
        )
    if len(order.status) > STATUS_MAX_LENGTH:
        raise InvalidStoreInput(
            f"status is {len(order.status)} characters; at most {STATUS_MAX_LENGTH} are kept",
            field="status",
        )


def _rebuild(stored: db.NativeOrder) -> Order:
    return Order.model_validate(
        {**stored.payload, "status": stored.status, "deleted": stored.deleted}
    )


def _fields(exc: PydanticValidationError) -> str:
    """The dotted paths of the fields at fault, without their values (they may be personal)."""
    return ", ".join(
        ".".join(str(part) for part in error["loc"]) or "order" for error in exc.errors()
    )


def _change_number(cursor: JsonValue) -> int:
    if cursor is None:
        return 0
    if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
        raise InvalidStoreInput(
            f"a native store cursor is a change number (a non-negative integer) or None, "
            f"got {cursor!r}"
        )
    return cursor

"""A django-oscar shop's stock, held for a reconcile: its stock records locked in one transaction.

**What a level is.** Oscar keeps ``num_in_stock`` (the units on the shelf, lowered only when a
shipping event consumes an allocation) and ``num_allocated`` (units of orders not shipped
yet); the shop sells ``num_in_stock - num_allocated``. That difference is the level the
reconcile holds (an empty field counts as zero), and a change adds its delta to
``num_in_stock`` (``Coalesce(F("num_in_stock"), 0) + delta``), as :mod:`.stock` does.
With the reconcile's ``target = max(0, available - demand)`` the shop then sells what
ShipStation has available less the orders ShipStation has not received. For example, with
``P`` units on the shelf, orders of ``A`` units in ShipStation not shipped yet and orders of
``B`` units placed in the shop but not pushed: ShipStation has ``P - A`` available, the demand
is ``B``, so the level becomes ``P - A - B``; Oscar has allocated ``A + B`` at checkout, so
``num_in_stock`` becomes ``P``, the shelf. (``P = 10, A = 3, B = 2``: the shop sells 5 of 10
in stock, 5 allocated.) Pushing the ``B`` orders lowers ShipStation's available and the demand
alike, and shipping an order lowers both of Oscar's numbers and ShipStation's on hand and
allocated alike: the level stays right until the warehouse's own count moves.

**SKUs.** A SKU is a stock record's ``partner_sku``; with the store's ``partner`` setting
only that partner's records count. Without it, a SKU several partners carry is not guessed
at: it is left out of the hold, logged and counted (``ambiguous``); if ShipStation lists it,
the plan reports it as not kept by the store. A SKU only ShipStation has gets no level
either (:meth:`OscarHeld.add`): a stock record needs a product, which only the shop makes.

**Change marks.** Oscar changes its numbers with ``.update()``, which leaves
``date_updated`` alone, so a record's mark is made of ``(num_in_stock, num_allocated)``. A
record that moves and comes back to exactly the same numbers between the two readings is
not seen as moved. The level it is set against is then the one first read, so nothing
written is stale; only ShipStation's count for it may date from the walk, as for any SKU
ShipStation moves on its own meanwhile, and the next reconcile catches up.

**The hold.** Every stock record of the shop (of the partner) is read ``select_for_update``
in keyset chunks ordered by SKU inside one ``transaction.atomic()`` that lasts until the
block ends; on SQLite the transaction takes the database's write lock with its first
statement, so other writers wait on their busy timeout (a shop's own writers that read
before they write fail rather than wait unless the shop sets Django's ``transaction_mode =
"IMMEDIATE"``). Django's connections belong to the thread that opened them, so every ORM
call of one hold runs on one thread of its own (:class:`_HoldThread`), where the atomic block
is entered and left: rolled back after a dry run, a failure or a cancellation, kept only
with ``commit``. The changes go in with one ``UPDATE`` per chunk of records sharing a delta,
and each is recorded as a :class:`~stationmaster.stores.oscar.models.StockAdjustment` (key
``reconcile:<run id>:<n>``, reason ``reconcile``) in the same transaction.

**Demand.** The shop's orders ShipStation has not accepted in any version (by stationmaster's
sync records), read with the connector's mapping and counted like the native store's
(:func:`~stationmaster.stock.demand.orders_demand`). Only orders that can count are read:
placed since the rules' sync start (when set), in the connector's ``statuses`` (when set),
and not in a status of the shop's pipeline that the rules map to one holding no stock
(shipped, cancelled).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import structlog
from django.conf import settings as django_settings
from django.db import connection as django_connection
from django.db import connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from oscar.core.loading import get_model  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import ledger_key
from stationmaster.db.stock_demand import accepted_order_keys
from stationmaster.domain import Order
from stationmaster.stock.demand import HOLDING_STOCK, orders_demand
from stationmaster.stock.native_book import RECONCILE_REASON
from stationmaster.stock.plan import StockChange
from stationmaster.stores.oscar import mapping
from stationmaster.stores.oscar.connector import OscarStore
from stationmaster.stores.oscar.models import StockAdjustment
from stationmaster.stores.oscar.orm import run_orm
from stationmaster.sync.mapping import order_key
from stationmaster.sync.rules import Rules
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.stores.oscar")

T = TypeVar("T")

#: A mark is ``num_in_stock * MARK_BASE + num_allocated``: one number per pair, since
#: ``num_allocated`` is a 32-bit integer on every database Oscar runs on.
MARK_BASE = 2**32
#: Stock records (for the marks) and orders (for the demand) read per query.
READ_CHUNK = 1000
#: What is read of a stock record: its key, SKU and both numbers.
RECORD_FIELDS = ("pk", "partner_sku", "num_in_stock", "num_allocated")

Row = tuple[int, str, int | None, int | None]


@dataclass(frozen=True, slots=True)
class _Record:
    """One SKU's stock record as read."""

    pk: int
    in_stock: int
    allocated: int

    @property
    def level(self) -> int:
        return self.in_stock - self.allocated

    @property
    def mark(self) -> int:
        return self.in_stock * MARK_BASE + self.allocated


@dataclass
class _BySku:
    """Stock record rows gathered by SKU; a SKU met on two records is ambiguous, not kept."""

    records: dict[str, _Record] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)

    def take(self, rows: Iterable[Row]) -> None:
        for pk, sku, in_stock, allocated in rows:
            if not sku or sku in self.ambiguous:
                continue
            known = self.records.get(sku)
            if known is not None and known.pk != pk:
                del self.records[sku]
                self.ambiguous.add(sku)
                continue
            self.records[sku] = _Record(pk, in_stock or 0, allocated or 0)


def _stock_records(partner: str | None) -> Any:
    """The shop's stock records, or one partner's (a subquery, so a lock takes no partner)."""
    records = get_model("partner", "StockRecord")._default_manager.all()
    if partner is None:
        return records
    partners = get_model("partner", "Partner")._default_manager.filter(name=partner)
    return records.filter(partner__in=partners.values("pk"))


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _HoldThread:
    """The one thread every ORM call of a hold runs on: the transaction lives on its
    connection, and Django's connections belong to the thread that opened them."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oscar-stock-hold")

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` on the thread. Calls run one after another in the order made, so
        the rollback that follows a cancellation comes after any call still under way."""
        return await anyio.to_thread.run_sync(self._pool.submit(work).result)

    async def close(self) -> None:
        """Close the thread's connections (on the thread) and let it go."""
        with anyio.CancelScope(shield=True):
            await self.run(connections.close_all)
        self._pool.shutdown(wait=False)


class _Atomic:
    """One ``transaction.atomic()`` block, entered and left by calls on the hold's thread."""

    def __init__(self) -> None:
        self._block = transaction.atomic(durable=True)
        self._open = False

    def begin(self) -> None:
        """Enter the block; on SQLite take the write lock now, not at the first write."""
        self._block.__enter__()
        self._open = True
        if django_connection.vendor == "sqlite":
            try:  # any write takes the lock; this one changes no row
                StockAdjustment.objects.filter(pk__lt=0).update(delta=F("delta"))
            except BaseException:
                self.end(keep=False)
                raise

    def end(self, *, keep: bool) -> None:
        """Leave the block, committing only if ``keep``; nothing when it is not open."""
        if not self._open:
            return
        self._open = False
        if not keep:
            transaction.set_rollback(True)
        self._block.__exit__(None, None, None)


@dataclass
class OscarHeld:
    """The shop's stock records of one connection, locked by the hold's transaction."""

    book: OscarBook
    thread: _HoldThread
    chunk: int
    found: _BySku = field(default_factory=_BySku)
    levels: dict[str, int] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)

    async def lock(self, on_locked: Callable[[int], None] | None) -> None:
        """Lock and read every stock record, ``chunk`` at a time in SKU order."""
        after: tuple[str, int] | None = None
        while True:
            rows = await self.thread.run(partial(self._lock_chunk, after))
            self.found.take(rows)
            if on_locked is not None:
                on_locked(len(self.found.records) + len(self.found.ambiguous))
            if len(rows) < self.chunk:
                break
            after = (rows[-1][1], rows[-1][0])
        self._keep(self.found.records)
        if self.found.ambiguous:
            log.warning(
                "oscar.stock_ambiguous_skus",
                connection=self.book.connection,
                skus=len(self.found.ambiguous),
                first=sorted(self.found.ambiguous)[:10],
                hint="several partners carry these SKUs; name one with the partner setting",
            )

    def _lock_chunk(self, after: tuple[str, int] | None) -> list[Row]:
        records = _stock_records(self.book.store.settings.partner)
        if after is not None:
            sku, pk = after
            records = records.filter(Q(partner_sku__gt=sku) | Q(partner_sku=sku, pk__gt=pk))
        locked = records.order_by("partner_sku", "pk").select_for_update()
        return list(locked.values_list(*RECORD_FIELDS)[: self.chunk])

    def _keep(self, records: Mapping[str, _Record]) -> None:
        for sku, record in records.items():
            self.levels[sku] = record.level
            self.marks[sku] = record.mark

    async def add(self, skus: Sequence[str]) -> Mapping[str, int]:
        """Levels only for SKUs that have a stock record by now (made since the lock went
        past them); none is made, so SKUs without one get no level."""
        found = await self.thread.run(partial(self._lock_skus, list(skus)))
        self._keep(found)
        return {sku: record.level for sku, record in found.items()}

    def _lock_skus(self, skus: list[str]) -> dict[str, _Record]:
        fresh = _BySku(ambiguous=set(self.found.ambiguous))
        for part in _chunks(skus, self.chunk):
            records = _stock_records(self.book.store.settings.partner)
            locked = records.filter(partner_sku__in=list(part)).select_for_update()
            fresh.take(locked.values_list(*RECORD_FIELDS))
        self.found.ambiguous |= fresh.ambiguous
        self.found.records.update(fresh.records)
        return fresh.records

    async def demand(self) -> Mapping[str, int]:
        """Units by SKU of the shop's orders ShipStation has not accepted in any version."""
        book = self.book
        candidates = await self.thread.run(book.candidate_orders)
        keys = {order_key(book.source, str(pk)): pk for pk in candidates}
        async with book.engine.connect() as conn:
            accepted = await accepted_order_keys(conn, book.connection, list(keys))
        waiting = [pk for key, pk in keys.items() if key not in accepted]
        orders = await self.thread.run(partial(book.read_orders, waiting))
        return orders_demand(orders, book.rules, source=book.source, now=utcnow())

    async def write(self, changes: Sequence[StockChange], run_id: str) -> None:
        """Add each delta to ``num_in_stock`` and record it, in the hold's transaction."""
        moving = [change for change in changes if change.delta]
        await self.thread.run(partial(self._write, moving, run_id))

    def _write(self, moving: list[StockChange], run_id: str) -> None:
        by_delta: dict[int, list[int]] = defaultdict(list)
        for change in moving:
            by_delta[change.delta].append(self.found.records[change.sku].pk)
        manager = get_model("partner", "StockRecord")._default_manager
        for delta, pks in by_delta.items():
            for part in _chunks(pks, self.chunk):
                manager.filter(pk__in=list(part)).update(
                    num_in_stock=Coalesce(F("num_in_stock"), 0) + delta
                )
        partner = self.book.store.settings.partner or ""
        StockAdjustment.objects.bulk_create(
            [
                StockAdjustment(
                    key=ledger_key(RECONCILE_REASON, run_id, str(n)),
                    sku=change.sku,
                    partner=partner,
                    delta=change.delta,
                    on_hand=self.found.records[change.sku].in_stock + change.delta,
                    reason=RECONCILE_REASON,
                )
                for n, change in enumerate(moving)
            ],
            batch_size=self.chunk,
        )


@dataclass
class OscarBook:
    """The Oscar store of one connection as a :class:`~stationmaster.stock.book.StockBook`.

    ``engine`` is stationmaster's database (its sync records say which orders ShipStation
    holds); ``rules`` and ``source`` are the connection's, so the demand counts exactly the
    orders its push would send.
    """

    store: OscarStore
    engine: AsyncEngine
    rules: Rules
    source: str
    connection: str = field(init=False)

    def __post_init__(self) -> None:
        self.connection = self.store.connection
        if _shop_writers_fail_during_a_hold():
            log.warning(
                "oscar.sqlite_writers_fail_during_reconcile",
                connection=self.connection,
                hint="set the shop's DATABASES OPTIONS transaction_mode to 'IMMEDIATE' "
                "(Django 5.1 and later) so its checkouts wait for a reconcile's hold",
            )

    async def marks(self) -> Mapping[str, int]:
        return await run_orm(self._read_marks)

    def _read_marks(self) -> dict[str, int]:
        found = _BySku()
        records = _stock_records(self.store.settings.partner).values_list(*RECORD_FIELDS)
        found.take(records.iterator(chunk_size=READ_CHUNK))
        return {sku: record.mark for sku, record in found.records.items()}

    @asynccontextmanager
    async def hold(
        self, *, chunk: int, commit: bool, on_locked: Callable[[int], None] | None = None
    ) -> AsyncIterator[OscarHeld]:
        thread = _HoldThread()
        atomic = _Atomic()
        try:
            try:
                await thread.run(atomic.begin)
                held = OscarHeld(self, thread, chunk)
                await held.lock(on_locked)
                yield held
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await thread.run(partial(atomic.end, keep=False))
                raise
            await thread.run(partial(atomic.end, keep=commit))
        finally:
            await thread.close()

    def candidate_orders(self) -> list[int]:
        """Primary keys of the orders that can count as demand (see the module docstring)."""
        orders = get_model("order", "Order")._default_manager.all()
        start = self.rules.eligibility.sync_start
        if start is not None:
            orders = orders.filter(date_placed__gte=_shop_time(start))
        if self.store.settings.statuses is not None:
            orders = orders.filter(status__in=self.store.settings.statuses)
        orders = orders.exclude(status__in=self._statuses_holding_nothing())
        return list(orders.order_by("pk").values_list("pk", flat=True))

    def _statuses_holding_nothing(self) -> list[str]:
        """The shop's pipeline statuses whose orders the rules map to a status holding no
        stock in ShipStation."""
        pipeline: Mapping[str, Iterable[str]] = get_model("order", "Order").pipeline
        known = set(pipeline).union(*pipeline.values())
        initial = getattr(django_settings, "OSCAR_INITIAL_ORDER_STATUS", None)
        if initial:
            known.add(initial)
        return sorted(s for s in known if self.rules.status.resolve(s)[0] not in HOLDING_STOCK)

    def read_orders(self, pks: Sequence[int]) -> list[Order]:
        """The orders ``pks`` through the connector's mapping; unmappable ones left out
        (they cannot be pushed either), logged."""
        manager = get_model("order", "Order")._default_manager
        orders: list[Order] = []
        unmappable = 0
        for part in _chunks(pks, READ_CHUNK):
            for order in mapping.details(manager.filter(pk__in=list(part)), self.store.options):
                try:
                    orders.append(mapping.map_order(order, None, self.store.options))
                except mapping.Unmappable:
                    unmappable += 1
        if unmappable:
            log.warning(
                "oscar.stock_demand_unmappable_orders",
                connection=self.connection,
                orders=unmappable,
            )
        return orders


def _shop_writers_fail_during_a_hold() -> bool:
    """Whether the shop's own read-then-write transactions fail, not wait, while a hold has
    the database: on SQLite, unless they too take the write lock when they begin."""
    if django_connection.vendor != "sqlite":
        return False
    options = django_connection.settings_dict.get("OPTIONS") or {}
    return str(options.get("transaction_mode", "")).upper() != "IMMEDIATE"


def _shop_time(moment: datetime) -> datetime:
    """``moment`` as the shop's database takes it (wall time when ``USE_TZ`` is off)."""
    if django_settings.USE_TZ:
        return moment
    return timezone.make_naive(moment, timezone.get_default_timezone())

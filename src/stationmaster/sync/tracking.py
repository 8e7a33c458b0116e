"""Tracking back to the store: ShipStation's labels, fulfillments and voids applied to orders.

Polling is the truth (webhooks only wake it early): each pass reads four streams since a cursor
kept in the database, overlapping the previous window by ``overlap_minutes`` (an hour more when
its start falls in the repeated autumn hour, whose Pacific wall time is ambiguous) and capped at
the pass's start, so nothing created while a pass runs is ever skipped. Everything it applies is
idempotent: a package is keyed by its ShipStation record, recorded once in ``tracked_packages``
and handed to the store only when it is new or newly voided; the store's status is recomputed
from the coverage of every live package, so a replay or an out-of-order event changes nothing.

Mapping a record to store orders: ``orderKey`` is the key we pushed; otherwise the ShipStation
``orderId`` is ours, or linked to ours (a split child maps to its parent's store order, a merge
survivor fans out to every absorbed order). An order id never seen is looked up once (``GET
/orders/{id}``) and what it says is remembered. Bad records are counted and logged, never fatal
to the pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Final, Literal, TypeVar

import structlog
from pydantic import JsonValue
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.domain import Order, Package, Shipment
from stationmaster.errors import NotFound, ShipStationError
from stationmaster.shipstation import ShipStationClient
from stationmaster.shipstation import models as ss
from stationmaster.shipstation.paging import MAX_PAGE_SIZE, Page, SkippedRecord, walk_filter
from stationmaster.stores.protocol import Store, StoreError, payment_capture_of
from stationmaster.sync.rules import Rules, normalize_status
from stationmaster.sync.tracking_orders import (
    KnownKeys,
    ids_mentioned,
    merged_related,
    read_orders,
)
from stationmaster.sync.tracking_packages import (
    LineIndex,
    assign_items,
    fulfillment_package,
    shipment_package,
)
from stationmaster.wiretime import utcnow, v1_filter_start

log = structlog.get_logger("stationmaster.tracking")

ORDERS_STREAM: Final = "tracking.orders"
SHIPMENTS_STREAM: Final = "tracking.shipments"
FULFILLMENTS_STREAM: Final = "tracking.fulfillments"
VOIDS_STREAM: Final = "tracking.voids"
CAPTURE: Final = "capture"
#: Order ids already looked up are not asked about again (up to this many are remembered).
_LOOKUP_MEMORY: Final = 10_000

R = TypeVar("R")
Q = TypeVar("Q", ss.OrderFilter, ss.ShipmentFilter, ss.FulfillmentFilter)


@dataclass
class TrackStats:
    """What a pass (or one apply call) did."""

    fetched: int = 0
    """Records read from ShipStation (or handed to an apply call)."""
    applied: int = 0
    """Live packages the store took (new ones)."""
    ignored: int = 0
    """Records that map to no store order of ours, return labels, duplicates of a label."""
    voided: int = 0
    """Packages the store now shows voided."""
    statuses_changed: int = 0
    captures_failed: int = 0
    calls: int = 0
    """ShipStation API calls spent."""
    bad_records: int = 0
    """Unreadable list positions, records without ids, items naming no line."""
    store_failures: int = 0
    """Store calls that failed; their packages stay pending and are retried next pass."""
    stream_errors: int = 0
    """Streams that could not be read this pass (their cursor stays where it was)."""

    def add(self, other: TrackStats) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


@dataclass(frozen=True, slots=True)
class _Target:
    order_key: str
    source_id: str


_Ref = tuple[int | None, str | None]
"""A record's ShipStation ``orderId`` and ``orderKey``."""


class Tracker:
    """One connection's way back: ShipStation's shipments into its store."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: str,
        store: Store,
        client: ShipStationClient,
        rules: Rules,
        *,
        source: str,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.connection = connection
        self.store = store
        self.client = client
        self.rules = rules
        self.source = source
        self.now = now
        self._looked_up: set[int] = set()

    def __repr__(self) -> str:
        return f"Tracker(connection={self.connection!r}, source={self.source!r})"

    # ------------------------------------------------------------------ polling

    async def poll(self) -> TrackStats:
        """One polling pass: pending packages, then orders, shipments, fulfillments, voids."""
        started = self.now()
        stats = TrackStats()
        await self._deliver_pending(stats)
        async with self.engine.connect() as conn:
            first = self.rules.tracking.start or await db.earliest_push(conn, self.connection)
        rules = self.rules
        streams: list[tuple[str, Callable[[datetime], Awaitable[None]]]] = []
        if rules.tracking.poll_orders:
            streams.append((ORDERS_STREAM, lambda since: self._poll_orders(since, stats)))
        streams += [
            (SHIPMENTS_STREAM, lambda since: self._poll_shipments(since, "createDate", stats)),
            (FULFILLMENTS_STREAM, lambda since: self._poll_fulfillments(since, stats)),
            (VOIDS_STREAM, lambda since: self._poll_shipments(since, "voidDate", stats)),
        ]
        for stream, read in streams:
            since = await self._since(stream, first, started)
            if since is not None:
                try:
                    await read(since)
                except ShipStationError as exc:
                    if exc.resolution.kind == "fail_connection":
                        raise
                    stats.stream_errors += 1
                    log.warning(
                        "tracking.stream_failed",
                        connection=self.connection,
                        stream=stream,
                        error=str(exc),
                    )
                    continue
            async with self.engine.begin() as conn:
                await db.set_cursor(
                    conn, self.connection, stream, {"at": started.isoformat()}, now=started
                )
        return stats

    async def _since(
        self, stream: str, first: datetime | None, started: datetime
    ) -> datetime | None:
        """Where a stream's window starts: its cursor less the overlap (None: nothing to read)."""
        async with self.engine.connect() as conn:
            value = await db.get_cursor(conn, self.connection, stream)
        at = _cursor_time(value)
        if at is None:
            if first is None:
                return None  # nothing pushed yet, so no shipment can be ours
            at = first
        overlap = timedelta(minutes=self.rules.tracking.overlap_minutes)
        return v1_filter_start(min(at, started) - overlap)

    async def _poll_orders(self, since: datetime, stats: TrackStats) -> None:
        query = ss.OrderFilter(
            modifyDateStart=since,
            storeId=self.rules.store_id,
            sortBy="ModifyDate",
            pageSize=MAX_PAGE_SIZE,
        )
        orders = await self._read(self.client.orders.list, query, _order_id, stats)
        stats.fetched += len(orders)
        await self._learn(orders, stats)

    async def _poll_shipments(
        self, since: datetime, by: Literal["createDate", "voidDate"], stats: TrackStats
    ) -> None:
        query = ss.ShipmentFilter(
            createDateStart=since if by == "createDate" else None,
            voidDateStart=since if by == "voidDate" else None,
            includeShipmentItems=True,
            storeId=self.rules.store_id,
            sortBy="CreateDate",
            pageSize=MAX_PAGE_SIZE,
        )
        shipments = await self._read(self.client.shipments.list, query, _shipment_id, stats)
        stats.fetched += len(shipments)
        await self._apply_shipments(shipments, stats)

    async def _poll_fulfillments(self, since: datetime, stats: TrackStats) -> None:
        query = ss.FulfillmentFilter(
            createDateStart=since, sortBy="CreateDate", pageSize=MAX_PAGE_SIZE
        )
        found = await self._read(self.client.fulfillments.list, query, _fulfillment_id, stats)
        stats.fetched += len(found)
        await self._apply_fulfillments(found, stats)

    async def _read(
        self,
        fetch: Callable[[Q], Awaitable[Page[R]]],
        query: Q,
        key: Callable[[R], Hashable],
        stats: TrackStats,
    ) -> list[R]:
        """Every record of a list, each once; positions that cannot be read are counted."""

        async def counted(page_query: Q) -> Page[R]:
            stats.calls += 1
            return await fetch(page_query)

        skipped: list[SkippedRecord] = []
        records = [record async for record in walk_filter(counted, query, key=key, skipped=skipped)]
        if skipped:
            stats.bad_records += len(skipped)
            log.warning(
                "tracking.unreadable_positions",
                connection=self.connection,
                positions=[s.position for s in skipped],
            )
        return records

    # ------------------------------------------------------------------ applying

    async def apply_shipments(self, shipments: Sequence[ss.Shipment]) -> TrackStats:
        """Apply labels (from a poll or a webhook's resource): new packages, voids, statuses."""
        stats = TrackStats(fetched=len(shipments))
        await self._apply_shipments(shipments, stats)
        return stats

    async def apply_fulfillments(self, fulfillments: Sequence[ss.Fulfillment]) -> TrackStats:
        """Apply fulfillments (Mark as Shipped, 3PL); one with a label's tracking number is
        that label again and is skipped."""
        stats = TrackStats(fetched=len(fulfillments))
        await self._apply_fulfillments(fulfillments, stats)
        return stats

    async def apply_orders(self, orders: Sequence[ss.Order]) -> TrackStats:
        """Learn splits, merges and cancellations from ShipStation orders (ORDER_NOTIFY, poll)."""
        stats = TrackStats(fetched=len(orders))
        await self._learn(orders, stats)
        return stats

    async def _apply_shipments(
        self, shipments: Sequence[ss.Shipment | None], stats: TrackStats
    ) -> None:
        usable: dict[int, ss.Shipment] = {}
        for shipment in shipments:
            if shipment is None or shipment.shipmentId is None:
                stats.bad_records += 1
                log.warning("tracking.shipment_without_id", connection=self.connection)
            elif shipment.isReturnLabel or (shipment.orderId is None and not shipment.orderKey):
                stats.ignored += 1  # a return, or a label bought without an order
            else:
                earlier = usable.get(shipment.shipmentId)
                if earlier is not None and earlier.voided and not shipment.voided:
                    continue  # the voided copy is the later truth
                usable[shipment.shipmentId] = shipment
        if not usable:
            return
        pending = list(usable.values())
        writes: list[db.TrackedWrite] = []
        for may_refresh in (True, False):
            targets = await self._targets([(s.orderId, s.orderKey) for s in pending], stats)
            orders = await self._store_orders(
                [t.source_id for found in targets.values() for t in found], stats
            )
            retry: list[ss.Shipment] = []
            for shipment in pending:
                found = targets.get((shipment.orderId, shipment.orderKey), [])
                planned = self._plan_shipment(shipment, found, orders, may_refresh, stats)
                if planned is None:
                    retry.append(shipment)
                else:
                    writes += planned
            if not retry:
                break
            await self._refresh([s.orderId for s in retry if s.orderId is not None], stats)
            pending = retry
        await self._commit(writes, stats)

    def _plan_shipment(
        self,
        shipment: ss.Shipment,
        targets: Sequence[_Target],
        orders: dict[str, Order],
        may_refresh: bool,
        stats: TrackStats,
    ) -> list[db.TrackedWrite] | None:
        """The packages one label makes; ``None`` when the order should be looked up first."""
        indexes = [LineIndex.of(orders[t.source_id]) for t in targets if t.source_id in orders]
        if not indexes:
            stats.ignored += 1
            log.info(
                "tracking.shipment_not_ours",
                connection=self.connection,
                shipment_id=shipment.shipmentId,
                order_id=shipment.orderId,
            )
            return []
        fields_ = self.rules.tracking.fields
        items = [item for item in shipment.shipmentItems or [] if item is not None]
        if "items" not in fields_ or not items:
            packages = {i.source_id: shipment_package(shipment, [], fields_) for i in indexes}
            return self._writes(packages, shipment.orderId, shipment.trackingNumber)
        assignment = assign_items(items, indexes)
        if assignment.unknown and may_refresh and shipment.orderId not in self._looked_up:
            return None  # the order may have been merged since we last looked
        if assignment.unknown:
            stats.bad_records += assignment.unknown
            log.warning(
                "tracking.unknown_items",
                connection=self.connection,
                shipment_id=shipment.shipmentId,
                unknown=assignment.unknown,
            )
        if not assignment.items:
            stats.ignored += 1
            return []
        packages = {
            source_id: shipment_package(shipment, its, fields_)
            for source_id, its in assignment.items.items()
        }
        return self._writes(packages, shipment.orderId, shipment.trackingNumber)

    async def _apply_fulfillments(
        self, fulfillments: Sequence[ss.Fulfillment | None], stats: TrackStats
    ) -> None:
        usable: dict[int, ss.Fulfillment] = {}
        for fulfillment in fulfillments:
            if fulfillment is None or fulfillment.fulfillmentId is None:
                stats.bad_records += 1
                log.warning("tracking.fulfillment_without_id", connection=self.connection)
            elif fulfillment.orderId is None:
                stats.ignored += 1
            else:
                usable[fulfillment.fulfillmentId] = fulfillment
        if not usable:
            return
        targets = await self._targets([(f.orderId, None) for f in usable.values()], stats)
        source_ids = [t.source_id for found in targets.values() for t in found]
        orders = await self._store_orders(source_ids, stats)
        async with self.engine.connect() as conn:
            known = await db.tracked_packages_of(conn, self.connection, source_ids)
        writes: list[db.TrackedWrite] = []
        for fulfillment in usable.values():
            found = [
                t for t in targets.get((fulfillment.orderId, None), []) if t.source_id in orders
            ]
            if not found:
                stats.ignored += 1
                continue
            tracking = (fulfillment.trackingNumber or "").strip()
            packages: dict[str, Package] = {}
            for target in found:
                if tracking and _has_label(known.get(target.source_id, []), tracking):
                    stats.ignored += 1  # the label's own tracking, marked shipped again
                    continue
                packages[target.source_id] = fulfillment_package(
                    fulfillment, self.rules.tracking.fields
                )
            writes += self._writes(packages, fulfillment.orderId, tracking or None)
        await self._commit(writes, stats)

    async def apply_packages(
        self, packages: dict[str, Package], *, order_id: int | None = None
    ) -> TrackStats:
        """Apply packages that arrived by another road (a Custom Store ship notice), keyed by
        source id, through the same record-deliver-settle path as polled labels."""
        stats = TrackStats(fetched=len(packages))
        for source_id, package in packages.items():
            writes = self._writes({source_id: package}, order_id, package.tracking_number)
            await self._commit(writes, stats)
        return stats

    def _writes(
        self, packages: dict[str, Package], order_id: int | None, tracking: str | None
    ) -> list[db.TrackedWrite]:
        return [
            db.TrackedWrite(
                source_id=source_id,
                package_key=package.key,
                order_id=order_id,
                tracking_number=(tracking or "").strip() or None,
                payload=package.model_dump(mode="json", exclude={"voided"}),
                voided=package.voided,
            )
            for source_id, package in packages.items()
        ]

    async def _commit(self, writes: Sequence[db.TrackedWrite], stats: TrackStats) -> None:
        """Record packages, hand the changed ones to the store, then settle their orders."""
        if not writes:
            return
        async with self.engine.begin() as conn:
            changed = await db.record_tracked(conn, self.connection, writes, now=self.now())
        await self._deliver(changed, stats)

    async def _deliver_pending(self, stats: TrackStats) -> None:
        async with self.engine.connect() as conn:
            pending = await db.pending_tracked(conn, self.connection)
        await self._deliver(pending, stats)

    async def _deliver(self, packages: Sequence[db.TrackedPackage], stats: TrackStats) -> None:
        taken: list[db.TrackedPackage] = []
        for source_id, group in db.by_source(packages).items():
            readable = [(row, p) for row in group if (p := self._package(row, stats)) is not None]
            shipment = Shipment(order_source_id=source_id, packages=[p for _, p in readable])
            try:
                await self.store.apply_shipment(shipment)
            except Exception as exc:  # any connector failure: keep pending, retry next pass
                stats.store_failures += 1
                log.warning(
                    "tracking.store_apply_failed",
                    connection=self.connection,
                    source_id=source_id,
                    error=type(exc).__name__,
                    detail=str(exc),
                )
                continue
            taken += [row for row, _ in readable]
            stats.voided += sum(1 for _, p in readable if p.voided)
            stats.applied += sum(1 for _, p in readable if not p.voided)
        if taken:
            async with self.engine.begin() as conn:
                await db.mark_tracked_applied(conn, self.connection, taken, now=self.now())
            await self._settle(list(db.by_source(taken)), stats)

    def _package(self, row: db.TrackedPackage, stats: TrackStats) -> Package | None:
        try:
            return Package.model_validate({**row.payload, "voided": row.voided})
        except PydanticValidationError:
            stats.bad_records += 1
            log.warning(
                "tracking.unreadable_package",
                connection=self.connection,
                source_id=row.source_id,
                package=row.package_key,
            )
            return None

    # ------------------------------------------------------------------ statuses and payment

    async def _settle(self, source_ids: Sequence[str], stats: TrackStats) -> None:
        """Recompute each order's status from all its live packages; capture on first ship."""
        try:
            orders = await self._store_orders(source_ids, stats)
        except StoreError:  # the packages are in; statuses follow with the order's next event
            return
        async with self.engine.connect() as conn:
            packages = await db.tracked_packages_of(conn, self.connection, list(orders))
            history = await db.get_tracking_orders(conn, self.connection, list(orders))
        for source_id, order in orders.items():
            rows = packages.get(source_id, [])
            readable = [p for row in rows if (p := self._package(row, stats)) is not None]
            shipment = Shipment(order_source_id=source_id, packages=readable)
            before = history.get(source_id)
            after = await self._set_status(order, shipment, before, stats)
            if shipment.live_packages():
                after = await self._capture(source_id, after, stats)
            if after != before and after is not None:
                async with self.engine.begin() as conn:
                    await db.save_tracking_order(conn, self.connection, after, now=self.now())

    async def _set_status(
        self,
        order: Order,
        shipment: Shipment,
        before: db.TrackingOrder | None,
        stats: TrackStats,
    ) -> db.TrackingOrder | None:
        rules = self.rules.tracking
        live = bool(shipment.live_packages())
        target: str | None
        if live:
            target = rules.shipped if shipment.covers(order) else rules.partially_shipped
        else:
            touched = before is not None and before.status_set is not None
            target = before.status_before if touched and before is not None else None
        current = order.status
        if target is None or target == current or not self._may_move(current, target, before):
            return before
        try:
            await self.store.set_status(order.source_id, target)
        except Exception as exc:  # the packages are in; the status follows on the next event
            stats.store_failures += 1
            log.warning(
                "tracking.status_failed",
                connection=self.connection,
                source_id=order.source_id,
                error=type(exc).__name__,
                detail=str(exc),
            )
            return before
        stats.statuses_changed += 1
        status_before = before.status_before if before is not None else None
        return db.TrackingOrder(
            source_id=order.source_id,
            status_before=status_before if status_before is not None else current,
            status_set=target if live else None,
            captured_at=before.captured_at if before is not None else None,
        )

    def _may_move(self, current: str, target: str, before: db.TrackingOrder | None) -> bool:
        """Tracking moves an order only from a status it set itself, or one never touched.

        A status a person chose since (or one of ``keep_statuses``) is theirs; an untouched
        order already shipped in the store is never moved back to partially shipped.
        """
        rules = self.rules.tracking
        if rules.keeps(current):
            return False
        if before is not None and before.status_set is not None:
            return current == before.status_set
        return not (
            normalize_status(current) == normalize_status(rules.shipped)
            and target == rules.partially_shipped
        )

    async def _capture(
        self, source_id: str, before: db.TrackingOrder | None, stats: TrackStats
    ) -> db.TrackingOrder | None:
        """Capture the payment once the first package ships; a failure is queued, not raised."""
        capturer = payment_capture_of(self.store)
        if not self.rules.tracking.capture_payment_on_ship or capturer is None:
            return before
        if before is not None and before.captured_at is not None:
            return before
        try:
            await capturer.capture_payment(source_id)
        except Exception as exc:  # never blocks tracking: queued for replay with its reason
            stats.captures_failed += 1
            reason = f"{type(exc).__name__}: {exc}"
            async with self.engine.begin() as conn:
                await db.note_tracking_error(
                    conn, self.connection, source_id, CAPTURE, reason, now=self.now()
                )
            log.warning("tracking.capture_failed", connection=self.connection, source_id=source_id)
            return before
        return db.TrackingOrder(
            source_id=source_id,
            status_before=before.status_before if before is not None else None,
            status_set=before.status_set if before is not None else None,
            captured_at=self.now(),
        )

    async def replay_captures(self, ids: Sequence[int] | None = None) -> int:
        """Try open payment-capture errors again (all, or ``ids``); how many went through."""
        async with self.engine.connect() as conn:
            errors = await db.list_tracking_errors(conn, connection=self.connection, ids=ids)
            history = await db.get_tracking_orders(
                conn, self.connection, [e.source_id for e in errors]
            )
        done = 0
        for error in errors:
            if error.action != CAPTURE:
                continue
            stats = TrackStats()
            after = await self._capture(error.source_id, history.get(error.source_id), stats)
            if stats.captures_failed:
                continue
            async with self.engine.begin() as conn:
                if after is not None:
                    await db.save_tracking_order(conn, self.connection, after, now=self.now())
                await db.resolve_tracking_errors(conn, [error.id], now=self.now())
            done += 1
        return done

    # ------------------------------------------------------------------ whose order is it

    async def _targets(self, refs: Sequence[_Ref], stats: TrackStats) -> dict[_Ref, list[_Target]]:
        """The store orders behind each (orderId, orderKey); unknown ids are looked up once."""
        known = await self._known([k for _, k in refs if k], [i for i, _ in refs if i is not None])
        keys = {ref: _candidates(ref, known) for ref in dict.fromkeys(refs)}
        unknown = [
            order_id
            for (order_id, _), found in keys.items()
            if not found and order_id is not None and order_id not in self._looked_up
        ]
        if unknown:
            await self._refresh(unknown, stats)
            known = await self._known(
                [k for _, k in refs if k], [i for i, _ in refs if i is not None]
            )
            keys = {ref: _candidates(ref, known) for ref in keys}
        wanted = sorted({key for found in keys.values() for key in found})
        async with self.engine.connect() as conn:
            records = await db.get_sync_records(conn, self.connection, wanted)
        result: dict[_Ref, list[_Target]] = {}
        for ref, found in keys.items():
            result[ref] = [
                _Target(key, source_id)
                for key in found
                if (source_id := _source_of(records.get(key))) is not None
            ]
        return result

    async def _known(self, keys: Sequence[str], order_ids: Sequence[int]) -> KnownKeys:
        async with self.engine.connect() as conn:
            return KnownKeys(
                records=await db.get_sync_records(conn, self.connection, list(dict.fromkeys(keys))),
                by_order_id=await db.keys_by_order_id(conn, self.connection, order_ids),
                links=await db.linked_keys(conn, self.connection, order_ids),
            )

    async def _refresh(self, order_ids: Iterable[int], stats: TrackStats) -> None:
        """Look orders up in ShipStation and learn what they say (splits, merges)."""
        fetched: list[ss.Order] = []
        for order_id in dict.fromkeys(order_ids):
            if order_id in self._looked_up:
                continue
            stats.calls += 1
            try:
                fetched.append(await self.client.orders.get(order_id))
            except NotFound:
                pass  # merged away or deleted: nothing to learn from it
            except ShipStationError as exc:
                if exc.resolution.kind == "fail_connection":
                    raise
                log.warning(
                    "tracking.order_lookup_failed",
                    connection=self.connection,
                    order_id=order_id,
                    error=str(exc),
                )
                continue
            if len(self._looked_up) >= _LOOKUP_MEMORY:
                self._looked_up.clear()
            self._looked_up.add(order_id)
        await self._learn(fetched, stats)

    async def _learn(self, orders: Sequence[ss.Order | None], stats: TrackStats) -> None:
        """Record what orders say: links to our keys, frozen records, ShipStation statuses."""
        present = [o for o in orders if o is not None]
        keys = [o.orderKey for o in present if o.orderKey]
        known = await self._known(keys, ids_mentioned(present))
        facts = read_orders(orders, known)
        stats.bad_records += facts.unreadable
        touched = sorted(set(facts.frozen) | set(facts.statuses) | set(facts.related))
        now = self.now()
        async with self.engine.begin() as conn:
            if facts.links:
                await db.link_orders(conn, self.connection, facts.links, now=now)
            records = await db.get_sync_records(conn, self.connection, touched)
            for key in touched:
                record = records.get(key)
                if record is None:
                    continue
                await self._note(conn, record, facts.frozen, facts.statuses, facts.related, now)
        if facts.cancelled:
            await self._cancel(
                [s for k in facts.cancelled if (s := _source_of(records.get(k))) is not None],
                stats,
            )

    async def _note(
        self,
        conn: AsyncConnection,
        record: db.SyncRecord,
        frozen: set[str],
        statuses: dict[str, str],
        related: dict[str, dict[str, JsonValue]],
        now: datetime,
    ) -> None:
        key = record.order_key
        freeze = key in frozen and not record.frozen
        status = statuses.get(key)
        new_status = status if status is not None and status != record.remote_status else None
        new_related = merged_related(record.related_ids, related[key]) if key in related else None
        if new_related == record.related_ids:
            new_related = None
        if not (freeze or new_status or new_related is not None):
            return
        if freeze:
            log.info("tracking.order_frozen", connection=self.connection, order_key=key)
        await db.update_sync_record(
            conn,
            self.connection,
            key,
            remote_status=new_status,
            frozen=True if freeze else None,
            related_ids=new_related,
            now=now,
        )

    async def _cancel(self, source_ids: Sequence[str], stats: TrackStats) -> None:
        """ShipStation cancelled these orders: cancel them in the store, if the rules say so."""
        rules = self.rules.tracking
        if not rules.apply_cancellations:
            log.info(
                "tracking.cancellations_not_applied",
                connection=self.connection,
                orders=len(source_ids),
            )
            return
        for source_id, order in (await self._store_orders(source_ids, stats)).items():
            if normalize_status(order.status) == normalize_status(rules.cancelled):
                continue
            try:
                await self.store.set_status(source_id, rules.cancelled)
            except Exception as exc:  # logged and counted; the next poll of the order retries
                stats.store_failures += 1
                log.warning(
                    "tracking.cancel_failed",
                    connection=self.connection,
                    source_id=source_id,
                    error=type(exc).__name__,
                )
                continue
            stats.statuses_changed += 1

    async def _store_orders(self, source_ids: Sequence[str], stats: TrackStats) -> dict[str, Order]:
        wanted = list(dict.fromkeys(source_ids))
        if not wanted:
            return {}
        try:
            return await self.store.orders_by_id(wanted)
        except Exception as exc:
            # The store is down: stop here so the stream's cursor stays where it was and the
            # next pass reads the same records again (treating them as not ours loses them).
            stats.store_failures += 1
            log.warning(
                "tracking.store_read_failed",
                connection=self.connection,
                error=type(exc).__name__,
                detail=str(exc),
            )
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"reading orders from the store failed: {exc}") from exc


def _candidates(ref: _Ref, known: KnownKeys) -> list[str]:
    order_id, key = ref
    found: list[str] = []
    if key and key in known.records:
        found.append(key)
    elif order_id is not None and order_id in known.by_order_id:
        found.append(known.by_order_id[order_id])
    if order_id is not None:
        found += known.links.get(order_id, [])
    return list(dict.fromkeys(found))


def _source_of(record: db.SyncRecord | None) -> str | None:
    return record.source_id if record is not None else None


def _has_label(packages: Sequence[db.TrackedPackage], tracking: str) -> bool:
    return any(
        p.package_key.startswith("shipment:") and not p.voided and p.tracking_number == tracking
        for p in packages
    )


def _cursor_time(value: JsonValue) -> datetime | None:
    if isinstance(value, dict) and isinstance(at := value.get("at"), str):
        try:
            parsed = datetime.fromisoformat(at)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def _order_id(order: ss.Order) -> Hashable:
    return order.orderId


def _shipment_id(shipment: ss.Shipment) -> Hashable:
    return shipment.shipmentId


def _fulfillment_id(fulfillment: ss.Fulfillment) -> Hashable:
    return fulfillment.fulfillmentId

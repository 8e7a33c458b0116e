"""The push sync: store changes into the outbox, and outbox batches into ``createorders``.

Two halves with the database between them, so a crash anywhere loses nothing:

* ``detect`` reads what changed in the store after the cursor, maps each order under the
  rules, and queues the ones whose payload changed; the queue rows and the cursor advance
  commit in one transaction.
* ``push_batch`` claims up to 100 due rows, sends them in one ``createorders`` call and
  records each order's own result. A row leaves the outbox only with a recorded result; a
  crash before that means the same rows are sent again, which ShipStation treats as an
  update because every order carries its deterministic ``orderKey``.

A batch-level fault (429, 5xx, timeout) keeps the whole batch; a batch ShipStation refuses as
a whole is halved until the order at fault is found, so one bad order never holds back the
other 99.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.domain import Order as StoreOrder
from stationmaster.errors import (
    NotFound,
    Resolution,
    ShipStationError,
    StationmasterError,
)
from stationmaster.shipstation import Exchange, ShipStationClient
from stationmaster.shipstation.models import CreateOrderResult, to_wire
from stationmaster.stores import Store, Unreadable
from stationmaster.sync.mapping import Mapped, fingerprint, map_order, order_key
from stationmaster.sync.rules import Rules
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.push")

ORDERS_STREAM = "orders"
#: How long a batch-level 5xx or timeout waits before the batch is tried again.
BATCH_RETRY_DELAY = timedelta(seconds=30)


class ConnectionStopped(StationmasterError):
    """ShipStation refused the connection itself (credentials, permissions): stop its sync."""


@dataclass
class PushStats:
    """What a pass did, for progress bars, the status page and the benchmark."""

    detected: int = 0
    queued: int = 0
    unchanged: int = 0
    skipped: int = 0
    refused: int = 0
    calls: int = 0
    sent: int = 0
    accepted: int = 0
    retried: int = 0
    dead_lettered: int = 0
    deleted: int = 0


@dataclass
class AuditTrail:
    """Client observer that stores every exchange in the audit log (redacted, capped)."""

    engine: AsyncEngine
    connection: str
    last_id: int | None = None

    async def __call__(self, exchange: Exchange) -> None:
        async with self.engine.begin() as conn:
            self.last_id = await db.record_exchange(conn, exchange, self.connection)


@dataclass
class PushSync:
    """One connection's push: its store, rules, ShipStation client and state."""

    engine: AsyncEngine
    connection: str
    store: Store
    rules: Rules
    source: str
    client: ShipStationClient
    audit: AuditTrail | None = None
    batch_size: int = 100
    now: Callable[[], datetime] = utcnow
    stats: PushStats = field(default_factory=PushStats)
    on_progress: Callable[[PushStats], None] | None = None

    # ------------------------------------------------------------------ detect

    async def detect(
        self,
        *,
        limit: int = 5000,
        page: int = 500,
        since: datetime | None = None,
        from_start: bool = False,
    ) -> int:
        """Queue what changed in the store; returns how many store orders were read.

        ``from_start`` re-reads the store from its first change (a backfill), and ``since``
        then keeps only orders created at or after it. Unchanged orders are not queued.
        """
        read = 0
        async with self.engine.connect() as conn:
            cursor: JsonValue = (
                None if from_start else await db.get_cursor(conn, self.connection, ORDERS_STREAM)
            )
        while read < limit:
            batch = await self.store.changed_orders(cursor, min(page, limit - read))
            orders = [o for o in batch.orders if since is None or o.created_at >= since]
            await self._queue(orders, batch.cursor, batch.unreadable)
            read += len(batch.orders) + len(batch.unreadable)
            cursor = batch.cursor
            if not batch.more or not (batch.orders or batch.unreadable):
                break
        return read

    async def queue_is_full(self, lookahead: int) -> bool:
        """Whether ``lookahead`` rows or more wait, due, to be sent."""
        async with self.engine.connect() as conn:
            due = await db.count_due(conn, self.connection, cap=lookahead, now=self.now())
        return due >= lookahead

    async def _queue(
        self,
        orders: Sequence[StoreOrder],
        cursor: JsonValue,
        unreadable: Sequence[Unreadable] = (),
    ) -> None:
        now = self.now()
        items: list[db.OutboxItem] = []
        refused: list[tuple[Mapped, StoreOrder]] = []
        for order in orders:
            mapped = map_order(order, self.rules, source=self.source, now=now)
            if not mapped.eligible:
                self.stats.skipped += 1
            elif mapped.action == "delete":
                items.append(db.OutboxItem(mapped.order_key, {}, "delete", "delete"))
            elif mapped.payload is None:
                refused.append((mapped, order))
            else:
                payload = to_wire(mapped.payload)
                items.append(
                    db.OutboxItem(mapped.order_key, payload, fingerprint(payload), mapped.action)
                )
        async with self.engine.begin() as conn:
            await db.remember_sources(
                conn,
                self.connection,
                {order_key(self.source, o.source_id): o.source_id for o in orders},
            )
            result = await db.enqueue(
                conn, self.connection, items, (ORDERS_STREAM, cursor), now=now
            )
            for mapped, _ in refused:
                reason = "; ".join(f"{p.field}: {p.message}" for p in mapped.errors)
                await db.note_error(conn, self.connection, mapped.order_key, reason, now)
            for bad in unreadable:
                key = order_key(self.source, bad.source_id)
                await db.note_error(conn, self.connection, key, f"store: {bad.reason}", now)
        self.stats.detected += len(orders)
        self.stats.queued += len(result.queued) + len(result.replaced)
        self.stats.unchanged += sum(1 for s in result.skipped if s.reason == "unchanged")
        self.stats.refused += len(refused) + len(unreadable)
        await self._write_back([o.source_id for _, o in refused], failed=True)
        for mapped, order in refused:
            log.info(
                "push.refused_by_rules",
                connection=self.connection,
                order=order.number,
                problems=len(mapped.errors),
            )
        for bad in unreadable:
            log.warning(
                "push.unreadable_in_store",
                connection=self.connection,
                source_id=bad.source_id,
                reason=bad.reason,
            )
        self._progress()

    # ------------------------------------------------------------------ push

    async def push_batch(self) -> int:
        """Send one batch of due rows; returns how many rows it handled (0: nothing due)."""
        async with self.engine.begin() as conn:
            rows = await db.claim(conn, self.connection, self.batch_size, now=self.now())
        if not rows:
            return 0
        upserts = [row for row in rows if row.action == "upsert"]
        if upserts:
            await self._send_upserts(upserts)
        for row in rows:
            if row.action == "delete":
                await self._send_delete(row)
        self._progress()
        return len(rows)

    async def _send_upserts(self, rows: Sequence[db.OutboxRow]) -> None:
        self.stats.calls += 1
        self.stats.sent += len(rows)
        try:
            response = await self.client.orders.create_many([row.payload for row in rows])
        except ShipStationError as exc:
            await self._batch_failed(rows, exc)
            return
        await self._record(rows, response.results or [])

    async def _batch_failed(self, rows: Sequence[db.OutboxRow], exc: ShipStationError) -> None:
        resolution = exc.resolution
        if resolution.kind == "fail_connection":
            raise ConnectionStopped(f"{self.connection}: {exc}") from exc
        if resolution.kind == "fail_record" and len(rows) > 1:
            middle = len(rows) // 2
            log.info("push.batch_refused_bisecting", connection=self.connection, size=len(rows))
            await self._send_upserts(rows[:middle])
            await self._send_upserts(rows[middle:])
            return
        if resolution.kind == "rate_limited":
            wait = timedelta(seconds=resolution.wait or 60.0)
            async with self.engine.begin() as conn:
                await db.postpone(conn, rows, self.now() + wait, reason=str(exc))
            self.stats.retried += len(rows)
            return
        for row in rows:
            await self._fail(row, resolution, str(exc))

    async def _record(
        self, rows: Sequence[db.OutboxRow], results: Sequence[CreateOrderResult]
    ) -> None:
        matched = match_results(rows, results)
        accepted: list[tuple[db.OutboxRow, int | None, str | None]] = []
        failed: list[str] = []
        now = self.now()
        async with self.engine.begin() as conn:
            for row, result in matched:
                if result is None:
                    reason = "ShipStation's answer had no result for this order"
                    await self._fail_in(conn, row, Resolution("retry", reason), reason, now)
                elif result.success:
                    status = row.payload.get("orderStatus")
                    remote = status if isinstance(status, str) else None
                    accepted.append((row, result.orderId, remote))
                else:
                    reason = result.errorMessage or "ShipStation refused the order"
                    await self._fail_in(conn, row, Resolution("fail_record", reason), reason, now)
                    failed.append(row.order_key)
            await db.record_successes(conn, accepted, now=now)
            accepted_keys = [row.order_key for row, _, _ in accepted]
            sources = await db.sources_for(conn, self.connection, accepted_keys + failed)
        self.stats.accepted += len(accepted)
        await self._write_back([sources[k] for k in accepted_keys if k in sources], failed=False)
        await self._write_back([sources[k] for k in failed if k in sources], failed=True)

    async def _send_delete(self, row: db.OutboxRow) -> None:
        async with self.engine.connect() as conn:
            record = await db.get_sync_record(conn, self.connection, row.order_key)
        order_id = record.order_id if record is not None else None
        if order_id is not None:
            self.stats.calls += 1
            try:
                await self.client.orders.delete(order_id)
            except NotFound:
                pass  # already gone in ShipStation: the delete has happened
            except ShipStationError as exc:
                if exc.resolution.kind == "fail_connection":
                    raise ConnectionStopped(f"{self.connection}: {exc}") from exc
                await self._fail(row, exc.resolution, str(exc))
                return
        async with self.engine.begin() as conn:
            await db.record_success(conn, row, order_id, "deleted", now=self.now())
        self.stats.deleted += 1

    async def _fail(self, row: db.OutboxRow, resolution: Resolution, reason: str) -> None:
        async with self.engine.begin() as conn:
            await self._fail_in(conn, row, resolution, reason, self.now())

    async def _fail_in(
        self,
        conn: AsyncConnection,
        row: db.OutboxRow,
        resolution: Resolution,
        reason: str,
        now: datetime,
    ) -> None:
        audit_id = self.audit.last_id if self.audit is not None else None
        outcome = await db.record_failure(conn, row, resolution, reason, audit_id, now=now)
        if outcome.kind == "dead_letter":
            self.stats.dead_lettered += 1
            log.warning(
                "push.dead_letter",
                connection=self.connection,
                order_key=row.order_key,
                reason=reason,
            )
        elif outcome.kind == "retry":
            self.stats.retried += 1
        elif outcome.kind == "stop_connection":
            raise ConnectionStopped(f"{self.connection}: {reason}")

    # ------------------------------------------------------------------ write-back

    async def _write_back(self, source_ids: Sequence[str], *, failed: bool) -> None:
        """Move orders from the trigger status to submitted (or failed), if configured."""
        rules = self.rules.write_back
        if not rules.enabled or not source_ids or "status" not in self.store.capabilities:
            return
        target = rules.failed if failed else rules.submitted
        current = await self.store.orders_by_id(list(source_ids))
        for source_id, order in current.items():
            if order.status == rules.trigger:
                await self.store.set_status(source_id, target)

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stats)


def match_results(
    rows: Sequence[db.OutboxRow], results: Sequence[CreateOrderResult]
) -> list[tuple[db.OutboxRow, CreateOrderResult | None]]:
    """Pair rows with ``createorders`` results: by orderKey, else by orderNumber in order.

    ShipStation does not promise results in request order, so position alone is never
    trusted; a row left without a result is retried, never assumed accepted.
    """
    by_key = {r.orderKey: r for r in results if r.orderKey}
    by_number: dict[str, list[CreateOrderResult]] = {}
    for result in results:
        if not result.orderKey and result.orderNumber:
            by_number.setdefault(result.orderNumber, []).append(result)
    paired: list[tuple[db.OutboxRow, CreateOrderResult | None]] = []
    for row in rows:
        found = by_key.get(row.order_key)
        if found is None:
            number = row.payload.get("orderNumber")
            queue = by_number.get(number) if isinstance(number, str) else None
            found = queue.pop(0) if queue else None
        paired.append((row, found))
    return paired

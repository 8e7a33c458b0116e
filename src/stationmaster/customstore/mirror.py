"""A pull-mode connection's copy of a connector's orders, which the Custom Store export serves.

ShipStation asks a Custom Store for "every order modified between two instants, page N".
A real store's API rarely answers that question fast and stably (Oscar keeps no modification
stamp, a GraphQL API pages by its own rules), so the export never asks the store: the
connection's native order tables hold a copy, kept up to date from the connector's change
feed, and the export pages through that copy on its index. A native store needs no copy; it
is its own.

The copy is refreshed before the first page of each export (bounded in time, so a slow store
delays ShipStation by seconds, not minutes) and whenever :meth:`Mirror.refresh` is called. A
store that is down leaves the last copy in place: ShipStation gets what is known, and the
failure is logged and noted on the connection. Ship notices go to the real store, not to the
copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import structlog
from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order
from stationmaster.stores.native import InvalidStoreInput, NativeStore
from stationmaster.stores.protocol import Store, StoreError, Unreadable
from stationmaster.sync.mapping import order_key
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.customstore.mirror")

MIRROR_STREAM = "customstore-mirror"


@dataclass
class MirrorStats:
    """What one refresh did."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unreadable: int = 0
    complete: bool = True


class Mirror:
    """Copies ``store``'s changed orders into the connection's native tables."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: str,
        store: Store,
        *,
        source: str = "native",
        page: int = 500,
        max_seconds: float = 10.0,
    ) -> None:
        if page < 1:
            raise ValueError(f"page must be at least 1, got {page}")
        self.engine = engine
        self.connection = connection
        self.store = store
        self.source = source
        self.copy = NativeStore(engine, connection, source=source)
        self.page = page
        self.max_seconds = max_seconds
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"Mirror(connection={self.connection!r}, store={self.store.kind!r})"

    async def refresh(self) -> MirrorStats:
        """Read the store's feed from the mirror's cursor until it ends or time is up.

        Each page is copied, then the cursor moves past it, so a crash between the two
        reads the page again (copying is idempotent). One refresh at a time per process;
        a caller that arrives during one waits for it instead of starting another.
        """
        async with self._lock:
            stats = MirrorStats()
            with anyio.move_on_after(self.max_seconds) as scope:
                await self._refresh(stats)
            if scope.cancelled_caught:
                stats.complete = False
                log.info("customstore.mirror_partial", connection=self.connection, read=stats.read)
            return stats

    async def _refresh(self, stats: MirrorStats) -> None:
        async with self.engine.connect() as conn:
            cursor: JsonValue = await db.get_cursor(conn, self.connection, MIRROR_STREAM)
        while True:
            batch = await self.store.changed_orders(cursor, self.page)
            await self._copy(batch.orders, stats)
            await self._note_unreadable(batch.unreadable, stats)
            stats.read += len(batch.orders) + len(batch.unreadable)
            async with self.engine.begin() as conn:
                await db.set_cursor(conn, self.connection, MIRROR_STREAM, batch.cursor)
            cursor = batch.cursor
            if not batch.more or not (batch.orders or batch.unreadable):
                return

    async def _copy(self, batch: Sequence[Order], stats: MirrorStats) -> None:
        try:
            counts = await self.copy.ingest_many(batch)
        except InvalidStoreInput:
            # One order the tables cannot hold must not keep the others out of the copy.
            counts = {"created": 0, "updated": 0, "unchanged": 0}
            for order in batch:
                try:
                    counts[await self.copy.put(order)] += 1
                except InvalidStoreInput as exc:
                    await self._note_unreadable([Unreadable(order.source_id, str(exc))], stats)
        stats.created += counts["created"]
        stats.updated += counts["updated"]

    async def _note_unreadable(self, unreadable: Sequence[Unreadable], stats: MirrorStats) -> None:
        if not unreadable:
            return
        stats.unreadable += len(unreadable)
        now = utcnow()
        async with self.engine.begin() as conn:
            for bad in unreadable:
                try:
                    key = order_key(self.source, bad.source_id)
                except ValueError:
                    key = None
                if key is not None:
                    await db.note_error(conn, self.connection, key, f"store: {bad.reason}", now)
                log.warning(
                    "customstore.mirror_unreadable",
                    connection=self.connection,
                    source_id=bad.source_id,
                    reason=bad.reason,
                )


async def refresh_quietly(mirror: Mirror) -> MirrorStats | None:
    """Refresh before an export; a store that fails leaves the last copy and a noted problem."""
    try:
        stats = await mirror.refresh()
    except StoreError as exc:
        log.warning("customstore.mirror_failed", connection=mirror.connection, error=str(exc))
        async with mirror.engine.begin() as conn:
            await db.note_problem(
                conn, mirror.connection, f"store ({mirror.store.kind}): {exc}", utcnow()
            )
        return None
    async with mirror.engine.begin() as conn:
        await db.clear_problem(conn, mirror.connection)
    return stats

"""The native store's stock, held for a reconcile: one database transaction from lock to write.

On PostgreSQL the levels are read ``FOR UPDATE`` in keyset chunks ordered by SKU, so every
level is locked before ShipStation is asked, and writers that come meanwhile (a warehouse
delta, an order taking stock) wait for the reconcile instead of being overwritten by it. On
SQLite the transaction is a write transaction from its first statement (``BEGIN
IMMEDIATE``), which keeps every other writer out for as long: they wait on the busy timeout.
The changes go in with ``UPDATE ... SET on_hand = on_hand + delta`` in chunks, and each is
recorded in the stock ledger with reason ``reconcile``, in the same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.stock.demand import native_demand
from stationmaster.stock.plan import StockChange
from stationmaster.sync.rules import Rules
from stationmaster.wiretime import utcnow

RECONCILE_REASON = "reconcile"
#: A pending ledger row this old when a reconcile locks has lost its claimer; the reconcile
#: settles it (see :mod:`stationmaster.stock.ledger`).
IN_DOUBT_AFTER = timedelta(minutes=5)


@dataclass
class NativeHeld:
    """The native levels of one connection, locked by the transaction on ``conn``."""

    conn: AsyncConnection
    connection: str
    rules: Rules
    source: str
    chunk: int
    locked_at: datetime
    levels: dict[str, int] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)

    async def add(self, skus: Sequence[str]) -> Mapping[str, int]:
        added = await db.add_native_stock_rows(self.conn, self.connection, skus, chunk=self.chunk)
        self.levels.update(added)
        return added

    async def demand(self) -> Mapping[str, int]:
        return await native_demand(
            self.conn, self.connection, rules=self.rules, source=self.source, now=utcnow()
        )

    async def write(self, changes: Sequence[StockChange], run_id: str) -> None:
        moving = [change for change in changes if change.delta]
        await db.add_to_native_stock(
            self.conn, self.connection, [(c.sku, c.delta) for c in moving], chunk=self.chunk
        )
        await db.record_stock_applied(
            self.conn,
            self.connection,
            [
                (db.ledger_key(RECONCILE_REASON, run_id, str(n)), c.sku, c.delta, c.target)
                for n, c in enumerate(moving)
            ],
            reason=RECONCILE_REASON,
        )
        await db.settle_pending_stock(
            self.conn, self.connection, claimed_before=self.locked_at - IN_DOUBT_AFTER
        )


@dataclass
class NativeBook:
    """The native store of one connection as a :class:`~stationmaster.stock.book.StockBook`.

    ``rules`` and ``source`` are the connection's, so the demand counts exactly the orders
    its push would send.
    """

    engine: AsyncEngine
    connection: str
    rules: Rules
    source: str

    async def marks(self) -> Mapping[str, int]:
        async with self.engine.connect() as conn:
            return await db.native_stock_versions(conn, self.connection)

    @asynccontextmanager
    async def hold(
        self, *, chunk: int, commit: bool, on_locked: Callable[[int], None] | None = None
    ) -> AsyncIterator[NativeHeld]:
        async with self.engine.connect() as conn:
            transaction = await conn.begin()
            try:
                held = NativeHeld(
                    conn, self.connection, self.rules, self.source, chunk, locked_at=utcnow()
                )
                async for rows in db.lock_native_stock(conn, self.connection, chunk=chunk):
                    for sku, on_hand, version in rows:
                        held.levels[sku] = on_hand
                        held.marks[sku] = version
                    if on_locked is not None:
                        on_locked(len(held.levels))
                yield held
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await transaction.rollback()
                raise
            if commit:
                await transaction.commit()
            else:
                await transaction.rollback()

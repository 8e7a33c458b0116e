"""The stock ledger: one row per keyed stock adjustment, so a key is applied once per connection.

A row is claimed with ``INSERT ... ON CONFLICT DO NOTHING`` on the unique (connection, key)
pair, so of many concurrent deliveries of one key exactly one claims it (on PostgreSQL the
others wait on the unique index until the first commits or rolls back). Where the claim
shares a transaction with the store's own write (the native store), the pair is exact: both
or neither. Other stores go through :mod:`stationmaster.stock.ledger`, which keeps a row
``pending`` while the store is asked and marks it ``applied`` with the level it answered.

Every function works inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import chunks, require_connection, upsert
from stationmaster.db.errors import InvalidStateInput, StateError
from stationmaster.db.tables import KEY, stock_adjustments
from stationmaster.db.types import require_aware
from stationmaster.wiretime import utcnow

StockEntryState = Literal["pending", "applied", "reconciled"]

#: Ledger rows written per statement when many go in at once (a reconcile's deltas).
WRITE_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class StockEntry:
    """One keyed adjustment as recorded; ``result`` is the level right after it."""

    id: int
    connection: str
    key: str
    sku: str
    delta: int
    reason: str | None
    state: StockEntryState
    result: int | None
    created_at: datetime
    applied_at: datetime | None

    def same_change(self, sku: str, delta: int) -> bool:
        return self.sku == sku and self.delta == delta


class LedgerKeyReused(StateError):
    """A key already recorded for another SKU or delta; nothing was written."""

    def __init__(self, entry: StockEntry, sku: str, delta: int) -> None:
        super().__init__(
            f"idempotency key {entry.key!r} was used for {entry.delta:+d} of {entry.sku!r}, "
            f"not {delta:+d} of {sku!r}"
        )
        self.entry = entry


def _entry(row: RowMapping) -> StockEntry:
    return StockEntry(
        id=row["id"],
        connection=row["connection"],
        key=row["idempotency_key"],
        sku=row["sku"],
        delta=row["delta"],
        reason=row["reason"],
        state=row["state"],
        result=row["result"],
        created_at=row["created_at"],
        applied_at=row["applied_at"],
    )


def check_key(key: object) -> str:
    """``key`` if it is a usable idempotency key, else :class:`InvalidStateInput` saying why."""
    if not isinstance(key, str) or not key.strip() or len(key) > KEY:
        raise InvalidStateInput(
            f"an idempotency key must be a non-blank string of at most {KEY} characters"
        )
    return key


def ledger_key(*parts: str) -> str:
    """A ledger key made of ``parts`` joined by ``:``; a digest of them when that is too long."""
    joined = ":".join(parts)
    if len(joined) <= KEY:
        return joined
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{parts[0][:40]}:sha256:{digest}"


async def claim_stock_key(
    conn: AsyncConnection,
    connection: str,
    key: str,
    sku: str,
    delta: int,
    *,
    reason: str | None = None,
    state: StockEntryState,
    now: datetime | None = None,
) -> StockEntry | None:
    """Record ``key`` for this adjustment; ``None`` if the key is recorded already."""
    check_key(key)
    if reason is not None and (not isinstance(reason, str) or len(reason) > KEY):
        raise InvalidStateInput(f"a reason is text of at most {KEY} characters")
    at = require_aware(now or utcnow(), "now")
    await require_connection(conn, connection)
    statement = (
        upsert(conn, stock_adjustments)
        .values(
            connection=connection,
            idempotency_key=key,
            sku=sku,
            delta=delta,
            reason=reason,
            state=state,
            result=None,
            created_at=at,
            applied_at=at if state == "applied" else None,
        )
        .on_conflict_do_nothing(
            index_elements=[stock_adjustments.c.connection, stock_adjustments.c.idempotency_key]
        )
        .returning(*stock_adjustments.c)
    )
    row = (await conn.execute(statement)).mappings().first()
    return _entry(row) if row is not None else None


async def get_stock_entry(conn: AsyncConnection, connection: str, key: str) -> StockEntry | None:
    query = select(stock_adjustments).where(
        stock_adjustments.c.connection == connection,
        stock_adjustments.c.idempotency_key == key,
    )
    row = (await conn.execute(query)).mappings().first()
    return _entry(row) if row is not None else None


async def mark_stock_applied(
    conn: AsyncConnection, entry_id: int, result: int | None, *, now: datetime | None = None
) -> None:
    """The adjustment is in the store, leaving ``result`` (``None``: level not known)."""
    at = require_aware(now or utcnow(), "now")
    await conn.execute(
        update(stock_adjustments)
        .where(stock_adjustments.c.id == entry_id)
        .values(state="applied", result=result, applied_at=at)
    )


async def forget_pending_stock(conn: AsyncConnection, entry_id: int) -> bool:
    """Drop a pending row the store refused (nothing applied): the key is free again."""
    result = await conn.execute(
        delete(stock_adjustments).where(
            stock_adjustments.c.id == entry_id, stock_adjustments.c.state == "pending"
        )
    )
    return result.rowcount == 1


async def take_over_stock(
    conn: AsyncConnection, entry: StockEntry, *, now: datetime | None = None
) -> bool:
    """Claim a pending row someone else claimed and never settled; ``False`` if it moved on.

    Conditional on the row still being exactly as read, so of two callers taking over the
    same stale row only one succeeds.
    """
    at = require_aware(now or utcnow(), "now")
    result = await conn.execute(
        update(stock_adjustments)
        .where(
            stock_adjustments.c.id == entry.id,
            stock_adjustments.c.state == "pending",
            stock_adjustments.c.created_at == entry.created_at,
        )
        .values(created_at=at)
    )
    return result.rowcount == 1


async def pending_stock_entries(
    conn: AsyncConnection, connection: str, *, claimed_before: datetime
) -> list[StockEntry]:
    """Pending rows claimed before ``claimed_before`` (their claimer is presumed gone)."""
    query = (
        select(stock_adjustments)
        .where(
            stock_adjustments.c.connection == connection,
            stock_adjustments.c.state == "pending",
            stock_adjustments.c.created_at < require_aware(claimed_before, "claimed_before"),
        )
        .order_by(stock_adjustments.c.id)
    )
    return [_entry(row) for row in (await conn.execute(query)).mappings()]


async def settle_pending_stock(
    conn: AsyncConnection, connection: str, *, claimed_before: datetime
) -> int:
    """Mark pending rows claimed before a full reconcile's snapshot ``reconciled``; how many.

    Whether such an adjustment reached the store or not, the reconcile has since set the
    level from ShipStation's count, so the row is no longer in doubt.
    """
    result = await conn.execute(
        update(stock_adjustments)
        .where(
            stock_adjustments.c.connection == connection,
            stock_adjustments.c.state == "pending",
            stock_adjustments.c.created_at < require_aware(claimed_before, "claimed_before"),
        )
        .values(state="reconciled")
    )
    return int(result.rowcount)


async def record_stock_applied(
    conn: AsyncConnection,
    connection: str,
    rows: Sequence[tuple[str, str, int, int]],
    *,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Record adjustments already made in this transaction: ``(key, sku, delta, result)``."""
    at = require_aware(now or utcnow(), "now")
    values: list[dict[str, Any]] = [
        {
            "connection": connection,
            "idempotency_key": check_key(key),
            "sku": sku,
            "delta": delta,
            "reason": reason,
            "state": "applied",
            "result": result,
            "created_at": at,
            "applied_at": at,
        }
        for key, sku, delta, result in rows
    ]
    for part in chunks(values, WRITE_CHUNK):
        await conn.execute(stock_adjustments.insert(), list(part))


async def stock_ledger_entries(
    conn: AsyncConnection, connection: str, *, sku: str | None = None
) -> list[StockEntry]:
    """A connection's ledger, oldest first (of one SKU if given): for operators and tests."""
    query = select(stock_adjustments).where(stock_adjustments.c.connection == connection)
    if sku is not None:
        query = query.where(stock_adjustments.c.sku == sku)
    query = query.order_by(stock_adjustments.c.id)
    return [_entry(row) for row in (await conn.execute(query)).mappings()]

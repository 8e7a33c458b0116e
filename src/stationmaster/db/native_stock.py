"""The native store's stock levels: atomic adjustments that never go below zero by accident.

An adjustment is one ``INSERT ... ON CONFLICT DO UPDATE SET on_hand = on_hand + delta``, so
concurrent adjustments add up instead of overwriting each other; one that would leave a
negative level is undone (unless backorders are allowed) and raises
:class:`~stationmaster.db.errors.InsufficientStock`.

A keyed adjustment (:func:`adjust_native_stock_once`) claims its key in the stock ledger in
the same transaction as the ``UPDATE``, so it is applied exactly once: both are kept or
neither. A full reconcile reads the levels ``FOR UPDATE`` in chunks ordered by SKU
(:func:`lock_native_stock`), the order every multi-row writer here locks in too, so
writers queue behind it instead of deadlocking with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, chunks, require_connection, upsert
from stationmaster.db.errors import InsufficientStock, InvalidStateInput, StateError
from stationmaster.db.stock_ledger import (
    LedgerKeyReused,
    check_key,
    claim_stock_key,
    get_stock_entry,
    ledger_key,
    mark_stock_applied,
)
from stationmaster.db.tables import KEY, native_stock
from stationmaster.db.types import require_aware
from stationmaster.wiretime import utcnow


@dataclass(frozen=True, slots=True)
class NativeStock:
    connection: str
    sku: str
    on_hand: int
    version: int
    updated_at: datetime


def _stock(row: RowMapping) -> NativeStock:
    return NativeStock(
        connection=row["connection"],
        sku=row["sku"],
        on_hand=row["on_hand"],
        version=row["version"],
        updated_at=row["updated_at"],
    )


async def adjust_native_stock(
    conn: AsyncConnection,
    connection: str,
    sku: str,
    delta: int,
    *,
    allow_negative: bool = False,
    now: datetime | None = None,
) -> NativeStock:
    """Add ``delta`` (may be negative) to ``sku``'s level, creating it at zero; the new level."""
    if not isinstance(sku, str) or not sku.strip() or len(sku) > KEY:
        raise InvalidStateInput(f"sku must be a non-empty string of at most {KEY} characters")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidStateInput(f"stock delta must be an integer, got {delta!r}")
    at = require_aware(now or utcnow(), "now")
    statement = upsert(conn, native_stock).values(
        connection=connection, sku=sku, on_hand=delta, version=1, updated_at=at
    )
    adjust = statement.on_conflict_do_update(
        index_elements=[native_stock.c.connection, native_stock.c.sku],
        set_={
            "on_hand": native_stock.c.on_hand + statement.excluded.on_hand,
            "version": native_stock.c.version + 1,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(*native_stock.c)
    async with atomic(conn):
        await require_connection(conn, connection)
        row = (await conn.execute(adjust)).mappings().one()
        level = _stock(row)
        if level.on_hand < 0 and not allow_negative:
            raise InsufficientStock(connection, sku, level.on_hand - delta, delta)
    return level


async def get_native_stock(conn: AsyncConnection, connection: str, sku: str) -> NativeStock | None:
    query = select(native_stock).where(
        native_stock.c.connection == connection, native_stock.c.sku == sku
    )
    row = (await conn.execute(query)).mappings().first()
    return _stock(row) if row is not None else None


async def list_native_stock(conn: AsyncConnection, connection: str) -> list[NativeStock]:
    """Every stock level of a connection, by SKU (a reconcile's snapshot of this side)."""
    query = (
        select(native_stock)
        .where(native_stock.c.connection == connection)
        .order_by(native_stock.c.sku)
    )
    return [_stock(row) for row in (await conn.execute(query)).mappings()]


class UnknownStockSku(StateError, LookupError):
    """The connection keeps no stock level for this SKU; nothing was written."""

    def __init__(self, connection: str, sku: str) -> None:
        super().__init__(f"connection {connection!r} keeps no stock of {sku!r}")
        self.sku = sku


def _check_change(sku: object, delta: object) -> None:
    if not isinstance(sku, str) or not sku.strip() or len(sku) > KEY:
        raise InvalidStateInput(f"sku must be a non-empty string of at most {KEY} characters")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidStateInput(f"stock delta must be an integer, got {delta!r}")


async def adjust_native_stock_once(
    conn: AsyncConnection,
    connection: str,
    sku: str,
    delta: int,
    key: str,
    *,
    reason: str | None = None,
    create: bool = False,
    allow_negative: bool = False,
    now: datetime | None = None,
) -> tuple[int, bool]:
    """Add ``delta`` once per ``key``: the level after it, and whether this call added it.

    A repeated key adds nothing and returns the current level; a key recorded for another
    SKU or delta raises :class:`~stationmaster.db.stock_ledger.LedgerKeyReused`. Without
    ``create`` an SKU with no level raises :class:`UnknownStockSku`. The ledger row and the
    level change commit together or not at all.
    """
    _check_change(sku, delta)
    check_key(key)
    at = require_aware(now or utcnow(), "now")
    async with atomic(conn):
        claimed = await claim_stock_key(
            conn, connection, key, sku, delta, reason=reason, state="applied", now=at
        )
        if claimed is None:
            return await _repeat(conn, connection, key, sku, delta), False
        on_hand = await _add(conn, connection, sku, delta, at, create=create)
        if on_hand < 0 and not allow_negative:
            raise InsufficientStock(connection, sku, on_hand - delta, delta)
        await mark_stock_applied(conn, claimed.id, on_hand, now=at)
    return on_hand, True


async def _repeat(conn: AsyncConnection, connection: str, key: str, sku: str, delta: int) -> int:
    entry = await get_stock_entry(conn, connection, key)
    if entry is None:  # claimed and gone again in between: only a deleted connection does that
        raise UnknownStockSku(connection, sku)
    if not entry.same_change(sku, delta):
        raise LedgerKeyReused(entry, sku, delta)
    level = await get_native_stock(conn, connection, sku)
    return level.on_hand if level is not None else entry.result or 0


async def _add(
    conn: AsyncConnection, connection: str, sku: str, delta: int, at: datetime, *, create: bool
) -> int:
    """The level after adding ``delta`` to an existing row (or a new one, with ``create``)."""
    changed = (
        await conn.execute(
            update(native_stock)
            .where(native_stock.c.connection == connection, native_stock.c.sku == sku)
            .values(
                on_hand=native_stock.c.on_hand + delta,
                version=native_stock.c.version + 1,
                updated_at=at,
            )
            .returning(native_stock.c.on_hand)
        )
    ).scalar_one_or_none()
    if changed is not None:
        return int(changed)
    if not create:
        raise UnknownStockSku(connection, sku)
    level = await adjust_native_stock(conn, connection, sku, delta, allow_negative=True, now=at)
    return level.on_hand


def order_stock_key(source_id: str, sku: str) -> str:
    """The ledger key of the units an order takes of one SKU: one take per order and SKU."""
    return ledger_key("order", source_id, sku)


async def take_native_stock(
    conn: AsyncConnection,
    connection: str,
    source_id: str,
    quantities: Mapping[str, int],
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Take an order's units from stock, once per order and SKU; the levels after, by SKU.

    Only SKUs the connection keeps a level for are taken (others are not tracked here).
    The rows are locked first, in one statement ordered by SKU, so concurrent orders and a
    reconcile lock in the same order. :class:`InsufficientStock` if any level would go below
    zero, and then nothing is taken.
    """
    for sku, quantity in quantities.items():
        _check_change(sku, quantity)
    at = require_aware(now or utcnow(), "now")
    levels: dict[str, int] = {}
    async with atomic(conn):
        tracked: list[str] = []
        for part in chunks(sorted(quantities)):
            query = (
                select(native_stock.c.sku)
                .where(native_stock.c.connection == connection, native_stock.c.sku.in_(part))
                .order_by(native_stock.c.sku)
                .with_for_update()
            )
            tracked += (await conn.execute(query)).scalars().all()
        for sku in tracked:
            levels[sku], _ = await adjust_native_stock_once(
                conn,
                connection,
                sku,
                -quantities[sku],
                order_stock_key(source_id, sku),
                reason=reason,
                now=at,
            )
    return levels


async def native_stock_versions(conn: AsyncConnection, connection: str) -> dict[str, int]:
    """Every SKU's ``version`` (bumped by each change), unlocked: what moved since, later."""
    query = select(native_stock.c.sku, native_stock.c.version).where(
        native_stock.c.connection == connection
    )
    return {str(sku): int(version) for sku, version in await conn.execute(query)}


async def lock_native_stock(
    conn: AsyncConnection, connection: str, *, chunk: int
) -> AsyncIterator[list[tuple[str, int, int]]]:
    """Every level of the connection as ``(sku, on_hand, version)``, locked, ``chunk`` rows at
    a time.

    Keyset pages (``sku > last``) in the database's own order of SKUs, each read ``FOR UPDATE``
    on PostgreSQL (SQLite's write transaction already excludes other writers). The locks last
    until the caller's transaction ends.
    """
    if chunk < 1:
        raise InvalidStateInput(f"chunk must be at least 1, got {chunk}")
    after: str | None = None
    while True:
        query = select(native_stock.c.sku, native_stock.c.on_hand, native_stock.c.version).where(
            native_stock.c.connection == connection
        )
        if after is not None:
            query = query.where(native_stock.c.sku > after)
        query = query.order_by(native_stock.c.sku).limit(chunk).with_for_update()
        rows = [(str(s), int(on_hand), int(v)) for s, on_hand, v in await conn.execute(query)]
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        after = rows[-1][0]


async def add_native_stock_rows(
    conn: AsyncConnection,
    connection: str,
    skus: Sequence[str],
    *,
    chunk: int,
    now: datetime | None = None,
) -> dict[str, int]:
    """Make a level of zero for each SKU that has none, lock them all; their levels by SKU.

    A row another transaction made meanwhile is kept as it is (and locked, and read).
    """
    at = require_aware(now or utcnow(), "now")
    levels: dict[str, int] = {}
    for part in chunks(list(skus), chunk):
        for sku in part:
            _check_change(sku, 0)
        statement = (
            upsert(conn, native_stock)
            .values(
                connection=bindparam("b_connection"),
                sku=bindparam("b_sku"),
                on_hand=0,
                version=1,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=[native_stock.c.connection, native_stock.c.sku])
        )
        await conn.execute(statement, [{"b_connection": connection, "b_sku": s} for s in part])
        query = (
            select(native_stock.c.sku, native_stock.c.on_hand)
            .where(native_stock.c.connection == connection, native_stock.c.sku.in_(list(part)))
            .order_by(native_stock.c.sku)
            .with_for_update()
        )
        levels.update((str(sku), int(on_hand)) for sku, on_hand in await conn.execute(query))
    return levels


async def add_to_native_stock(
    conn: AsyncConnection,
    connection: str,
    deltas: Sequence[tuple[str, int]],
    *,
    chunk: int,
    now: datetime | None = None,
) -> int:
    """Add each ``(sku, delta)`` to its existing level, ``chunk`` rows per statement; how many.

    For a reconcile that already holds the rows' locks: no row is created here.
    """
    at = require_aware(now or utcnow(), "now")
    statement = (
        update(native_stock)
        .where(
            native_stock.c.connection == bindparam("b_connection"),
            native_stock.c.sku == bindparam("b_sku"),
        )
        .values(
            on_hand=native_stock.c.on_hand + bindparam("b_delta"),
            version=native_stock.c.version + 1,
            updated_at=at,
        )
    )
    changed = 0
    for part in chunks(list(deltas), chunk):
        params = [{"b_connection": connection, "b_sku": s, "b_delta": d} for s, d in part]
        result = await conn.execute(statement, params)
        changed += int(result.rowcount)
    return changed

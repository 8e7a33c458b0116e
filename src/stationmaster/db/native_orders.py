"""The native store's orders: stationmaster's own order tables for apps without a store.

Each write that changes an order gives it the connection's next ``change_seq``, so "what
changed since cursor N" is ``change_seq > N`` in ``change_seq`` order. Numbers are handed
out under the connection row's lock, so they become visible in the order they were given:
a reader that has seen N never later finds a smaller number appear behind it.
Writing an identical order again changes nothing and takes no number (idempotent ingest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, chunks, require_connection
from stationmaster.db.errors import InvalidStateInput, UnknownNativeOrder
from stationmaster.db.tables import KEY, connections, native_orders
from stationmaster.db.types import JsonObject, canonical_json, require_aware
from stationmaster.wiretime import utcnow


@dataclass(frozen=True, slots=True)
class NativeOrder:
    connection: str
    source_id: str
    order_key: str
    payload: JsonObject
    status: str
    deleted: bool
    version: int
    change_seq: int
    updated_at: datetime


def native_order_of(row: RowMapping) -> NativeOrder:
    """A ``native_orders`` row as a stored order."""
    return NativeOrder(
        connection=row["connection"],
        source_id=row["source_id"],
        order_key=row["order_key"],
        payload=row["payload"],
        status=row["status"],
        deleted=bool(row["deleted"]),
        version=row["version"],
        change_seq=row["change_seq"],
        updated_at=row["updated_at"],
    )


def _require_text(label: str, value: object, limit: int = KEY) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidStateInput(f"{label} must be a non-empty string of at most {limit} characters")
    return value


def number_of(document: Mapping[str, Any]) -> str | None:
    """The order number a stored document carries, kept in its own column to be searched by
    (cut to the column's width: a longer one is found by its store id instead)."""
    number = document.get("number")
    return number[:KEY] if isinstance(number, str) and number else None


async def _advance(conn: AsyncConnection, connection: str, last: int) -> int:
    """The connection's next change number, given ``last`` read under its row lock."""
    seq = last + 1
    await conn.execute(
        update(connections).where(connections.c.name == connection).values(native_change_seq=seq)
    )
    return seq


async def upsert_native_order(
    conn: AsyncConnection,
    connection: str,
    source_id: str,
    order_key: str,
    payload: Mapping[str, Any],
    status: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Store an order as the store sent it; ``True`` if that changed anything.

    An identical order (same key, payload, status, not deleted) is a no-op. Storing a deleted
    order again brings it back. An order key used by another source id is refused.
    """
    _require_text("source_id", source_id)
    _require_text("order_key", order_key)
    _require_text("status", status, 40)
    if not isinstance(payload, Mapping):
        raise InvalidStateInput(f"payload must be a JSON object, got {type(payload).__name__}")
    document = dict(payload)
    canonical = canonical_json(document)
    at = require_aware(now or utcnow(), "now")
    async with atomic(conn):
        last = await require_connection(conn, connection, lock=True)
        await _refuse_taken_key(conn, connection, source_id, order_key)
        current = await get_native_order(conn, connection, source_id)
        if current is not None and (
            not current.deleted
            and current.order_key == order_key
            and current.status == status
            and canonical_json(current.payload) == canonical
        ):
            return False
        seq = await _advance(conn, connection, last)
        values = {
            "order_key": order_key,
            "number": number_of(document),
            "payload": document,
            "status": status,
            "deleted": False,
            "change_seq": seq,
            "updated_at": at,
        }
        if current is None:
            await conn.execute(
                insert(native_orders).values(
                    connection=connection, source_id=source_id, version=1, **values
                )
            )
        else:
            await _update(conn, current, version=current.version + 1, **values)
    return True


async def _refuse_taken_key(
    conn: AsyncConnection, connection: str, source_id: str, order_key: str
) -> None:
    query = select(native_orders.c.source_id).where(
        native_orders.c.connection == connection,
        native_orders.c.order_key == order_key,
        native_orders.c.source_id != source_id,
    )
    other = (await conn.execute(query)).scalar_one_or_none()
    if other is not None:
        raise InvalidStateInput(
            f"order key {order_key!r} already belongs to source id {other!r} on {connection!r}"
        )


async def _update(conn: AsyncConnection, order: NativeOrder, **values: object) -> None:
    await conn.execute(
        update(native_orders)
        .where(
            native_orders.c.connection == order.connection,
            native_orders.c.source_id == order.source_id,
        )
        .values(**values)
    )


async def _change(
    conn: AsyncConnection, connection: str, source_id: str, at: datetime, **values: object
) -> bool:
    async with atomic(conn):
        last = await require_connection(conn, connection, lock=True)
        current = await get_native_order(conn, connection, source_id)
        if current is None:
            raise UnknownNativeOrder(connection, source_id)
        if all(getattr(current, name) == value for name, value in values.items()):
            return False
        seq = await _advance(conn, connection, last)
        await _update(
            conn, current, version=current.version + 1, change_seq=seq, updated_at=at, **values
        )
    return True


async def mark_native_deleted(
    conn: AsyncConnection, connection: str, source_id: str, *, now: datetime | None = None
) -> bool:
    """Mark an order deleted (it stays, so the change feed can tell ShipStation); changed?"""
    at = require_aware(now or utcnow(), "now")
    return await _change(conn, connection, source_id, at, deleted=True)


async def set_native_status(
    conn: AsyncConnection,
    connection: str,
    source_id: str,
    status: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Set an order's status (e.g. the write-back to "submitted"); ``True`` if it changed."""
    _require_text("status", status, 40)
    at = require_aware(now or utcnow(), "now")
    return await _change(conn, connection, source_id, at, status=status)


async def get_native_order(
    conn: AsyncConnection, connection: str, source_id: str
) -> NativeOrder | None:
    query = select(native_orders).where(
        native_orders.c.connection == connection, native_orders.c.source_id == source_id
    )
    row = (await conn.execute(query)).mappings().first()
    return native_order_of(row) if row is not None else None


async def get_native_orders_by_key(
    conn: AsyncConnection, connection: str, order_keys: Sequence[str]
) -> dict[str, NativeOrder]:
    """The orders among ``order_keys`` that exist, by order key."""
    found: dict[str, NativeOrder] = {}
    for part in chunks(list(order_keys)):
        query = select(native_orders).where(
            native_orders.c.connection == connection, native_orders.c.order_key.in_(part)
        )
        for row in (await conn.execute(query)).mappings():
            found[row["order_key"]] = native_order_of(row)
    return found


async def native_changes_since(
    conn: AsyncConnection, connection: str, cursor: int, limit: int = 100
) -> list[NativeOrder]:
    """Orders changed after ``cursor`` (a ``change_seq``), in change order, deleted included.

    The next cursor is the last returned order's ``change_seq``.
    """
    if limit < 1:
        raise InvalidStateInput(f"limit must be at least 1, got {limit}")
    query = (
        select(native_orders)
        .where(native_orders.c.connection == connection, native_orders.c.change_seq > cursor)
        .order_by(native_orders.c.change_seq)
        .limit(limit)
    )
    return [native_order_of(row) for row in (await conn.execute(query)).mappings()]


@dataclass(frozen=True, slots=True)
class NativeWrite:
    """One order as the app sends it, for :func:`upsert_native_orders`."""

    source_id: str
    order_key: str
    payload: JsonObject
    status: str
    deleted: bool = False


NativeOutcome = Literal["created", "updated", "unchanged"]


async def upsert_native_orders(
    conn: AsyncConnection,
    connection: str,
    writes: Sequence[NativeWrite],
    *,
    now: datetime | None = None,
) -> list[NativeOutcome]:
    """Store many orders at once (a bulk import): a few statements, not a few per order.

    The same rules as :func:`upsert_native_order`, plus the deleted flag as given; the last
    write wins when a source id repeats. All or nothing.
    """
    at = require_aware(now or utcnow(), "now")
    for write in writes:
        _require_text("source_id", write.source_id)
        _require_text("order_key", write.order_key)
        _require_text("status", write.status, 40)
    async with atomic(conn):
        last = await require_connection(conn, connection, lock=True)
        ids = list(dict.fromkeys(w.source_id for w in writes))
        current: dict[str, NativeOrder] = {}
        for part in chunks(ids):
            query = select(native_orders).where(
                native_orders.c.connection == connection, native_orders.c.source_id.in_(part)
            )
            current.update(
                (r["source_id"], native_order_of(r)) for r in (await conn.execute(query)).mappings()
            )
        owners: dict[str, str] = {}
        keys = list(dict.fromkeys(w.order_key for w in writes))
        for part in chunks(keys):
            query = select(native_orders.c.order_key, native_orders.c.source_id).where(
                native_orders.c.connection == connection, native_orders.c.order_key.in_(part)
            )
            owners.update({key: source for key, source in await conn.execute(query)})
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[str, dict[str, Any]] = {}
        outcomes: list[NativeOutcome] = []
        seq = last
        for write in writes:
            owner = owners.get(write.order_key)
            if owner is not None and owner != write.source_id:
                raise InvalidStateInput(
                    f"order key {write.order_key!r} already belongs to source id {owner!r} "
                    f"on {connection!r}"
                )
            owners[write.order_key] = write.source_id
            before = current.get(write.source_id)
            document = dict(write.payload)
            if before is not None and (
                before.deleted == write.deleted
                and before.order_key == write.order_key
                and before.status == write.status
                and canonical_json(before.payload) == canonical_json(document)
            ):
                outcomes.append("unchanged")
                continue
            seq += 1
            version = before.version + 1 if before is not None else 1
            values: dict[str, Any] = {
                "connection": connection,
                "source_id": write.source_id,
                "order_key": write.order_key,
                "number": number_of(document),
                "payload": document,
                "status": write.status,
                "deleted": write.deleted,
                "change_seq": seq,
                "updated_at": at,
                "version": version,
            }
            pending = inserts.get(write.source_id)
            if before is None and pending is None:
                inserts[write.source_id] = values
            elif pending is not None:
                pending.update(values, version=1)
            else:
                updates[write.source_id] = values
            current[write.source_id] = NativeOrder(
                connection,
                write.source_id,
                write.order_key,
                document,
                write.status,
                write.deleted,
                version,
                seq,
                at,
            )
            outcomes.append("created" if before is None and pending is None else "updated")
        if inserts:
            await conn.execute(insert(native_orders), list(inserts.values()))
        if updates:
            await conn.execute(
                update(native_orders)
                .where(
                    native_orders.c.connection == bindparam("b_connection"),
                    native_orders.c.source_id == bindparam("b_source_id"),
                )
                .values(
                    order_key=bindparam("order_key"),
                    number=bindparam("number"),
                    payload=bindparam("payload"),
                    status=bindparam("status"),
                    deleted=bindparam("deleted"),
                    change_seq=bindparam("change_seq"),
                    updated_at=bindparam("updated_at"),
                    version=bindparam("version"),
                ),
                [
                    {
                        **{k: v for k, v in row.items() if k not in ("connection", "source_id")},
                        "b_connection": connection,
                        "b_source_id": row["source_id"],
                    }
                    for row in updates.values()
                ],
            )
        if seq != last:
            await _advance(conn, connection, seq - 1)
    return outcomes

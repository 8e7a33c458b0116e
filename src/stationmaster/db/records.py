"""Sync records: what ShipStation holds for each order key, and whether it may be sent again.

One row per (connection, order key). ``fingerprint`` is that of the last payload ShipStation
accepted, so an unchanged order is never re-sent. ``locked`` (ShipStation shipped or
cancelled it) and ``frozen`` (it was split or merged there) stop any further push: the
order now belongs to ShipStation's side, and overwriting it would undo a person's work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, chunks, upsert
from stationmaster.db.tables import outbox, sync_records
from stationmaster.db.types import JsonValue, require_aware
from stationmaster.wiretime import utcnow

#: ShipStation order statuses after which stationmaster never sends the order again.
LOCKING_STATUSES = frozenset({"shipped", "cancelled", "rejected_fulfillment"})


@dataclass(frozen=True, slots=True)
class SyncRecord:
    connection: str
    order_key: str
    source_id: str | None
    order_id: int | None
    related_ids: JsonValue
    fingerprint: str | None
    remote_status: str | None
    locked: bool
    frozen: bool
    pushed_at: datetime | None
    last_error: str | None
    updated_at: datetime


def record_of(row: RowMapping) -> SyncRecord:
    return SyncRecord(
        connection=row["connection"],
        order_key=row["order_key"],
        source_id=row["source_id"],
        order_id=row["order_id"],
        related_ids=row["related_ids"],
        fingerprint=row["fingerprint"],
        remote_status=row["remote_status"],
        locked=bool(row["locked"]),
        frozen=bool(row["frozen"]),
        pushed_at=row["pushed_at"],
        last_error=row["last_error"],
        updated_at=row["updated_at"],
    )


def locks(remote_status: str | None) -> bool:
    return remote_status is not None and remote_status.lower() in LOCKING_STATUSES


async def get_sync_record(
    conn: AsyncConnection, connection: str, order_key: str
) -> SyncRecord | None:
    records = await get_sync_records(conn, connection, [order_key])
    return records.get(order_key)


async def get_sync_records(
    conn: AsyncConnection, connection: str, order_keys: Sequence[str]
) -> dict[str, SyncRecord]:
    """The records that exist among ``order_keys``, by key."""
    found: dict[str, SyncRecord] = {}
    for part in chunks(list(order_keys)):
        query = select(sync_records).where(
            sync_records.c.connection == connection, sync_records.c.order_key.in_(part)
        )
        for row in (await conn.execute(query)).mappings():
            found[row["order_key"]] = record_of(row)
    return found


async def update_sync_record(
    conn: AsyncConnection,
    connection: str,
    order_key: str,
    *,
    order_id: int | None = None,
    remote_status: str | None = None,
    frozen: bool | None = None,
    related_ids: JsonValue = None,
    now: datetime | None = None,
) -> SyncRecord:
    """Note what ShipStation now says about an order (from tracking, reconcile, an operator).

    Only the arguments given change. A locking ``remote_status`` locks the record for good;
    once a record is locked or frozen, any payload still waiting in the outbox for it is
    withdrawn in the same transaction, since it must never be sent.
    """
    at = require_aware(now or utcnow(), "now")
    changes: dict[str, Any] = {"updated_at": at}
    if order_id is not None:
        changes["order_id"] = order_id
    if remote_status is not None:
        changes["remote_status"] = remote_status
        if locks(remote_status):
            changes["locked"] = True
    if frozen is not None:
        changes["frozen"] = frozen
    if related_ids is not None:
        changes["related_ids"] = related_ids
    statement = upsert(conn, sync_records).values(
        connection=connection,
        order_key=order_key,
        locked=changes.get("locked", False),
        frozen=changes.get("frozen", False),
        **{k: v for k, v in changes.items() if k not in ("locked", "frozen")},
    )
    statement = statement.on_conflict_do_update(
        index_elements=[sync_records.c.connection, sync_records.c.order_key], set_=changes
    )
    async with atomic(conn):
        await conn.execute(statement)
        record = await get_sync_record(conn, connection, order_key)
        assert record is not None  # written just above, in the same transaction
        if record.locked or record.frozen:
            await withdraw(conn, connection, [order_key])
    return record


async def withdraw(conn: AsyncConnection, connection: str, order_keys: Sequence[str]) -> None:
    """Remove queued payloads for ``order_keys``: they describe something never to be sent."""
    for part in chunks(list(order_keys)):
        await conn.execute(
            delete(outbox).where(outbox.c.connection == connection, outbox.c.order_key.in_(part))
        )


@dataclass(frozen=True, slots=True)
class Accepted:
    """ShipStation accepted the payload with ``fingerprint`` for ``order_key``."""

    order_key: str
    fingerprint: str
    order_id: int | None
    remote_status: str | None


async def upsert_accepted(
    conn: AsyncConnection, connection: str, accepted: Sequence[Accepted], *, at: datetime
) -> None:
    """Record what ShipStation accepted, one statement for the whole batch."""
    if not accepted:
        return
    statement = upsert(conn, sync_records)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[sync_records.c.connection, sync_records.c.order_key],
        set_={
            # An answer without an id keeps the one we knew.
            "order_id": func.coalesce(excluded.order_id, sync_records.c.order_id),
            "fingerprint": excluded.fingerprint,
            "remote_status": excluded.remote_status,
            # Locked stays locked: nothing ShipStation accepts later unships an order.
            "locked": or_(sync_records.c.locked, excluded.locked),
            "pushed_at": excluded.pushed_at,
            "last_error": None,
            "updated_at": excluded.updated_at,
        },
    )
    rows = [
        {
            "connection": connection,
            "order_key": item.order_key,
            "order_id": item.order_id,
            "fingerprint": item.fingerprint,
            "remote_status": item.remote_status,
            "locked": locks(item.remote_status),
            "frozen": False,
            "pushed_at": at,
            "last_error": None,
            "updated_at": at,
        }
        for item in accepted
    ]
    await conn.execute(statement, rows)


async def note_error(
    conn: AsyncConnection, connection: str, order_key: str, reason: str, at: datetime
) -> None:
    """Keep the latest failure reason on the record (for the store's "failed to submit").

    Used for dead letters, and for orders the rules refused before anything was queued.
    """
    require_aware(at, "at")
    statement = upsert(conn, sync_records).values(
        connection=connection,
        order_key=order_key,
        locked=False,
        frozen=False,
        last_error=reason,
        updated_at=at,
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[sync_records.c.connection, sync_records.c.order_key],
            set_={"last_error": reason, "updated_at": at},
        )
    )


async def remember_sources(
    conn: AsyncConnection,
    connection: str,
    sources: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> None:
    """Note each order key's id in the store (``{order_key: source_id}``) for write-backs."""
    if not sources:
        return
    at = require_aware(now or utcnow(), "now")
    rows = [
        {
            "connection": connection,
            "order_key": key,
            "source_id": source_id,
            "locked": False,
            "frozen": False,
            "updated_at": at,
        }
        for key, source_id in sources.items()
    ]
    statement = upsert(conn, sync_records)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[sync_records.c.connection, sync_records.c.order_key],
            set_={"source_id": statement.excluded.source_id},
            where=or_(
                sync_records.c.source_id.is_(None),
                sync_records.c.source_id != statement.excluded.source_id,
            ),
        ),
        rows,
    )


async def sources_for(
    conn: AsyncConnection, connection: str, order_keys: Sequence[str]
) -> dict[str, str]:
    """The store ids remembered for ``order_keys`` (keys with none are left out)."""
    found: dict[str, str] = {}
    for part in chunks(list(order_keys)):
        query = select(sync_records.c.order_key, sync_records.c.source_id).where(
            sync_records.c.connection == connection,
            sync_records.c.order_key.in_(part),
            sync_records.c.source_id.is_not(None),
        )
        for key, source_id in await conn.execute(query):
            found[key] = source_id
    return found

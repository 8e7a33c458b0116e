"""Tracking state: which packages each store order has, what tracking did to it, and why not.

* ``tracked_packages`` holds every package applied to a store order, keyed by its ShipStation
  record, so a record seen again is recognised (``voided`` only ever goes from false to true)
  and a package the store has not yet taken stays ``pending`` until it has: a crash or a store
  outage between the two is repaired on the next pass, never lost.
* ``tracking_orders`` remembers the status an order had before tracking moved it (restored
  when every label is voided), the status tracking last wrote (a different one means a person
  moved it since, so tracking leaves it alone) and when its payment was captured.
* ``tracking_links`` maps ShipStation orders that are not ours (split children, merge
  survivors) to the order keys we pushed, so their shipments find the store order.
* ``tracking_errors`` queues what failed on the store's side (a payment capture), for replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, chunks, upsert
from stationmaster.db.tables import (
    sync_records,
    tracked_packages,
    tracking_errors,
    tracking_links,
    tracking_orders,
)
from stationmaster.db.types import JsonObject, canonical_json, require_aware
from stationmaster.wiretime import utcnow

LinkRelation = Literal["split", "merge"]
TrackingErrorState = Literal["open", "resolved"]


@dataclass(frozen=True, slots=True)
class TrackedWrite:
    """A package as ShipStation shows it now, for one store order."""

    source_id: str
    package_key: str
    order_id: int | None
    tracking_number: str | None
    payload: JsonObject
    voided: bool


@dataclass(frozen=True, slots=True)
class TrackedPackage:
    source_id: str
    package_key: str
    order_id: int | None
    tracking_number: str | None
    payload: JsonObject
    voided: bool
    pending: bool


def _tracked(row: RowMapping) -> TrackedPackage:
    return TrackedPackage(
        source_id=row["source_id"],
        package_key=row["package_key"],
        order_id=row["order_id"],
        tracking_number=row["tracking_number"],
        payload=row["payload"],
        voided=bool(row["voided"]),
        pending=bool(row["pending"]),
    )


async def record_tracked(
    conn: AsyncConnection,
    connection: str,
    writes: Sequence[TrackedWrite],
    *,
    now: datetime | None = None,
) -> list[TrackedPackage]:
    """Record packages; returns those that are new or changed, marked pending.

    A package already recorded with the same document and flag is left alone (a replay);
    ``voided`` never goes back to false, whatever order the records arrive in.
    """
    at = require_aware(now or utcnow(), "now")
    wanted: dict[tuple[str, str], TrackedWrite] = {}
    for write in writes:
        earlier = wanted.get((write.source_id, write.package_key))
        voided = write.voided or (earlier is not None and earlier.voided)
        wanted[(write.source_id, write.package_key)] = TrackedWrite(
            write.source_id,
            write.package_key,
            write.order_id,
            write.tracking_number,
            write.payload,
            voided,
        )
    changed: list[TrackedPackage] = []
    async with atomic(conn):
        stored = await _stored(conn, connection, list(wanted))
        for ident, write in wanted.items():
            current = stored.get(ident)
            if current is None:
                await conn.execute(
                    insert(tracked_packages).values(
                        connection=connection,
                        source_id=write.source_id,
                        package_key=write.package_key,
                        order_id=write.order_id,
                        tracking_number=write.tracking_number,
                        payload=write.payload,
                        voided=write.voided,
                        pending=True,
                        applied_at=at,
                        updated_at=at,
                    )
                )
                changed.append(_as_pending(write, write.voided))
                continue
            voided = current.voided or write.voided
            payload = current.payload if current.voided else write.payload
            if voided == current.voided and canonical_json(payload) == canonical_json(
                current.payload
            ):
                continue
            await conn.execute(
                update(tracked_packages)
                .where(
                    tracked_packages.c.connection == connection,
                    tracked_packages.c.source_id == write.source_id,
                    tracked_packages.c.package_key == write.package_key,
                )
                .values(payload=payload, voided=voided, pending=True, updated_at=at)
            )
            changed.append(
                TrackedPackage(
                    write.source_id,
                    write.package_key,
                    current.order_id,
                    current.tracking_number,
                    payload,
                    voided,
                    True,
                )
            )
    return changed


def _as_pending(write: TrackedWrite, voided: bool) -> TrackedPackage:
    return TrackedPackage(
        write.source_id,
        write.package_key,
        write.order_id,
        write.tracking_number,
        write.payload,
        voided,
        True,
    )


async def _stored(
    conn: AsyncConnection, connection: str, idents: list[tuple[str, str]]
) -> dict[tuple[str, str], TrackedPackage]:
    found: dict[tuple[str, str], TrackedPackage] = {}
    wanted = set(idents)
    for part in chunks(sorted({key for _, key in idents})):
        query = select(tracked_packages).where(
            tracked_packages.c.connection == connection,
            tracked_packages.c.package_key.in_(part),
        )
        for row in (await conn.execute(query)).mappings():
            package = _tracked(row)
            ident = (package.source_id, package.package_key)
            if ident in wanted:
                found[ident] = package
    return found


async def tracked_packages_of(
    conn: AsyncConnection, connection: str, source_ids: Sequence[str]
) -> dict[str, list[TrackedPackage]]:
    """Every package recorded for each of ``source_ids``, first applied first."""
    found: dict[str, list[TrackedPackage]] = {source_id: [] for source_id in source_ids}
    for part in chunks(list(found)):
        query = (
            select(tracked_packages)
            .where(
                tracked_packages.c.connection == connection,
                tracked_packages.c.source_id.in_(part),
            )
            .order_by(tracked_packages.c.applied_at, tracked_packages.c.package_key)
        )
        for row in (await conn.execute(query)).mappings():
            found[row["source_id"]].append(_tracked(row))
    return found


async def pending_tracked(
    conn: AsyncConnection, connection: str, *, limit: int = 500
) -> list[TrackedPackage]:
    """Packages the store has not yet taken (a crash or a store failure came between)."""
    query = (
        select(tracked_packages)
        .where(tracked_packages.c.connection == connection, tracked_packages.c.pending.is_(True))
        .order_by(tracked_packages.c.source_id, tracked_packages.c.package_key)
        .limit(limit)
    )
    return [_tracked(row) for row in (await conn.execute(query)).mappings()]


async def mark_tracked_applied(
    conn: AsyncConnection,
    connection: str,
    packages: Sequence[TrackedPackage],
    *,
    now: datetime | None = None,
) -> None:
    """The store took these packages' current state: they are no longer pending."""
    at = require_aware(now or utcnow(), "now")
    for package in packages:
        await conn.execute(
            update(tracked_packages)
            .where(
                tracked_packages.c.connection == connection,
                tracked_packages.c.source_id == package.source_id,
                tracked_packages.c.package_key == package.package_key,
                tracked_packages.c.voided == package.voided,
            )
            .values(pending=False, updated_at=at)
        )


# --- what tracking did to each order ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackingOrder:
    source_id: str
    status_before: str | None
    status_set: str | None
    captured_at: datetime | None


async def get_tracking_orders(
    conn: AsyncConnection, connection: str, source_ids: Sequence[str]
) -> dict[str, TrackingOrder]:
    found: dict[str, TrackingOrder] = {}
    for part in chunks(list(dict.fromkeys(source_ids))):
        query = select(tracking_orders).where(
            tracking_orders.c.connection == connection, tracking_orders.c.source_id.in_(part)
        )
        for row in (await conn.execute(query)).mappings():
            found[row["source_id"]] = TrackingOrder(
                row["source_id"], row["status_before"], row["status_set"], row["captured_at"]
            )
    return found


async def save_tracking_order(
    conn: AsyncConnection,
    connection: str,
    order: TrackingOrder,
    *,
    now: datetime | None = None,
) -> None:
    """Store what tracking now knows of one order (all of its fields)."""
    at = require_aware(now or utcnow(), "now")
    values = {
        "status_before": order.status_before,
        "status_set": order.status_set,
        "captured_at": order.captured_at,
        "updated_at": at,
    }
    statement = upsert(conn, tracking_orders).values(
        connection=connection, source_id=order.source_id, **values
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[tracking_orders.c.connection, tracking_orders.c.source_id],
            set_=values,
        )
    )


# --- ShipStation orders that carry our orders' shipments ----------------------------------------


async def link_orders(
    conn: AsyncConnection,
    connection: str,
    links: Sequence[tuple[int, str, LinkRelation]],
    *,
    now: datetime | None = None,
) -> None:
    """Note that ShipStation order ``order_id`` carries lines of our ``order_key``."""
    at = require_aware(now or utcnow(), "now")
    for order_id, order_key, relation in dict.fromkeys(links):
        statement = upsert(conn, tracking_links).values(
            connection=connection,
            order_id=order_id,
            order_key=order_key,
            relation=relation,
            updated_at=at,
        )
        await conn.execute(
            statement.on_conflict_do_nothing(
                index_elements=[
                    tracking_links.c.connection,
                    tracking_links.c.order_id,
                    tracking_links.c.order_key,
                ]
            )
        )


async def linked_keys(
    conn: AsyncConnection, connection: str, order_ids: Sequence[int]
) -> dict[int, list[str]]:
    """Our order keys behind each ShipStation order id (ids without links are left out)."""
    found: dict[int, list[str]] = {}
    for part in chunks(sorted(set(order_ids))):
        query = (
            select(tracking_links.c.order_id, tracking_links.c.order_key)
            .where(tracking_links.c.connection == connection, tracking_links.c.order_id.in_(part))
            .order_by(tracking_links.c.order_id, tracking_links.c.order_key)
        )
        for order_id, key in await conn.execute(query):
            found.setdefault(int(order_id), []).append(key)
    return found


async def keys_by_order_id(
    conn: AsyncConnection, connection: str, order_ids: Sequence[int]
) -> dict[int, str]:
    """The order key we pushed that ShipStation gave each of ``order_ids``."""
    found: dict[int, str] = {}
    for part in chunks(sorted(set(order_ids))):
        query = select(sync_records.c.order_id, sync_records.c.order_key).where(
            sync_records.c.connection == connection, sync_records.c.order_id.in_(part)
        )
        for order_id, key in await conn.execute(query):
            found[int(order_id)] = key
    return found


async def earliest_push(conn: AsyncConnection, connection: str) -> datetime | None:
    """When this connection first had an order accepted (no shipment of ours is older)."""
    query = select(func.min(sync_records.c.pushed_at)).where(
        sync_records.c.connection == connection
    )
    value: datetime | None = (await conn.execute(query)).scalar_one_or_none()
    return value


# --- failures on the store's side, kept for replay ----------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackingError:
    id: int
    connection: str
    source_id: str
    action: str
    reason: str
    attempts: int
    state: TrackingErrorState
    created_at: datetime
    updated_at: datetime


def _error(row: RowMapping) -> TrackingError:
    return TrackingError(
        id=row["id"],
        connection=row["connection"],
        source_id=row["source_id"],
        action=row["action"],
        reason=row["reason"],
        attempts=row["attempts"],
        state=row["state"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def note_tracking_error(
    conn: AsyncConnection,
    connection: str,
    source_id: str,
    action: str,
    reason: str,
    *,
    now: datetime | None = None,
) -> int:
    """Open an error for (order, action), or count another attempt on the open one; its id."""
    at = require_aware(now or utcnow(), "now")
    async with atomic(conn):
        query = select(tracking_errors.c.id).where(
            tracking_errors.c.connection == connection,
            tracking_errors.c.source_id == source_id,
            tracking_errors.c.action == action,
            tracking_errors.c.state == "open",
        )
        existing = (await conn.execute(query)).scalar_one_or_none()
        if existing is not None:
            await conn.execute(
                update(tracking_errors)
                .where(tracking_errors.c.id == existing)
                .values(reason=reason, attempts=tracking_errors.c.attempts + 1, updated_at=at)
            )
            return int(existing)
        result = await conn.execute(
            insert(tracking_errors)
            .values(
                connection=connection,
                source_id=source_id,
                action=action,
                reason=reason,
                attempts=1,
                state="open",
                created_at=at,
                updated_at=at,
            )
            .returning(tracking_errors.c.id)
        )
        return int(result.scalar_one())


async def list_tracking_errors(
    conn: AsyncConnection,
    *,
    connection: str | None = None,
    state: TrackingErrorState | None = "open",
    ids: Sequence[int] | None = None,
) -> list[TrackingError]:
    query = select(tracking_errors)
    if connection is not None:
        query = query.where(tracking_errors.c.connection == connection)
    if state is not None:
        query = query.where(tracking_errors.c.state == state)
    if ids is not None:
        query = query.where(tracking_errors.c.id.in_(list(ids)))
    query = query.order_by(tracking_errors.c.id)
    return [_error(row) for row in (await conn.execute(query)).mappings()]


async def resolve_tracking_errors(
    conn: AsyncConnection, ids: Sequence[int], *, now: datetime | None = None
) -> int:
    """Close open errors (the action went through on replay, or an operator fixed it)."""
    at = require_aware(now or utcnow(), "now")
    count = 0
    for part in chunks(list(ids)):
        result = await conn.execute(
            update(tracking_errors)
            .where(tracking_errors.c.id.in_(part), tracking_errors.c.state == "open")
            .values(state="resolved", updated_at=at)
        )
        count += result.rowcount
    return count


def by_source(packages: Sequence[TrackedPackage]) -> Mapping[str, list[TrackedPackage]]:
    """Packages grouped by store order, in the order given."""
    grouped: dict[str, list[TrackedPackage]] = {}
    for package in packages:
        grouped.setdefault(package.source_id, []).append(package)
    return grouped

"""The native store's shipments: each package applied to a native order, recorded once.

A package is keyed by its source record (a ShipStation shipment or fulfillment, a shipnotify
body), so applying the same record again changes nothing, and a record that comes back voided
marks the stored package voided for good (ShipStation never un-voids a label, so a replayed
older copy cannot bring it back). Recording packages never touches the order's row or its
``change_seq``: a shipment is news from ShipStation, not a store change to push back to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic
from stationmaster.db.errors import InvalidStateInput, UnknownNativeOrder
from stationmaster.db.tables import KEY, native_orders, native_shipments
from stationmaster.db.types import JsonObject, canonical_json, require_aware
from stationmaster.wiretime import utcnow


@dataclass(frozen=True, slots=True)
class NativePackage:
    """A package as stored for a native order."""

    connection: str
    source_id: str
    package_key: str
    payload: JsonObject
    voided: bool
    applied_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PackageWrite:
    """One package to record: its key, its document (without the voided flag), voided or not."""

    package_key: str
    payload: Mapping[str, Any]
    voided: bool = False


def package_of(row: RowMapping) -> NativePackage:
    """A ``native_shipments`` row as a recorded package."""
    return NativePackage(
        connection=row["connection"],
        source_id=row["source_id"],
        package_key=row["package_key"],
        payload=row["payload"],
        voided=bool(row["voided"]),
        applied_at=row["applied_at"],
        updated_at=row["updated_at"],
    )


def _merged(packages: Sequence[PackageWrite]) -> dict[str, PackageWrite]:
    """One write per key: the last document seen, voided if any copy was."""
    merged: dict[str, PackageWrite] = {}
    for package in packages:
        key = package.package_key
        if not isinstance(key, str) or not key.strip() or len(key) > KEY:
            raise InvalidStateInput(
                f"package_key must be a non-empty string of at most {KEY} characters"
            )
        if not isinstance(package.payload, Mapping):
            raise InvalidStateInput(f"package {key!r}: payload must be a JSON object")
        canonical_json(dict(package.payload), f"package {key!r} payload")
        earlier = merged.get(key)
        voided = package.voided or (earlier is not None and earlier.voided)
        merged[key] = PackageWrite(key, dict(package.payload), voided)
    return merged


async def record_native_packages(
    conn: AsyncConnection,
    connection: str,
    source_id: str,
    packages: Sequence[PackageWrite],
    *,
    now: datetime | None = None,
) -> int:
    """Record packages on a native order; returns how many rows this inserted or changed.

    A known package with the same document and flag is left alone; a changed document
    replaces the stored one; ``voided`` only ever goes from false to true. Raises
    :class:`UnknownNativeOrder` when the order does not exist. Writers of the same order are
    serialized on its row lock, so two of them never both insert one package.
    """
    at = require_aware(now or utcnow(), "now")
    wanted = _merged(packages)
    async with atomic(conn):
        lock = (
            select(native_orders.c.source_id)
            .where(
                native_orders.c.connection == connection,
                native_orders.c.source_id == source_id,
            )
            .with_for_update(key_share=True)
        )
        if (await conn.execute(lock)).scalar_one_or_none() is None:
            raise UnknownNativeOrder(connection, source_id)
        stored = {p.package_key: p for p in await get_native_packages(conn, connection, source_id)}
        changed = 0
        for key, write in wanted.items():
            current = stored.get(key)
            if current is None:
                await conn.execute(
                    insert(native_shipments).values(
                        connection=connection,
                        source_id=source_id,
                        package_key=key,
                        payload=write.payload,
                        voided=write.voided,
                        applied_at=at,
                        updated_at=at,
                    )
                )
                changed += 1
                continue
            voided = current.voided or write.voided
            same_document = canonical_json(current.payload) == canonical_json(write.payload)
            if same_document and voided == current.voided:
                continue
            await conn.execute(
                update(native_shipments)
                .where(
                    native_shipments.c.connection == connection,
                    native_shipments.c.source_id == source_id,
                    native_shipments.c.package_key == key,
                )
                .values(payload=write.payload, voided=voided, updated_at=at)
            )
            changed += 1
    return changed


async def get_native_packages(
    conn: AsyncConnection, connection: str, source_id: str
) -> list[NativePackage]:
    """Every package recorded on an order: first applied first (one call's by key)."""
    query = (
        select(native_shipments)
        .where(
            native_shipments.c.connection == connection,
            native_shipments.c.source_id == source_id,
        )
        .order_by(native_shipments.c.applied_at, native_shipments.c.package_key)
    )
    return [package_of(row) for row in (await conn.execute(query)).mappings()]

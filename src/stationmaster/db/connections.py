"""Connection rows: which store syncs how, and the sync start date that never moves once set.

A connection row must exist before anything else is stored for it (cursors, outbox rows,
native orders reference it), so the service calls :func:`ensure_connection` for every
configured connection at start-up; the configuration stays the source of truth for mode,
store kind and settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, upsert
from stationmaster.db.errors import InvalidStateInput, SyncStartImmutable, UnknownConnection
from stationmaster.db.tables import connections
from stationmaster.db.types import JsonObject, canonical_json, require_aware
from stationmaster.wiretime import utcnow

Mode = Literal["push", "pull"]
MODES: tuple[str, ...] = get_args(Mode)


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    name: str
    mode: Mode
    store_kind: str
    settings: JsonObject
    sync_start: datetime | None
    created_at: datetime
    updated_at: datetime


def _row(row: RowMapping) -> ConnectionRow:
    return ConnectionRow(
        name=row["name"],
        mode=row["mode"],
        store_kind=row["store_kind"],
        settings=row["settings"],
        sync_start=row["sync_start"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def ensure_connection(
    conn: AsyncConnection,
    name: str,
    *,
    mode: Mode,
    store_kind: str,
    settings: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> ConnectionRow:
    """Create the connection, or bring its mode, store kind and settings up to date.

    ``sync_start`` is left alone: only :func:`set_sync_start` writes it.
    """
    if not name or not name.strip():
        raise InvalidStateInput("connection name must not be empty")
    if mode not in MODES:
        raise InvalidStateInput(f"connection mode must be one of {MODES}, got {mode!r}")
    if not store_kind:
        raise InvalidStateInput("store_kind must not be empty")
    canonical_json(settings or {}, "connection settings")
    at = require_aware(now or utcnow(), "now")
    values = {"mode": mode, "store_kind": store_kind, "settings": dict(settings or {})}
    statement = upsert(conn, connections).values(
        name=name, sync_start=None, native_change_seq=0, created_at=at, updated_at=at, **values
    )
    statement = statement.on_conflict_do_update(
        index_elements=[connections.c.name], set_={**values, "updated_at": at}
    )
    async with atomic(conn):
        await conn.execute(statement)
        found = await get_connection(conn, name)
    assert found is not None  # written just above, in the same transaction
    return found


async def get_connection(conn: AsyncConnection, name: str) -> ConnectionRow | None:
    row = (
        (await conn.execute(select(connections).where(connections.c.name == name)))
        .mappings()
        .first()
    )
    return _row(row) if row is not None else None


async def list_connections(conn: AsyncConnection) -> list[ConnectionRow]:
    rows = await conn.execute(select(connections).order_by(connections.c.name))
    return [_row(row) for row in rows.mappings()]


async def set_sync_start(
    conn: AsyncConnection, name: str, value: datetime, *, now: datetime | None = None
) -> datetime:
    """Set the connection's sync start once; the same value again is fine, another is not.

    Raises :class:`SyncStartImmutable` when a different value is already stored: moving it
    would either resurrect orders deliberately left out or drop ones already synced.
    """
    start = require_aware(value, "sync_start")
    at = require_aware(now or utcnow(), "now")
    async with atomic(conn):
        await conn.execute(
            update(connections)
            .where(connections.c.name == name, connections.c.sync_start.is_(None))
            .values(sync_start=start, updated_at=at)
        )
        found = await get_connection(conn, name)
    if found is None:
        raise UnknownConnection(name)
    if found.sync_start != start:
        raise SyncStartImmutable(name, found.sync_start, start)
    return start


#: Longest problem text kept; the log has the whole story.
PROBLEM_MAX_LENGTH = 2000


async def note_problem(conn: AsyncConnection, name: str, problem: str, at: datetime) -> None:
    """Record what stopped the connection's last pass (shown by ``stationmaster status``)."""
    require_aware(at, "at")
    text = problem.strip() or "unknown problem"
    await conn.execute(
        update(connections)
        .where(connections.c.name == name)
        .values(problem=text[:PROBLEM_MAX_LENGTH], problem_at=at)
    )


async def clear_problem(conn: AsyncConnection, name: str) -> None:
    """Forget the connection's problem after a pass that went through."""
    await conn.execute(
        update(connections)
        .where(connections.c.name == name, connections.c.problem.is_not(None))
        .values(problem=None, problem_at=None)
    )

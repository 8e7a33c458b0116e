"""Leases: one owner at a time per named resource (``key:<key_id>``), across processes.

A worker holds the lease of an API key before it calls ShipStation with it, so sync runs on
one key never overlap and the owner's rate budget is exact. A lease expires unless renewed
(a crashed owner frees it after ``ttl``), and carries a JSON ``state``, the budget's
snapshot, from one owner to the next: written on renew and release, read on acquire.

Every function takes the engine and runs one short transaction of its own: a lease must
commit at once to mean anything to other processes. Expiry uses each process's clock, so
``ttl`` must dwarf any clock skew between machines.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster.db._sql import upsert
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.tables import NAME, leases
from stationmaster.db.types import JsonObject, canonical_json, require_aware, seconds
from stationmaster.wiretime import utcnow


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease held by ``owner`` until ``expires_at``; ``state`` as the last owner left it."""

    name: str
    owner: str
    acquired_at: datetime
    expires_at: datetime
    state: JsonObject | None


def owner_id(role: str = "worker") -> str:
    """An owner name unique to this process and call: host, pid and a random suffix."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:NAME]


def _check(name: str, owner: str) -> None:
    for label, value in (("lease name", name), ("lease owner", owner)):
        if not value or len(value) > NAME:
            raise InvalidStateInput(f"{label} must be 1-{NAME} characters, got {value!r}")


async def acquire_lease(
    engine: AsyncEngine,
    name: str,
    owner: str,
    ttl: timedelta | float,
    *,
    now: datetime | None = None,
) -> Lease | None:
    """Take the lease if it is free, expired, or already ``owner``'s; ``None`` if not.

    Exactly one of many concurrent callers wins: a new lease is an ``INSERT ... ON CONFLICT
    DO NOTHING``; a taken-over one is read ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so a
    contender finding the row busy gives up at once instead of queueing behind the winner.
    """
    _check(name, owner)
    duration = seconds(ttl, "ttl")
    at = require_aware(now or utcnow(), "now")
    expires = at + duration
    async with engine.begin() as conn:
        query = select(leases).where(leases.c.name == name).with_for_update(skip_locked=True)
        current = (await conn.execute(query)).mappings().first()
        if current is None:
            return await _insert(conn, name, owner, at, expires)
        free = current["owner"] is None or current["owner"] == owner
        if not free and current["expires_at"] > at:
            return None
        await conn.execute(
            update(leases)
            .where(leases.c.name == name)
            .values(owner=owner, acquired_at=at, expires_at=expires, heartbeat_at=at)
        )
        return Lease(name, owner, at, expires, current["state"])


async def _insert(
    conn: AsyncConnection, name: str, owner: str, at: datetime, expires: datetime
) -> Lease | None:
    # No row visible: either there is none yet, or another transaction holds it locked.
    statement = (
        upsert(conn, leases)
        .values(name=name, owner=owner, acquired_at=at, expires_at=expires, heartbeat_at=at)
        .on_conflict_do_nothing(index_elements=[leases.c.name])
        .returning(leases.c.name)
    )
    inserted = (await conn.execute(statement)).first()
    return Lease(name, owner, at, expires, None) if inserted is not None else None


async def renew(
    engine: AsyncEngine,
    lease: Lease,
    ttl: timedelta | float,
    *,
    state: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Lease | None:
    """Extend a lease still held by its owner (and store ``state`` if given); ``None`` if lost.

    An expired lease nobody took over yet can still be renewed: nothing happened meanwhile
    that its owner's budget does not know about.
    """
    duration = seconds(ttl, "ttl")
    at = require_aware(now or utcnow(), "now")
    expires = at + duration
    changes: dict[str, Any] = {"expires_at": expires, "heartbeat_at": at}
    if state is not None:
        canonical_json(state, "lease state")
        changes["state"] = dict(state)
    async with engine.begin() as conn:
        result = await conn.execute(
            update(leases)
            .where(leases.c.name == lease.name, leases.c.owner == lease.owner)
            .values(**changes)
            .returning(leases.c.state)
        )
        row = result.first()
    if row is None:
        return None
    return Lease(lease.name, lease.owner, lease.acquired_at, expires, row.state)


async def release(
    engine: AsyncEngine,
    lease: Lease,
    *,
    state: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Give the lease up now, leaving ``state`` for the next owner; ``False`` if already lost."""
    at = require_aware(now or utcnow(), "now")
    changes: dict[str, Any] = {"owner": None, "expires_at": at, "heartbeat_at": at}
    if state is not None:
        canonical_json(state, "lease state")
        changes["state"] = dict(state)
    async with engine.begin() as conn:
        result = await conn.execute(
            update(leases)
            .where(leases.c.name == lease.name, leases.c.owner == lease.owner)
            .values(**changes)
        )
    return result.rowcount == 1


async def get_lease(conn: AsyncConnection, name: str) -> Lease | None:
    """The lease as last taken (maybe expired since), or ``None`` if never taken or released."""
    row = (await conn.execute(select(leases).where(leases.c.name == name))).mappings().first()
    if row is None or row["owner"] is None:
        return None
    return Lease(name, row["owner"], row["acquired_at"], row["expires_at"], row["state"])


async def expire_lease(
    engine: AsyncEngine, name: str, owner: str, *, now: datetime | None = None
) -> bool:
    """End ``owner``'s hold on a lease at once (its process is known to be dead); done?

    Conditional on the owner, so a lease that changed hands meanwhile is left alone.
    """
    at = require_aware(now or utcnow(), "now")
    async with engine.begin() as conn:
        result = await conn.execute(
            update(leases)
            .where(leases.c.name == name, leases.c.owner == owner)
            .values(expires_at=at)
        )
    return result.rowcount == 1


def owner_is_dead_here(owner: str) -> bool:
    """Whether ``owner`` (as made by :func:`owner_id`) was a process on this host that is gone.

    Lets a restarted worker take its dead predecessor's lease at once instead of waiting for
    it to expire; owners on other hosts are never judged.
    """
    _, _, where = owner.partition("@")
    parts = where.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, but someone else's
        return False
    return False

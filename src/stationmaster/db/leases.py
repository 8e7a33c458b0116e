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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    #: Taken over from an owner that stopped renewing: its last heartbeat. Requests it made
    #: after that are in no snapshot, so the heir must not trust ``state`` blindly.
    orphaned_at: datetime | None = None


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
    rest: timedelta | float = 0.0,
    now: datetime | None = None,
) -> bool:
    """Give the lease up now, leaving ``state`` for the next owner; ``False`` if already lost.

    ``rest`` keeps a scheduled lease from being claimed again (by :func:`claim_due_lease`)
    for that long: a key with nothing to do is not served again at once. Anyone asking for
    the lease by name (:func:`acquire_lease`) still gets it at once, and :func:`wake_leases`
    ends the rest early.
    """
    at = require_aware(now or utcnow(), "now")
    resting = seconds(rest, "rest") if rest else timedelta(0)
    changes: dict[str, Any] = {"owner": None, "expires_at": at + resting, "heartbeat_at": at}
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


# --- scheduled leases: many workers sharing many keys ------------------------------------------
#
# A released lease's ``heartbeat_at`` says when its key was last served and its ``expires_at``
# when it wants serving again; a worker claims the due key served longest ago, so a key with a
# backlog takes its turn and goes to the back of the queue instead of starving the others.

#: ``heartbeat_at`` of a lease row made before its key was ever served: first in line.
NEVER_SERVED = datetime(2000, 1, 1, tzinfo=UTC)


async def ensure_leases(
    engine: AsyncEngine, names: Sequence[str], *, now: datetime | None = None
) -> None:
    """Make a free, due row for every lease in ``names`` that has none yet."""
    at = require_aware(now or utcnow(), "now")
    for name in names:
        _check(name, "-")
    if not names:
        return
    async with engine.begin() as conn:
        known = set(
            (await conn.execute(select(leases.c.name).where(leases.c.name.in_(list(names)))))
            .scalars()
            .all()
        )
        for name in dict.fromkeys(names):
            if name in known:
                continue
            await conn.execute(
                upsert(conn, leases)
                .values(
                    name=name, owner=None, acquired_at=at, expires_at=at, heartbeat_at=NEVER_SERVED
                )
                .on_conflict_do_nothing(index_elements=[leases.c.name])
            )


async def claim_due_lease(
    engine: AsyncEngine,
    names: Sequence[str],
    owner: str,
    ttl: timedelta | float,
    *,
    now: datetime | None = None,
) -> Lease | None:
    """Take the due lease among ``names`` served longest ago, or ``None`` if none is due.

    Due: released and rested (``expires_at`` passed), or held by an owner that stopped
    renewing it. Rows another worker is claiming at this moment are skipped (``FOR UPDATE
    SKIP LOCKED`` on PostgreSQL), so concurrent workers never wait on each other here.
    """
    _check("-", owner)
    duration = seconds(ttl, "ttl")
    at = require_aware(now or utcnow(), "now")
    if not names:
        return None
    query = (
        select(leases)
        .where(leases.c.name.in_(list(names)), leases.c.expires_at <= at)
        .order_by(leases.c.heartbeat_at, leases.c.name)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    async with engine.begin() as conn:
        row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        taken = await conn.execute(
            update(leases)
            .where(leases.c.name == row["name"], leases.c.expires_at <= at)
            .values(owner=owner, acquired_at=at, expires_at=at + duration, heartbeat_at=at)
        )
        if taken.rowcount != 1:  # SQLite has no row locks: another worker was first
            return None
    orphaned = row["heartbeat_at"] if row["owner"] is not None else None
    return Lease(row["name"], owner, at, at + duration, row["state"], orphaned)


async def wake_leases(
    engine: AsyncEngine, names: Sequence[str], *, now: datetime | None = None
) -> int:
    """End the rest of the released leases in ``names`` (work arrived); how many woke."""
    at = require_aware(now or utcnow(), "now")
    if not names:
        return 0
    async with engine.begin() as conn:
        result = await conn.execute(
            update(leases)
            .where(
                leases.c.name.in_(list(names)),
                leases.c.owner.is_(None),
                leases.c.expires_at > at,
            )
            .values(expires_at=at)
        )
    return int(result.rowcount)


async def held_leases(conn: AsyncConnection, names: Sequence[str]) -> list[Lease]:
    """The leases among ``names`` that have an owner now (maybe expired since)."""
    if not names:
        return []
    rows = await conn.execute(
        select(leases).where(leases.c.name.in_(list(names)), leases.c.owner.is_not(None))
    )
    return [
        Lease(row["name"], row["owner"], row["acquired_at"], row["expires_at"], row["state"])
        for row in rows.mappings()
    ]

"""One reconcile per connection at a time, across processes: a lease named ``reconcile:<name>``.

The row locks alone would keep two reconciles from writing over each other, but the second
would still walk every page of ShipStation's levels for nothing; the lease stops it before it
starts. It is renewed while the reconcile runs, so a crashed holder frees it after ``ttl``
(at once for a process on this host that is known dead). The lease's state carries what the
last run left (when it finished), so a scheduler in any process knows when the next is due.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db.stock_runs import lease_state
from stationmaster.engine.groups import task_group
from stationmaster.errors import StationmasterError

log = structlog.get_logger("stationmaster.stock.lease")


class ReconcileBusy(StationmasterError):
    """Another process is reconciling this connection now."""


class ReconcileLost(StationmasterError):
    """The lease was lost mid-run (renewals failed for longer than its ttl); nothing was kept."""


def reconcile_lease_name(connection: str) -> str:
    return f"reconcile:{connection}"


async def last_state(engine: AsyncEngine, connection: str) -> dict[str, Any]:
    """What the last holder left in the lease (``{}`` if it never ran)."""
    async with engine.connect() as conn:
        state = await lease_state(conn, reconcile_lease_name(connection))
    return dict(state) if isinstance(state, dict) else {}


@dataclass
class Holding:
    """The lease while held: ``previous`` is what the last holder left; set ``leave``."""

    previous: dict[str, Any]
    leave: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def reconcile_lease(
    engine: AsyncEngine,
    connection: str,
    owner: str,
    *,
    ttl: float = 60.0,
    wait: float = 0.0,
    poll: float = 0.5,
) -> AsyncIterator[Holding]:
    """Hold the connection's reconcile lease for the block, waiting up to ``wait`` seconds
    for it (then :class:`ReconcileBusy`). Losing it cancels the block (:class:`ReconcileLost`)."""
    lease = await _acquire(engine, connection, owner, ttl=ttl, wait=wait, poll=poll)
    holding = Holding(dict(lease.state) if isinstance(lease.state, dict) else {})
    lost = False
    try:
        async with task_group() as group:

            async def heartbeat() -> None:
                nonlocal lease, lost
                while True:
                    await anyio.sleep(ttl / 3)
                    renewed = await db.renew(engine, lease, ttl)
                    if renewed is None:
                        lost = True
                        group.cancel_scope.cancel()
                        return
                    lease = renewed

            group.start_soon(heartbeat)
            try:
                yield holding
            finally:
                group.cancel_scope.cancel()
    finally:
        if not lost:
            with anyio.CancelScope(shield=True):
                await db.release(engine, lease, state=holding.leave or holding.previous)
    if lost:
        raise ReconcileLost(f"lost the reconcile lease of {connection!r}; nothing was kept")


async def _acquire(
    engine: AsyncEngine, connection: str, owner: str, *, ttl: float, wait: float, poll: float
) -> db.Lease:
    name = reconcile_lease_name(connection)
    deadline = anyio.current_time() + wait
    while True:
        lease = await db.acquire_lease(engine, name, owner, ttl)
        if lease is not None:
            return lease
        async with engine.connect() as conn:
            holder = await db.get_lease(conn, name)
        if holder is not None and db.owner_is_dead_here(holder.owner):
            log.warning("stock.lease_of_dead_owner", lease=name, dead=holder.owner)
            await db.expire_lease(engine, name, holder.owner)
            continue
        if anyio.current_time() >= deadline:
            raise ReconcileBusy(f"connection {connection!r} is being reconciled by another process")
        await anyio.sleep(poll)

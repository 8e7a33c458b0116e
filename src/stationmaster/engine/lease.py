"""One owner per ShipStation key pair: a database lease that carries the key's budget along.

Whoever calls ShipStation with a key must hold the key's lease, so two sync runs never
overlap and the owner's budget is exact. The budget's snapshot travels with the lease: the
next owner, in this process or another, starts from what the last one knew.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.engine.groups import task_group
from stationmaster.errors import StationmasterError
from stationmaster.shipstation.budget import Budget, BudgetState
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.lease")


class LeaseBusy(StationmasterError):
    """Another worker holds the key's lease and did not let go in time."""


class LeaseLost(StationmasterError):
    """The lease expired and another worker took it: this one must stop calling ShipStation."""


def lease_name(key_id: str) -> str:
    return f"key:{key_id}"


@dataclass
class KeyLease:
    """Holds ``key:<key_id>`` while a block runs, renewing it in the background."""

    engine: AsyncEngine
    key_id: str
    owner: str
    ttl: float = 60.0
    wait: float = 0.0
    poll: float = 1.0

    @asynccontextmanager
    async def hold(self, budget: Budget) -> AsyncIterator[Budget]:
        """Acquire (waiting up to ``wait`` seconds), yield the budget to use, release at the end.

        The yielded budget is the previous owner's, restored, when one was left; otherwise
        the given one. Losing the lease cancels the block with :class:`LeaseLost`.
        """
        lease = await self._acquire(lease_name(self.key_id))
        async with self.held(lease, budget) as current:
            yield current

    @asynccontextmanager
    async def held(
        self, lease: db.Lease, budget: Budget, *, rest: Callable[[], float] = lambda: 0.0
    ) -> AsyncIterator[Budget]:
        """Keep an acquired ``lease`` while the block runs: renewed, then released.

        The budget the block gets is the one the previous owner left (else ``budget``), and
        the one it leaves is stored for the next owner. ``rest`` (asked at release) is how
        long the scheduler should leave the key alone afterwards.
        """
        name = lease.name
        current = _restored(lease.state, budget)
        if lease.orphaned_at is not None:
            self._distrust(current, lease.orphaned_at)
        lost = False
        try:
            async with task_group() as group:

                async def heartbeat() -> None:
                    nonlocal lease, lost
                    while True:
                        await anyio.sleep(self.ttl / 3)
                        # Shielded: a renewal cut off inside its transaction could leave a
                        # connection holding the lease row's lock. Cancellation waits for it.
                        with anyio.CancelScope(shield=True):
                            renewed = await db.renew(
                                self.engine, lease, self.ttl, state=current.snapshot().to_dict()
                            )
                        if renewed is None:
                            lost = True
                            log.error("lease.lost", lease=name, owner=self.owner)
                            group.cancel_scope.cancel()
                            return
                        lease = renewed

                group.start_soon(heartbeat)
                try:
                    yield current
                finally:
                    group.cancel_scope.cancel()
        finally:
            if not lost:
                with anyio.CancelScope(shield=True):
                    await db.release(
                        self.engine, lease, state=current.snapshot().to_dict(), rest=rest()
                    )
        if lost:
            raise LeaseLost(f"lease {name} was taken over; stopped")

    def _distrust(self, budget: Budget, orphaned_at: datetime) -> None:
        """Hold back until a window has passed since the dead owner's last possible request.

        It renewed every ``ttl / 3`` seconds while alive, so it called ShipStation no later
        than that after its last heartbeat; requests from then are in no snapshot.
        """
        last_call = orphaned_at + timedelta(seconds=self.ttl / 3)
        wait = budget.window - (utcnow() - last_call).total_seconds()
        if wait > 0:
            log.warning("lease.orphaned_budget", lease=lease_name(self.key_id), wait=wait)
            budget.penalize(min(wait, budget.window))

    async def _acquire(self, name: str) -> db.Lease:
        deadline = anyio.current_time() + self.wait
        while True:
            lease = await db.acquire_lease(self.engine, name, self.owner, self.ttl)
            if lease is not None:
                return lease
            async with self.engine.connect() as conn:
                holder = await db.get_lease(conn, name)
            if holder is not None and db.owner_is_dead_here(holder.owner):
                log.warning("lease.taking_over_from_dead_owner", lease=name, dead=holder.owner)
                await db.expire_lease(self.engine, name, holder.owner)
                continue
            if anyio.current_time() >= deadline:
                raise LeaseBusy(f"another worker holds {name}; not running twice")
            await anyio.sleep(self.poll)


def _restored(state: object, fallback: Budget) -> Budget:
    """The previous owner's budget if it left a readable one, else ``fallback``."""
    if not isinstance(state, dict):
        return fallback
    try:
        return Budget.restore(BudgetState.from_dict(state))
    except ValueError:
        log.warning("lease.unreadable_budget_state")
        return fallback

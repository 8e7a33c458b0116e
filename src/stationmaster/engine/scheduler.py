"""Sharing many keys among many workers: each key has one owner at a time, in turns.

ShipStation limits requests per API key, so the unit of work is a key (with every connection
that uses it). A worker runs ``concurrency`` slots; each slot claims the due key served
longest ago (:func:`stationmaster.db.claim_due_lease`), keeps its lease for one turn (push
what is due, then, once nothing is left to push, bring tracking back), and releases it,
leaving the key's rate budget in the lease for whoever serves it next. A turn ends between
two batches after ``turn_seconds``, so a key with a big backlog goes to the back of the queue
and never starves the others; a key with nothing left rests ``poll_seconds`` before it is due
again, unless work arrives and wakes it (PostgreSQL ``NOTIFY``, see
:mod:`stationmaster.engine.wakeup`, or the next poll).

A worker that dies stops renewing its leases; they expire after the lease's ``ttl`` and the
next claim takes them over (at once, when the dead worker ran on the same host). The same
code runs embedded on SQLite, where one process is the only owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.engine.groups import task_group
from stationmaster.engine.lease import KeyLease, LeaseLost, lease_name
from stationmaster.engine.runner import Runtime, drain, recorded, track
from stationmaster.sync.push import ConnectionStopped

log = structlog.get_logger("stationmaster.scheduler")

#: How long a stopping worker waits for its slots to end their turns before cancelling them.
STOP_GRACE_SECONDS = 30.0
#: How long a key ShipStation refused (credentials, permissions) rests before it is tried again.
STOPPED_REST_SECONDS = 60.0


@dataclass
class KeyGroup:
    """The connections that share one API key, served together in one turn."""

    key_id: str
    runtimes: list[Runtime]

    @property
    def lease(self) -> KeyLease:
        return self.runtimes[0].lease

    @property
    def poll_seconds(self) -> float:
        return min(runtime.config.poll_seconds for runtime in self.runtimes)


def group_by_key(runtimes: Iterable[Runtime]) -> dict[str, KeyGroup]:
    """Runtimes grouped by their key's lease name."""
    groups: dict[str, KeyGroup] = {}
    for runtime in runtimes:
        key_id = runtime.lease.key_id
        group = groups.setdefault(lease_name(key_id), KeyGroup(key_id, []))
        group.runtimes.append(runtime)
    return groups


@dataclass
class Scheduler:
    """One worker's slots over its keys; see the module docstring."""

    engine: AsyncEngine
    runtimes: Sequence[Runtime]
    owner: str
    concurrency: int = 4
    turn_seconds: float = 60.0
    lease_seconds: float = 15.0
    idle_seconds: float = 1.0
    groups: dict[str, KeyGroup] = field(init=False)
    turns: int = field(default=0, init=False)
    _wake: anyio.Event = field(default_factory=anyio.Event, init=False)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.turn_seconds <= 0 or self.lease_seconds <= 0:
            raise ValueError("turn_seconds and lease_seconds must be positive")
        self.groups = group_by_key(self.runtimes)

    def wake(self) -> None:
        """Let idle slots look for due keys now (work arrived)."""
        self._wake.set()

    async def run(self, stop: anyio.Event) -> None:
        """Serve keys in turns until ``stop`` is set."""
        names = list(self.groups)
        await db.ensure_leases(self.engine, names)
        log.info(
            "scheduler.started", owner=self.owner, keys=len(names), concurrency=self.concurrency
        )
        async with task_group() as group:
            for slot in range(self.concurrency):
                group.start_soon(self._slot, slot, stop)
            await stop.wait()
            self.wake()
            # Slots end their turns between two batches; cancelling one inside a database
            # transaction is the last resort.
            group.cancel_scope.deadline = anyio.current_time() + STOP_GRACE_SECONDS

    async def _slot(self, slot: int, stop: anyio.Event) -> None:
        names = list(self.groups)
        while not stop.is_set():
            lease = await db.claim_due_lease(self.engine, names, self.owner, self.lease_seconds)
            if lease is None:
                await self._take_over_dead_owners(names)
                await self._idle()
                continue
            try:
                await self._turn(self.groups[lease.name], lease, stop)
            except LeaseLost:
                log.warning("scheduler.turn_lost", slot=slot, lease=lease.name)

    async def _idle(self) -> None:
        with anyio.move_on_after(self.idle_seconds):
            await self._wake.wait()
        if self._wake.is_set():
            self._wake = anyio.Event()

    async def _turn(self, group: KeyGroup, lease: db.Lease, stop: anyio.Event) -> None:
        """Serve every connection of the key once; rest the key if nothing is left."""
        budget = group.runtimes[0].push.client.budget
        busy = stopped = False
        keeper = KeyLease(self.engine, group.key_id, self.owner, ttl=self.lease_seconds)

        def rest() -> float:
            if stopped:
                return max(group.poll_seconds, STOPPED_REST_SECONDS)
            return 0.0 if busy else group.poll_seconds

        async with keeper.held(lease, budget, rest=rest) as current:
            until = anyio.current_time() + self.turn_seconds
            for runtime in group.runtimes:
                if stop.is_set():
                    break
                runtime.push.client.budget = current
                try:
                    async with recorded(runtime):
                        cut_short = await drain(runtime.push, until=until, stop=stop)
                        busy = cut_short or busy
                        # Tracking waits until the backlog is gone: a poll re-reads the orders
                        # modified since the last one, so polling at the end of every turn
                        # would spend a busy key's budget re-reading the orders it has just
                        # pushed instead of pushing the rest.
                        if not cut_short and not stop.is_set():
                            await track(runtime)
                except ConnectionStopped as exc:
                    stopped = True
                    log.error(
                        "scheduler.connection_stopped", connection=runtime.name, error=str(exc)
                    )
                except Exception as exc:  # one connection's failure must not end the turn
                    log.exception("scheduler.pass_failed", connection=runtime.name, error=str(exc))
        self.turns += 1

    async def _take_over_dead_owners(self, names: Sequence[str]) -> None:
        """Expire at once the leases of workers on this host that are gone."""
        async with self.engine.connect() as conn:
            held = await db.held_leases(conn, names)
        for lease in held:
            if lease.owner != self.owner and db.owner_is_dead_here(lease.owner):
                log.warning("scheduler.taking_over", lease=lease.name, dead=lease.owner)
                await db.expire_lease(self.engine, lease.name, lease.owner)

    def lease_of(self, connection: str) -> str | None:
        """The lease name of the key ``connection`` uses, if this worker serves it."""
        for name, group in self.groups.items():
            if any(runtime.name == connection for runtime in group.runtimes):
                return name
        return None

    async def work_arrived(self, connection: str) -> None:
        """Make the key of ``connection`` due now and wake an idle slot to serve it."""
        name = self.lease_of(connection)
        if name is None:
            return
        await db.wake_leases(self.engine, [name])
        self.wake()

"""Building a connection's push sync from configuration, and running it once or for ever.

A pass holds the key's lease from its first ShipStation call to its last, so passes for the
same key never overlap, whichever process starts them. The loop keeps one lease for as long
as it runs, renewing it, and sleeps between passes unless woken early.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import anyio
import httpx2
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig
from stationmaster.engine.groups import task_group
from stationmaster.engine.lease import KeyLease, LeaseBusy
from stationmaster.errors import ShipStationError
from stationmaster.shipstation import Budget, Credentials, ShipStationClient
from stationmaster.stores import StoreError
from stationmaster.stores.registry import open_store
from stationmaster.sync.inbox import process_inbox
from stationmaster.sync.push import AuditTrail, ConnectionStopped, PushStats, PushSync
from stationmaster.sync.rules import Rules, load_rules
from stationmaster.sync.tracking import Tracker, TrackStats
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.runner")

#: Rows the detector queues ahead of the sender: 100 batches, two and a half minutes of
#: ShipStation's limit, so the next window never waits for mapping.
LOOKAHEAD = 10_000
#: Seconds the detector waits for the sender before looking at the queue again.
LOOKAHEAD_PAUSE = 0.2


@dataclass
class Runtime:
    """One connection, ready to sync: its push and the lease that guards its key."""

    config: ConnectionConfig
    push: PushSync
    tracker: Tracker
    lease: KeyLease

    @property
    def name(self) -> str:
        return self.config.name


async def build_runtime(
    config: ConnectionConfig,
    engine: AsyncEngine,
    *,
    owner: str,
    credentials: Credentials | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    lease_wait: float = 0.0,
) -> Runtime:
    """Open the store, load the rules, build the client; records the connection in the db."""
    rules = load_rules(config.rules)
    store = open_store(config, engine)
    ss = config.shipstation
    creds = credentials or ss.credentials()
    async with engine.begin() as conn:
        await db.ensure_connection(conn, config.name, mode=config.mode, store_kind=store.kind)
        rules = await _fixed_sync_start(conn, config.name, rules)
    audit = AuditTrail(engine, config.name)
    client = ShipStationClient(
        creds,
        base_url=ss.base_url,
        transport=transport,
        budget=Budget(limit=ss.limit, window=ss.window_seconds, reserve=ss.reserve),
        observer=audit,
    )
    push = PushSync(
        engine=engine,
        connection=config.name,
        store=store,
        rules=rules,
        source=config.source_slug,
        client=client,
        audit=audit,
    )
    tracker = Tracker(engine, config.name, store, client, rules, source=config.source_slug)
    lease = KeyLease(engine, creds.key_id, owner, wait=lease_wait)
    return Runtime(config, push, tracker, lease)


async def _fixed_sync_start(conn: AsyncConnection, name: str, rules: Rules) -> Rules:
    """The sync start date is set once: a different one later is refused, a missing one kept.

    Moving it would either bring back orders deliberately left out or drop synced ones.
    """
    wanted = rules.eligibility.sync_start
    if wanted is not None:
        await db.set_sync_start(conn, name, wanted)
        return rules
    row = await db.get_connection(conn, name)
    if row is None or row.sync_start is None:
        return rules
    eligibility = rules.eligibility.model_copy(update={"sync_start": row.sync_start})
    return rules.model_copy(update={"eligibility": eligibility})


def describe_problem(runtime: Runtime, exc: BaseException) -> str:
    """One line saying which side failed and why, for ``stationmaster status``."""
    if isinstance(exc, StoreError):
        return f"store ({runtime.push.store.kind}): {exc}"
    if isinstance(exc, (ShipStationError, ConnectionStopped)):
        return f"ShipStation: {exc}"
    return f"{type(exc).__name__}: {exc}"


@asynccontextmanager
async def recorded(runtime: Runtime) -> AsyncIterator[None]:
    """Note on the connection what stops a pass; a pass that goes through clears the note.

    A busy lease is not a problem (another process is running the key), and a failure to
    write the note must not hide the failure being noted.
    """
    engine = runtime.push.engine
    try:
        yield
    except LeaseBusy:
        raise
    except Exception as exc:
        try:
            async with engine.begin() as conn:
                await db.note_problem(conn, runtime.name, describe_problem(runtime, exc), utcnow())
        except Exception as note_failure:  # the original error matters more
            log.warning(
                "runner.problem_not_noted", connection=runtime.name, error=str(note_failure)
            )
        raise
    async with engine.begin() as conn:
        await db.clear_problem(conn, runtime.name)


async def run_pass(
    runtime: Runtime,
    *,
    backfill_since: datetime | None = None,
    backfill: bool = False,
) -> PushStats:
    """Detect and push until nothing is due, holding the key's lease throughout."""
    push = runtime.push
    async with recorded(runtime), runtime.lease.hold(push.client.budget) as budget:
        push.client.budget = budget
        await drain(push, since=backfill_since, from_start=backfill)
    return push.stats


async def drain(
    push: PushSync,
    *,
    since: datetime | None = None,
    from_start: bool = False,
    page: int = 500,
    idle: float = 0.02,
    until: float | None = None,
    stop: anyio.Event | None = None,
    lookahead: int = LOOKAHEAD,
) -> bool:
    """Push everything the store has changed, detecting and sending at the same time.

    While the budget makes the sender wait for the next window, the detector maps and
    queues the next pages, so batches are ready the moment the window opens. It pauses while
    ``lookahead`` rows are queued and due: running further ahead of the budget would only
    grow the queue (a whole backfill of it, at 40 requests a minute). Reaching
    ``until`` (an ``anyio.current_time()``) or ``stop`` ends the drain early, between two
    batches and never inside one, so a turn that must end leaves nothing half sent; a wait
    for the budget is cut short by either. Returns whether it ended early.
    """
    detected = anyio.Event()
    never = anyio.Event()
    failed = anyio.Event()

    def enough() -> bool:
        timed_out = until is not None and anyio.current_time() >= until
        return timed_out or failed.is_set() or (stop is not None and stop.is_set())

    async def detector() -> None:
        try:
            first = True
            while not enough():
                if await push.queue_is_full(lookahead):
                    await anyio.sleep(LOOKAHEAD_PAUSE)
                    continue
                if not await push.detect(
                    limit=page, page=page, since=since, from_start=from_start and first
                ):
                    break
                first = False
        finally:
            detected.set()

    async def budget_allows() -> bool:
        """Wait out the budget here, where giving up is safe; False if told to stop."""
        wait = push.client.budget.delay()
        if wait > 0:
            if until is not None:
                wait = min(wait, max(until - anyio.current_time(), 0.0))
            with anyio.move_on_after(wait):
                await (stop or never).wait()
        return not enough()

    # Whenever the sending ends, the detector finishes its page first: cancelling it inside a
    # transaction could leave a database connection holding its lock.
    async with task_group() as group:
        group.start_soon(detector)
        try:
            while True:
                if not await budget_allows():
                    await detected.wait()
                    return True
                if await push.push_batch():
                    continue
                if detected.is_set():
                    if await push.push_batch():  # what the detector's last page queued
                        continue
                    return False
                await anyio.sleep(idle)
        except Exception:  # a stopped connection, a store that is down: not a cancellation
            failed.set()
            with anyio.CancelScope(shield=True):
                await detected.wait()
            raise


async def run_tracking(runtime: Runtime) -> TrackStats:
    """One tracking pass under the key's lease: the webhook inbox, then a poll."""
    push = runtime.push
    async with recorded(runtime), runtime.lease.hold(push.client.budget) as budget:
        push.client.budget = budget
        return await track(runtime)


async def track(runtime: Runtime) -> TrackStats:
    """Deliveries first (they are fresher), then the poll that catches whatever they missed."""
    stats = await process_inbox(
        runtime.push.engine, runtime.name, runtime.push.client, runtime.tracker
    )
    stats.add(await runtime.tracker.poll())
    return stats

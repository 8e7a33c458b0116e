"""Building a connection's push sync from configuration, and running it once or for ever.

A pass holds the key's lease from its first ShipStation call to its last, so passes for the
same key never overlap, whichever process starts them. The loop keeps one lease for as long
as it runs, renewing it, and sleeps between passes unless woken early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import anyio
import httpx2
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig
from stationmaster.engine.groups import task_group
from stationmaster.engine.lease import KeyLease
from stationmaster.shipstation import Budget, Credentials, ShipStationClient
from stationmaster.stores.registry import open_store
from stationmaster.sync.inbox import process_inbox
from stationmaster.sync.push import AuditTrail, ConnectionStopped, PushStats, PushSync
from stationmaster.sync.rules import Rules, load_rules
from stationmaster.sync.tracking import Tracker, TrackStats

log = structlog.get_logger("stationmaster.runner")


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


async def run_pass(
    runtime: Runtime,
    *,
    backfill_since: datetime | None = None,
    backfill: bool = False,
) -> PushStats:
    """Detect and push until nothing is due, holding the key's lease throughout."""
    push = runtime.push
    async with runtime.lease.hold(push.client.budget) as budget:
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
) -> None:
    """Push everything the store has changed, detecting and sending at the same time.

    While the budget makes the sender wait for the next window, the detector maps and
    queues the next pages, so batches are ready the moment the window opens.
    """
    detecting = True

    async def detector() -> None:
        nonlocal detecting
        try:
            first = True
            while await push.detect(
                limit=page, page=page, since=since, from_start=from_start and first
            ):
                first = False
        finally:
            detecting = False

    async with task_group() as group:
        group.start_soon(detector)
        while True:
            if await push.push_batch():
                continue
            if not detecting:
                if await push.push_batch():  # what the detector's last page queued
                    continue
                break
            await anyio.sleep(idle)


async def run_tracking(runtime: Runtime) -> TrackStats:
    """One tracking pass under the key's lease: the webhook inbox, then a poll."""
    push = runtime.push
    async with runtime.lease.hold(push.client.budget) as budget:
        push.client.budget = budget
        return await track(runtime)


async def track(runtime: Runtime) -> TrackStats:
    """Deliveries first (they are fresher), then the poll that catches whatever they missed."""
    stats = await process_inbox(
        runtime.push.engine, runtime.name, runtime.push.client, runtime.tracker
    )
    stats.add(await runtime.tracker.poll())
    return stats


async def run_forever(
    runtimes: list[Runtime],
    *,
    stop: anyio.Event,
) -> None:
    """Run every connection's loop until ``stop`` is set; a stopped connection logs and waits.

    Each round pushes what changed and brings tracking back; webhooks only make the inbox
    non-empty, and the poll that follows every push is the truth.
    """

    async def loop(runtime: Runtime) -> None:
        push = runtime.push
        while not stop.is_set():
            try:
                async with runtime.lease.hold(push.client.budget) as budget:
                    push.client.budget = budget
                    while not stop.is_set():
                        await drain(push)
                        await track(runtime)
                        with anyio.move_on_after(runtime.config.poll_seconds):
                            await stop.wait()
            except ConnectionStopped as exc:
                log.error("runner.connection_stopped", connection=runtime.name, error=str(exc))
                with anyio.move_on_after(60):
                    await stop.wait()
            except Exception as exc:  # a loop must outlive one bad pass; the log says why
                log.exception("runner.pass_failed", connection=runtime.name, error=str(exc))
                with anyio.move_on_after(runtime.config.poll_seconds):
                    await stop.wait()

    async with anyio.create_task_group() as group:
        for runtime in runtimes:
            group.start_soon(loop, runtime)

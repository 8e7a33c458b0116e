"""How fast a label bought in ShipStation reaches the store, by webhook and by polling alone.

Orders are pushed to the in-process emulator, then labels are bought one after another. The
webhook path delivers each SHIP_NOTIFY into the real receiver at once (ShipStation itself takes
minutes; that delay is theirs) and works the inbox off; the poll path drops every delivery and
polls on an interval. Latency runs from the label's creation to the store's ``apply_shipment``.
Calls per shipment come from a catch-up poll over a backlog of labels, against the floor of one
list call per 500 shipments.

    uv run python bench/tracking_latency.py [--labels 100] [--gap 0.25] [--poll-seconds 1.0]

Last line: RESULT webhook_p50_ms=... webhook_p99_ms=... poll_p50_ms=... calls_per_shipment=...
lost=... doubled=...
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
import httpx2
from fastapi import FastAPI
from pydantic import JsonValue

from stationmaster import db
from stationmaster.config import ConnectionConfig, ShipStationConfig
from stationmaster.domain import Order, Shipment
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime, build_runtime, run_pass
from stationmaster.shipstation import Credentials
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import ChangeBatch
from stationmaster.sync.inbox import process_inbox
from stationmaster.sync.subscriptions import sync_webhooks
from stationmaster.sync.tracking import Tracker
from stationmaster.testing.factories import make_orders
from stationmaster.web.webhooks import WebhookTarget, webhooks_router

KEY, SECRET, TOKEN = "bench-key", "bench-secret", "bench-webhook-token-0123456789"
TRACKING_PATHS = ("/shipments", "/fulfillments", "/orders")


class TimedStore:
    """The native store, noting when each package first reaches it."""

    def __init__(self, store: NativeStore) -> None:
        self.store = store
        self.kind = store.kind
        self.capabilities = store.capabilities
        self.applied: dict[str, float] = {}

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        return await self.store.changed_orders(cursor, limit)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        return await self.store.orders_by_id(source_ids)

    async def set_status(self, source_id: str, status: str) -> None:
        await self.store.set_status(source_id, status)

    async def adjust_stock(self, sku: str, delta: int) -> int:
        return await self.store.adjust_stock(sku, delta)

    async def apply_shipment(self, shipment: Shipment) -> None:
        await self.store.apply_shipment(shipment)
        now = time.perf_counter()
        for package in shipment.packages:
            if not package.voided and package.tracking_number:
                self.applied.setdefault(package.tracking_number, now)


async def connection(workdir: Path, name: str, orders: int, app: FastAPI | None):
    emulator = Emulator(
        EmulatorConfig(
            api_key=KEY,
            api_secret=SECRET,
            limit=None,
            webhook_transport=httpx2.ASGITransport(app=app) if app is not None else None,
        )
    )
    engine = db.create_engine(f"sqlite:///{workdir / f'{name}.db'}")
    await db.upgrade_async(engine)
    # Latency, not the rate limit, is measured here: the emulator and the budget are unlimited.
    config = ConnectionConfig(
        name=name,
        source=name,
        shipstation=ShipStationConfig(base_url=emulator.base_url, limit=1_000_000),
    )
    runtime = await build_runtime(
        config,
        engine,
        owner=f"bench-{name}",
        credentials=Credentials(KEY, SECRET),
        transport=emulator.transport(),
    )
    native = runtime.push.store
    assert isinstance(native, NativeStore)
    timed = TimedStore(native)
    runtime.tracker = Tracker(
        engine, name, timed, runtime.push.client, runtime.push.rules, source=name
    )
    await native.ingest_many(make_orders(orders, seed=21))
    await run_pass(runtime)
    emulator.pending_webhooks.clear()
    emulator.clear_calls()
    return emulator, engine, runtime, timed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def ship_all(emulator: Emulator, labels: int, gap: float) -> dict[str, float]:
    created: dict[str, float] = {}
    for order in emulator.orders()[:labels]:
        label = emulator.ship_order(order["orderId"])
        created[label["trackingNumber"]] = time.perf_counter()
        await anyio.sleep(gap)
    return created


async def measure(
    workdir: Path, name: str, labels: int, *, webhooks: bool, poll_seconds: float, gap: float
) -> tuple[list[float], int, int, Runtime]:
    app = FastAPI() if webhooks else None
    emulator, engine, runtime, timed = await connection(workdir, name, labels, app)
    if app is not None:
        # The receiver's own flood guard (120 a minute) would turn labels away here.
        target = WebhookTarget(name, TOKEN, emulator.base_url)
        app.include_router(webhooks_router(engine, connections={name: target}, rate_limit=10**6))
        await sync_webhooks(
            runtime.push.client,
            connection=name,
            public_url="http://stationmaster.bench",
            token=TOKEN,
            store_id=None,
        )
    done = anyio.Event()

    async def worker() -> None:
        while not done.is_set():
            if webhooks:
                await emulator.deliver_webhooks()
                await process_inbox(engine, name, runtime.push.client, runtime.tracker)
                await anyio.sleep(0.01)
            else:
                emulator.pending_webhooks.clear()  # every delivery lost
                await runtime.tracker.poll()
                with anyio.move_on_after(poll_seconds):
                    await done.wait()

    async with anyio.create_task_group() as group:
        group.start_soon(worker)
        created = await ship_all(emulator, labels, gap)
        with anyio.move_on_after(max(30.0, poll_seconds * 5)):
            while set(created) - set(timed.applied):  # noqa: ASYNC110 - the store has no event
                await anyio.sleep(0.05)
        done.set()
    latencies = [(timed.applied[n] - t) * 1000 for n, t in created.items() if n in timed.applied]
    lost = len(set(created) - set(timed.applied))
    doubled = 0
    for order in make_orders(labels, seed=21):
        shipment = await timed.store.shipments_of(order.source_id)
        live = [p for p in shipment.packages if not p.voided]
        doubled += max(0, len(live) - 1)
    await engine.dispose()
    return latencies, lost, doubled, runtime


async def catch_up_calls(workdir: Path, backlog: int) -> float:
    """API calls one poll spends on a backlog of labels, per label."""
    emulator, engine, runtime, timed = await connection(workdir, "catchup", backlog, None)
    for order in emulator.orders():
        emulator.ship_order(order["orderId"])
    emulator.clear_calls()
    await runtime.tracker.poll()
    calls = sum(1 for c in emulator.calls if c.path.lower().startswith(TRACKING_PATHS))
    applied = len(timed.applied)
    await engine.dispose()
    return calls / max(applied, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between two labels")
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--backlog", type=int, default=1000)
    args = parser.parse_args()

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
            workdir = Path(tmp)
            hook, hook_lost, hook_doubled, _ = await measure(
                workdir,
                "hooks",
                args.labels,
                webhooks=True,
                poll_seconds=args.poll_seconds,
                gap=args.gap,
            )
            poll, poll_lost, poll_doubled, _ = await measure(
                workdir,
                "polls",
                args.labels,
                webhooks=False,
                poll_seconds=args.poll_seconds,
                gap=args.gap,
            )
            per_shipment = await catch_up_calls(workdir, args.backlog)
        print(
            f"webhook path: {len(hook)} labels, p50 {percentile(hook, 0.5):.0f} ms, "
            f"p99 {percentile(hook, 0.99):.0f} ms (delivery itself is instant here)"
        )
        print(
            f"poll path every {args.poll_seconds:g} s: p50 {percentile(poll, 0.5):.0f} ms, "
            f"p99 {percentile(poll, 0.99):.0f} ms, mean {statistics.fmean(poll):.0f} ms"
        )
        print(
            f"catch-up poll over {args.backlog} labels: {per_shipment:.4f} calls per shipment "
            f"(floor: {1 / 500:.4f}, one list call per 500)"
        )
        print(
            f"RESULT webhook_p50_ms={percentile(hook, 0.5):.0f} "
            f"webhook_p99_ms={percentile(hook, 0.99):.0f} "
            f"poll_p50_ms={percentile(poll, 0.5):.0f} calls_per_shipment={per_shipment:.4f} "
            f"lost={hook_lost + poll_lost} doubled={hook_doubled + poll_doubled}"
        )

    anyio.run(run)


if __name__ == "__main__":
    main()

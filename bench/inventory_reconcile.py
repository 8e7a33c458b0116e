"""Stock reconcile on a big catalogue, against setting absolute levels one SKU at a time.

A native store of ``--skus`` SKUs (``--drifted`` of them off by a few units) and the same SKUs
in the emulator's v2 inventory. While orders keep arriving for ``--hot`` bestsellers (each
takes its units from the store in the same transaction that stores it, and is not in
ShipStation yet; ``--order-rate`` a second), two ways of putting the store in line with
ShipStation run:

* ours: one reconcile, :func:`stationmaster.stock.reconcile.reconcile`: the levels walked
  page by page, the store's levels locked, moved SKUs read again, the differences written in
  one transaction;
* baseline: what a cron job does: read the orders not yet in ShipStation once, then per SKU
  ask ShipStation for its level and set the store's level to it, less those orders, one SKU
  after another (``--baseline-skus`` of them, the hot ones among them; its calls scale with
  the catalogue at one per SKU).

Afterwards every SKU should hold ShipStation's available less every order placed for it;
``drift`` counts the SKUs that do not. The ShipStation calls each way spends are set against
v2's limit of 200 requests a minute.

    uv run python bench/inventory_reconcile.py [--skus 100000] [--hot 200] [--drifted 0.1]
        [--baseline-skus 2000] [--order-rate 50] [--db-url postgresql://...]

Last line: RESULT reconcile_s=... calls=... baseline_calls=... drift=... baseline_drift=...
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.lowlevel
import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db.tables import native_stock
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.emulator.v2config import V2Config
from stationmaster.shipstation.budget import Budget
from stationmaster.shipstation.inventory import InventoryClient, InventoryCredentials
from stationmaster.stock.demand import native_demand
from stationmaster.stock.native_book import NativeBook
from stationmaster.stock.reconcile import reconcile
from stationmaster.stores.native import NativeStore, OutOfStock
from stationmaster.sync.rules import Rules, load_rules
from stationmaster.testing.factories import plain_order
from stationmaster.wiretime import utcnow

V2_KEY = "bench-v2-key"
V2_PER_MINUTE = 200
HOT_STOCK = 1_000_000
SEED_CHUNK = 5_000


@dataclass
class Orders:
    """What the order task placed, by SKU."""

    taken: dict[str, int] = field(default_factory=dict)
    placed: int = 0
    refused: int = 0


def sku_name(n: int) -> str:
    return f"SKU-{n:06d}"


def shipstation_levels(skus: int, hot: Sequence[str], rng: random.Random) -> dict[str, int]:
    hot_set = set(hot)
    return {
        sku: HOT_STOCK if sku in hot_set else rng.randint(0, 500)
        for sku in (sku_name(n) for n in range(skus))
    }


async def seed_store(
    engine: AsyncEngine, connection: str, levels: dict[str, int], drifted: float, seed: int
) -> None:
    """The store's rows in bulk, a share of them off by a few units (never below zero)."""
    rng = random.Random(seed)
    async with engine.begin() as conn:
        await db.ensure_connection(conn, connection, mode="push", store_kind="native")
    at = utcnow()
    rows = [
        {
            "connection": connection,
            "sku": sku,
            "on_hand": max(0, level + (rng.randint(-5, 5) if rng.random() < drifted else 0)),
            "version": 1,
            "updated_at": at,
        }
        for sku, level in levels.items()
    ]
    for start in range(0, len(rows), SEED_CHUNK):
        async with engine.begin() as conn:
            await conn.execute(native_stock.insert(), rows[start : start + SEED_CHUNK])


async def place_orders(
    store: NativeStore,
    hot: Sequence[str],
    orders: Orders,
    stop: threading.Event,
    *,
    seed: int,
    rate: float,
) -> None:
    """Orders for the hot SKUs, ``rate`` a second, until ``stop``."""
    rng = random.Random(seed)
    template = plain_order()
    n = 0
    while not stop.is_set():
        n += 1
        wanted = [(sku, rng.randint(1, 3)) for sku in rng.sample(list(hot), rng.randint(1, 2))]
        lines = [
            template.lines[0].model_copy(
                update={"line_id": f"l{i}", "sku": sku, "quantity": quantity}
            )
            for i, (sku, quantity) in enumerate(wanted)
        ]
        source_id = f"{store.connection}-{n}"
        order = template.model_copy(
            update={"source_id": source_id, "number": source_id, "lines": lines}
        )
        try:
            await store.place(order)
        except OutOfStock:
            orders.refused += 1
            continue
        orders.placed += 1
        for sku, quantity in wanted:
            orders.taken[sku] = orders.taken.get(sku, 0) + quantity
        await anyio.sleep(1 / rate)


def client(emulator: Emulator) -> InventoryClient:
    return InventoryClient(
        InventoryCredentials(V2_KEY),
        base_url=emulator.base_url,
        transport=emulator.transport(),
        budget=Budget(10**9, 60.0),
    )


async def ours(engine: AsyncEngine, emulator: Emulator, rules: Rules) -> tuple[float, int]:
    book = NativeBook(engine, "ours", rules, "shop")
    async with client(emulator) as source:
        done = await reconcile(book, source)
    print(
        f"ours: {done.listed} levels in {done.calls} calls, {done.locked} store levels held, "
        f"{done.moved} moved during the walk, "
        f"{sum(1 for c in done.plan.changes if c.delta)} changed, {done.seconds:.1f} s"
    )
    return done.seconds, done.calls


async def baseline(
    engine: AsyncEngine, emulator: Emulator, rules: Rules, skus: Sequence[str]
) -> tuple[float, int]:
    """Demand read once, then per SKU: ShipStation's level, then the store's absolute level."""
    started = time.monotonic()
    async with engine.connect() as conn:
        demand = await native_demand(conn, "base", rules=rules, source="shop", now=utcnow())
    async with client(emulator) as source:
        for sku in skus:
            available = 0
            async for level in source.levels(skus=[sku]):
                available += level.available
            async with engine.begin() as conn:
                await conn.execute(
                    update(native_stock)
                    .where(native_stock.c.connection == "base", native_stock.c.sku == sku)
                    .values(on_hand=max(0, available - demand.get(sku, 0)))
                )
        calls = source.calls
    seconds = time.monotonic() - started
    print(f"baseline: {len(skus)} SKUs in {calls} calls, {seconds:.1f} s")
    return seconds, calls


def order_thread(
    url: str,
    connection: str,
    hot: Sequence[str],
    orders: Orders,
    stop: threading.Event,
    *,
    seed: int,
    rate: float,
) -> None:
    """The shop's checkout: a thread with its own event loop and engine, as a web process
    would be, so the orders keep coming whatever the reconcile's own loop is busy with."""

    async def checkout() -> None:
        engine = db.create_engine(url)
        try:
            store = NativeStore(engine, connection, source="shop")
            await place_orders(store, hot, orders, stop, seed=seed, rate=rate)
        finally:
            await engine.dispose()

    anyio.run(checkout)


async def with_orders(
    url: str,
    connection: str,
    hot: Sequence[str],
    work: Callable[[], Awaitable[tuple[float, int]]],
    *,
    seed: int,
    rate: float,
) -> tuple[tuple[float, int], Orders]:
    """Run ``work`` while orders arrive (from before it starts to after it ends)."""
    orders = Orders()
    stop = threading.Event()
    shop = threading.Thread(
        target=order_thread,
        args=(url, connection, hot, orders, stop),
        kwargs={"seed": seed, "rate": rate},
    )
    shop.start()
    try:
        await anyio.sleep(0.5)
        result = await work()
        await anyio.sleep(0.5)
    finally:
        stop.set()
        await anyio.to_thread.run_sync(shop.join)
    return result, orders


async def drift(
    engine: AsyncEngine,
    connection: str,
    levels: dict[str, int],
    orders: Orders,
    skus: Sequence[str],
) -> int:
    async with engine.connect() as conn:
        final = {s.sku: s.on_hand for s in await db.list_native_stock(conn, connection)}
    return sum(
        1 for sku in skus if final.get(sku) != max(0, levels[sku] - orders.taken.get(sku, 0))
    )


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    all_skus = [sku_name(n) for n in range(args.skus)]
    hot = sorted(rng.sample(all_skus, args.hot))
    levels = shipstation_levels(args.skus, hot, rng)
    emulator = Emulator(EmulatorConfig(v2=V2Config(api_key=V2_KEY, limit=None)))
    emulator.set_inventory([{"sku": sku, "on_hand": units} for sku, units in levels.items()])
    with tempfile.TemporaryDirectory() as work:
        url = args.db_url or f"sqlite:///{Path(work) / 'bench.db'}"
        engine = db.create_engine(url)
        try:
            await db.upgrade_async(engine)
            for connection, seed in (("ours", 1), ("base", 2)):
                await seed_store(engine, connection, levels, args.drifted, args.seed + seed)
            rules = load_rules()
            print(
                f"{args.skus} SKUs ({args.hot} hot, {args.drifted:.0%} drifted) on "
                f"{url.split('://')[0]}; orders arrive for the hot ones throughout"
            )

            (seconds, calls), ours_orders = await with_orders(
                url,
                "ours",
                hot,
                lambda: ours(engine, emulator, rules),
                seed=args.seed,
                rate=args.order_rate,
            )
            ours_drift = await drift(engine, "ours", levels, ours_orders, all_skus)

            others = [sku for sku in all_skus if sku not in set(hot)]
            sample = args.baseline_skus or args.skus
            chosen = sorted(hot + rng.sample(others, max(0, min(sample, args.skus) - args.hot)))
            (base_seconds, base_calls), base_orders = await with_orders(
                url,
                "base",
                hot,
                lambda: baseline(engine, emulator, rules, chosen),
                seed=args.seed + 1,
                rate=args.order_rate,
            )
            base_drift = await drift(engine, "base", levels, base_orders, chosen)
        finally:
            await engine.dispose()

    per_sku = base_calls / len(chosen)
    full_calls = round(per_sku * args.skus)
    full_seconds = base_seconds / len(chosen) * args.skus
    print(
        f"orders placed meanwhile: ours {ours_orders.placed}, baseline {base_orders.placed}; "
        f"baseline measured on {len(chosen)} of {args.skus} SKUs ({per_sku:.2f} calls per SKU)"
    )
    print(
        f"calls: ours {calls}, baseline {full_calls} for the catalogue: "
        f"{full_calls / max(calls, 1):.0f}x fewer; at v2's {V2_PER_MINUTE}/min that is "
        f"{calls / V2_PER_MINUTE:.1f} min against {full_calls / V2_PER_MINUTE / 60:.1f} h"
    )
    print(
        f"time here: ours {seconds:.1f} s, baseline {full_seconds:.1f} s for the catalogue "
        f"({full_seconds / max(seconds, 1e-9):.1f}x)"
    )
    print(
        f"drift: ours {ours_drift} of {args.skus} SKUs, baseline {base_drift} of {len(chosen)} SKUs"
    )
    print(
        f"RESULT reconcile_s={seconds:.2f} calls={calls} baseline_calls={full_calls} "
        f"drift={ours_drift} baseline_drift={base_drift}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--hot", type=int, default=200, help="SKUs the orders go to")
    parser.add_argument("--drifted", type=float, default=0.1, help="share of store levels off")
    parser.add_argument(
        "--baseline-skus",
        type=int,
        default=2_000,
        help="SKUs the baseline walks, hot ones included (0: all)",
    )
    parser.add_argument("--order-rate", type=float, default=50.0, help="orders a second")
    parser.add_argument("--db-url", default=None, help="default: SQLite in a temp directory")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 0 < args.hot <= args.skus:
        parser.error("--hot must be between 1 and --skus")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(run, args)


if __name__ == "__main__":
    main()

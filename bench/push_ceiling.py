"""How close the push sync comes to ShipStation's rate-limit ceiling, against a naive baseline.

A backlog of orders waits in the native store; one push pass sends it to the in-process
emulator, whose rate-limit window is compressed so the run takes seconds, not minutes. The
ceiling is 100 orders per request times the limit per window. In the same run, a baseline
sends orders one ``createorder`` call each, as the popular Python clients do.

Accounting: the ceiling is a long-run rate, and a short run's first window is a burst the key
had saved up, so ``ratio`` is measured over the steady windows: the orders sent from the first
call of window 2 to the first call of the last window, per minute, over the ceiling. A pass
that keeps up with the budget scores 1.0; one that falls behind (CPU, database) scores less.
``overall`` is printed beside it: every order over the whole pass plus one window (the time
the pass holds the key's budget), which also counts the ramp-up and the tail.

    uv run python bench/push_ceiling.py [--orders 20000] [--limit 40] [--window SECONDS]

Last line: RESULT ratio=... baseline_ratio=... http_429=... duplicates=... lost=...
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import anyio

from stationmaster import db
from stationmaster.config import ConnectionConfig, ShipStationConfig
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import build_runtime, run_pass
from stationmaster.shipstation import Budget, Credentials
from stationmaster.stores.native import NativeStore
from stationmaster.sync.mapping import map_order
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_order
from stationmaster.wiretime import utcnow

KEY, SECRET = "bench-key", "bench-secret"


async def seeded(
    workdir: Path, name: str, orders: int, limit: int, window: float, emulator: Emulator
):
    await anyio.Path(workdir).mkdir(parents=True, exist_ok=True)
    engine = db.create_engine(f"sqlite:///{workdir / f'{name}.db'}")
    await db.upgrade_async(engine)
    config = ConnectionConfig(
        name=name,
        source=name,
        shipstation=ShipStationConfig(
            base_url=emulator.base_url, limit=limit, window_seconds=window
        ),
    )
    runtime = await build_runtime(
        config,
        engine,
        owner=f"bench-{name}",
        credentials=Credentials(KEY, SECRET),
        transport=emulator.transport(),
    )
    store = runtime.push.store
    assert isinstance(store, NativeStore)
    start = utcnow() - timedelta(days=1)
    await store.ingest_many(
        [make_order(n, seed=7, placed_at=start + timedelta(seconds=n)) for n in range(orders)]
    )
    return engine, runtime


async def measure_batched(
    workdir: Path, orders: int, limit: int, window: float
) -> dict[str, float]:
    emulator = Emulator(
        EmulatorConfig(api_key=KEY, api_secret=SECRET, limit=limit, window_seconds=window)
    )
    engine, runtime = await seeded(workdir, "batched", orders, limit, window, emulator)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        stats = await run_pass(runtime)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await engine.dispose()
    statuses = Counter(c.status for c in emulator.calls)
    keys = Counter(o["orderKey"] for o in emulator.orders())
    expected = {f"batched:{make_order(n, seed=7).source_id}" for n in range(orders)}
    ceiling_per_min = 100 * limit / window * 60
    sends = [
        (c.time.timestamp(), len(c.body) if isinstance(c.body, list) else 0)
        for c in emulator.calls
        if c.status == 200 and c.path.lower().endswith("/createorders")
    ]
    windows = len(sends) // limit
    if windows >= 3:
        start, end = sends[limit][0], sends[(windows - 1) * limit][0]
        steady = sum(n for _, n in sends[limit : (windows - 1) * limit]) / (end - start) * 60
    else:
        steady = float("nan")
    overall = stats.accepted / (wall + window) * 60
    return {
        "orders": orders,
        "wall": wall,
        "cpu_per_1000": cpu / max(orders, 1) * 1000,
        "calls": stats.calls,
        "steady_per_min": steady,
        "overall_per_min": overall,
        "ceiling_per_min": ceiling_per_min,
        "ratio": steady / ceiling_per_min,
        "overall": overall / ceiling_per_min,
        "http_429": statuses.get(429, 0),
        "duplicates": sum(count - 1 for count in keys.values()),
        "lost": len(expected - set(keys)),
    }


async def measure_baseline(workdir: Path, orders: int, limit: int, window: float) -> float:
    """One createorder per order through the same client, budget and emulator settings."""
    emulator = Emulator(
        EmulatorConfig(api_key=KEY, api_secret=SECRET, limit=limit, window_seconds=window)
    )
    engine, runtime = await seeded(workdir, "baseline", 0, limit, window, emulator)
    rules = load_rules({})
    client = runtime.push.client
    client.budget = Budget(limit=limit, window=window)
    payloads = []
    for n in range(orders):
        mapped = map_order(make_order(n, seed=7), rules, source="baseline", now=utcnow())
        assert mapped.payload is not None
        payloads.append(mapped.payload)
    try:
        wall = time.perf_counter()
        for payload in payloads:
            await client.orders.create(payload)
        wall = time.perf_counter() - wall
    finally:
        await engine.dispose()
    achieved_per_min = orders / (wall + window) * 60
    return achieved_per_min / (100 * limit / window * 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        help="rate-limit window in seconds (default: picked from a CPU probe)",
    )
    parser.add_argument("--baseline-orders", type=int, default=None)
    args = parser.parse_args()

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
            workdir = Path(tmp)
            window = args.window
            if window is None:
                probe = await measure_batched(workdir / "probe", 1000, 1000, 1.0)
                # A window must hold the CPU work of limit x 100 orders with room to spare
                # (half the window: the cost per order grows a little with the backlog).
                needed = probe["cpu_per_1000"] * args.limit / 10 / 0.5
                window = float(max(6, math.ceil(needed)))
                print(
                    f"cpu probe: {probe['cpu_per_1000']:.2f} CPU s per 1,000 orders "
                    f"-> window {window:.0f} s"
                )
            result = await measure_batched(workdir / "main", args.orders, args.limit, window)
            baseline_orders = args.baseline_orders or args.limit
            baseline_ratio = await measure_baseline(
                workdir / "base", baseline_orders, args.limit, window
            )
        print(
            f"window: {args.limit} requests per {window:.0f} s "
            f"(ceiling {result['ceiling_per_min']:,.0f} orders/min)"
        )
        print(
            f"pushed {result['orders']:,} orders in {result['wall']:.1f} s with "
            f"{result['calls']} calls"
        )
        print(
            f"steady windows: {result['steady_per_min']:,.0f} orders/min "
            f"= {result['ratio']:.3f} of the ceiling"
        )
        print(
            f"overall, with ramp-up and tail: {result['overall_per_min']:,.0f} orders/min "
            f"= {result['overall']:.3f} of the ceiling"
        )
        print(
            f"cpu: {result['cpu_per_1000']:.2f} CPU s per 1,000 orders "
            "(sync, database and in-process emulator together)"
        )
        print(f"baseline, one createorder per order: {baseline_ratio:.4f} of the ceiling")
        print(
            f"RESULT ratio={result['ratio']:.3f} baseline_ratio={baseline_ratio:.4f} "
            f"http_429={result['http_429']} duplicates={result['duplicates']} "
            f"lost={result['lost']}"
        )

    anyio.run(run)


if __name__ == "__main__":
    main()

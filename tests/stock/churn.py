"""A worker that churns one connection's stock, for the concurrency tests.

It sends keyed warehouse deltas (some keys shared by every worker, so each of those arrives
several times at once) and places orders that take stock, and reports what the store said
to each. Run in a thread (:func:`churn`) or as a process, ``python -m tests.stock.churn
DB_URL``, which prints ``ready`` and then, for each line ``CONNECTION SEED OPERATIONS SKU...``
it reads, churns and prints the report as one JSON line (so one process serves many rounds).
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

import anyio

from stationmaster.db import create_engine
from stationmaster.stock.adjustments import read_adjustment
from stationmaster.stock.apply import apply_adjustments
from stationmaster.stock.ledger import StockLedger
from stationmaster.stores.native import NativeStore, OutOfStock
from stationmaster.testing.factories import plain_order

SHARED_KEYS = 12


def shared(m: int, skus: list[str]) -> tuple[str, str, int]:
    """Shared key ``m``: the same SKU and delta whichever worker sends it."""
    return f"shared-{m}", skus[m % len(skus)], m % 7 - 3


async def churn(
    url: str, connection: str, seed: int, operations: int, skus: list[str]
) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    engine = create_engine(url)
    store = NativeStore(engine, connection, source="shop")
    ledger = StockLedger(engine, connection)
    report: dict[str, list[Any]] = {"adjustments": [], "orders": []}
    template = plain_order()
    try:
        for n in range(operations):
            roll = rng.random()
            if roll < 0.5:
                if roll < 0.15:
                    key, sku, delta = shared(rng.randrange(SHARED_KEYS), skus)
                else:
                    key, sku, delta = f"wh-{seed}-{n}", rng.choice(skus), rng.randint(-4, 6)
                raw = {"sku": sku, "delta": delta, "idempotency_key": key, "reason": "churn"}
                (result,) = await apply_adjustments(store, ledger, [read_adjustment(0, raw)])
                report["adjustments"].append([key, sku, delta, result.status])
                continue
            chosen = rng.sample(skus, rng.randint(1, 2))
            lines = [
                template.lines[0].model_copy(
                    update={"line_id": f"l{i}", "sku": sku, "quantity": rng.randint(1, 3)}
                )
                for i, sku in enumerate(chosen)
            ]
            source_id = f"o-{seed}-{n}"
            order = template.model_copy(
                update={"source_id": source_id, "number": source_id, "lines": lines}
            )
            try:
                outcome = await store.place(order)
            except OutOfStock:
                outcome = "refused"
            taken = {line.sku: line.quantity for line in lines}
            report["orders"].append([source_id, taken, outcome])
    finally:
        await engine.dispose()
    return report


def main(argv: list[str]) -> None:
    """Churn once per line read (``CONNECTION SEED OPERATIONS SKU...``) until end of input."""
    (url,) = argv
    print("ready", flush=True)
    for line in sys.stdin:
        connection, seed, operations, *skus = line.split()
        report = anyio.run(churn, url, connection, int(seed), int(operations), skus)
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

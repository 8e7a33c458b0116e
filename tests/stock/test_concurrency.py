"""Many writers and a reconcile at once: the final stock is exactly what it must be, every time.

Threads and processes send keyed warehouse deltas (shared keys arrive several times at once)
and place orders that take stock, while reconciles run. ShipStation is stood in for by a
count that sees every warehouse delta the moment the store commits it (the world in which
a correct reconcile changes nothing that was right), and the store starts off wrong, so the
reconcile has real work to do. Afterwards every SKU must hold exactly ShipStation's starting
count, plus every delta applied, less every unit of every order placed; each key must be in
the ledger once. A reconcile that wrote a stale level, or an adjustment applied twice, would
leave a SKU off by its units.
"""

import json
import random
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from stationmaster import db
from stationmaster.db.engine import database_url
from stationmaster.db.tables import stock_adjustments
from stationmaster.stock.native_book import NativeBook
from stationmaster.stock.reconcile import reconcile
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules
from tests.stock.churn import churn

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SKUS = [f"SKU-{n}" for n in range(8)]
SHIPSTATION_START = 1000
#: Operations per worker and round: threads, processes.
THREAD_OPERATIONS = 25
PROCESS_OPERATIONS = 20


@dataclass(frozen=True)
class Counted:
    sku: str
    available: int


@dataclass
class LedgerCount:
    """ShipStation's count: its start plus every warehouse delta the store has committed.

    It reads through an engine of its own without stationmaster's SQLite set-up (whose
    transactions all take the write lock): a plain reader sees what is committed, the way
    ShipStation would, even while a reconcile holds the lock.
    """

    engine: AsyncEngine
    connection: str
    calls: int = 0

    async def levels(
        self,
        *,
        skus: Sequence[str] | None = None,
        warehouse_id: str | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[Counted]:
        self.calls += 1
        query = (
            select(stock_adjustments.c.sku, func.sum(stock_adjustments.c.delta))
            .where(
                stock_adjustments.c.connection == self.connection,
                stock_adjustments.c.reason == "churn",
            )
            .group_by(stock_adjustments.c.sku)
        )
        async with self.engine.connect() as conn:
            moved = {sku: int(total) for sku, total in await conn.execute(query)}
        for sku in SKUS if skus is None else skus:
            yield Counted(sku, SHIPSTATION_START + moved.get(sku, 0))


@pytest.fixture
async def reader(db_url: str) -> AsyncIterator[AsyncEngine]:
    plain = create_async_engine(database_url(db_url))
    try:
        yield plain
    finally:
        await plain.dispose()


async def _connection(engine: AsyncEngine, rng: random.Random) -> NativeStore:
    """A fresh connection whose levels start off wrong."""
    name = f"c-{uuid.uuid4().hex[:10]}"
    async with engine.begin() as conn:
        await db.ensure_connection(conn, name, mode="push", store_kind="native")
    store = NativeStore(engine, name, source="shop")
    for sku in SKUS:
        await store.adjust_stock(sku, SHIPSTATION_START + rng.randint(-40, 40))
    return store


async def _reconcile_meanwhile(
    engine: AsyncEngine, reader: AsyncEngine, connection: str, rng: random.Random, runs: int
) -> None:
    for _ in range(runs):
        await anyio.sleep(rng.uniform(0.0, 0.3))
        await _reconcile(engine, reader, connection, chunk=rng.randint(1, 5))


async def _reconcile(
    engine: AsyncEngine, reader: AsyncEngine, connection: str, *, chunk: int = 1000
) -> None:
    book = NativeBook(engine, connection, load_rules(), "shop")
    await reconcile(book, LedgerCount(reader, connection), chunk=chunk)


async def _check(engine: AsyncEngine, connection: str, reports: list[dict[str, Any]]) -> None:
    applied: dict[str, tuple[str, int]] = {}
    expected = dict.fromkeys(SKUS, SHIPSTATION_START)
    for report in reports:
        for key, sku, delta, status in report["adjustments"]:
            assert status in ("applied", "duplicate", "refused"), (key, status)
            if status == "applied":
                assert key not in applied, f"key {key} applied twice"
                applied[key] = (sku, delta)
                expected[sku] += delta
        for _, taken, outcome in report["orders"]:
            assert outcome in ("created", "refused")
            if outcome == "created":
                for sku, quantity in taken.items():
                    expected[sku] -= quantity
    async with engine.connect() as conn:
        final = {s.sku: s.on_hand for s in await db.list_native_stock(conn, connection)}
        entries = await db.stock_ledger_entries(conn, connection)
    churned = [e for e in entries if e.reason == "churn"]
    assert sorted(e.key for e in churned) == sorted(applied)
    assert final == expected


def _in_thread(url: str, connection: str, seed: int, out: list[dict[str, Any]]) -> None:
    out.append(anyio.run(churn, url, connection, seed, THREAD_OPERATIONS, SKUS))


@pytest.mark.parametrize("round_", range(5))
async def test_threads_orders_and_a_reconcile(
    engine: AsyncEngine, reader: AsyncEngine, db_url: str, round_: int
) -> None:
    rng = random.Random(round_)
    store = await _connection(engine, rng)
    reports: list[dict[str, Any]] = []
    threads = [
        threading.Thread(
            target=_in_thread, args=(db_url, store.connection, round_ * 100 + n, reports)
        )
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    await _reconcile_meanwhile(engine, reader, store.connection, rng, runs=2)
    for thread in threads:
        await anyio.to_thread.run_sync(thread.join)
    assert len(reports) == len(threads)
    await _check(engine, store.connection, reports)


@dataclass
class ChurnProcess:
    """A worker process (see :mod:`tests.stock.churn`) that churns a round per command."""

    process: Process
    replies: BufferedByteReceiveStream

    async def churn(self, connection: str, seed: int) -> dict[str, Any]:
        assert self.process.stdin is not None
        command = " ".join([connection, str(seed), str(PROCESS_OPERATIONS), *SKUS])
        await self.process.stdin.send(f"{command}\n".encode())
        report: dict[str, Any] = json.loads(await self.replies.receive_until(b"\n", 1 << 20))
        return report


@asynccontextmanager
async def churn_processes(url: str, count: int) -> AsyncIterator[list[ChurnProcess]]:
    async with AsyncExitStack() as stack:
        workers = []
        for _ in range(count):
            process = await anyio.open_process(
                [sys.executable, "-m", "tests.stock.churn", url], cwd=ROOT
            )
            await stack.enter_async_context(process)
            assert process.stdout is not None
            workers.append(ChurnProcess(process, BufferedByteReceiveStream(process.stdout)))
        with anyio.fail_after(60):
            for worker in workers:
                assert await worker.replies.receive_until(b"\n", 100) == b"ready"
        yield workers
        for worker in workers:
            assert worker.process.stdin is not None
            await worker.process.stdin.aclose()
            assert await worker.process.wait() == 0


async def test_processes_orders_and_a_reconcile(
    engine: AsyncEngine, reader: AsyncEngine, db_url: str
) -> None:
    async with churn_processes(db_url, 3) as workers:
        for round_ in range(3):
            rng = random.Random(1000 + round_)
            store = await _connection(engine, rng)
            reports: list[dict[str, Any]] = []

            async def work(
                worker: ChurnProcess, seed: int, into: list[dict[str, Any]], connection: str
            ) -> None:
                into.append(await worker.churn(connection, seed))

            async with anyio.create_task_group() as group:
                for n, worker in enumerate(workers):
                    group.start_soon(work, worker, round_ * 100 + n, reports, store.connection)
                await _reconcile_meanwhile(engine, reader, store.connection, rng, runs=2)
            await _check(engine, store.connection, reports)

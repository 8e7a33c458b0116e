"""Custom Store export on a big store: keyset paging and a text writer against a naive export.

A native store of ``--orders`` orders on SQLite, ``--window-orders`` of them modified inside the
export window, is exported page by page as ShipStation would ask for it. Beside it, in the same
run, a naive export of the same window: OFFSET paging, the full mapping for every order, and an
ElementTree document built in memory per page. Per-page times are compared between the first and
the last pages: keyset paging keeps them flat; OFFSET paging grows with the page number.

The same window is then exported from the stores of every size in ``--sweep`` and ``--orders``
(the same orders in the window, fewer or more outside it), walked in lockstep so that a busy
machine slows them alike. Keyset paging reads only the window's index entries, so a page costs
the same whatever the store holds: ``page_flatness``, the per-page p50 at the largest store over
the one at the smallest, stays near 1.

    uv run python bench/customstore_export.py [--orders 1000000] [--window-orders 100000]
        [--sweep 100000,1000000]

Last line: RESULT orders_per_s=... baseline_orders_per_s=... page_ms_p50=... peak_rss_mb=...
page_flatness=... speedup=...
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.customstore.export import (
    ExportOptions,
    NativeExport,
    Window,
    export_rules,
    shape_order,
    write_order,
)
from stationmaster.customstore.writer import export_document
from stationmaster.db.tables import native_orders
from stationmaster.domain import Order
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_orders

CONNECTION = "big"
WINDOW_START = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(days=1)
TEMPLATES = 100
CHUNK = 20_000


async def seed(engine: AsyncEngine, orders: int, in_window: int) -> float:
    """Insert the store directly (a bulk load, not the ingest path); returns the seconds taken."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await db.ensure_connection(conn, CONNECTION, mode="pull", store_kind="native")
        await db.ensure_connection(conn, "templates", mode="pull", store_kind="native")
    templates = NativeStore(engine, "templates", source="tpl")
    await templates.ingest_many(make_orders(TEMPLATES, seed=17))
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(native_orders.c.payload, native_orders.c.status).where(
                    native_orders.c.connection == "templates"
                )
            )
        ).all()
    shapes = [(dict(payload), status) for payload, status in rows]
    outside = orders - in_window
    before = WINDOW_START - timedelta(days=400)
    for first in range(0, orders, CHUNK):
        batch = []
        for n in range(first, min(first + CHUNK, orders)):
            payload, status = shapes[n % len(shapes)]
            if n < outside:  # the old part of the store, spread over the year before
                modified = before + timedelta(seconds=n * 30)
            else:
                modified = WINDOW_START + WINDOW * ((n - outside) / max(in_window, 1))
            source_id = f"{n:08d}"
            batch.append(
                {
                    "connection": CONNECTION,
                    "source_id": source_id,
                    "order_key": f"big:{source_id}",
                    "payload": {**payload, "source_id": source_id, "number": f"B-{source_id}"},
                    "status": status,
                    "deleted": False,
                    "version": 1,
                    "change_seq": n + 1,
                    "updated_at": modified,
                }
            )
        async with engine.begin() as conn:
            await conn.execute(insert(native_orders), batch)
    return time.perf_counter() - started


def _export(engine: AsyncEngine, page_size: int) -> NativeExport:
    return NativeExport(
        engine, CONNECTION, load_rules({}), source="big", options=ExportOptions(page_size=page_size)
    )


async def _timed_page(export: NativeExport, page: int) -> tuple[float, int, int, int]:
    """One page through the real export and writer: ms, orders, bytes, and the page count."""
    started = time.perf_counter()
    result = await export.page(Window(WINDOW_START, WINDOW_START + WINDOW), page)
    size = sum(len(chunk) for chunk in export_document(result.pages, result.orders))
    return (time.perf_counter() - started) * 1000, len(result.orders), size, result.pages


async def ours(engine: AsyncEngine, page_size: int) -> tuple[list[float], int, int]:
    """Every page through the real export and writer; per-page ms, orders, bytes."""
    export = _export(engine, page_size)
    times, count, size, page = [], 0, 0, 1
    while True:
        ms, orders, written, pages = await _timed_page(export, page)
        times.append(ms)
        count, size = count + orders, size + written
        if page >= pages:
            return times, count, size
        page += 1


async def naive(
    engine: AsyncEngine, page_size: int, pages: Sequence[int]
) -> tuple[list[float], int]:
    """OFFSET paging, the full mapping and a whole ElementTree per page, for the given pages."""
    rules = export_rules(load_rules({}))
    window_end = WINDOW_START + WINDOW
    now = datetime.now(UTC)
    times, count = [], 0
    for page in pages:
        started = time.perf_counter()
        async with engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(native_orders)
                        .where(
                            native_orders.c.connection == CONNECTION,
                            native_orders.c.updated_at >= WINDOW_START,
                            native_orders.c.updated_at < window_end,
                        )
                        .order_by(native_orders.c.updated_at, native_orders.c.source_id)
                        .limit(page_size)
                        .offset((page - 1) * page_size)
                    )
                )
                .mappings()
                .all()
            )
        root = ET.Element("Orders", pages="?")
        for row in rows:
            order = Order.model_validate({**row["payload"], "status": row["status"]})
            shaped = shape_order(order, rules, source="big", now=now)
            written = write_order(order, row["updated_at"], None, shaped[0]) if shaped else None
            if written is not None:
                root.append(ET.fromstring(written))
        ET.tostring(root, encoding="utf-8")
        times.append((time.perf_counter() - started) * 1000)
        count += len(rows)
    return times, count


def seed_in_child(url: str, orders: int, in_window: int) -> None:
    """Seed in another process, so this one's peak memory is the export's alone."""

    async def load() -> None:
        engine = db.create_engine(url)
        await db.upgrade_async(engine)
        try:
            seconds = await seed(engine, orders, in_window)
        finally:
            await engine.dispose()
        print(f"seeded {orders:,} orders ({in_window:,} in the window) in {seconds:.0f} s")

    anyio.run(load)


async def seeded(url: str, orders: int, in_window: int) -> None:
    """A store of ``orders`` orders at ``url``, seeded by another process."""
    child = multiprocessing.get_context("spawn").Process(
        target=seed_in_child, args=(url, orders, in_window)
    )
    child.start()
    await anyio.to_thread.run_sync(child.join)
    if child.exitcode != 0:
        raise SystemExit("seeding failed")


async def page_p50s(urls: dict[int, str], page_size: int) -> dict[int, float]:
    """The per-page p50 (ms) of the window's export from each store, walked in lockstep
    (page 1 of each, then page 2 of each...) so that every store meets the same machine."""
    engines = {store: db.create_engine(url) for store, url in urls.items()}
    try:
        exports = {store: _export(engine, page_size) for store, engine in engines.items()}
        times: dict[int, list[float]] = {store: [] for store in urls}
        page, pages = 1, 1
        while page <= pages:
            for store, export in exports.items():
                ms, _, _, pages = await _timed_page(export, page)
                times[store].append(ms)
            page += 1
    finally:
        for engine in engines.values():
            await engine.dispose()
    return {store: statistics.median(walk) for store, walk in times.items()}


def _sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of store sizes: {text!r}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--window-orders", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--baseline-pages",
        type=int,
        default=20,
        help="pages the naive export reads at each end of the window",
    )
    parser.add_argument(
        "--sweep",
        type=_sizes,
        default=[100_000],
        help="other store sizes (comma-separated) to export the same window from",
    )
    args = parser.parse_args()
    sizes = sorted({args.orders, *args.sweep})
    if sizes[0] < args.window_orders:
        parser.error(f"every store must hold the window's {args.window_orders:,} orders")

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
            urls = {size: f"sqlite:///{Path(tmp) / f'store-{size}.db'}" for size in sizes}
            for size, url in urls.items():
                await seeded(url, size, args.window_orders)
            engine = db.create_engine(urls[args.orders])
            started, cpu_started = time.perf_counter(), time.process_time()
            times, count, size = await ours(engine, args.page_size)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            total_pages = len(times)
            edge = min(args.baseline_pages, total_pages // 2)
            sample = [*range(1, edge + 1), *range(total_pages - edge + 1, total_pages + 1)]
            base_times, base_count = await naive(engine, args.page_size, sample)
            await engine.dispose()
            p50s = await page_p50s(urls, args.page_size) if len(sizes) > 1 else {}
        rate = count / wall
        base_rate = base_count / (sum(base_times) / 1000)
        head, tail = statistics.median(times[:edge]), statistics.median(times[-edge:])
        base_head = statistics.median(base_times[:edge])
        base_tail = statistics.median(base_times[edge:])
        flatness = p50s[sizes[-1]] / p50s[sizes[0]] if p50s else float("nan")
        print(
            f"ours: {count:,} orders in {total_pages} pages, {wall:.1f} s, {rate:,.0f} orders/s, "
            f"{size / 1e6:.0f} MB of XML; page p50 {statistics.median(times):.1f} ms, "
            f"first pages {head:.1f} ms, last pages {tail:.1f} ms; peak RSS {rss_mb:.0f} MB; "
            f"{count / cpu:,.0f} orders per CPU second (a busy machine's wall clock says less)"
        )
        print(
            f"naive (OFFSET, full mapping, ElementTree): {base_rate:,.0f} orders/s over "
            f"{len(sample)} pages; first pages {base_head:.1f} ms, last pages {base_tail:.1f} ms"
        )
        for store, p50 in p50s.items():
            print(f"store of {store:,} orders: page p50 {p50:.1f} ms (same window, in lockstep)")
        print(
            f"RESULT orders_per_s={rate:.0f} baseline_orders_per_s={base_rate:.0f} "
            f"page_ms_p50={statistics.median(times):.1f} peak_rss_mb={rss_mb:.0f} "
            f"page_flatness={flatness:.2f} speedup={rate / base_rate:.2f}"
        )

    anyio.run(run)


if __name__ == "__main__":
    main()

"""The overview: each connection's numbers counted right in their time windows, a health
verdict with its reason, paging through thousands of connections in a few queries."""

from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.customstore.export import EXPORT_STREAM
from stationmaster.db.dashboard import connection_page, throughput
from stationmaster.db.tables import connections
from stationmaster.shipstation import Budget
from stationmaster.web.dashboard.overview import PULL_STREAMS
from tests.web.dashboard.support import (
    NOW,
    add_connections,
    client_for,
    counting_queries,
    log_in,
    make_app,
    minutes_ago,
    park_letter,
    push_accepted,
    record_call,
    text_of,
)

pytestmark = pytest.mark.anyio


async def _seed_busy_shop(engine: AsyncEngine) -> None:
    """shop: 2 pushed in the last hour, 1 more today, 1 last week; 429s likewise; a backlog."""
    await push_accepted(engine, "shop", ["shop:1", "shop:2"], minutes_ago(10))
    await push_accepted(engine, "shop", ["shop:3"], minutes_ago(300))
    await push_accepted(engine, "shop", ["shop:4"], minutes_ago(60 * 24 * 7))
    for minutes in (5, 50, 200, 60 * 30):
        await record_call(engine, "shop", minutes_ago(minutes), status=429)
    await record_call(engine, "shop", minutes_ago(5), status=200)
    async with engine.begin() as conn:
        await db.enqueue(
            conn, "shop", [db.OutboxItem.of("shop:9", {"orderKey": "shop:9"})], now=minutes_ago(30)
        )
        await db.record_tracked(
            conn,
            "shop",
            [
                db.TrackedWrite("1", "shipment:1", 7, "1Z1", {"n": 1}, False),
                db.TrackedWrite("2", "shipment:2", 8, "1Z2", {"n": 2}, False),
            ],
            now=minutes_ago(20),
        )
        await db.record_tracked(
            conn,
            "shop",
            [db.TrackedWrite("3", "shipment:3", 9, "1Z3", {"n": 3}, False)],
            now=minutes_ago(600),
        )
        await db.set_cursor(conn, "shop", "tracking.shipments", {"at": "x"}, now=minutes_ago(2))


async def test_the_numbers_count_each_window(shop: AsyncEngine) -> None:
    await _seed_busy_shop(shop)
    async with shop.connect() as conn:
        page = await connection_page(conn, now=NOW, pull_streams=PULL_STREAMS)
    [row] = page.rows
    assert (row.name, row.mode, row.store_kind) == ("shop", "push", "native")
    assert (row.pushed_hour, row.pushed_day) == (2, 3)
    assert row.last_push == minutes_ago(10)
    assert (row.throttled_hour, row.throttled_day) == (2, 3)
    assert (row.shipments_hour, row.shipments_day) == (2, 3)
    assert row.last_shipment == minutes_ago(20)
    assert row.backlog == 1
    assert row.due_since == minutes_ago(30)
    assert row.last_pull == minutes_ago(2)
    assert row.dead_letters == 0


@pytest.mark.parametrize("own_store", [True, False], ids=["own store", "store pushed by another"])
async def test_a_pull_connection_counts_its_ship_notices_and_exports_as_pulls(
    engine: AsyncEngine, own_store: bool
) -> None:
    """Ship notices count under the pull connection whichever store they ship in (its own,
    or one another connection pushes, as in the demo), and a served export is a pull."""
    from fastapi import FastAPI

    from stationmaster.customstore.notify import NoticeApplier
    from stationmaster.customstore.reader import ShipNotice
    from stationmaster.stores.native import NativeStore
    from stationmaster.sync.rules import load_rules
    from stationmaster.testing.factories import make_order
    from stationmaster.web.customstore import CustomStoreTarget, customstore_router, export_url

    async with engine.begin() as conn:
        await db.ensure_connection(conn, "xml", mode="pull", store_kind="native")
        await db.ensure_connection(conn, "api", mode="push", store_kind="native")
    store = NativeStore(engine, "xml" if own_store else "api", source="xml")
    order = make_order(1)
    await store.ingest(order)
    target = CustomStoreTarget("xml", "ss-user", "s3cret-pass", store, load_rules(), "xml")
    applier = NoticeApplier(
        engine,
        "xml",
        store,
        target.rules,
        source="xml",
        orders_connection=target.orders_connection,
        now=lambda: minutes_ago(15),
    )
    notice = ShipNotice(order_number=order.number, carrier="UPS", tracking_number="1Z9")
    assert (await applier.apply(notice)).result == "applied"
    async with engine.connect() as conn:
        rows = {
            r.name: r
            for r in (await connection_page(conn, now=NOW, pull_streams=PULL_STREAMS)).rows
        }
    assert (rows["xml"].shipments_hour, rows["xml"].shipments_day) == (1, 1)
    assert rows["xml"].last_pull == minutes_ago(15)
    assert (rows["api"].shipments_day, rows["api"].last_pull) == (0, None)

    app = FastAPI()
    app.include_router(customstore_router(engine, connections={"xml": target}))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        url = export_url("", "xml", NOW - timedelta(days=30), NOW + timedelta(days=30), 1)
        export = await http.get(url, auth=("ss-user", "s3cret-pass"))
    assert export.status_code == 200 and export.text.count("<Order>") == 1
    async with engine.connect() as conn:
        [pulled] = [
            r
            for r in (await connection_page(conn, now=NOW, pull_streams=PULL_STREAMS)).rows
            if r.name == "xml"
        ]
        cursor = await db.get_cursor(conn, "xml", EXPORT_STREAM)
    assert pulled.last_pull is not None and pulled.last_pull > minutes_ago(15)
    assert cursor == {
        "start": "2026-10-21T12:00:00+00:00",
        "end": "2026-12-20T12:00:00+00:00",
        "pages": 1,
    }


async def test_the_page_shows_a_failing_connection_and_why(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    await park_letter(shop, "shop", "shop:7", minutes_ago(3), reason="Invalid postal code")
    page = await logged_in.get("/")
    assert page.status_code == 200
    assert "failing" in page.text
    assert "1 order in dead letters: replay or dismiss them" in page.text
    assert 'href="/dead-letters?connection=shop"' in page.text
    async with shop.begin() as conn:
        await db.note_problem(conn, "shop", "store (native): connection refused", NOW)
    page = await logged_in.get("/overview/table")
    assert "stopped: store (native): connection refused" in page.text


async def test_the_overview_refreshes_itself_by_fragments(logged_in: httpx2.AsyncClient) -> None:
    page = await logged_in.get("/?q=sh&attention=1")
    assert 'hx-get="/overview/table?page=1&amp;q=sh&amp;attention=1"' in page.text
    assert 'hx-trigger="every 5.0s"' in page.text
    fragment = await logged_in.get("/overview/table?page=1&q=sh&attention=1")
    assert fragment.text.lstrip().startswith('<section id="connections"')
    assert "<html" not in fragment.text


async def test_the_budget_shows_what_the_key_allows_now(shop: AsyncEngine) -> None:
    budget = Budget(limit=40, window=60)
    for _ in range(3):
        await budget.acquire()
    async with client_for(make_app(shop, budgets={"shop": budget}, now=NOW)) as http:
        await log_in(http)
        page = await http.get("/overview/table")
    assert "37 of 40 left this 60 s" in page.text


async def test_throughput_buckets_requests_and_429s(shop: AsyncEngine) -> None:
    for minutes in (1, 2, 3):
        await record_call(shop, "shop", minutes_ago(minutes))
    await record_call(shop, "shop", minutes_ago(4), status=429)
    await record_call(shop, "shop", minutes_ago(25))
    await record_call(shop, "shop", minutes_ago(60 * 7))  # before the chart starts
    async with shop.connect() as conn:
        buckets = await throughput(conn, "shop", now=NOW, hours=6, width=timedelta(minutes=10))
    assert len(buckets) == 36
    assert buckets[-1].start <= NOW < buckets[-1].start + timedelta(minutes=10)
    assert buckets[0].start == buckets[-1].start - timedelta(minutes=350)
    # NOW is 12:00, so the last bucket (12:00-12:10) is empty so far.
    assert [(b.requests, b.throttled) for b in buckets[-4:]] == [(1, 0), (0, 0), (4, 1), (0, 0)]
    assert sum(b.requests for b in buckets) == 5


async def test_the_chart_is_svg_against_the_ceiling(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    await record_call(shop, "shop", minutes_ago(1), status=429)
    chart = await logged_in.get("/overview/chart?chart=shop")
    assert chart.status_code == 200
    assert '<svg class="chart"' in chart.text
    assert "ceiling 400" in chart.text  # 40 a minute, ShipStation's default, per 10 minutes
    assert "1 requests in 6 hours, 1 of them answered 429" in chart.text
    assert 'fill="url(#hatch)"' in chart.text
    missing = await logged_in.get("/overview/chart?chart=nobody")
    assert missing.status_code == 404
    assert "no connection named 'nobody'" in text_of(missing)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=two", "page must be a whole number"),
        ("page=0", "page must be between 1"),
        ("attention=yes", "attention must be 0 or 1"),
        ("q=" + "x" * 101, "q is longer than 100"),
    ],
)
async def test_bad_parameters_get_a_clear_error(
    logged_in: httpx2.AsyncClient, query: str, message: str
) -> None:
    answer = await logged_in.get(f"/?{query}")
    assert answer.status_code == 400
    assert message in answer.text


async def test_thousands_of_connections_page_in_two_queries(shop: AsyncEngine) -> None:
    names = [f"c{n:04d}" for n in range(3000)]
    await add_connections(shop, names)
    await park_letter(shop, "c2999", "c2999:1", NOW)
    async with shop.begin() as conn:
        await conn.execute(
            update(connections).where(connections.c.name == "c1500").values(problem="down")
        )
    async with client_for(make_app(shop, now=NOW)) as http:
        await log_in(http)
        await http.get("/overview/table")  # warm up: the first connect asks the server things
        with counting_queries(shop) as first:
            page = await http.get("/overview/table")
        with counting_queries(shop) as last:
            end = await http.get("/overview/table?page=61")
        with counting_queries(shop) as whole:
            full = await http.get("/?page=3")
        attention = await http.get("/overview/table?attention=1")
        prefix = await http.get("/overview/table?q=c29")
    assert first.count == 2, first.statements
    assert last.count == 2
    assert whole.count == 3, whole.statements  # the page, its count, the chart
    assert "Page 1 of 61" in page.text and ">c0049<" in page.text and ">c0050<" not in page.text
    # 3001 connections: the last page holds only "shop", which sorts after every "c...".
    assert "Page 61 of 61" in end.text and ">shop<" in end.text and ">c2999<" not in end.text
    assert ">c0100<" in full.text
    assert "(2)" in attention.text and ">c1500<" in attention.text and ">c2999<" in attention.text
    assert "(100)" in prefix.text and "Page 1 of 2" in prefix.text


async def test_the_overview_query_uses_indexes_on_postgresql(
    shop: AsyncEngine, db_kind: str
) -> None:
    """With a busy connection's worth of rows, each window is read through its own index."""
    if db_kind != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from sqlalchemy import text

    from stationmaster.db.dashboard import _page_of, _summary_query

    # Rows spread over the two weeks before the page's clock (not the database's: the
    # windows are counted back from NOW, and most rows must fall outside them).
    seed = (
        """INSERT INTO sync_records (connection, order_key, locked, frozen, pushed_at, updated_at)
           SELECT 'shop', 'shop:' || g, false, false, :now - g * interval '1 minute', :now
           FROM generate_series(1, 20000) g""",
        """INSERT INTO audit_log (at, connection, key_id, method, url, status, response_headers,
                                 attempt, seconds)
           SELECT :now - g * interval '30 second', 'shop', 'k', 'GET', 'u',
                  CASE WHEN g % 100 = 0 THEN 429 ELSE 200 END, '{}'::jsonb, 1, 0.1
           FROM generate_series(1, 20000) g""",
        """INSERT INTO tracked_packages (connection, source_id, package_key, payload, voided,
                                        pending, applied_at, updated_at)
           SELECT 'shop', g::text, 'shipment:' || g, '{}'::jsonb, false, false,
                  :now - g * interval '1 minute', :now
           FROM generate_series(1, 20000) g""",
    )
    async with shop.begin() as conn:
        for statement in seed:
            await conn.execute(text(statement), {"now": NOW})
        await conn.execute(text("ANALYZE"))
    query = _summary_query(NOW, PULL_STREAMS, _page_of([], 0, 50))
    compiled = query.compile(shop.sync_engine, compile_kwargs={"literal_binds": True})
    async with shop.connect() as conn:
        plan = "\n".join(row[0] for row in await conn.execute(text(f"EXPLAIN {compiled}")))
    for index in (
        "ix_sync_records_connection_pushed_at",
        "ix_tracked_packages_connection_applied_at",
        "ix_audit_log_connection_status_at",
    ):
        assert index in plan, plan
    for table in ("sync_records", "tracked_packages", "audit_log"):
        assert f"Seq Scan on {table}" not in plan, plan

"""The validation report (page and CSV) and the read-only settings view, with the Custom Store
status mapping a pull connection needs."""

import csv
import io

import httpx2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules
from stationmaster.sync.validation import CSV_COLUMNS
from stationmaster.testing.factories import make_order, plain_order
from stationmaster.web.dashboard import ConnectionSetup, DashboardOptions
from stationmaster.web.dashboard.settings import recommended_mapping
from tests.web.dashboard.support import NOW, client_for, log_in, make_app, shared_login, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
async def configured(shop: AsyncEngine) -> httpx2.AsyncClient:
    """shop (push) and xml (pull), both run here; shop holds 3 good orders and one in EUR."""
    async with shop.begin() as conn:
        await db.ensure_connection(conn, "xml", mode="pull", store_kind="native")
        await db.ensure_connection(conn, "elsewhere", mode="push", store_kind="oscar")
    store = NativeStore(shop, "shop", source="shop")
    await store.ingest_many([make_order(n) for n in range(3)])
    await store.ingest(plain_order(currency="EUR"))
    rules = load_rules({"status": {"map": {"Paid": "awaiting_shipment", "On Hold": "on_hold"}}})
    options = DashboardOptions(
        login=shared_login(),
        connections={
            "shop": ConnectionSetup(store, load_rules({}), "shop"),
            "xml": ConnectionSetup(store, rules, "xml"),
        },
        validation_limit=3,
    )
    return client_for(make_app(shop, options=options, now=NOW))


async def test_validation_lists_the_problems_and_offers_the_csv(
    configured: httpx2.AsyncClient,
) -> None:
    async with configured as http:
        await log_in(http)
        page = await http.get("/validation?connection=shop")
    assert page.status_code == 200
    text = text_of(page)
    assert "shop: 3 checked: 3 ok" in text  # the limit of 3 stops before the EUR order
    assert "Stopped after the first 3 orders" in text
    assert 'href="/validation.csv?connection=shop" download' in page.text


async def test_the_csv_has_every_problem(shop: AsyncEngine) -> None:
    store = NativeStore(shop, "shop", source="shop")
    await store.ingest_many([make_order(n) for n in range(3)])
    await store.ingest(plain_order(currency="EUR"))
    await store.ingest(plain_order(source_id="1002", number="SM-1002", currency="GBP"))
    options = DashboardOptions(
        login=shared_login(), connections={"shop": ConnectionSetup(store, load_rules({}), "shop")}
    )
    async with client_for(make_app(shop, options=options, now=NOW)) as http:
        await log_in(http)
        page = await http.get("/validation?connection=shop")
        download = await http.get("/validation.csv?connection=shop")
    assert "5 checked: 3 ok, 0 with warnings, 2 with errors" in text_of(page)
    assert "no EUR/USD rate is configured" in text_of(page)
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == 'attachment; filename="validation-shop.csv"'
    rows = list(csv.reader(io.StringIO(download.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(row[0], row[3], row[4]) for row in rows[1:]] == [
        ("SM-1001", "error", "currency"),
        ("SM-1002", "error", "currency"),
    ]


async def test_validation_of_a_connection_not_run_here_says_where_to_run_it(
    configured: httpx2.AsyncClient,
) -> None:
    async with configured as http:
        await log_in(http)
        page = await http.get("/validation")
        elsewhere = await http.get("/validation?connection=elsewhere")
        csv_elsewhere = await http.get("/validation.csv?connection=elsewhere")
        unnamed = await http.get("/validation.csv")
    assert 'href="/validation?connection=shop"' in page.text
    assert elsewhere.status_code == 404
    assert "stationmaster validate --connection elsewhere" in text_of(elsewhere)
    assert csv_elsewhere.status_code == 404
    assert unnamed.status_code == 400


async def test_settings_show_the_status_map_and_the_custom_store_mapping(
    configured: httpx2.AsyncClient,
) -> None:
    async with configured as http:
        await log_in(http)
        pull = text_of(await http.get("/settings?connection=xml"))
        push = text_of(await http.get("/settings?connection=shop"))
        elsewhere = text_of(await http.get("/settings?connection=elsewhere"))
        unknown = await http.get("/settings?connection=nobody")
    assert "<code>paid</code></td><td>awaiting_shipment" in pull
    assert "on_hold (and reported)" in pull
    assert "Recommended ShipStation Custom Store status mapping" in pull
    assert "Awaiting Shipment Statuses</th><td><code>paid</code>" in pull
    assert "On-Hold Statuses</th><td><code>on_hold, on hold</code>" in pull
    assert "Cancelled Statuses</th><td><code>cancelled</code>" in pull  # deleted orders
    assert "Awaiting Payment Statuses</th><td><code>(leave empty)</code>" in pull
    assert "Recommended ShipStation Custom Store" not in push
    assert "<code>ready_to_ship</code>" in push
    assert "does not run elsewhere, so its rules are not loaded here" in elsewhere
    assert unknown.status_code == 404


def test_the_recommended_mapping_lists_every_mapped_status_once() -> None:
    rules = load_rules({})
    fields = recommended_mapping(rules, "cancelled")
    listed = [status for field in fields for status in field.store_statuses]
    assert len(listed) == len(set(listed))
    by_status = {field.status: field.store_statuses for field in fields}
    for store_status, target in rules.status.map.items():
        assert store_status in by_status[target]
    assert "ready to ship" in by_status["awaiting_shipment"]
    assert [field.label for field in fields] == [
        "Awaiting Payment Statuses",
        "Awaiting Shipment Statuses",
        "Shipped Statuses",
        "Cancelled Statuses",
        "On-Hold Statuses",
    ]
    assert "deleted" in recommended_mapping(rules, "deleted")[3].store_statuses

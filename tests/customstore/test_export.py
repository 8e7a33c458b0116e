"""The export of a native store, page by page: the same documents as the full mapping would
write, deleted orders as cancellations, decoded entities, and unreadable rows left out."""

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.customstore.export import (
    ExportOptions,
    ExportPage,
    NativeExport,
    Window,
    export_rules,
    shape_order,
    write_order,
)
from stationmaster.customstore.writer import export_document
from stationmaster.sync.mapping import order_key
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import make_orders, plain_order
from tests.customstore.support import SOURCE, assert_valid, store_at

pytestmark = pytest.mark.anyio

SHOP = "xml"
T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
WINDOW = Window(T0, T0 + timedelta(hours=2))


async def _connect(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, SHOP, mode="pull", store_kind="native")


async def _walk(export: NativeExport) -> list[ExportPage]:
    pages = [await export.page(WINDOW, 1)]
    while len(pages) < pages[0].pages:
        pages.append(await export.page(WINDOW, len(pages) + 1))
    return pages


def _element(page: ExportPage, index: int) -> etree._Element:
    document = b"".join(export_document(page.pages, page.orders))
    return assert_valid(document)[index]


async def test_every_page_is_what_the_full_mapping_writes(engine: AsyncEngine) -> None:
    await _connect(engine)
    orders = make_orders(60, seed=11)
    orders[3] = orders[3].model_copy(update={"shipping": None, "billing": None})  # refused
    orders[4] = orders[4].model_copy(update={"billing": None})  # repaired
    for index, order in enumerate(orders):
        await store_at(engine, SHOP, order, T0 + timedelta(minutes=index))
    rules = load_rules()
    export = NativeExport(
        engine, SHOP, rules, source=SOURCE, options=ExportOptions(page_size=25), now=lambda: NOW
    )
    pages = await _walk(export)
    expected: list[bytes] = []
    repaired = 0
    for index, order in enumerate(orders):
        shaped = shape_order(order, export_rules(rules), source=SOURCE, now=NOW)
        if shaped is not None:
            written = write_order(order, T0 + timedelta(minutes=index), None, shaped[0])
            assert written is not None
            expected.append(written)
            repaired += shaped[1]
    assert [len(page.orders) for page in pages] == [24, 25, 10]  # order 3 is refused
    assert [order for page in pages for order in page.orders] == expected
    assert sum(page.skipped for page in pages) == 1
    assert sum(page.repaired for page in pages) == repaired >= 1
    for page in pages:
        assert_valid(b"".join(export_document(page.pages, page.orders)))


async def test_a_deleted_order_goes_out_with_the_deleted_status(engine: AsyncEngine) -> None:
    await _connect(engine)
    await store_at(engine, SHOP, plain_order(), T0)
    async with engine.begin() as conn:
        assert await db.mark_native_deleted(conn, SHOP, "1001", now=T0 + timedelta(minutes=1))
    options = ExportOptions(deleted_status="voided")
    page = await NativeExport(engine, SHOP, load_rules(), source=SOURCE, options=options).page(
        WINDOW, 1
    )
    assert _element(page, 0).findtext("OrderStatus") == "voided"


async def test_entities_are_decoded_once_when_asked(engine: AsyncEngine) -> None:
    await _connect(engine)
    order = plain_order(customer_notes="Caf&eacute; &amp;amp; tea", gift_message="&lt;3")
    await store_at(engine, SHOP, order, T0)
    plain, decoded = [
        await NativeExport(
            engine,
            SHOP,
            load_rules(),
            source=SOURCE,
            options=ExportOptions(decode_html_entities=decode),
        ).page(WINDOW, 1)
        for decode in (False, True)
    ]
    assert _element(plain, 0).findtext("CustomerNotes") == "Caf&eacute; &amp;amp; tea"
    assert _element(decoded, 0).findtext("CustomerNotes") == "Café &amp; tea"


async def test_an_unreadable_stored_order_is_left_out_and_counted(engine: AsyncEngine) -> None:
    await _connect(engine)
    await store_at(engine, SHOP, plain_order(), T0)
    broken = plain_order(source_id="1002", number="SM-1002").model_dump(
        mode="json", exclude={"status", "deleted"}
    )
    broken["total"] = "-1"
    async with engine.begin() as conn:
        await db.upsert_native_order(
            conn, SHOP, "1002", order_key(SOURCE, "1002"), broken, "paid", now=T0
        )
    page = await NativeExport(engine, SHOP, load_rules(), source=SOURCE).page(WINDOW, 1)
    assert (page.pages, len(page.orders), page.skipped) == (1, 1, 1)
    assert _element(page, 0).findtext("OrderID") == "1001"

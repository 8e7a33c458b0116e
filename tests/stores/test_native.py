"""The native store: the conformance kit on both databases, then what is native's own."""

from collections.abc import Sequence
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from stationmaster import db
from stationmaster.db.tables import native_orders, native_shipments
from stationmaster.domain import Order, Package, PackageItem, Shipment
from stationmaster.stores import Store, StoreError
from stationmaster.stores.native import (
    InvalidStoreInput,
    NativeStore,
    OutOfStock,
    UnknownStoreOrder,
    UnreadableRecord,
)
from stationmaster.sync.mapping import order_key
from stationmaster.testing.factories import make_order, make_orders, plain_order
from stationmaster.testing.store_conformance import (
    CHECKS,
    BreakOrder,
    Check,
    Seed,
    Subject,
    check_store,
)

pytestmark = pytest.mark.anyio


def _seed(store: NativeStore) -> Seed:
    async def seed(orders: Sequence[Order]) -> list[str]:
        for order in orders:
            await store.ingest(order)
        return [order.source_id for order in orders]

    return seed


def _breaker(engine: AsyncEngine) -> BreakOrder:
    async def break_order(source_id: str) -> None:
        await _corrupt(engine, source_id)

    return break_order


def _subject(store: NativeStore, engine: AsyncEngine) -> Subject:
    return Subject(
        store, _seed(store), read_shipment=store.shipments_of, break_order=_breaker(engine)
    )


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_native_store_passes_the_kit(
    check: Check, native: NativeStore, engine: AsyncEngine
) -> None:
    await check(_subject(native, engine))


async def test_the_whole_kit_in_one_go_on_a_store_with_data(
    native: NativeStore, engine: AsyncEngine
) -> None:
    for order in make_orders(5):
        await native.ingest(order)
    await check_store(
        native, _seed(native), read_shipment=native.shipments_of, break_order=_breaker(engine)
    )


async def test_it_is_a_store_with_every_capability_but_payment_capture(
    native: NativeStore,
) -> None:
    assert isinstance(native, Store)
    assert native.capabilities == {"orders", "status", "shipments", "stock", "stock_keys", "delete"}


# --- ingest -----------------------------------------------------------------------------------


async def _end(store: NativeStore) -> object:
    batch = await store.changed_orders(None, 10_000)
    return batch.cursor


async def test_put_reports_created_updated_unchanged(native: NativeStore) -> None:
    order = plain_order()
    assert await native.put(order) == "created"
    assert await native.put(order) == "unchanged"
    assert not await native.ingest(order)
    assert await native.put(order.model_copy(update={"customer_notes": "Ring twice"})) == "updated"


async def test_an_identical_put_takes_no_change_number(native: NativeStore) -> None:
    order = make_order(3)
    await native.ingest(order)
    before = await _end(native)
    await native.ingest(make_order(3))
    assert await _end(native) == before
    assert (await native.changed_orders(before, 10)).orders == []


async def test_orders_come_back_exactly_as_put(native: NativeStore) -> None:
    orders = make_orders(12, seed=7)
    for order in orders:
        await native.ingest(order)
    batch = await native.changed_orders(None, 100)
    assert batch.orders == orders
    assert batch.more is False
    assert await native.get(orders[4].source_id) == orders[4]
    assert await native.get("missing") is None


async def test_the_key_is_the_source_slug_and_the_source_id(
    native: NativeStore, engine: AsyncEngine
) -> None:
    await native.ingest(plain_order(source_id="A-77"))
    async with engine.connect() as conn:
        stored = await db.get_native_order(conn, "shop", "A-77")
    assert stored is not None
    assert stored.order_key == order_key("shop", "A-77") == "shop:A-77"
    assert "status" not in stored.payload
    assert "deleted" not in stored.payload


async def test_status_lives_in_its_own_column(native: NativeStore) -> None:
    order = plain_order(status="ready")
    await native.ingest(order)
    cursor = await _end(native)
    await native.set_status(order.source_id, "submitted")
    batch = await native.changed_orders(cursor, 10)
    assert [(o.source_id, o.status) for o in batch.orders] == [(order.source_id, "submitted")]
    stored = await native.get(order.source_id)
    assert stored == order.model_copy(update={"status": "submitted"})
    # The app's own status wins when it sends the order again.
    assert await native.put(order) == "updated"
    assert (await native.orders_by_id([order.source_id]))[order.source_id].status == "ready"


async def test_set_status_refuses_unknown_orders_and_bad_statuses(native: NativeStore) -> None:
    await native.ingest(plain_order())
    with pytest.raises(UnknownStoreOrder, match="'nope'"):
        await native.set_status("nope", "submitted")
    for status in ("", "   ", "x" * 41):
        with pytest.raises(InvalidStoreInput) as caught:
            await native.set_status("1001", status)
        assert caught.value.field == "status"
    assert (await native.get("1001")) == plain_order()


async def test_delete_flags_the_order_in_the_feed_and_a_put_brings_it_back(
    native: NativeStore,
) -> None:
    order = plain_order()
    await native.ingest(order)
    cursor = await _end(native)
    assert await native.delete(order.source_id)
    assert not await native.delete(order.source_id)
    batch = await native.changed_orders(cursor, 10)
    assert [(o.source_id, o.deleted) for o in batch.orders] == [("1001", True)]
    assert (await native.orders_by_id(["1001"]))["1001"].deleted
    assert await native.put(order) == "updated"
    assert (await native.get("1001")) == order
    with pytest.raises(UnknownStoreOrder):
        await native.delete("nope")


async def test_putting_a_deleted_order_is_idempotent_too(native: NativeStore) -> None:
    deleted = plain_order(deleted=True)
    assert await native.put(deleted) == "created"
    cursor = await _end(native)
    assert await native.put(deleted) == "unchanged"
    assert await _end(native) == cursor
    assert (await native.get("1001")) == deleted


async def test_values_the_tables_cannot_hold_are_refused_and_nothing_is_stored(
    native: NativeStore, engine: AsyncEngine
) -> None:
    with pytest.raises(InvalidStoreInput) as long_id:
        await native.put(plain_order(source_id="9" * 256))
    with pytest.raises(InvalidStoreInput) as long_status:
        await native.put(plain_order(status="s" * 41))
    assert (long_id.value.field, long_status.value.field) == ("source_id", "status")
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(native_orders))).scalar()
    assert count == 0


async def test_ingest_many_counts_each_outcome(native: NativeStore) -> None:
    orders = make_orders(6)
    assert await native.ingest_many(orders[:4]) == {"created": 4, "updated": 0, "unchanged": 0}
    edited = orders[0].model_copy(update={"customer_notes": "Side door"})
    again = await native.ingest_many([*orders[:4], edited, *orders[4:]])
    assert again == {"created": 2, "updated": 1, "unchanged": 4}
    assert (await native.changed_orders(None, 100)).orders == [*orders[1:4], edited, *orders[4:]]


async def test_ingest_many_stores_all_or_nothing(native: NativeStore, engine: AsyncEngine) -> None:
    orders = [*make_orders(3), plain_order(status="s" * 41), make_order(9)]
    with pytest.raises(InvalidStoreInput) as caught:
        await native.ingest_many(orders)
    assert caught.value.field == "status"
    clash = NativeStore(engine, "shop", source="shop")
    await clash.ingest(plain_order(source_id="held"))
    async with engine.begin() as conn:  # the key of "taken" now points at another order
        await conn.execute(update(native_orders).values(order_key=order_key("shop", "taken")))
    with pytest.raises(InvalidStoreInput, match="already belongs"):
        await native.ingest_many([make_order(1), plain_order(source_id="taken")])
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(native_orders))).scalar()
    assert count == 1


async def test_an_unknown_connection_is_a_store_error(engine: AsyncEngine) -> None:
    store = NativeStore(engine, "ghost")
    with pytest.raises(StoreError, match="ghost"):
        await store.put(plain_order())


def test_a_bad_source_slug_is_refused_up_front(engine: AsyncEngine) -> None:
    with pytest.raises(InvalidStoreInput, match="slug") as caught:
        NativeStore(engine, "shop", source="My Shop")
    assert caught.value.field == "source"


# --- the change feed --------------------------------------------------------------------------


async def test_pages_are_full_until_the_end(native: NativeStore) -> None:
    for order in make_orders(5):
        await native.ingest(order)
    first = await native.changed_orders(None, 2)
    second = await native.changed_orders(first.cursor, 2)
    third = await native.changed_orders(second.cursor, 2)
    last = await native.changed_orders(third.cursor, 2)
    assert [len(b.orders) for b in (first, second, third, last)] == [2, 2, 1, 0]
    assert [b.more for b in (first, second, third, last)] == [True, True, False, False]
    assert last.cursor == third.cursor


@pytest.mark.parametrize("cursor", ["5", -1, True, 1.5, {"seq": 1}])
async def test_a_foreign_cursor_is_refused(native: NativeStore, cursor: object) -> None:
    with pytest.raises(InvalidStoreInput, match="cursor"):
        await native.changed_orders(cursor, 10)  # type: ignore[arg-type]  # wrong on purpose


@pytest.mark.parametrize("limit", [0, -3, True])
async def test_a_limit_below_one_is_refused(native: NativeStore, limit: int) -> None:
    with pytest.raises(InvalidStoreInput, match="limit"):
        await native.changed_orders(None, limit)


async def _corrupt(engine: AsyncEngine, source_id: str) -> None:
    """Break a stored document the way a model change would: a field it no longer allows."""
    async with engine.begin() as conn:
        stored = await db.get_native_order(conn, "shop", source_id)
        assert stored is not None
        payload = {**stored.payload, "total": "-1", "retired_field": True}
        await conn.execute(
            update(native_orders)
            .where(native_orders.c.source_id == source_id)
            .values(payload=payload)
        )


async def test_an_unreadable_stored_order_is_reported_logged_and_counted(
    native: NativeStore, engine: AsyncEngine
) -> None:
    orders = make_orders(4)
    for order in orders:
        await native.ingest(order)
    broken = orders[1].source_id
    await _corrupt(engine, broken)
    with capture_logs() as logs:
        first = await native.changed_orders(None, 2)
        rest = await native.changed_orders(first.cursor, 2)
    assert [o.source_id for o in first.orders] == [orders[0].source_id]
    assert [u.source_id for u in first.unreadable] == [broken]
    assert "total" in first.unreadable[0].reason
    assert first.unreadable[0].number == orders[1].number
    assert first.more, "the page was full of rows, so the feed goes on"
    assert rest.orders == orders[2:]
    assert native.unreadable == 1
    (entry,) = [e for e in logs if e["event"] == "native.unreadable_order"]
    assert entry["source_id"] == broken
    assert entry["connection"] == "shop"
    assert "total" in entry["fields"] and "retired_field" in entry["fields"]
    assert "-1" not in str(entry), "values are not logged, only field names"
    assert await native.orders_by_id([broken, orders[0].source_id]) == {
        orders[0].source_id: orders[0]
    }
    with pytest.raises(UnreadableRecord, match="total"):
        await native.get(broken)


# --- shipments --------------------------------------------------------------------------------


def _package(origin_id: str, **fields: object) -> Package:
    values: dict[str, object] = {
        "origin": "shipment",
        "origin_id": origin_id,
        "tracking_number": f"9400{origin_id}",
        "carrier": "usps",
        "ship_date": date(2026, 11, 21),
    }
    values.update(fields)
    return Package.model_validate(values)


async def test_a_shipment_does_not_refeed_the_order(native: NativeStore) -> None:
    order = plain_order()
    await native.ingest(order)
    cursor = await _end(native)
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[_package("300000001")]))
    assert (await native.changed_orders(cursor, 10)).orders == []
    assert await _end(native) == cursor


async def test_packages_are_recorded_once_and_read_back(
    native: NativeStore, engine: AsyncEngine
) -> None:
    order = plain_order()
    await native.ingest(order)
    teapot = _package("1", items=[PackageItem(line_id="li-1", quantity=1)])
    sencha = _package("2", items=[PackageItem(line_id="li-2", quantity=3)])
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[teapot]))
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[teapot, sencha]))
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[teapot, sencha]))
    shipment = await native.shipments_of("1001")
    assert shipment.packages == [teapot, sencha]
    assert shipment.order_number == "SM-1001"
    assert shipment.covers(order)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(native_shipments))).scalar()
    assert rows == 2


async def test_a_void_sticks_and_a_corrected_package_replaces_the_old(
    native: NativeStore,
) -> None:
    await native.ingest(plain_order())
    first, second = _package("1"), _package("2")
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[first, second]))
    void = first.model_copy(update={"voided": True})
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[void]))
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[first]))
    retracked = second.model_copy(update={"tracking_number": "1Z999"})
    await native.apply_shipment(Shipment(order_source_id="1001", packages=[retracked]))
    shipment = await native.shipments_of("1001")
    assert shipment.packages == [void, retracked]
    assert shipment.live_packages() == [retracked]


async def test_one_record_twice_in_one_shipment_is_one_package(native: NativeStore) -> None:
    await native.ingest(plain_order())
    package = _package("1")
    both = [package.model_copy(update={"voided": True}), package]
    await native.apply_shipment(Shipment(order_source_id="1001", packages=both))
    assert (await native.shipments_of("1001")).packages == [both[0]]


async def test_shipments_for_unknown_orders_are_refused_and_nothing_is_stored(
    native: NativeStore, engine: AsyncEngine
) -> None:
    with pytest.raises(UnknownStoreOrder, match="'404'"):
        await native.apply_shipment(Shipment(order_source_id="404", packages=[_package("1")]))
    with pytest.raises(UnknownStoreOrder):
        await native.shipments_of("404")
    async with engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(native_shipments))).scalar()
    assert rows == 0


# --- stock ------------------------------------------------------------------------------------


async def test_stock_adds_up_and_never_goes_below_zero(
    native: NativeStore, engine: AsyncEngine
) -> None:
    assert await native.adjust_stock("TEAPOT", 5) == 5
    assert await native.adjust_stock("TEAPOT", -5) == 0
    with pytest.raises(OutOfStock) as caught:
        await native.adjust_stock("TEAPOT", -1)
    assert (caught.value.sku, caught.value.on_hand, caught.value.delta) == ("TEAPOT", 0, -1)
    async with engine.connect() as conn:
        level = await db.get_native_stock(conn, "shop", "TEAPOT")
    assert level is not None
    assert level.on_hand == 0


@pytest.mark.parametrize("delta", [1.0, "3", True, 2**31])
async def test_a_delta_that_is_not_a_sane_integer_is_refused(
    native: NativeStore, delta: object
) -> None:
    with pytest.raises(InvalidStoreInput) as caught:
        await native.adjust_stock("TEAPOT", delta)  # type: ignore[arg-type]  # wrong on purpose
    assert caught.value.field == "delta"


async def test_a_blank_sku_is_refused(native: NativeStore) -> None:
    with pytest.raises(InvalidStoreInput, match="sku"):
        await native.adjust_stock("  ", 1)

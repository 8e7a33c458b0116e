"""The change feed against a fake Admin API: equal timestamps, same-instant edits, bad data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import JsonValue

from stationmaster.stores import ChangeBatch
from stationmaster.stores.medusa.connector import InvalidMedusaInput
from stationmaster.stores.medusa.feed import ORDER_FIELDS, list_params, parse_cursor
from stationmaster.stores.protocol import StoreError
from stationmaster.stores.vendure.feed import BadCursor, FeedCursor
from tests.stores.medusa.fake_admin import FakeMedusa, raw_order
from tests.stores.support import (
    FeedFakes,
    check_a_later_update_comes_back,
    check_an_edit_within_the_tick_comes_back,
    check_new_orders_at_the_cursors_instant_come,
    check_ties_across_pages_come_once,
    read_feed,
)

pytestmark = pytest.mark.anyio


FAKES = FeedFakes(
    lambda orders, ties: FakeMedusa(orders=orders, tie_order=ties),
    raw_order,
    tick=timedelta(milliseconds=1),
    id_format="order_{:04d}",
)
ms = FAKES.stamp
ids = FAKES.ids


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("shuffled", [False, True], ids=["reversed", "shuffled"])
async def test_orders_sharing_a_timestamp_across_pages_come_once(
    limit: int, shuffled: bool
) -> None:
    await check_ties_across_pages_come_once(FAKES, limit, shuffled)


async def test_a_page_asks_for_the_orders_at_or_after_the_cursors_instant() -> None:
    fake = FakeMedusa(orders=[raw_order(n, ms(n)) for n in range(1, 4)])
    store = fake.store(statuses=["pending", "completed"])
    batch = await store.changed_orders(None, 2)
    assert [order.source_id for order in batch.orders] == ids(1, 2) and batch.more
    cursor = parse_cursor(batch.cursor)
    assert list_params(cursor, ["pending", "completed"], 2) == {
        "fields": ",".join(ORDER_FIELDS),
        "status[]": ["pending", "completed"],
        "order": "updated_at",
        "limit": 4,
        "offset": 0,
        "updated_at[$gte]": "2026-11-22T03:08:47.002Z",
    }
    await store.aclose()


async def test_new_orders_at_the_cursors_instant_still_come() -> None:
    await check_new_orders_at_the_cursors_instant_come(FAKES)


async def test_an_edit_within_the_same_millisecond_comes_back_and_a_non_edit_does_not() -> None:
    await check_an_edit_within_the_tick_comes_back(
        FAKES, lambda order: order.update(status="completed")
    )


async def test_an_order_updated_later_comes_back_after_the_cursor() -> None:
    await check_a_later_update_comes_back(FAKES, "updated_at")


async def test_orders_outside_the_configured_statuses_are_not_read() -> None:
    fake = FakeMedusa(
        orders=[
            raw_order(1, ms(0), status="draft"),
            raw_order(2, ms(1)),
            raw_order(3, ms(2), status="archived"),
        ]
    )
    store = fake.store()
    assert (await read_feed(store, None, 5))[0] == ids(2)
    await store.aclose()


async def test_a_malformed_order_is_reported_and_the_others_are_mapped() -> None:
    broken = raw_order(2, ms(1), total="forty-eight")
    negative = raw_order(3, ms(1))
    negative["items"][0]["unit_price"] = -39
    fake = FakeMedusa(orders=[raw_order(1, ms(0)), broken, negative, raw_order(4, ms(2))])
    store = fake.store()
    batch = await store.changed_orders(None, 10)
    assert [order.source_id for order in batch.orders] == ids(1, 4)
    reasons = {bad.source_id: bad.reason for bad in batch.unreadable}
    assert sorted(reasons) == ids(2, 3)
    assert "total is 'forty-eight'" in reasons["order_0002"] and "#2" in reasons["order_0002"]
    assert "lines.0" in reasons["order_0003"]
    assert {bad.number for bad in batch.unreadable} == {"2", "3"}
    after: ChangeBatch = await store.changed_orders(batch.cursor, 10)
    assert (after.orders, after.unreadable, after.more) == ([], [], False)
    await store.aclose()


async def test_an_order_without_a_usable_updated_at_stops_the_feed_where_it_is() -> None:
    naive = {**raw_order(2, ms(1)), "updated_at": "2026-11-22T03:08:48"}
    fake = FakeMedusa(orders=[raw_order(1, ms(0)), naive])
    store = fake.store()
    with pytest.raises(StoreError, match="'order_0002' with updated_at '2026-11-22T03:08:48'"):
        await store.changed_orders(None, 10)
    await store.aclose()


@pytest.mark.parametrize(
    "cursor",
    [
        "5",
        7,
        True,
        {"at": "2026-11-22T03:08:47Z"},
        {"at": "yesterday", "seen": {}},
        {"at": "2026-11-22T03:08:47", "seen": {}},
    ],
)
async def test_a_foreign_cursor_is_refused(cursor: JsonValue) -> None:
    store = FakeMedusa().store()
    with pytest.raises(BadCursor, match="not a Medusa feed cursor"):
        await store.changed_orders(cursor, 10)
    await store.aclose()


@pytest.mark.parametrize("limit", [0, -1, True])
async def test_a_limit_below_one_is_refused(limit: int) -> None:
    store = FakeMedusa().store()
    with pytest.raises(InvalidMedusaInput, match="limit"):
        await store.changed_orders(None, limit)
    await store.aclose()


async def test_pages_are_no_larger_than_the_configured_page_size() -> None:
    fake = FakeMedusa(orders=[raw_order(n, ms(n)) for n in range(1, 6)])
    store = fake.store(page_size=2)
    batch = await store.changed_orders(None, 100)
    assert len(batch.orders) == 2 and batch.more
    await store.aclose()


def test_the_start_is_no_cursor_and_asks_for_no_instant() -> None:
    assert parse_cursor(None) == FeedCursor()
    assert "updated_at[$gte]" not in list_params(FeedCursor(), ["pending"], 5)

"""The change feed against a fake Admin API: equal timestamps, same-instant edits, bad data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import JsonValue

from stationmaster.stores import ChangeBatch
from stationmaster.stores.vendure.connector import InvalidVendureInput
from stationmaster.stores.vendure.feed import BadCursor, FeedCursor, Seen, list_options
from tests.stores.support import (
    FeedFakes,
    check_a_later_update_comes_back,
    check_an_edit_within_the_tick_comes_back,
    check_new_orders_at_the_cursors_instant_come,
    check_ties_across_pages_come_once,
    read_feed,
)
from tests.stores.vendure.fake_admin import FakeVendure, raw_order

pytestmark = pytest.mark.anyio


FAKES = FeedFakes(
    lambda orders, ties: FakeVendure(orders=orders, tie_order=ties),
    raw_order,
    tick=timedelta(seconds=1),
    id_format="T_{}",
)
second = FAKES.stamp


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("shuffled", [False, True], ids=["reversed", "shuffled"])
async def test_orders_sharing_a_timestamp_across_pages_come_once(
    limit: int, shuffled: bool
) -> None:
    await check_ties_across_pages_come_once(FAKES, limit, shuffled)


async def test_new_orders_at_the_cursors_instant_still_come() -> None:
    await check_new_orders_at_the_cursors_instant_come(FAKES)


async def test_an_edit_within_the_same_second_comes_back_and_a_non_edit_does_not() -> None:
    """Vendure moved the order to another state within the same second."""
    await check_an_edit_within_the_tick_comes_back(
        FAKES, lambda order: order.update(state="Shipped")
    )


async def test_an_order_updated_later_comes_back_after_the_cursor() -> None:
    await check_a_later_update_comes_back(FAKES, "updatedAt")


async def test_orders_outside_the_configured_states_are_not_read() -> None:
    fake = FakeVendure(
        orders=[
            raw_order(1, second(0), state="AddingItems"),
            raw_order(2, second(1)),
            raw_order(3, second(2), state="Draft"),
        ]
    )
    store = fake.store(states=["PaymentSettled", "Shipped"])
    assert (await read_feed(store, None, 5))[0] == ["T_2"]
    await store.aclose()


async def test_a_malformed_order_is_reported_and_the_others_are_mapped() -> None:
    broken = raw_order(2, second(1), totalWithTax="12.50")
    negative = raw_order(3, second(1))
    negative["lines"][0].update(unitPrice=-100, linePrice=-100, linePriceWithTax=-110)
    fake = FakeVendure(orders=[raw_order(1, second(0)), broken, negative, raw_order(4, second(2))])
    store = fake.store()
    batch = await store.changed_orders(None, 10)
    assert [order.source_id for order in batch.orders] == ["T_1", "T_4"]
    reasons = {bad.source_id: bad.reason for bad in batch.unreadable}
    assert sorted(reasons) == ["T_2", "T_3"]
    assert "totalWithTax" in reasons["T_2"] and "CODE0002" in reasons["T_2"]
    assert "lines.0" in reasons["T_3"]
    assert {bad.number for bad in batch.unreadable} == {"CODE0002", "CODE0003"}
    after: ChangeBatch = await store.changed_orders(batch.cursor, 10)
    assert (after.orders, after.unreadable, after.more) == ([], [], False)
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
        {"at": "2026-11-22T03:08:47Z", "seen": [1]},
    ],
)
async def test_a_foreign_cursor_is_refused(cursor: JsonValue) -> None:
    store = FakeVendure().store()
    with pytest.raises(BadCursor, match="not a Vendure feed cursor"):
        await store.changed_orders(cursor, 10)
    await store.aclose()


@pytest.mark.parametrize("limit", [0, -1, True])
async def test_a_limit_below_one_is_refused(limit: int) -> None:
    store = FakeVendure().store()
    with pytest.raises(InvalidVendureInput, match="limit"):
        await store.changed_orders(None, limit)
    await store.aclose()


def test_a_cursor_round_trips_through_json() -> None:
    cursor = FeedCursor(second(3).replace(microsecond=250_000), (("T_1", "ab"), ("T_2", "cd")))
    assert cursor.dump() == {"at": "2026-11-22T03:08:50.250Z", "seen": {"T_1": "ab", "T_2": "cd"}}
    assert FeedCursor.parse(cursor.dump()) == cursor
    assert FeedCursor.parse(None) == FeedCursor()


def test_the_filter_asks_for_at_or_after_the_instant_as_after_one_millisecond_less() -> None:
    """SQLite keeps '03:08:50' and '03:08:50.000' as different text: '> 03:08:49.999' takes
    both, and nothing earlier."""
    cursor = FeedCursor(second(3), (("T_1", "ab"),))
    options = list_options(cursor, ["PaymentSettled"], 2)
    assert options == {
        "filter": {
            "_and": [
                {"state": {"in": ["PaymentSettled"]}},
                {"updatedAt": {"after": "2026-11-22T03:08:49.999Z"}},
            ]
        },
        "sort": {"updatedAt": "ASC"},
        "take": 4,
    }


def test_an_order_shown_just_before_the_instant_is_dropped_and_cannot_crowd_a_page() -> None:
    """Databases with microseconds can return an order stamped within the millisecond before
    the cursor's instant: it was handed out already, so it is dropped and remembered."""
    at = second(5)
    cursor = FeedCursor(at, (("T_1", "d1"),))
    page = [
        Seen("T_0", at - timedelta(microseconds=400), "d0"),
        Seen("T_1", at, "d1"),
        Seen("T_2", at, "d2"),
        Seen("T_3", second(6), "d3"),
    ]
    after, fresh, more = cursor.walk(page, 1)
    assert fresh == [2]
    assert more
    assert after == FeedCursor(at, (("T_1", "d1"), ("T_0", ""), ("T_2", "d2")))
    after, fresh, more = after.walk(page, 5)
    assert fresh == [3]
    assert after == FeedCursor(second(6), (("T_3", "d3"),))
    assert after.take(5) == 7

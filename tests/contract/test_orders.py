"""Order endpoints: the client's calls against the emulator's ShipStation behaviour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from stationmaster.errors import NotFound, ValidationError
from stationmaster.shipstation.models import (
    CreateLabelForOrderRequest,
    FulfillmentFilter,
    MarkAsShippedRequest,
    Order,
    OrderFilter,
    OrdersByTagFilter,
    ShipmentFilter,
)
from stationmaster.testing.plugin import EmulatedShipStation
from tests.shipstation.samples import sample

pytestmark = pytest.mark.anyio


def example_orders() -> list[Order]:
    return [Order.model_validate(o) for o in sample("createorders-request.json")]


def simple_order(number: str, key: str | None = None, **extra: object) -> Order:
    address = {
        "name": "Ada Lovelace",
        "street1": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "postalCode": "78701",
        "country": "US",
    }
    body = {
        "orderNumber": number,
        "orderDate": datetime(2026, 11, 20, 18, tzinfo=UTC),
        "orderStatus": "awaiting_shipment",
        "billTo": address,
        "shipTo": address,
        "items": [
            {
                "lineItemKey": f"{number}-1",
                "sku": "SKU-1",
                "name": "Widget",
                "quantity": 2,
                "unitPrice": "9.99",
                "weight": {"value": 8, "units": "ounces"},
            }
        ],
    }
    if key:
        body["orderKey"] = key
    body.update(extra)
    return Order.model_validate(body)


async def test_createorders_reports_each_order_and_matches_by_key(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client = shipstation_emulator.client
    result = await client.orders.create_many(example_orders())
    assert result.hasErrors is True
    by_key = {r.orderKey: r for r in result.results or []}
    assert by_key["acme:000983"].success is True
    assert by_key["acme:000983"].orderId
    failed = [r for r in result.results or [] if not r.success]
    assert len(failed) == 1
    assert "postal" in (failed[0].errorMessage or "").lower()


async def test_upsert_by_order_key_never_duplicates(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client = shipstation_emulator.client
    orders = [simple_order(f"N-{i}", key=f"shop:{i}") for i in range(5)]
    first = await client.orders.create_many(orders)
    changed = [o.model_copy(update={"customerNotes": "updated"}) for o in orders]
    second = await client.orders.create_many(changed)
    assert [r.orderId for r in first.results or []] == [r.orderId for r in second.results or []]
    listed = await client.orders.list(OrderFilter(pageSize=500))
    assert listed.total == 5
    assert {o.customerNotes for o in listed.records()} == {"updated"}


async def test_create_get_and_delete_one_order(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    created = await client.orders.create(simple_order("ONE-1", key="shop:one"))
    assert created.orderId and created.orderKey == "shop:one"
    assert created.orderTotal == Decimal("19.98")
    fetched = await client.orders.get(created.orderId)
    assert fetched.orderNumber == "ONE-1"
    assert fetched.orderDate == datetime(2026, 11, 20, 18, tzinfo=UTC)
    deleted = await client.orders.delete(created.orderId)
    assert deleted.success is True
    with pytest.raises(NotFound) as caught:
        await client.orders.get(created.orderId)
    assert caught.value.resolution.kind == "fail_record"


async def test_validation_failure_of_a_single_order_is_a_record_failure(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    bad = simple_order("BAD-1", key="shop:bad").model_copy(update={"orderNumber": None})
    with pytest.raises(ValidationError) as caught:
        await shipstation_emulator.client.orders.create(bad)
    assert caught.value.resolution.kind == "fail_record"
    assert len(shipstation_emulator.emulator.calls) == 1  # not retried


async def test_order_number_filter_is_starts_with(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client = shipstation_emulator.client
    await client.orders.create_many(
        [simple_order(n, key=f"shop:{n}") for n in ("100", "1000", "100-1", "200")]
    )
    found = await client.orders.list(OrderFilter(orderNumber="100"))
    assert sorted(o.orderNumber for o in found.records()) == ["100", "100-1", "1000"]


async def test_iterate_walks_every_page_once(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    for start in range(0, 230, 100):
        batch = [
            simple_order(f"P-{i}", key=f"shop:p{i}") for i in range(start, min(start + 100, 230))
        ]
        await client.orders.create_many(batch)
    before = len(shipstation_emulator.emulator.calls)
    seen = [o.orderNumber async for o in client.orders.iterate(OrderFilter(pageSize=100))]
    assert len(seen) == 230 == len(set(seen))
    assert len(shipstation_emulator.emulator.calls) - before == 3


async def test_date_windows_split_into_chunks_find_everything_once(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client = shipstation_emulator.client
    base = datetime(2026, 11, 1, tzinfo=UTC)
    orders = [
        simple_order(f"W-{h}", key=f"shop:w{h}", orderDate=base + timedelta(hours=7 * h))
        for h in range(12)
    ]
    await client.orders.create_many(orders)
    query = OrderFilter(
        orderDateStart=base - timedelta(seconds=1), orderDateEnd=base + timedelta(days=4)
    )
    got = [
        o.orderNumber
        async for o in client.orders.iterate(
            query, split_on="orderDate", max_window=timedelta(hours=20)
        )
    ]
    assert sorted(got) == sorted(o.orderNumber for o in orders)


async def test_holds_tags_and_users(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    order = await client.orders.create(simple_order("H-1", key="shop:h1"))
    assert order.orderId is not None
    hold = await client.orders.hold_until(order.orderId, date(2030, 1, 1))
    assert hold.success
    held = await client.orders.get(order.orderId)
    assert held.orderStatus == "on_hold" and held.holdUntilDate == date(2030, 1, 1)
    assert (await client.orders.restore_from_hold(order.orderId)).success
    assert (await client.orders.get(order.orderId)).orderStatus == "awaiting_shipment"

    tag = (await client.accounts.list_tags())[0]
    assert tag.tagId is not None
    assert (await client.orders.add_tag(order.orderId, tag.tagId)).success
    tagged = await client.orders.list_by_tag(
        OrdersByTagFilter(orderStatus="awaiting_shipment", tagId=tag.tagId)
    )
    assert [o.orderId for o in tagged.records()] == [order.orderId]
    assert (await client.orders.remove_tag(order.orderId, tag.tagId)).success
    assert not (await client.orders.get(order.orderId)).tagIds

    user = (await client.users.list())[0]
    assert user.userId
    assert (await client.orders.assign_user([order.orderId], user.userId)).success
    assert (await client.orders.get(order.orderId)).userId == user.userId
    assert (await client.orders.unassign_user([order.orderId])).success
    assert (await client.orders.get(order.orderId)).userId is None


async def test_mark_as_shipped_makes_a_fulfillment_and_labels_make_shipments(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client = shipstation_emulator.client
    one = await client.orders.create(simple_order("S-1", key="shop:s1"))
    two = await client.orders.create(simple_order("S-2", key="shop:s2"))
    assert one.orderId and two.orderId
    marked = await client.orders.mark_as_shipped(
        MarkAsShippedRequest(
            orderId=one.orderId,
            carrierCode="ups",
            shipDate=date(2026, 11, 21),
            trackingNumber="1Z999",
        )
    )
    assert marked.orderId == one.orderId
    fulfillments = await client.fulfillments.list(FulfillmentFilter(orderId=one.orderId))
    assert [f.trackingNumber for f in fulfillments.records()] == ["1Z999"]

    label = await client.orders.create_label(
        CreateLabelForOrderRequest(
            orderId=two.orderId,
            carrierCode="stamps_com",
            serviceCode="usps_priority_mail",
            packageCode="package",
            shipDate=date(2026, 11, 21),
            testLabel=True,
        )
    )
    assert label.shipmentId and label.trackingNumber and label.labelData
    assert (await client.orders.get(two.orderId)).orderStatus == "shipped"
    shipments = await client.shipments.list(ShipmentFilter(orderId=two.orderId))
    assert [s.trackingNumber for s in shipments.records()] == [label.trackingNumber]

    voided = await client.shipments.void_label(label.shipmentId)
    assert voided.approved is True
    after = await client.shipments.list(ShipmentFilter(orderId=two.orderId))
    assert [s.voided for s in after.records()] == [True]


async def test_locked_orders_are_not_changed(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    order = await client.orders.create(simple_order("L-1", key="shop:l1"))
    assert order.orderId
    shipstation_emulator.emulator.ship_order(order.orderId)
    again = await client.orders.create(
        simple_order("L-1", key="shop:l1", customerNotes="late edit")
    )
    assert again.orderStatus == "shipped"
    assert again.customerNotes != "late edit"


async def test_split_and_merge_show_through_the_api(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client, emulator = shipstation_emulator.client, shipstation_emulator.emulator
    two_lines = simple_order("SP-1", key="shop:sp1").model_copy(deep=True)
    assert two_lines.items
    second = two_lines.items[0].model_copy(update={"lineItemKey": "SP-1-2", "sku": "SKU-2"})
    two_lines.items.append(second)
    parent = await client.orders.create(two_lines)
    assert parent.orderId
    child = emulator.split_order(parent.orderId, ["SP-1-2"])
    listed = await client.orders.list(OrderFilter(orderNumber="SP-1"))
    by_id = {o.orderId: o for o in listed.records()}
    assert by_id[child["orderId"]].advancedOptions.parentId == parent.orderId
    assert by_id[parent.orderId].advancedOptions.mergedOrSplit is True

    a = await client.orders.create(simple_order("M-1", key="shop:m1"))
    b = await client.orders.create(simple_order("M-2", key="shop:m2"))
    assert a.orderId and b.orderId
    emulator.merge_orders(a.orderId, [b.orderId])
    survivor = await client.orders.get(a.orderId)
    assert survivor.advancedOptions.mergedIds == [b.orderId]
    with pytest.raises(NotFound):
        await client.orders.get(b.orderId)


async def test_shipments_fulfillments_and_tagged_orders_iterate(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client, emulator = shipstation_emulator.client, shipstation_emulator.emulator
    tag = (await client.accounts.list_tags())[0]
    assert tag.tagId is not None
    ids = []
    for n in range(5):
        order = await client.orders.create(simple_order(f"IT-{n}", key=f"shop:it{n}"))
        assert order.orderId
        ids.append(order.orderId)
        await client.orders.add_tag(order.orderId, tag.tagId)
    tagged = [
        o.orderId
        async for o in client.orders.iterate_by_tag(
            OrdersByTagFilter(orderStatus="awaiting_shipment", tagId=tag.tagId, pageSize=2)
        )
    ]
    assert sorted(tagged) == sorted(ids)
    for order_id in ids[:3]:
        emulator.ship_order(order_id)
    for order_id in ids[3:]:
        emulator.mark_shipped(order_id)
    shipped = [s.orderId async for s in client.shipments.iterate(ShipmentFilter(pageSize=2))]
    assert sorted(shipped) == sorted(ids[:3])
    marked = [f.orderId async for f in client.fulfillments.iterate(FulfillmentFilter(pageSize=1))]
    assert sorted(marked) == sorted(ids[3:])

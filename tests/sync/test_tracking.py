"""Tracking back to the store, end to end: push, ship in the emulator in every shape, poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order, Shipment
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import run_pass
from stationmaster.errors import ConfigError
from stationmaster.shipstation import models as ss
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import Capability, StoreError
from stationmaster.sync.rules import load_rules
from stationmaster.sync.tracking import SHIPMENTS_STREAM, Tracker
from stationmaster.testing.factories import make_orders, plain_order
from tests.sync.conftest import Pushing, wire

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pushing(engine: AsyncEngine) -> Pushing:
    return await wire(engine, Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None)))


def order(n: int) -> Order:
    """Min Kim's order: line li-1 (1 teapot) and li-2 (3 packs of sencha)."""
    return plain_order(source_id=f"o{n}", number=f"SM-{n}")


async def pushed(pushing: Pushing, *orders: Order) -> dict[str, int]:
    """Push ``orders``; their ShipStation order ids by source id."""
    for each in orders:
        await pushing.store.ingest(each)
    await run_pass(pushing.runtime)
    ids = {o["orderKey"]: o["orderId"] for o in pushing.emulator.orders()}
    return {each.source_id: ids[f"shop:{each.source_id}"] for each in orders}


def tracker(pushing: Pushing, store: NativeStore | None = None, **tracking: object) -> Tracker:
    push = pushing.runtime.push
    rules = load_rules({"tracking": tracking}) if tracking else push.rules
    return Tracker(
        pushing.engine, "shop", store or pushing.store, push.client, rules, source="shop"
    )


async def state(pushing: Pushing, source_id: str) -> tuple[str, list[tuple[str, bool]]]:
    """The store order's status and its packages as (tracking number, voided)."""
    current = await pushing.store.get(source_id)
    assert current is not None
    shipment = await pushing.store.shipments_of(source_id)
    return current.status, [(p.tracking_number or "", p.voided) for p in shipment.packages]


async def shipped(pushing: Pushing, source_id: str) -> dict[str, int]:
    current = await pushing.store.get(source_id)
    assert current is not None
    return (await pushing.store.shipments_of(source_id)).shipped_quantities(current)


async def test_one_label_ships_the_order_with_its_tracking(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    label = pushing.emulator.ship_order(ids["o1"], carrier_code="ups", tracking_number="1Z1")
    stats = await tracker(pushing).poll()
    assert (stats.applied, stats.statuses_changed, stats.ignored) == (1, 1, 0)
    assert await state(pushing, "o1") == ("shipped", [("1Z1", False)])
    [package] = (await pushing.store.shipments_of("o1")).packages
    assert package.key == f"shipment:{label['shipmentId']}"
    assert package.carrier == "ups" and package.service == label["serviceCode"]
    assert package.ship_date is not None
    assert {i.line_id: i.quantity for i in package.items} == {"li-1": 1, "li-2": 3}


async def test_two_labels_partial_then_whole(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    track = tracker(pushing)
    pushing.emulator.ship_order(ids["o1"], items=["li-1"], tracking_number="T-A")
    await track.poll()
    assert await state(pushing, "o1") == ("partially shipped", [("T-A", False)])
    assert await shipped(pushing, "o1") == {"li-1": 1}
    pushing.emulator.ship_order(ids["o1"], items=["li-2"], tracking_number="T-B")
    stats = await track.poll()
    assert stats.applied == 1 and stats.statuses_changed == 1
    assert await state(pushing, "o1") == ("shipped", [("T-A", False), ("T-B", False)])


async def test_a_line_shipped_across_two_labels_accumulates(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    track = tracker(pushing)
    pushing.emulator.ship_order(ids["o1"], items=["li-1", {"lineItemKey": "li-2", "quantity": 1}])
    await track.poll()
    assert await shipped(pushing, "o1") == {"li-1": 1, "li-2": 1}
    assert (await state(pushing, "o1"))[0] == "partially shipped"
    pushing.emulator.ship_order(ids["o1"], items=[{"lineItemKey": "li-2", "quantity": 2}])
    await track.poll()
    assert await shipped(pushing, "o1") == {"li-1": 1, "li-2": 3}
    assert (await state(pushing, "o1"))[0] == "shipped"


async def test_split_halves_map_back_to_the_store_order_and_freeze_it(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    child = pushing.emulator.split_order(ids["o1"], ["li-2"])
    pushing.emulator.ship_order(child["orderId"], tracking_number="CHILD")
    track = tracker(pushing, poll_orders=False)  # the child is found by looking it up
    stats = await track.poll()
    assert stats.applied == 1
    assert await state(pushing, "o1") == ("partially shipped", [("CHILD", False)])
    assert await shipped(pushing, "o1") == {"li-2": 3}
    pushing.emulator.ship_order(ids["o1"], tracking_number="PARENT")
    await track.poll()
    status, packages = await state(pushing, "o1")
    assert status == "shipped" and sorted(packages) == [("CHILD", False), ("PARENT", False)]
    async with pushing.engine.connect() as conn:
        record = await db.get_sync_record(conn, "shop", "shop:o1")
    assert record is not None and record.frozen
    assert isinstance(record.related_ids, dict) and record.related_ids["split"] == [
        child["orderId"]
    ]


async def test_a_merged_order_fans_out_to_each_source_order(pushing: Pushing) -> None:
    second = order(2).model_copy(
        update={
            "lines": [
                line.model_copy(update={"line_id": f"b-{line.line_id}"}) for line in order(2).lines
            ]
        }
    )
    ids = await pushed(pushing, order(1), second)
    pushing.emulator.merge_orders(ids["o1"], [ids["o2"]])
    pushing.emulator.ship_order(ids["o1"], items=["li-1", "li-2", "b-li-1"], tracking_number="M")
    await tracker(pushing).poll()
    assert await state(pushing, "o1") == ("shipped", [("M", False)])
    assert await state(pushing, "o2") == ("partially shipped", [("M", False)])
    assert await shipped(pushing, "o2") == {"b-li-1": 1}
    async with pushing.engine.connect() as conn:
        records = await db.get_sync_records(conn, "shop", ["shop:o1", "shop:o2"])
    assert records["shop:o1"].frozen and records["shop:o2"].frozen


async def test_a_voided_label_reverts_the_order(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    track = tracker(pushing)
    label = pushing.emulator.ship_order(ids["o1"], tracking_number="V1")
    await track.poll()
    assert (await state(pushing, "o1"))[0] == "shipped"
    pushing.emulator.void_label(label["shipmentId"])
    stats = await track.poll()
    assert stats.voided == 1 and stats.statuses_changed == 1
    assert await state(pushing, "o1") == ("paid", [("V1", True)])
    pushing.emulator.ship_order(ids["o1"], tracking_number="V2")
    await track.poll()
    assert await state(pushing, "o1") == ("shipped", [("V1", True), ("V2", False)])


async def test_mark_as_shipped_is_a_package_and_a_label_twin_is_skipped(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1), order(2))
    pushing.emulator.mark_shipped(ids["o1"], carrier_code="ups", tracking_number="F1")
    pushing.emulator.ship_order(ids["o2"], tracking_number="SAME")
    pushing.emulator.mark_shipped(ids["o2"], tracking_number="SAME")
    stats = await tracker(pushing).poll()
    assert await state(pushing, "o1") == ("shipped", [("F1", False)])
    [package] = (await pushing.store.shipments_of("o1")).packages
    assert package.origin == "fulfillment" and package.items == []
    assert await state(pushing, "o2") == ("shipped", [("SAME", False)])
    assert stats.ignored == 1


async def test_duplicated_and_reordered_applies_change_nothing(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    first = pushing.emulator.ship_order(ids["o1"], items=["li-1"], tracking_number="R1")
    pushing.emulator.ship_order(ids["o1"], items=["li-2"], tracking_number="R2")
    live = (
        await pushing.runtime.push.client.shipments.list(
            ss.ShipmentFilter(includeShipmentItems=True)
        )
    ).shipments or []
    pushing.emulator.void_label(first["shipmentId"])
    voided = (
        await pushing.runtime.push.client.shipments.list(
            ss.ShipmentFilter(includeShipmentItems=True)
        )
    ).shipments or []
    track = tracker(pushing)
    await track.apply_shipments(list(reversed(voided)))
    expected = await state(pushing, "o1")
    assert expected == ("partially shipped", [("R1", True), ("R2", False)])
    for batch in (live, voided, list(reversed(live)), live + voided):
        stats = await track.apply_shipments(batch)
        assert (stats.applied, stats.voided, stats.statuses_changed) == (0, 0, 0)
        assert await state(pushing, "o1") == expected


async def test_one_list_call_covers_many_shipments_and_a_second_poll_is_cheap(
    pushing: Pushing,
) -> None:
    orders = [order(n) for n in range(120)]
    ids = await pushed(pushing, *orders)
    for order_id in ids.values():
        pushing.emulator.ship_order(order_id)
    pushing.emulator.clear_calls()
    track = tracker(pushing)
    stats = await track.poll()
    calls = pushing.emulator.calls
    # orders modified, shipments created, fulfillments created, shipments voided: one page each
    assert [c.path.lower() for c in calls] == [
        "/orders",
        "/shipments",
        "/fulfillments",
        "/shipments",
    ]
    assert stats.calls == len(calls) == 4
    assert all(call.query.get("pageSize") == "500" for call in calls)
    assert calls[1].query.get("includeShipmentItems") == "true"
    assert stats.applied == 120 and stats.statuses_changed == 120
    again = await track.poll()
    assert (again.applied, again.statuses_changed, again.calls) == (0, 0, 4)


async def test_bad_data_is_counted_never_fatal(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    pushing.emulator.ship_order(ids["o1"], tracking_number="OK")
    pushing.emulator.inject("null_elements", path="/shipments", positions=(0,))
    track = tracker(pushing)
    stats = await track.poll()
    assert stats.applied == 1
    assert await state(pushing, "o1") == ("shipped", [("OK", False)])
    strange = [
        ss.Shipment(shipmentId=1, orderId=999_999, orderKey="other:1", trackingNumber="X"),
        ss.Shipment(
            shipmentId=2,
            orderId=ids["o1"],
            orderKey="shop:o1",
            trackingNumber="Y",
            shipmentItems=[ss.ShipmentItem(lineItemKey="nope", quantity=1)],
        ),
        ss.Shipment(shipmentId=None, orderId=ids["o1"]),
        ss.Shipment(shipmentId=3, orderId=ids["o1"], isReturnLabel=True),
    ]
    stats = await track.apply_shipments(strange)
    assert stats.applied == 0 and stats.ignored == 3 and stats.bad_records == 2
    assert await state(pushing, "o1") == ("shipped", [("OK", False)])


async def test_cancellations_follow_the_rules(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1), order(2))
    cancelled = [
        ss.Order(orderId=ids[s], orderKey=f"shop:{s}", orderStatus="cancelled") for s in ids
    ]
    await tracker(pushing).apply_orders(cancelled[:1])
    assert (await state(pushing, "o1"))[0] == "paid"
    stats = await tracker(pushing, apply_cancellations=True).apply_orders(cancelled[1:])
    assert stats.statuses_changed == 1 and (await state(pushing, "o2"))[0] == "cancelled"
    async with pushing.engine.connect() as conn:
        record = await db.get_sync_record(conn, "shop", "shop:o1")
    assert record is not None and record.locked and record.remote_status == "cancelled"


async def test_field_rules_decide_what_flows_back(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    pushing.emulator.ship_order(ids["o1"], items=["li-1"], tracking_number="F")
    await tracker(pushing, fields=["tracking_number"]).poll()
    [package] = (await pushing.store.shipments_of("o1")).packages
    assert package.tracking_number == "F"
    assert (package.carrier, package.service, package.ship_date, package.items) == (
        None,
        None,
        None,
        [],
    )
    assert (await state(pushing, "o1"))[0] == "shipped"  # without items a label is the order


class CapturingStore(NativeStore):
    capabilities: frozenset[Capability] = NativeStore.capabilities | {"payment_capture"}

    def __init__(self, base: NativeStore) -> None:
        super().__init__(base.engine, base.connection, source=base.source)
        self.failures = 1
        self.captured: list[str] = []

    async def capture_payment(self, source_id: str) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreError("gateway timeout")
        self.captured.append(source_id)


async def test_a_failed_capture_is_queued_and_never_blocks_tracking(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    store = CapturingStore(pushing.store)
    track = tracker(pushing, store, capture_payment_on_ship=True)
    pushing.emulator.ship_order(ids["o1"], tracking_number="C")
    stats = await track.poll()
    assert stats.captures_failed == 1 and stats.applied == 1
    assert (await state(pushing, "o1"))[0] == "shipped"
    async with pushing.engine.connect() as conn:
        [error] = await db.list_tracking_errors(conn, connection="shop")
    assert error.action == "capture" and "gateway timeout" in error.reason
    assert await track.replay_captures() == 1
    assert await track.replay_captures() == 0
    assert store.captured == ["o1"]
    async with pushing.engine.connect() as conn:
        assert await db.list_tracking_errors(conn, connection="shop") == []


class FlakyStore(NativeStore):
    def __init__(self, base: NativeStore) -> None:
        super().__init__(base.engine, base.connection, source=base.source)
        self.down = True

    async def apply_shipment(self, shipment: Shipment) -> None:
        if self.down:
            raise StoreError("store is down")
        await super().apply_shipment(shipment)


async def test_a_store_outage_keeps_packages_pending_until_the_next_pass(pushing: Pushing) -> None:
    ids = await pushed(pushing, order(1))
    store = FlakyStore(pushing.store)
    track = tracker(pushing, store)
    pushing.emulator.ship_order(ids["o1"], tracking_number="P")
    stats = await track.poll()
    assert stats.store_failures == 1 and stats.applied == 0
    assert await state(pushing, "o1") == ("paid", [])
    store.down = False
    stats = await track.poll()
    assert stats.applied == 1
    assert await state(pushing, "o1") == ("shipped", [("P", False)])


async def test_cursors_never_pass_the_start_of_the_pass(pushing: Pushing) -> None:
    await pushed(pushing, order(1))
    push = pushing.runtime.push
    frozen = push.now() - timedelta(minutes=3)
    track = Tracker(
        pushing.engine,
        "shop",
        pushing.store,
        push.client,
        push.rules,
        source="shop",
        now=lambda: frozen,
    )
    await track.poll()
    async with pushing.engine.connect() as conn:
        value = await db.get_cursor(conn, "shop", SHIPMENTS_STREAM)
    assert value == {"at": frozen.isoformat()}


@pytest.mark.parametrize(
    ("cursor", "asked"),
    [
        (datetime(2026, 7, 1, 19, 0, tzinfo=UTC), "2026-07-01 11:50:00"),  # PDT: 10 minutes
        # 01:05 PST, the second 01:05 of the autumn fold: read as the first, that would start
        # an hour late, so the window starts before the fold.
        (datetime(2026, 11, 1, 9, 5, tzinfo=UTC), "2026-11-01 00:55:00"),
    ],
)
async def test_a_poll_reaches_back_only_its_overlap(
    pushing: Pushing, cursor: datetime, asked: str
) -> None:
    await pushed(pushing, order(1))
    async with pushing.engine.begin() as conn:
        await db.set_cursor(conn, "shop", SHIPMENTS_STREAM, {"at": cursor.isoformat()}, now=cursor)
    push = pushing.runtime.push
    later = cursor + timedelta(minutes=30)
    track = Tracker(
        pushing.engine, "shop", pushing.store, push.client, push.rules, source="shop",
        now=lambda: later,
    )  # fmt: skip
    pushing.emulator.clear_calls()
    await track.poll()
    starts = [
        call.query["createDateStart"]
        for call in pushing.emulator.calls
        if call.path == "/shipments" and "createDateStart" in call.query
    ]
    assert starts == [asked]


def test_an_overlap_under_a_minute_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"tracking\.overlap_minutes"):
        load_rules({"tracking": {"overlap_minutes": 0}})


async def test_nothing_pushed_means_no_calls(pushing: Pushing) -> None:
    for each in make_orders(0):
        await pushing.store.ingest(each)
    stats = await tracker(pushing).poll()
    assert stats.calls == 0 and pushing.emulator.calls == []

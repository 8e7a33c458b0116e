"""Oscar to ShipStation and back: orders placed in the shop, pushed to the emulator, shipped
there in every shape, and the tracker's packages recorded in Oscar by the shop's own rules."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.engine.runner import run_pass
from stationmaster.testing.factories import plain_order
from tests.stores.oscar.conftest import in_shop
from tests.stores.oscar.placing import Shop
from tests.stores.oscar.wiring import wired

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:update is not implemented")]


def _events(source_id: str) -> list[tuple[str, str, dict[str, int]]]:
    """The order's shipping events: (type, notes, {line id: quantity}), oldest first."""
    from oscar.core.loading import get_model

    order = get_model("order", "Order")._default_manager.get(pk=int(source_id))
    return [
        (
            event.event_type.name,
            event.notes,
            {str(q.line_id): q.quantity for q in event.line_quantities.all()},
        )
        for event in order.shipping_events.order_by("pk")
    ]


def _order_state(source_id: str) -> dict[str, Any]:
    from django.core import mail
    from oscar.core.loading import get_model

    order = get_model("order", "Order")._default_manager.get(pk=int(source_id))
    return {
        "status": order.status,
        "line_statuses": sorted({line.status for line in order.lines.all()}),
        "lines": {str(line.pk): line.quantity for line in order.lines.order_by("pk")},
        "history": [(c.old_status, c.new_status) for c in order.status_changes.order_by("pk")],
        "notes": [note.message for note in order.notes.order_by("pk")],
        "mails": [m.subject for m in getattr(mail, "outbox", []) if order.number in m.subject],
    }


async def test_orders_go_out_and_every_shipment_shape_comes_back(
    engine: AsyncEngine, shop: Shop
) -> None:
    tag = id(engine)
    orders = [plain_order(source_id=f"rt-{tag}-{n}", number=f"RT-{tag}-{n}") for n in range(4)]
    one_label, split, relabel, marked = await in_shop(lambda: shop.seed(orders))
    wire = await wired(engine)
    await run_pass(wire.runtime)
    mine = (one_label, split, relabel, marked)
    remote = {o["orderKey"]: o for o in wire.emulator.orders()}
    ids = {sid: remote[f"oscar:{sid}"]["orderId"] for sid in mine}
    assert {remote[f"oscar:{sid}"]["orderStatus"] for sid in mine} == {"awaiting_shipment"}
    lines = (await in_shop(lambda: _order_state(split)))["lines"]
    teapot, sencha = lines  # line ids are Oscar's line primary keys; 1 teapot, 3 sencha
    assert list(lines.values()) == [1, 3]
    assert {item["lineItemKey"] for item in remote[f"oscar:{split}"]["items"]} == set(lines)

    emulator, tracker = wire.emulator, wire.runtime.tracker
    emulator.ship_order(ids[one_label], carrier_code="ups", tracking_number="1Z-ONE")
    emulator.ship_order(ids[split], items=[teapot, {"lineItemKey": sencha, "quantity": 1}],
                        tracking_number="SPLIT-1")  # fmt: skip
    first = emulator.ship_order(ids[relabel], tracking_number="VOID-ME")
    emulator.mark_shipped(ids[marked], carrier_code="fedex", tracking_number="MARKED-1")
    stats = await tracker.poll()
    assert (stats.applied, stats.store_failures) == (4, 0)

    state = await in_shop(lambda: _order_state(split))
    assert state["status"] == "Partially shipped"
    emulator.ship_order(ids[split], items=[{"lineItemKey": sencha, "quantity": 2}],
                        tracking_number="SPLIT-2")  # fmt: skip
    emulator.void_label(first["shipmentId"])
    await tracker.poll()
    assert (await in_shop(lambda: _order_state(relabel)))["status"] == "Pending"
    emulator.ship_order(ids[relabel], tracking_number="RELABEL")
    stats = await tracker.poll()
    assert (stats.applied, stats.store_failures) == (1, 0)

    one = await in_shop(lambda: _events(one_label))
    whole = (await in_shop(lambda: _order_state(one_label)))["lines"]
    assert [(kind, q) for kind, _, q in one] == [("Shipped", whole)]
    assert "1Z-ONE" in one[0][1] and "ups" in one[0][1]

    events = await in_shop(lambda: _events(split))
    assert [(kind, q) for kind, _, q in events] == [
        ("Shipped", {teapot: 1, sencha: 1}),
        ("Shipped", {sencha: 2}),
    ]
    assert ["SPLIT-1" in events[0][1], "SPLIT-2" in events[1][1]] == [True, True]

    voided = await in_shop(lambda: _events(relabel))
    assert [(kind, "VOID-ME" in notes) for kind, notes, _ in voided] == [
        ("Voided", True),
        ("Shipped", False),
    ]
    assert "RELABEL" in voided[1][1]

    marked_events = await in_shop(lambda: _events(marked))
    assert [(kind, "MARKED-1" in notes) for kind, notes, _ in marked_events] == [("Shipped", True)]
    assert sum(marked_events[0][2].values()) == 4  # a package without items ships it all

    for sid in mine:
        state = await in_shop(lambda sid=sid: _order_state(sid))
        assert state["status"] == "Shipped", sid
        assert state["line_statuses"] == ["Shipped"], "Oscar's cascade moved the lines"
        assert state["mails"], "the shop's EventHandler sent its dispatch e-mail"
    assert (await in_shop(lambda: _order_state(split)))["history"] == [
        ("Pending", "Partially shipped"),
        ("Partially shipped", "Shipped"),
    ]
    relabelled = await in_shop(lambda: _order_state(relabel))
    assert relabelled["history"] == [
        ("Pending", "Shipped"),
        ("Shipped", "Pending"),
        ("Pending", "Shipped"),
    ]
    assert any("voided" in note and "VOID-ME" in note for note in relabelled["notes"])

    from stationmaster.stores.oscar.connector import OscarStore

    store = wire.runtime.push.store
    assert isinstance(store, OscarStore)
    packages = (await store.shipment_of(relabel)).packages
    again = await run_pass(wire.runtime)  # the status changes came back through the feed
    assert again.dead_lettered == 0
    remote = {o["orderKey"]: o for o in wire.emulator.orders()}
    assert {remote[f"oscar:{sid}"]["orderStatus"] for sid in mine} == {"shipped"}
    assert [(p.tracking_number, p.voided) for p in packages] == [
        ("VOID-ME", True),
        ("RELABEL", False),
    ]

"""Planning the writes that record packages on a Vendure order, and reading them back."""

from __future__ import annotations

from typing import Any

from stationmaster.domain import Package, PackageItem, Shipment
from stationmaster.stores.vendure.packages import (
    Recorded,
    key_in_method,
    method_text,
    note_text,
    plan,
    read_back,
)

SHIP = ["Shipped"]


def package(origin_id: str, *items: tuple[str, int], voided: bool = False) -> Package:
    return Package(
        origin="shipment",
        origin_id=origin_id,
        tracking_number=f"1Z{origin_id}",
        carrier="ups",
        service="ups_ground",
        items=[PackageItem(line_id=line, quantity=units) for line, units in items],
        voided=voided,
    )


def order(*fulfillments: dict[str, Any], notes: tuple[str, ...] = ()) -> dict[str, Any]:
    """An order of 2 × L1 and 1 × L2 holding ``fulfillments`` and private ``notes``."""
    return {
        "id": "T_1",
        "code": "ABC",
        "lines": [{"id": "L1", "quantity": 2}, {"id": "L2", "quantity": 1}],
        "fulfillments": list(fulfillments),
        "history": {"items": [{"data": {"note": note}} for note in notes]},
    }


def fulfilled(fid: str, pkg: Package, state: str, *lines: tuple[str, int]) -> dict[str, Any]:
    return {
        "id": fid,
        "state": state,
        "method": method_text(pkg),
        "trackingCode": pkg.tracking_number,
        "lines": [{"orderLineId": line, "quantity": units} for line, units in lines],
    }


def shipment(*packages: Package) -> Shipment:
    return Shipment(order_source_id="T_1", packages=list(packages))


def test_the_key_rides_in_the_method_text() -> None:
    pkg = package("300000001")
    assert method_text(pkg) == "ups ups_ground [stationmaster shipment:300000001]"
    assert key_in_method(method_text(pkg)) == "shipment:300000001"
    assert key_in_method("UPS Ground") is None
    assert key_in_method(None) is None


def test_a_new_package_is_fulfilled_with_its_items_and_a_known_one_is_left_alone() -> None:
    first = package("1", ("L1", 1))
    steps = plan(shipment(first), Recorded.of(order()), ship_states=SHIP)
    assert [(s.action, s.lines) for s in steps] == [("fulfil", {"L1": 1})]
    done = Recorded.of(order(fulfilled("F1", first, "Shipped", ("L1", 1))))
    assert plan(shipment(first), done, ship_states=SHIP) == []


def test_a_package_without_items_takes_what_is_left() -> None:
    first = package("1", ("L1", 1))
    whole = package("2")
    recorded = Recorded.of(order(fulfilled("F1", first, "Shipped", ("L1", 1))))
    steps = plan(shipment(first, whole), recorded, ship_states=SHIP)
    assert [(s.action, s.package.key, s.lines) for s in steps] == [
        ("fulfil", "shipment:2", {"L1": 1, "L2": 1})
    ]


def test_a_package_with_nothing_left_to_ship_becomes_a_note_once() -> None:
    everything = package("1", ("L1", 2), ("L2", 1))
    extra = package("2")
    recorded = Recorded.of(order(fulfilled("F1", everything, "Shipped", ("L1", 2), ("L2", 1))))
    steps = plan(shipment(everything, extra), recorded, ship_states=SHIP)
    assert [(s.action, s.package.key) for s in steps] == [("note", "shipment:2")]
    noted = Recorded.of(
        order(
            fulfilled("F1", everything, "Shipped", ("L1", 2), ("L2", 1)),
            notes=(note_text(extra),),
        )
    )
    assert plan(shipment(everything, extra), noted, ship_states=SHIP) == []
    void = extra.model_copy(update={"voided": True})
    assert [s.action for s in plan(shipment(void), noted, ship_states=SHIP)] == ["note"]
    both = Recorded.of(order(notes=(note_text(extra), note_text(void))))
    assert plan(shipment(void), both, ship_states=SHIP) == []
    assert plan(shipment(extra), both, ship_states=SHIP) == [], "a void sticks"
    assert read_back("T_1", "ABC", both).packages[0].voided


def test_a_void_cancels_first_so_its_replacement_can_take_the_units() -> None:
    old = package("1", ("L1", 2))
    new = package("2", ("L1", 2))
    recorded = Recorded.of(order(fulfilled("F1", old, "Shipped", ("L1", 2))))
    voided = old.model_copy(update={"voided": True})
    steps = plan(shipment(new, voided), recorded, ship_states=SHIP)
    assert [(s.action, s.fulfillment_id, s.state, s.lines) for s in steps] == [
        ("transition", "F1", "Cancelled", {}),
        ("fulfil", None, None, {"L1": 2}),
    ]


def test_a_fulfillment_left_short_of_shipped_is_moved_on() -> None:
    pkg = package("1", ("L1", 1))
    recorded = Recorded.of(order(fulfilled("F1", pkg, "Pending", ("L1", 1))))
    steps = plan(shipment(pkg), recorded, ship_states=["Shipped", "Delivered"])
    assert [(s.fulfillment_id, s.state) for s in steps] == [("F1", "Shipped"), ("F1", "Delivered")]


def test_reading_back_gives_keys_tracking_items_and_voids() -> None:
    live, gone = package("1", ("L1", 1)), package("2", ("L1", 1))
    recorded = Recorded.of(
        order(
            fulfilled("F1", live, "Shipped", ("L1", 1)),
            fulfilled("F2", gone, "Cancelled", ("L1", 1)),
            {"id": "F3", "state": "Shipped", "method": "by hand", "lines": []},
        )
    )
    back = read_back("T_1", "ABC", recorded)
    assert [(p.key, p.tracking_number, p.voided) for p in back.packages] == [
        ("shipment:1", "1Z1", False),
        ("shipment:2", "1Z2", True),
    ]
    assert back.packages[0].items == [PackageItem(line_id="L1", quantity=1)]

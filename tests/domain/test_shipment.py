"""Shipments: packages keyed by their source record, quantities per line, voids and replays."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from stationmaster import domain
from stationmaster.testing.factories import plain_order


def _package(origin_id: str, items: list[tuple[str, int]], **extra: object) -> domain.Package:
    return domain.Package.model_validate(
        {
            "origin": "shipment",
            "origin_id": origin_id,
            "tracking_number": f"1Z{origin_id}",
            "carrier": "ups",
            "service": "ups_ground",
            "ship_date": date(2026, 11, 21),
            "items": [{"line_id": line_id, "quantity": qty} for line_id, qty in items],
            **extra,
        }
    )


def test_a_package_is_known_by_its_source_record() -> None:
    assert _package("300000001", []).key == "shipment:300000001"
    fulfillment = domain.Package(origin="fulfillment", origin_id="9")
    assert fulfillment.key == "fulfillment:9"


def test_partial_shipments_accumulate_per_line() -> None:
    order = plain_order()
    first = domain.Shipment(order_source_id="1001", packages=[_package("1", [("li-2", 1)])])
    assert first.shipped_quantities(order) == {"li-2": 1}
    assert not first.covers(order)
    both = domain.Shipment(
        order_source_id="1001",
        packages=[_package("1", [("li-2", 1)]), _package("2", [("li-1", 1), ("li-2", 2)])],
    )
    assert both.shipped_quantities(order) == {"li-1": 1, "li-2": 3}
    assert both.covers(order)


def test_a_record_seen_twice_counts_once() -> None:
    order = plain_order()
    replayed = domain.Shipment(
        order_source_id="1001",
        packages=[_package("1", [("li-2", 2)]), _package("1", [("li-2", 2)])],
    )
    assert replayed.shipped_quantities(order) == {"li-2": 2}


def test_voided_labels_do_not_count() -> None:
    order = plain_order()
    voided_later = domain.Shipment(
        order_source_id="1001",
        packages=[
            _package("1", [("li-1", 1), ("li-2", 3)]),
            _package("1", [("li-1", 1), ("li-2", 3)], voided=True),
        ],
    )
    assert voided_later.shipped_quantities(order) == {}
    assert not voided_later.covers(order)


def test_a_package_without_items_ships_the_whole_order() -> None:
    order = plain_order()
    whole = domain.Shipment(order_source_id="1001", packages=[_package("1", [])])
    assert whole.shipped_quantities(order) == {"li-1": 1, "li-2": 3}
    assert whole.covers(order)


def test_over_shipping_is_capped_at_the_ordered_quantity() -> None:
    order = plain_order()
    shipment = domain.Shipment(order_source_id="1001", packages=[_package("1", [("li-1", 5)])])
    assert shipment.shipped_quantities(order) == {"li-1": 1}


def test_package_items_need_positive_quantities() -> None:
    with pytest.raises(ValidationError) as caught:
        _package("1", [("li-1", 0)])
    assert caught.value.errors()[0]["loc"] == ("items", 0, "quantity")


def test_stock_levels() -> None:
    level = domain.StockLevel(sku=" TEAPOT-CER-1L ", warehouse="", on_hand=-2)
    assert level.sku == "TEAPOT-CER-1L"
    assert level.warehouse is None
    assert level.on_hand == -2
    with pytest.raises(ValidationError):
        domain.StockLevel(sku="", on_hand=1)

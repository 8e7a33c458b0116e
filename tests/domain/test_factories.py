"""The order factory: deterministic per seed, varied like real stores, and internally consistent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from stationmaster import domain
from stationmaster.sync import load_rules, validate_orders
from stationmaster.testing.factories import BASE_TIME, make_order, make_orders, plain_order

ORDERS = make_orders(400, seed=7)


def test_the_same_seed_gives_the_same_orders() -> None:
    assert make_order(42, seed=3) == make_order(42, seed=3)
    assert make_orders(5, seed=3, start=40)[2] == make_order(42, seed=3)


def test_other_seeds_and_positions_give_other_orders() -> None:
    assert make_order(42, seed=3) != make_order(42, seed=4)
    assert make_order(42, seed=3) != make_order(43, seed=3)


def test_ids_numbers_and_times_follow_the_position() -> None:
    first, later = make_order(0), make_order(1000)
    assert (first.source_id, first.number) == ("100000", "SM-10000")
    assert first.created_at >= BASE_TIME
    assert later.created_at > first.created_at
    moved = make_order(5, placed_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert moved.created_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_amounts_add_up() -> None:
    for order in ORDERS:
        lines = sum((line.gross for line in order.lines), Decimal(0))
        reductions = sum((discount.amount for discount in order.discounts), Decimal(0))
        assert order.total == lines - reductions + order.shipping_amount + order.tax_amount
        assert order.tax_amount == sum((line.tax for line in order.lines), Decimal(0))


def test_the_stream_is_varied_like_a_real_store() -> None:
    countries = Counter(order.shipping.country for order in ORDERS if order.shipping)
    statuses = Counter(order.status for order in ORDERS)
    text = " ".join(
        f"{order.customer_name} {order.gift_message} " + " ".join(line.name for line in order.lines)
        for order in ORDERS
    )
    assert countries["US"] > 200
    assert len(countries) >= 6
    assert {"paid", "unpaid", "processing"} <= set(statuses)
    assert any(not char.isascii() for char in text)
    assert any(ord(char) > 0xFFFF for char in text), "expected emoji"
    assert any(order.discounts for order in ORDERS)
    assert any(d.line_id for order in ORDERS for d in order.discounts)
    assert any(order.gift and order.gift_message for order in ORDERS)
    assert any(len(order.lines) >= 3 for order in ORDERS)
    assert any(line.options for order in ORDERS for line in order.lines)
    assert any(order.ship_by for order in ORDERS)
    assert any(order.billing is None for order in ORDERS)
    units = {line.weight.unit for order in ORDERS for line in order.lines if line.weight}
    assert units == {"g", "kg", "oz", "lb"}


def test_international_orders_carry_customs_data() -> None:
    abroad = [o for o in ORDERS if o.shipping and o.shipping.country != "US"]
    assert abroad
    for order in abroad:
        for line in order.lines:
            assert line.customs is not None
            assert line.customs.hs_code
            assert line.customs.country_of_origin


def test_every_factory_order_passes_the_default_rules() -> None:
    report = validate_orders(
        make_orders(600, seed=11), load_rules(), source="demo", now=datetime.now(UTC)
    )
    assert report.errors == 0, [row for row in report.rows if row.severity == "error"][:5]
    assert report.skipped == 0


def test_overrides_replace_fields_and_are_validated() -> None:
    order = make_order(3, currency="EUR", shipping=None, tags=["vip"])
    assert (order.currency, order.shipping, order.tags) == ("EUR", None, ["vip"])
    with pytest.raises(ValidationError) as caught:
        make_order(3, currency="euros")
    assert caught.value.errors()[0]["loc"] == ("currency",)


def test_the_plain_order_is_exactly_as_documented() -> None:
    order = plain_order()
    assert order.total == Decimal("82.92")
    assert [(line.line_id, line.quantity, line.unit_price) for line in order.lines] == [
        ("li-1", 1, Decimal("39.00")),
        ("li-2", 3, Decimal("9.50")),
    ]
    assert isinstance(order, domain.Order)

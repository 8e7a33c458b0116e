"""Vendure orders to canonical orders: minor units, the channel's tax convention, discounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stationmaster.stores.vendure.mapping import UnmappableOrder, map_order
from tests.stores.vendure.fake_admin import raw_order

AT = datetime(2026, 11, 22, 3, 8, 47, tzinfo=UTC)


def discounted() -> dict[str, object]:
    """One teapot (39.00 + 10 % tax) with 5.00 off, shipping 5.00 + tax."""
    return raw_order(
        1,
        AT,
        discounts=[{"description": "WELCOME5", "amount": -500, "amountWithTax": -550}],
        total=3900,
        totalWithTax=4290,
    )


def test_a_tax_exclusive_channel_maps_net_prices_and_the_tax_apart() -> None:
    order = map_order(discounted(), prices_include_tax=False, decimals=2)
    (line,) = order.lines
    assert (line.line_id, line.sku, line.quantity) == ("L_1", "TEAPOT-CER-1L", 1)
    assert (line.unit_price, line.tax) == (Decimal("39.00"), Decimal("3.90"))
    assert [(d.code, d.amount, d.tax) for d in order.discounts] == [
        ("WELCOME5", Decimal("5.00"), Decimal(0))
    ]
    assert (order.shipping_amount, order.shipping_tax) == (Decimal("5.00"), Decimal("0.50"))
    assert (order.tax_amount, order.total) == (Decimal("3.90"), Decimal("42.90"))
    assert order.prices_include_tax is False
    assert order.amount_paid == Decimal("48.40")
    assert order.paid_at == datetime(2026, 11, 20, 17, 1, tzinfo=UTC)
    assert order.requested_service == "UPS Ground"
    assert order.shipping is not None and order.shipping.state == "WA"
    assert order.shipping.street2 is None, "Vendure's empty street line is no street"
    assert order.billing is None
    assert (order.number, order.status, order.customer_name) == (
        "CODE0001",
        "PaymentSettled",
        "Min Kim",
    )


def test_a_tax_inclusive_channel_maps_the_prices_the_merchant_entered() -> None:
    order = map_order(discounted(), prices_include_tax=True, decimals=2)
    (line,) = order.lines
    assert (line.unit_price, line.tax) == (Decimal("42.90"), Decimal("3.90"))
    assert [(d.amount, d.tax) for d in order.discounts] == [(Decimal("5.50"), Decimal("0.50"))]
    assert (order.shipping_amount, order.shipping_tax) == (Decimal("5.50"), Decimal("0.50"))
    assert order.prices_include_tax is True
    assert order.total == Decimal("42.90")


def test_the_money_precision_follows_the_servers_money_strategy() -> None:
    order = map_order(raw_order(1, AT), prices_include_tax=False, decimals=0)
    assert order.lines[0].unit_price == Decimal(3900)


def test_lines_cancelled_to_zero_are_left_out_and_options_are_kept() -> None:
    raw = raw_order(1, AT)
    line = raw["lines"][0]
    line["productVariant"]["options"] = [{"name": "Celadon", "group": {"name": "Glaze"}}]
    raw["lines"].append({**line, "id": "L_gone", "quantity": 0})
    order = map_order(raw, prices_include_tax=False, decimals=2)
    assert [line.line_id for line in order.lines] == ["L_1"]
    assert [(o.name, o.value) for o in order.lines[0].options] == [("Glaze", "Celadon")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"totalWithTax": None}, "totalWithTax"),
        ({"currencyCode": "dollars"}, "currency"),
        ({"updatedAt": "yesterday"}, "updatedAt"),
        ({"lines": "many"}, "lines"),
        ({"id": None}, "id"),
    ],
)
def test_data_that_does_not_fit_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(UnmappableOrder, match=field):
        map_order({**raw_order(1, AT), **change}, prices_include_tax=False, decimals=2)

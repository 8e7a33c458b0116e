"""Medusa orders to canonical orders: major units, each line's tax convention, discounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from stationmaster.domain import Order
from stationmaster.stores.medusa.mapping import UnmappableOrder, map_order
from tests.stores.medusa.fake_admin import decoded, raw_order

AT = datetime(2026, 11, 22, 3, 8, 47, tzinfo=UTC)


def mapped(raw: dict[str, Any]) -> Order:
    return map_order(decoded(raw))


def discounted(*, inclusive: bool) -> dict[str, Any]:
    """One teapot (39.00 + 10 % tax) with 5.00 off through WELCOME5, shipping 5.00 + tax with
    1.00 off; amounts as Medusa v2 computes them (major units, unrounded)."""
    raw = raw_order(1, AT, total=41.8, tax_total=3.8)
    item = raw["items"][0]
    item.update(
        tax_total=3.4,
        discount_subtotal=5,
        discount_tax_total=0.5,
        adjustments=[{"code": "WELCOME5", "amount": 5}],
    )
    method = raw["shipping_methods"][0]
    method.update(tax_total=0.4, discount_subtotal=1, discount_tax_total=0.1)
    if inclusive:
        item.update(unit_price=42.9, is_tax_inclusive=True, subtotal=39)
        method.update(amount=5.5, is_tax_inclusive=True)
    return raw


def test_a_tax_exclusive_order_maps_net_prices_and_the_tax_apart() -> None:
    order = mapped(discounted(inclusive=False))
    (line,) = order.lines
    assert (line.line_id, line.sku, line.name, line.quantity) == (
        "ordli_1",
        "TEAPOT-CER-1L",
        "Ceramic Teapot 1 L",
        1,
    )
    assert (line.unit_price, line.tax) == (Decimal(39), Decimal("3.90"))
    assert [(d.code, d.amount, d.tax, d.line_id) for d in order.discounts] == [
        ("WELCOME5", Decimal("5.00"), Decimal(0), "ordli_1"),
        ("shipping discount", Decimal("1.00"), Decimal(0), None),
    ]
    assert (order.shipping_amount, order.shipping_tax) == (Decimal(5), Decimal("0.50"))
    assert (order.tax_amount, order.total) == (Decimal("3.80"), Decimal("41.80"))
    assert order.prices_include_tax is False
    lines = sum(line.unit_price * line.quantity for line in order.lines)
    discounts = sum(d.amount for d in order.discounts)
    assert lines - discounts + order.shipping_amount + order.tax_amount == order.total


def test_a_tax_inclusive_order_maps_the_prices_the_merchant_entered() -> None:
    order = mapped(discounted(inclusive=True))
    (line,) = order.lines
    assert (line.unit_price, line.tax) == (Decimal("42.90"), Decimal("3.90"))
    assert [(d.amount, d.tax) for d in order.discounts] == [
        (Decimal("5.50"), Decimal("0.50")),
        (Decimal("1.10"), Decimal("0.10")),
    ]
    assert (order.shipping_amount, order.shipping_tax) == (Decimal("5.50"), Decimal("0.50"))
    assert order.prices_include_tax is True
    assert order.total == Decimal("41.80")
    net_lines = sum(line.unit_price * line.quantity - line.tax for line in order.lines)
    net_discounts = sum(d.amount - d.tax for d in order.discounts)
    net_shipping = order.shipping_amount - order.shipping_tax
    assert net_lines - net_discounts + net_shipping + order.tax_amount == order.total


def test_the_rest_of_the_order_is_mapped() -> None:
    order = mapped(raw_order(7, AT))
    assert (order.source_id, order.number, order.status, order.currency) == (
        "order_0007",
        "7",
        "pending",
        "USD",
    )
    assert order.updated_at == AT
    assert (order.customer_email, order.customer_name) == ("min@example.com", "Min Kim")
    assert order.shipping is not None
    assert (order.shipping.name, order.shipping.state, order.shipping.country) == (
        "Min Kim",
        "WA",
        "US",
    )
    assert order.shipping.street2 is None, "Medusa's empty address line is no street"
    assert order.billing is None
    assert (order.amount_paid, order.paid_at) == (
        Decimal("48.40"),
        datetime(2026, 11, 20, 17, 1, tzinfo=UTC),
    )
    assert (order.payment_method, order.requested_service) == ("pp_system_default", "UPS Ground")


def test_an_authorized_payment_is_not_paid_yet() -> None:
    raw = raw_order(1, AT)
    raw["payment_collections"][0]["payments"][0]["captured_at"] = None
    order = mapped(raw)
    assert (order.amount_paid, order.paid_at) == (Decimal(0), None)


def test_amounts_come_as_numbers_or_decimal_text_and_are_rounded_half_up_to_the_cent() -> None:
    """As Medusa 2.21 answers: whole amounts as numbers, others as text, to fractions of a cent
    (59.345 is what its Stripe provider charges as 59.35)."""
    raw = raw_order(1, AT, total="59.345", tax_total="5.395")
    raw["items"][0].update(unit_price=48, original_tax_total="4.8")
    raw["shipping_methods"][0].update(subtotal="5.95", original_tax_total=0.595)
    order = mapped(raw)
    assert (order.lines[0].unit_price, order.lines[0].tax) == (Decimal(48), Decimal("4.80"))
    assert (order.shipping_amount, order.shipping_tax) == (Decimal("5.95"), Decimal("0.60"))
    assert (order.tax_amount, order.total) == (Decimal("5.40"), Decimal("59.35"))
    assert order.lines[0].unit_price + order.shipping_amount + order.tax_amount == order.total
    yen = mapped({**raw_order(2, AT), "currency_code": "jpy", "total": 4840.5})
    assert yen.total == Decimal(4841)


def test_lines_removed_to_zero_are_left_out_and_options_are_kept() -> None:
    raw = raw_order(1, AT)
    item = raw["items"][0]
    item["variant_option_values"] = {"Glaze": "Celadon"}
    raw["items"].append({**item, "id": "ordli_gone", "quantity": 0})
    order = mapped(raw)
    assert [line.line_id for line in order.lines] == ["ordli_1"]
    assert [(o.name, o.value) for o in order.lines[0].options] == [("Glaze", "Celadon")]


def test_without_a_customer_the_name_comes_from_the_shipping_address() -> None:
    order = mapped({**raw_order(1, AT), "customer": None})
    assert order.customer_name == "Min Kim"


def test_an_order_mixing_tax_conventions_is_refused_with_the_reason() -> None:
    raw = raw_order(1, AT)
    raw["shipping_methods"][0]["is_tax_inclusive"] = True
    with pytest.raises(UnmappableOrder, match="#1: some prices include tax and others do not"):
        mapped(raw)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": None}, "total"),
        ({"total": "48,40"}, "total"),
        ({"total": "NaN"}, "total"),
        ({"currency_code": "dollars"}, "currency"),
        ({"currency_code": None}, "currency_code"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"items": "many"}, "items"),
        ({"id": None}, "id"),
        ({"shipping_address": "Seattle"}, "shipping_address"),
    ],
)
def test_data_that_does_not_fit_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(UnmappableOrder, match=field):
        mapped({**raw_order(1, AT), **change})


def test_a_negative_price_on_a_product_line_is_refused() -> None:
    raw = raw_order(3, AT)
    raw["items"][0]["unit_price"] = -39
    with pytest.raises(UnmappableOrder, match=r"#3 does not fit the order model: lines\.0"):
        mapped(raw)

"""Oscar orders as canonical orders: every field, tax and discounts either way, and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stationmaster.domain import Order, Weight
from stationmaster.testing.factories import plain_order
from tests.stores.oscar.placing import WAREHOUSE, place

pytestmark = pytest.mark.filterwarnings("ignore:update is not implemented")


def _mapped(order: Any, *, incl: bool = False) -> Order:
    from oscar.core.loading import get_model

    from stationmaster.stores.oscar.mapping import MappingOptions, details, map_order

    options = MappingOptions(prices_include_tax=incl)
    orders = get_model("order", "Order")._default_manager.filter(pk=order.pk)
    (fresh,) = details(orders, options)
    return map_order(fresh, None, options)


def _adds_up(order: Order) -> Decimal:
    """lines - discounts + shipping (+ tax when prices exclude it): the order's total."""
    lines = sum((line.gross for line in order.lines), Decimal(0))
    discounts = sum((discount.amount for discount in order.discounts), Decimal(0))
    tax = Decimal(0) if order.prices_include_tax else order.tax_amount
    return lines - discounts + order.shipping_amount + tax


def test_a_placed_order_maps_field_by_field(oscar_shop: Path) -> None:
    from oscar.core.loading import get_model

    given = plain_order(number="MAP-1", customer_notes="Leave it with the neighbour")
    order = place(given)
    card, _ = get_model("payment", "SourceType")._default_manager.get_or_create(name="Card")
    order.sources.create(source_type=card, amount_allocated=Decimal(76), amount_debited=Decimal(76))
    mapped = _mapped(order)
    teapot, sencha = mapped.lines
    assert (mapped.source_id, mapped.number, mapped.status) == (str(order.pk), "MAP-1", "Pending")
    assert (mapped.currency, mapped.created_at) == ("USD", datetime(2026, 11, 20, 17, tzinfo=UTC))
    assert mapped.updated_at == mapped.created_at, "no change logged before it is read"
    assert mapped.customer_email == "min.kim@example.com"
    assert mapped.customer_name == "Min Kim"
    assert mapped.shipping is not None and mapped.billing is not None
    assert mapped.shipping.model_dump(exclude_none=True) == {
        "name": "Min Kim",
        "street1": "9 Harbor Way",
        "street2": "Unit 4",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
        "phone": "206-555-0117",
    }
    assert mapped.billing.street2 is None and mapped.billing.phone is None
    assert mapped.customer_notes == "Leave it with the neighbour"
    assert (teapot.sku, teapot.quantity, teapot.unit_price) == ("TEAPOT-CER-1L", 1, Decimal(39))
    assert (sencha.sku, sencha.quantity, sencha.unit_price) == ("TEA-SENCHA-100", 3, Decimal("9.5"))
    assert teapot.line_id == str(order.lines.order_by("pk").first().pk)
    assert teapot.weight == Weight(value=Decimal("0.793787"), unit="kg")  # 28 oz
    assert teapot.product_id is not None and teapot.name == "Ceramic Teapot 1 L"
    assert (mapped.shipping_amount, mapped.tax_amount, mapped.total) == (
        Decimal("8.5"),
        Decimal(0),
        Decimal("76.0"),
    )
    assert _adds_up(mapped) == mapped.total
    assert (mapped.amount_paid, mapped.payment_method) == (Decimal(76), "Card")
    assert mapped.requested_service == "UPS Ground"
    assert mapped.warehouse == WAREHOUSE
    assert not mapped.prices_include_tax


@pytest.fixture
def ten_percent_off(oscar_shop: Path) -> Iterator[str]:
    """A site offer taking 10 % off everything, applied only where a test asks for it."""
    from oscar.core.loading import get_model
    from oscar.test.factories import create_offer

    everything, _ = get_model("offer", "Range")._default_manager.get_or_create(
        name="Everything", includes_all_products=True
    )
    benefit, _ = get_model("offer", "Benefit")._default_manager.get_or_create(
        range=everything, type="Percentage", value=10
    )
    offer = create_offer(name="AUTUMN10", benefit=benefit)
    yield offer.name
    offer.delete()


@pytest.mark.parametrize("incl", [True, False], ids=["prices-with-tax", "prices-without-tax"])
def test_vat_and_an_offer_add_up_to_oscars_total(ten_percent_off: str, incl: bool) -> None:
    from oscar.apps.partner.strategy import UK

    order = place(plain_order(number=f"VAT-{incl}"), strategy=UK(), offers=True)
    mapped = _mapped(order, incl=incl)
    assert mapped.prices_include_tax is incl
    assert mapped.total == order.total_incl_tax
    assert mapped.tax_amount == order.total_incl_tax - order.total_excl_tax > 0
    assert _adds_up(mapped) == mapped.total, "exact, not within rounding"
    (discount,) = mapped.discounts
    assert discount.code == ten_percent_off
    lines = list(order.lines.all())
    if incl:
        assert discount.amount == sum(line.discount_incl_tax for line in lines)
        assert 0 < discount.tax < discount.amount
        assert [line.unit_price for line in mapped.lines] == [Decimal("46.8"), Decimal("11.4")]
    else:
        assert discount.amount == sum(line.discount_excl_tax for line in lines)
        assert discount.tax == 0
        assert [line.unit_price for line in mapped.lines] == [Decimal(39), Decimal("9.5")]
        assert sum(line.tax for line in mapped.lines) == mapped.tax_amount, "tax after discount"


def test_a_surcharge_is_an_adjustment_line(oscar_shop: Path) -> None:
    order = place(plain_order(number="FEE-1"))
    fee = order.surcharges.create(
        name="Card fee", code="card", incl_tax=Decimal("1.20"), excl_tax=Decimal("1.00")
    )
    line = _mapped(order).lines[-1]
    assert (line.line_id, line.name, line.adjustment) == (f"surcharge-{fee.pk}", "Card fee", True)
    assert (line.unit_price, line.tax) == (Decimal("1.00"), Decimal("0.20"))


def test_what_cannot_be_mapped_is_refused_with_the_reason(oscar_shop: Path) -> None:
    from stationmaster.stores.oscar.mapping import Unmappable

    order = place(plain_order(number="BAD-1"))
    line = order.lines.order_by("pk").first()
    line.quantity = 0
    line.save()
    with pytest.raises(Unmappable, match=rf"line {line.pk} \('Ceramic Teapot 1 L'\): quantity"):
        _mapped(order)
    order.status = ""
    order.save()
    with pytest.raises(Unmappable, match="no status"):
        _mapped(order)

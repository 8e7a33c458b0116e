"""Money as a real Medusa server computes it: tax-exclusive and tax-inclusive regions, and a
promotion, each mapped so that lines - discounts + shipping + tax come to Medusa's total."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stationmaster.domain import Order
from stationmaster.stores.medusa import MedusaStore
from stationmaster.testing.factories import _PRODUCTS, make_order
from tests.stores.medusa.shop import GST_RATE, PROMOTION, SHIPPING_PRICE, TAX_RATE, Shop

#: The first test also waits for the run's server: an install, migrations and a start.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(1200)]

CENT = Decimal("0.01")
PRICES = {product.sku: Decimal(product.price) for product in _PRODUCTS}


def net_sum(order: Order) -> Decimal:
    """Lines - discounts + shipping, without tax, + the order's tax."""
    inclusive = order.prices_include_tax
    lines = sum(
        (line.unit_price * line.quantity - (line.tax if inclusive else 0) for line in order.lines),
        Decimal(0),
    )
    discounts = sum((d.amount - d.tax for d in order.discounts), Decimal(0))
    shipping = order.shipping_amount - (order.shipping_tax if inclusive else 0)
    return lines - discounts + shipping + order.tax_amount


def taxed_order() -> Order:
    """An order of several lines to the US, where the first region charges tax."""
    return next(
        order
        for order in (make_order(n, seed=31) for n in range(100))
        if order.shipping and order.shipping.country == "US" and len(order.lines) >= 2
    )


async def placed(shop: Shop, medusa: MedusaStore, **how: object) -> Order:
    order = taxed_order()
    source_id = await shop.place(order, **how)  # type: ignore[arg-type]
    return (await medusa.orders_by_id([source_id]))[source_id]


async def test_a_tax_exclusive_region_maps_net_prices_and_medusas_tax(
    medusa: MedusaStore, shop: Shop
) -> None:
    order = await placed(shop, medusa)
    assert order.prices_include_tax is False
    assert all(line.unit_price == PRICES[line.sku or ""] for line in order.lines)
    rate = Decimal(TAX_RATE) / 100
    assert order.tax_amount > 0
    for line in order.lines:
        assert line.tax == (line.unit_price * line.quantity * rate).quantize(CENT)
    assert order.shipping_amount == Decimal(str(SHIPPING_PRICE))
    assert net_sum(order) == order.total


async def test_a_tax_inclusive_region_maps_the_prices_the_merchant_entered(
    medusa: MedusaStore, shop: Shop
) -> None:
    order = await placed(shop, medusa, inclusive=True)
    assert order.prices_include_tax is True
    assert order.shipping is not None and order.shipping.country == "NZ"
    divisor = 1 + Decimal(GST_RATE) / 100
    for line in order.lines:
        gross = line.unit_price * line.quantity
        assert line.unit_price == PRICES[line.sku or ""]
        assert abs(line.tax - (gross - gross / divisor)) <= CENT / 2
    assert order.shipping_amount == Decimal(str(SHIPPING_PRICE))
    assert abs(net_sum(order) - order.total) <= CENT * (len(order.lines) + 1)


async def test_a_promotion_is_a_discount_on_the_lines_it_was_spread_over(
    medusa: MedusaStore, shop: Shop
) -> None:
    order = await placed(shop, medusa, promotion=PROMOTION)
    assert order.discounts and {d.code for d in order.discounts} == {PROMOTION}
    assert all(d.line_id in {line.line_id for line in order.lines} for d in order.discounts)
    assert sum(d.amount for d in order.discounts) == Decimal(5)
    assert abs(net_sum(order) - order.total) <= CENT * len(order.discounts)

"""Orders placed in the test shop through Oscar's checkout path, from canonical orders.

A canonical order (``make_order``) becomes a basket of products (created per SKU on first
sight, with a stock record and a weight attribute), a shipping address, a fixed-price
shipping method and ``OrderCreator.place_order``, as Oscar's checkout does. Oscar then
computes its own prices: with the shop's default strategy there is no tax, and no offer
applies unless a test applies one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stationmaster import domain

WAREHOUSE = "Main warehouse"


def _model(app: str, name: str) -> Any:
    from oscar.core.loading import get_model

    return get_model(app, name)._default_manager


def _class(module: str, name: str) -> Any:
    from oscar.core.loading import get_class

    return get_class(module, name)


def product_for(line: domain.Line) -> Any:
    """The shop's product with ``line``'s SKU, created on first sight."""
    records = _model("partner", "StockRecord")
    known = records.filter(partner_sku=line.sku).select_related("product").first()
    if known is not None:
        return known.product
    from oscar.test.factories import create_product

    goods, _ = _model("catalogue", "ProductClass").get_or_create(name="Goods")
    goods.attributes.get_or_create(code="weight", defaults={"name": "weight", "type": "float"})
    weight = float(line.weight.in_grams() / 1000) if line.weight is not None else None
    return create_product(
        title=line.name,
        product_class="Goods",
        partner_name=WAREHOUSE,
        partner_sku=line.sku,
        price=line.unit_price,
        num_in_stock=1_000_000,
        attributes={"weight": weight} if weight is not None else None,
    )


def _country(code: str | None) -> Any:
    country, _ = _model("address", "Country").get_or_create(
        iso_3166_1_a2=code or "US",
        defaults={"name": code, "printable_name": code, "is_shipping_country": True},
    )
    return country


def _address_fields(address: domain.Address) -> dict[str, object]:
    first, _, last = (address.name or "").partition(" ")
    return {
        "first_name": first,
        "last_name": last,
        "line1": address.street1 or "",
        "line2": address.street2 or "",
        "line3": address.street3 or "",
        "line4": address.city or "",
        "state": address.state or "",
        "postcode": address.postal_code or "",
        "country": _country(address.country),
    }


def place(order: domain.Order, *, strategy: Any = None, offers: bool = False) -> Any:
    """Place ``order`` in the shop; the Oscar order. ``offers`` applies the site's offers."""
    from oscar.apps.partner.strategy import Default

    basket = _model("basket", "Basket").create()
    basket.strategy = strategy or Default()
    for line in order.lines:
        if not line.adjustment:
            basket.add_product(product_for(line), quantity=line.quantity)
    if offers:
        _class("offer.applicator", "Applicator")().apply(basket)
    shipping = None
    if order.shipping is not None:
        shipping = _model("order", "ShippingAddress").create(
            **_address_fields(order.shipping),
            phone_number=order.shipping.phone or "",
            notes=order.customer_notes or "",
        )
    billing = None
    if order.billing is not None:
        billing = _model("order", "BillingAddress").create(**_address_fields(order.billing))
    method = _class("shipping.methods", "FixedPrice")(order.shipping_amount, order.shipping_amount)
    method.code, method.name = "fixed", order.requested_service or "Standard"
    charge = method.calculate(basket)
    total = _class("checkout.calculators", "OrderTotalCalculator")().calculate(basket, charge)
    placed = _class("order.utils", "OrderCreator")().place_order(
        basket=basket,
        total=total,
        shipping_method=method,
        shipping_charge=charge,
        shipping_address=shipping,
        billing_address=billing,
        order_number=order.number,
        guest_email=order.customer_email or "",
        date_placed=order.created_at,
    )
    basket.submit()
    return placed


class Shop:
    """The test shop as the conformance kit's seed sees it: place, update, break orders."""

    def __init__(self) -> None:
        self.placed: set[str] = set()

    def seed(self, orders: Sequence[domain.Order]) -> list[str]:
        ids = []
        for order in orders:
            if order.source_id in self.placed:
                self.note(order.source_id, order.internal_notes or "updated")
                ids.append(order.source_id)
                continue
            source_id = str(place(order).pk)
            self.placed.add(source_id)
            ids.append(source_id)
        return ids

    @staticmethod
    def note(source_id: str, message: str) -> None:
        order = _model("order", "Order").get(pk=int(source_id))
        order.notes.create(message=message, note_type="Info")

    @staticmethod
    def break_order(source_id: str) -> None:
        """Take the first line's SKU and product away, as a product deletion can."""
        line = _model("order", "Line").filter(order_id=int(source_id)).order_by("pk").first()
        line.product = None
        line.partner_sku = ""
        line.save()

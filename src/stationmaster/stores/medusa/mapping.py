"""Medusa v2's orders as canonical :class:`~stationmaster.domain.Order` objects.

Medusa v2 keeps money as decimal amounts in major units (``39.5`` is 39.50 in the order's
currency, unlike v1's integer cents): a whole amount is a JSON number, one with a fraction is
often decimal text (``"59.345"``). It computes taxes, discounts and so totals to fractions of a
cent, so every amount is rounded here to the currency's minor unit, half up, as its Stripe
provider rounds an amount when it charges it (a total of 59.345 is charged as 59.35).

Whether a price includes tax is a flag on each line item and shipping method
(``is_tax_inclusive``, from the region's price preference); the mapped order follows it, so
its prices are the ones the merchant entered: tax-inclusive when every priced line is,
tax-exclusive when none is. An order mixing both has no single convention and is reported.

Lines carry their undiscounted price and the tax on it (``original_tax_total``); each line's
and each shipping method's promotions are one :class:`~stationmaster.domain.Discount` (tax-free
amounts on a tax-exclusive order, with their tax part on a tax-inclusive one); shipping is the
undiscounted shipping price. Tax and total are Medusa's own ``tax_total`` and ``total``, so
lines + shipping - discounts + tax comes to the total.

Anything that does not fit (a value of the wrong type, a negative price on a product line) is
an :class:`UnmappableOrder` naming the field, so the feed can report that order and go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from stationmaster.domain import Order, minor_units
from stationmaster.stores.reading import JsonReader, validated_order


class UnmappableOrder(ValueError):
    """A Medusa order that cannot become a canonical order; the message says why."""


def map_order(raw: Mapping[str, Any]) -> Order:
    """The canonical order for one order as the connector's ``fields`` select it."""
    return validated_order(lambda: _document(raw, _Reader(raw)), _label(raw), UnmappableOrder)


def order_number(raw: Mapping[str, Any]) -> str | None:
    """The number people know the order by (``display_id``), if it has a usable one."""
    number = raw.get("display_id")
    if isinstance(number, bool) or not isinstance(number, int | str):
        return None
    return str(number) or None


def _label(raw: Mapping[str, Any]) -> str:
    number = order_number(raw)
    return f"#{number}" if number else repr(raw.get("id"))


class _Reader(JsonReader):
    """Typed reads of the raw JSON, with Medusa's amounts in the order's currency."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        super().__init__(UnmappableOrder)
        self.currency = self.text(raw.get("currency_code"), "currency_code").upper()
        self.minor_unit = Decimal(1).scaleb(-minor_units(self.currency))

    def money(self, value: object, where: str) -> Decimal:
        """An amount in major units (a JSON number, or the decimal text Medusa sends for
        amounts with a fraction), rounded half up to the currency's minor unit."""
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise UnmappableOrder(f"{where} is {value!r}, not an amount")
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise UnmappableOrder(f"{where} is {value!r}, not a finite amount")
        return amount.quantize(self.minor_unit, rounding=ROUND_HALF_UP)

    def optional_money(self, value: object, where: str) -> Decimal:
        return Decimal(0) if value is None else self.money(value, where)

    @staticmethod
    def count(value: object, where: str) -> int:
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UnmappableOrder(f"{where} is {value!r}, not a whole number")
        return value


def _document(raw: Mapping[str, Any], read: _Reader) -> dict[str, object]:
    items = read.items(raw.get("items"), "items")
    methods = read.items(raw.get("shipping_methods"), "shipping_methods")
    inclusive = _inclusive(items, methods)
    shipping = read.obj(raw.get("shipping_address"), "shipping_address")
    payments = _payments(raw, read)
    captured = [p for p in payments if p.get("captured_at") is not None]
    return {
        "source_id": read.text(raw.get("id"), "id"),
        "number": order_number(raw),
        "status": read.text(raw.get("status"), "status"),
        "currency": read.currency,
        "created_at": read.instant(raw.get("created_at"), "created_at"),
        "updated_at": read.instant(raw.get("updated_at"), "updated_at"),
        "paid_at": min(
            (read.instant(p.get("captured_at"), "payments.captured_at") for p in captured),
            default=None,
        ),
        "customer_email": read.optional_text(raw.get("email"), "email"),
        "customer_name": _customer_name(raw, shipping, read),
        "shipping": _address(shipping, read),
        "billing": _address(read.obj(raw.get("billing_address"), "billing_address"), read),
        "lines": _lines(items, read),
        "discounts": _discounts(items, "items", inclusive, read, per_line=True)
        + _discounts(methods, "shipping_methods", inclusive, read, per_line=False),
        **_shipping(methods, inclusive, read),
        "tax_amount": read.money(raw.get("tax_total"), "tax_total"),
        "total": read.money(raw.get("total"), "total"),
        "amount_paid": sum(
            (read.money(p.get("amount"), "payments.amount") for p in captured), Decimal(0)
        ),
        "prices_include_tax": inclusive,
        "payment_method": read.optional_text(
            payments[0].get("provider_id") if payments else None, "payments.provider_id"
        ),
        "requested_service": read.optional_text(
            methods[0].get("name") if methods else None, "shipping_methods.0.name"
        ),
    }


def _inclusive(items: list[Mapping[str, Any]], methods: list[Mapping[str, Any]]) -> bool:
    """Whether the order's prices include tax; mixed conventions cannot be one order."""
    flags = {bool(row.get("is_tax_inclusive")) for row in [*items, *methods]}
    if len(flags) > 1:
        raise UnmappableOrder(
            "some prices include tax and others do not (is_tax_inclusive differs between "
            "line items and shipping methods): check the region's price preferences"
        )
    return flags == {True}


def _payments(raw: Mapping[str, Any], read: _Reader) -> list[Mapping[str, Any]]:
    collections = read.items(raw.get("payment_collections"), "payment_collections")
    return [
        payment
        for index, collection in enumerate(collections)
        for payment in read.items(collection.get("payments"), f"payment_collections.{index}")
    ]


def _customer_name(
    raw: Mapping[str, Any], shipping: Mapping[str, Any] | None, read: _Reader
) -> str | None:
    for source, where in ((raw.get("customer"), "customer"), (shipping, "shipping_address")):
        found = read.obj(source, where) or {}
        name = _full_name(found, where, read)
        if name:
            return name
    return None


def _full_name(raw: Mapping[str, Any], where: str, read: _Reader) -> str:
    names = [
        read.optional_text(raw.get(key), f"{where}.{key}") or ""
        for key in ("first_name", "last_name")
    ]
    return " ".join(name.strip() for name in names if name.strip())


def _address(raw: Mapping[str, Any] | None, read: _Reader) -> dict[str, object] | None:
    if raw is None:
        return None
    fields = {
        "company": "company",
        "street1": "address_1",
        "street2": "address_2",
        "city": "city",
        "state": "province",
        "postal_code": "postal_code",
        "country": "country_code",
        "phone": "phone",
    }
    address = read.optional_texts(raw, fields)
    address["name"] = _full_name(raw, "address", read) or None
    return address if any(value is not None for value in address.values()) else None


def _lines(items: list[Mapping[str, Any]], read: _Reader) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for index, item in enumerate(items):
        where = f"items.{index}"
        quantity = read.count(item.get("quantity"), f"{where}.quantity")
        if quantity == 0:
            continue  # a line removed after the order was placed
        lines.append(
            {
                "line_id": read.text(item.get("id"), f"{where}.id"),
                "sku": read.optional_text(item.get("variant_sku"), f"{where}.variant_sku"),
                "name": read.text(item.get("title"), f"{where}.title"),
                "quantity": quantity,
                "unit_price": read.money(item.get("unit_price"), f"{where}.unit_price"),
                "tax": read.optional_money(
                    item.get("original_tax_total"), f"{where}.original_tax_total"
                ),
                "options": _options(item.get("variant_option_values"), where, read),
                "image_url": read.optional_text(item.get("thumbnail"), f"{where}.thumbnail"),
                "product_id": read.optional_text(item.get("product_id"), f"{where}.product_id"),
            }
        )
    return lines


def _options(value: object, where: str, read: _Reader) -> list[dict[str, str]]:
    """The variant's options (``{"Size": "L"}``) as name and value pairs."""
    options = read.obj(value, f"{where}.variant_option_values") or {}
    return [
        {"name": name, "value": read.text(chosen, f"{where}.variant_option_values.{name}")}
        for name, chosen in options.items()
    ]


def _discounts(
    rows: list[Mapping[str, Any]], field: str, inclusive: bool, read: _Reader, *, per_line: bool
) -> list[dict[str, object]]:
    """One discount per discounted item or shipping method, named by its promotion codes."""
    discounts: list[dict[str, object]] = []
    for index, row in enumerate(rows):
        where = f"{field}.{index}"
        net = read.optional_money(row.get("discount_subtotal"), f"{where}.discount_subtotal")
        tax = read.optional_money(row.get("discount_tax_total"), f"{where}.discount_tax_total")
        amount = net + tax if inclusive else net
        if amount <= 0:
            continue
        adjustments = read.items(row.get("adjustments"), f"{where}.adjustments")
        codes = [
            read.optional_text(adjustment.get("code"), f"{where}.adjustments.code")
            for adjustment in adjustments
        ]
        named = list(dict.fromkeys(code for code in codes if code))
        discount: dict[str, object] = {
            "code": "+".join(named) or ("discount" if per_line else "shipping discount"),
            "amount": amount,
            "tax": tax if inclusive else Decimal(0),
        }
        if per_line:
            discount["line_id"] = read.text(row.get("id"), f"{where}.id")
        discounts.append(discount)
    return discounts


def _shipping(
    methods: list[Mapping[str, Any]], inclusive: bool, read: _Reader
) -> dict[str, Decimal]:
    """The undiscounted shipping price (with tax when the order's prices include it) and the
    tax in it; a shipping discount's tax is in that discount."""
    price_field = "original_total" if inclusive else "subtotal"
    amount = tax = Decimal(0)
    for index, method in enumerate(methods):
        where = f"shipping_methods.{index}"
        amount += read.money(method.get(price_field), f"{where}.{price_field}")
        tax += read.optional_money(method.get("original_tax_total"), f"{where}.original_tax_total")
    return {"shipping_amount": amount, "shipping_tax": tax}

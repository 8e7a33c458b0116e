"""Vendure's orders as canonical :class:`~stationmaster.domain.Order` objects.

Vendure keeps money as integers in minor units and every price twice, without and with tax;
which of the two the merchant typed in is the channel's ``pricesIncludeTax``. The mapped
order follows the channel, so its prices are the ones the merchant entered, exact, and the
tax is the difference Vendure itself computed. Lines are the undiscounted prices; every
discount Vendure applied (to lines, the order or shipping) is one :class:`Discount`; shipping
is the shipping lines' undiscounted price. The total is Vendure's ``totalWithTax``.

Anything that does not fit (a value of the wrong type, a negative price on a product line) is
an :class:`UnmappableOrder` naming the field, so the feed can report that order and go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stationmaster.domain import Order
from stationmaster.stores.reading import JsonReader, validated_order


class UnmappableOrder(ValueError):
    """A Vendure order that cannot become a canonical order; the message says why."""


def map_order(raw: Mapping[str, Any], *, prices_include_tax: bool, decimals: int) -> Order:
    """The canonical order for one order of the ``StationmasterOrder`` fragment."""
    read = _Reader(decimals)
    return validated_order(
        lambda: _document(raw, prices_include_tax, read), _label(raw), UnmappableOrder
    )


def _label(raw: Mapping[str, Any]) -> str:
    code = raw.get("code")
    return repr(code) if isinstance(code, str) else repr(raw.get("id"))


class _Reader(JsonReader):
    """Typed reads of the raw JSON, with Vendure's amounts in minor units."""

    def __init__(self, decimals: int) -> None:
        super().__init__(UnmappableOrder)
        self.decimals = decimals

    def money(self, value: object, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UnmappableOrder(f"{where} is {value!r}, not an amount in minor units")
        return Decimal(value).scaleb(-self.decimals)


def _document(raw: Mapping[str, Any], inclusive: bool, read: _Reader) -> dict[str, object]:
    created = read.instant(raw.get("orderPlacedAt") or raw.get("createdAt"), "orderPlacedAt")
    customer = read.obj(raw.get("customer"), "customer") or {}
    names = [
        read.optional_text(customer.get(key), f"customer.{key}") or ""
        for key in ("firstName", "lastName")
    ]
    total = read.money(raw.get("totalWithTax"), "totalWithTax")
    payments = read.items(raw.get("payments"), "payments")
    settled = [p for p in payments if p.get("state") == "Settled"]
    shipping_lines = read.items(raw.get("shippingLines"), "shippingLines")
    return {
        "source_id": read.text(raw.get("id"), "id"),
        "number": read.text(raw.get("code"), "code"),
        "status": read.text(raw.get("state"), "state"),
        "currency": read.text(raw.get("currencyCode"), "currencyCode"),
        "created_at": created,
        "updated_at": read.instant(raw.get("updatedAt"), "updatedAt"),
        "paid_at": min(
            (read.instant(p.get("createdAt"), "payments.createdAt") for p in settled),
            default=None,
        ),
        "customer_email": read.optional_text(customer.get("emailAddress"), "customer.email"),
        "customer_name": " ".join(name for name in names if name) or None,
        "shipping": _address(read.obj(raw.get("shippingAddress"), "shippingAddress"), read),
        "billing": _address(read.obj(raw.get("billingAddress"), "billingAddress"), read),
        "lines": _lines(raw, inclusive, read),
        "discounts": _discounts(raw, inclusive, read),
        **_shipping(shipping_lines, inclusive, read),
        "tax_amount": total - read.money(raw.get("total"), "total"),
        "total": total,
        "amount_paid": sum(
            (read.money(p.get("amount"), "payments.amount") for p in settled), Decimal(0)
        ),
        "prices_include_tax": inclusive,
        "payment_method": read.optional_text(
            payments[0].get("method") if payments else None, "payments.method"
        ),
        "requested_service": _service(shipping_lines, read),
    }


def _address(raw: Mapping[str, Any] | None, read: _Reader) -> dict[str, object] | None:
    if raw is None:
        return None
    fields = {
        "name": "fullName",
        "company": "company",
        "street1": "streetLine1",
        "street2": "streetLine2",
        "city": "city",
        "state": "province",
        "postal_code": "postalCode",
        "country": "countryCode",
        "phone": "phoneNumber",
    }
    address = read.optional_texts(raw, fields)
    return address if any(value is not None for value in address.values()) else None


def _lines(raw: Mapping[str, Any], inclusive: bool, read: _Reader) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for index, line in enumerate(read.items(raw.get("lines"), "lines")):
        where = f"lines.{index}"
        quantity = line.get("quantity")
        if quantity == 0:
            continue  # a line cancelled or removed after the order was placed
        variant = read.obj(line.get("productVariant"), f"{where}.productVariant")
        if variant is None:
            raise UnmappableOrder(f"{where} has no product variant")
        price_key = "unitPriceWithTax" if inclusive else "unitPrice"
        gross = read.money(line.get("linePriceWithTax"), f"{where}.linePriceWithTax")
        net = read.money(line.get("linePrice"), f"{where}.linePrice")
        asset = read.obj(line.get("featuredAsset"), f"{where}.featuredAsset") or {}
        options = [
            {
                "name": read.text(
                    (read.obj(option.get("group"), "group") or {}).get("name"), "group"
                ),
                "value": read.text(option.get("name"), f"{where}.option"),
            }
            for option in read.items(variant.get("options"), f"{where}.options")
        ]
        lines.append(
            {
                "line_id": read.text(line.get("id"), f"{where}.id"),
                "sku": read.optional_text(variant.get("sku"), f"{where}.sku"),
                "name": read.text(variant.get("name"), f"{where}.name"),
                "quantity": quantity,
                "unit_price": read.money(line.get(price_key), f"{where}.{price_key}"),
                "tax": gross - net,
                "options": options,
                "image_url": read.optional_text(asset.get("preview"), f"{where}.preview"),
                "product_id": read.optional_text(variant.get("productId"), f"{where}.productId"),
            }
        )
    return lines


def _discounts(raw: Mapping[str, Any], inclusive: bool, read: _Reader) -> list[dict[str, object]]:
    """Vendure's discounts are negative adjustments; ours are positive reductions."""
    discounts: list[dict[str, object]] = []
    for index, discount in enumerate(read.items(raw.get("discounts"), "discounts")):
        where = f"discounts.{index}"
        net = -read.money(discount.get("amount"), f"{where}.amount")
        gross = -read.money(discount.get("amountWithTax"), f"{where}.amountWithTax")
        amount = gross if inclusive else net
        if amount == 0:
            continue
        discounts.append(
            {
                "code": read.text(discount.get("description"), f"{where}.description"),
                "amount": amount,
                "tax": gross - net if inclusive else Decimal(0),
            }
        )
    return discounts


def _shipping(lines: list[Mapping[str, Any]], inclusive: bool, read: _Reader) -> dict[str, Decimal]:
    amount = tax = Decimal(0)
    for index, line in enumerate(lines):
        where = f"shippingLines.{index}"
        price = read.money(line.get("price"), f"{where}.price")
        with_tax = read.money(line.get("priceWithTax"), f"{where}.priceWithTax")
        charged = read.money(line.get("discountedPrice"), f"{where}.discountedPrice")
        charged_with_tax = read.money(
            line.get("discountedPriceWithTax"), f"{where}.discountedPriceWithTax"
        )
        amount += with_tax if inclusive else price
        tax += charged_with_tax - charged
    return {"shipping_amount": amount, "shipping_tax": tax}


def _service(lines: list[Mapping[str, Any]], read: _Reader) -> str | None:
    for line in lines:
        method = read.obj(line.get("shippingMethod"), "shippingLines.shippingMethod")
        if method is not None:
            return read.optional_text(method.get("name"), "shippingMethod.name")
    return None

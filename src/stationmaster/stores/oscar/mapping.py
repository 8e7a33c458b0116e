"""An Oscar order as stationmaster's canonical :class:`~stationmaster.domain.Order`.

Oscar keeps every amount twice, with and without tax, so either way of showing prices is
exact; ``prices_include_tax`` (a shop setting) picks the one the shop's customers saw: ``True``
for catalogues priced with tax (UK-style strategies), ``False`` for tax added at checkout
(US-style). Either way the order adds up to Oscar's total: lines before discounts, less the
discounts, plus shipping and surcharges (and tax, when prices exclude it).

Discounts come from the lines themselves (each line's price before and after discounts), so
they are exact whatever the offer; Oscar's ``OrderLineDiscount`` rows only say which offer or
voucher each part belongs to. A shipping discount is reported as a discount of its own, on
top of the shipping charge Oscar kept after it. Surcharges become adjustment lines.

An order that cannot be expressed (a line with neither SKU nor product, no status, amounts
the canonical model refuses) raises :class:`Unmappable` with the reason, and the feed
reports it instead of stopping.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from pydantic import ValidationError

from stationmaster.domain import (
    Address,
    Discount,
    Line,
    LineOption,
    Order,
    Weight,
    WeightUnit,
    round_to_minor,
)

_ZERO = Decimal(0)
#: Weights are kept to a millionth of their unit (a float attribute carries more digits).
_WEIGHT_STEP = Decimal("0.000001")


class Unmappable(Exception):
    """An Oscar order the canonical model cannot hold; ``reason`` says why, for the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MappingOptions:
    """How a shop's orders read: its tax convention and where product weights are."""

    prices_include_tax: bool = False
    weight_attribute: str | None = "weight"
    weight_unit: WeightUnit = "kg"


def details(orders: Any, options: MappingOptions) -> Any:
    """``orders`` (a queryset) with everything :func:`map_order` reads, in a few queries."""
    related = [
        "lines__attributes__option",
        "lines__discounts__order_discount",
        "discounts",
        "surcharges",
        "sources__source_type",
    ]
    if options.weight_attribute:
        related.append("lines__product__attribute_values__attribute")
    return orders.select_related(
        "shipping_address__country", "billing_address__country", "user"
    ).prefetch_related(*related)


def aware(moment: datetime) -> datetime:
    """``moment`` with a zone: a shop with ``USE_TZ = False`` stores its local wall time."""
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def map_order(order: Any, last_change: datetime | None, options: MappingOptions) -> Order:
    """The canonical order for Oscar ``order``; :class:`Unmappable` naming what is wrong."""
    if not (order.status or "").strip():
        raise Unmappable("the order has no status (set OSCAR_INITIAL_ORDER_STATUS in the shop)")
    try:
        return _build(order, last_change, options)
    except ValidationError as exc:
        raise Unmappable(f"the order does not fit the canonical order: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"
        for error in exc.errors()
    )


def _build(order: Any, last_change: datetime | None, options: MappingOptions) -> Order:
    incl = options.prices_include_tax
    lines = list(order.lines.all())
    shipping_discounts = [
        Discount(code=_code(discount), amount=discount.amount)
        for discount in order.discounts.all()
        if discount.category == "Shipping" and discount.amount > 0
    ]
    shipping = (order.shipping_incl_tax if incl else order.shipping_excl_tax) + sum(
        (discount.amount for discount in shipping_discounts), _ZERO
    )
    created = aware(order.date_placed)
    updated = max(created, aware(last_change)) if last_change is not None else created
    shipping_address, billing_address = order.shipping_address, order.billing_address
    user = order.user
    sources = list(order.sources.all())
    return Order(
        source_id=str(order.pk),
        number=order.number,
        status=order.status,
        currency=order.currency,
        created_at=created,
        updated_at=updated,
        customer_email=order.email or None,
        customer_username=user.get_username() if user is not None else None,
        customer_name=_customer_name(user, shipping_address, billing_address),
        billing=_address(billing_address),
        shipping=_address(shipping_address),
        lines=[_line(line, options) for line in lines]
        + [_surcharge(charge, incl) for charge in order.surcharges.all()],
        discounts=_line_discounts(lines, order.currency, incl) + shipping_discounts,
        shipping_amount=shipping,
        shipping_tax=order.shipping_incl_tax - order.shipping_excl_tax,
        tax_amount=order.total_incl_tax - order.total_excl_tax,
        total=order.total_incl_tax,
        amount_paid=_paid(sources),
        prices_include_tax=incl,
        customer_notes=getattr(shipping_address, "notes", None),
        payment_method=", ".join(dict.fromkeys(s.source_type.name for s in sources)) or None,
        requested_service=order.shipping_method or None,
        custom={"shipping_code": order.shipping_code} if order.shipping_code else {},
        warehouse=_single({line.partner_name for line in lines}),
    )


def _line(line: Any, options: MappingOptions) -> Line:
    try:
        return _product_line(line, options)
    except ValidationError as exc:
        raise Unmappable(f"line {line.pk} ({line.title!r}): {_problems(exc)}") from None


def _product_line(line: Any, options: MappingOptions) -> Line:
    sku = (line.partner_sku or "").strip()
    if not sku and line.product_id is None:
        raise Unmappable(
            f"line {line.pk} ({line.title!r}) has no SKU and no product: nothing a warehouse "
            "could pick"
        )
    incl = options.prices_include_tax
    before = (
        line.line_price_before_discounts_incl_tax
        if incl
        else line.line_price_before_discounts_excl_tax
    )
    unit = line.unit_price_incl_tax if incl else line.unit_price_excl_tax
    if unit is None and line.quantity:
        unit = before / line.quantity
    if incl:
        tax = line.line_price_before_discounts_incl_tax - line.line_price_before_discounts_excl_tax
    else:
        tax = line.line_price_incl_tax - line.line_price_excl_tax
    return Line(
        line_id=str(line.pk),
        sku=sku or None,
        name=line.title,
        quantity=line.quantity,
        unit_price=unit,
        tax=tax,
        weight=_weight(line, options),
        options=[
            LineOption(name=attribute.option.name, value=_option_value(attribute.value))
            for attribute in line.attributes.all()
        ],
        product_id=str(line.product_id) if line.product_id is not None else None,
        upc=line.upc,
    )


def _option_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _weight(line: Any, options: MappingOptions) -> Weight | None:
    """The unit weight from the product attribute; one that is not a sane number is left out
    (a weight is a help for ShipStation, never a reason to hold an order back)."""
    if not options.weight_attribute or line.product is None:
        return None
    for value in line.product.attribute_values.all():
        if value.attribute.code != options.weight_attribute:
            continue
        try:
            amount = Decimal(str(value.value)).quantize(_WEIGHT_STEP)
        except ArithmeticError:
            return None
        if not amount.is_finite() or amount < 0 or len(amount.as_tuple().digits) > 15:
            return None
        return Weight(value=amount, unit=options.weight_unit)
    return None


def _surcharge(charge: Any, incl: bool) -> Line:
    return Line(
        line_id=f"surcharge-{charge.pk}",
        name=charge.name or charge.code,
        quantity=1,
        unit_price=charge.incl_tax if incl else charge.excl_tax,
        tax=charge.incl_tax - charge.excl_tax,
        adjustment=True,
    )


def _code(discount: Any) -> str:
    described: str = discount.description()
    return described or (f"offer-{discount.offer_id}" if discount.offer_id else "discount")


def _line_discounts(lines: list[Any], currency: str, incl: bool) -> list[Discount]:
    """Each offer's share of the lines' reductions, exact in total (see the module)."""
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    taxes: dict[str, Decimal] = defaultdict(Decimal)
    touched: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        excl = line.line_price_before_discounts_excl_tax - line.line_price_excl_tax
        gross = line.line_price_before_discounts_incl_tax - line.line_price_incl_tax
        reduction = gross if incl else excl
        if reduction <= 0:
            continue
        weights: dict[str, Decimal] = defaultdict(Decimal)
        for part in line.discounts.all():
            weights[_code(part.order_discount)] += part.amount
        if not weights or sum(weights.values()) <= 0:
            weights = {"discount": Decimal(1)}
        for code, share in _split(reduction, weights, currency).items():
            amounts[code] += share
            touched[code].add(str(line.pk))
        if incl:
            for code, share in _split(gross - excl, weights, currency).items():
                taxes[code] += share
    return [
        Discount(
            code=code,
            amount=amount,
            tax=taxes[code],
            line_id=next(iter(touched[code])) if len(touched[code]) == 1 else None,
        )
        for code, amount in amounts.items()
        if amount > 0
    ]


def _split(total: Decimal, weights: dict[str, Decimal], currency: str) -> dict[str, Decimal]:
    """``total`` shared by ``weights``, rounded to the currency; the last share takes the rest."""
    whole = sum(weights.values())
    shares: dict[str, Decimal] = {}
    left = total
    codes = list(weights)
    for code in codes[:-1]:
        share = round_to_minor(total * weights[code] / whole, currency)
        shares[code] = share
        left -= share
    shares[codes[-1]] = left
    return shares


def _paid(sources: list[Any]) -> Decimal | None:
    if not sources:
        return None
    paid = sum((s.amount_debited - s.amount_refunded for s in sources), _ZERO)
    return max(paid, _ZERO)


def _address(address: Any) -> Address | None:
    if address is None:
        return None
    phone = getattr(address, "phone_number", None)
    return Address(
        name=address.name or address.salutation or None,
        street1=address.line1,
        street2=address.line2,
        street3=address.line3,
        city=address.line4,
        state=address.state,
        postal_code=address.postcode,
        country=address.country_id,
        phone=str(phone) if phone else None,
    )


def _customer_name(user: Any, *addresses: Any) -> str | None:
    if user is not None and user.get_full_name().strip():
        full: str = user.get_full_name()
        return full
    for address in addresses:
        if address is not None and address.name:
            name: str = address.name
            return name
    return None


def _single(values: set[str]) -> str | None:
    named = {value for value in values if value}
    return named.pop() if len(named) == 1 else None

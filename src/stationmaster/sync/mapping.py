"""Canonical order -> ShipStation order under the sync rules, with every problem named.

``map_order`` is pure: the same order, rules, source and ``now`` give the same result. It
never raises for bad order data and never returns half an order: every problem it finds is
a ``Problem`` (an ``error`` blocks the order, a ``warning`` records a repair or a doubt), and
any error leaves ``payload`` as ``None``. ``fingerprint`` hashes a payload so that the push
loop sends only orders whose payload changed.

Keys: ``orderKey`` is ``"<source>:<source_id>"`` and ``lineItemKey`` is the line id, both
bounded to 50 characters (see ``order_key``). They are how ShipStation matches an order and
its lines on update, so their scheme must never change once orders have been pushed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

from pydantic import JsonValue

from stationmaster import domain
from stationmaster.shipstation import models as ss
from stationmaster.sync.rules import Rules, SendableStatus, is_iso_country, render_template

Severity = Literal["error", "warning"]
Action = Literal["upsert", "delete"]

KEY_MAX_LENGTH: Final = 50
"""ShipStation's documented limit for order numbers and line ids; used for keys as well."""

_DIGEST_CHARS: Final = 16
_HASHED_TAIL = re.compile(rf"~[0-9a-f]{{{_DIGEST_CHARS}}}\Z")
_SOURCE_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_INT32_DIGITS = re.compile(r"[0-9]{1,10}")
_WIRE_WEIGHT: Final[dict[domain.WeightUnit, tuple[str, Decimal]]] = {
    "g": ("grams", Decimal(1)),
    "kg": ("grams", Decimal(1000)),
    "oz": ("ounces", Decimal(1)),
    "lb": ("pounds", Decimal(1)),
}
_WEIGHT_STEP = Decimal("0.01")


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with (``error``) or was repaired in (``warning``) one field of an order.

    ``field`` is the canonical order's dotted path (``shipping.postal_code``,
    ``lines.0.quantity``), or a ShipStation field where no order field is to blame.
    """

    field: str
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class Mapped:
    """The outcome of mapping one order.

    ``action`` ``upsert``: send ``payload`` (``None`` when there is an error). ``delete``: the
    store deleted the order; delete it in ShipStation if it is there (no payload needed).
    ``eligible`` false: the rules hold the order back for ``skip_reason``; nothing is sent.
    """

    order_key: str
    payload: ss.Order | None
    problems: list[Problem]
    eligible: bool
    skip_reason: str | None = None
    action: Action = "upsert"
    status: SendableStatus | None = None
    """The ShipStation status the order maps to (``None`` for a delete)."""

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]


class _Problems:
    """Collects problems while an order is mapped."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, field: str, message: str) -> None:
        self.items.append(Problem(field, message, "error"))

    def warning(self, field: str, message: str) -> None:
        self.items.append(Problem(field, message, "warning"))

    @property
    def has_errors(self) -> bool:
        return any(problem.severity == "error" for problem in self.items)


# --- keys -------------------------------------------------------------------------------------


def _bounded(text: str) -> str:
    """``text`` if it fits in 50 characters, else its first 33 and ``~`` + 16 hex digits of
    its SHA-256. A 50-character text that already ends like a digest is hashed as well, so
    a hashed key can never equal a natural one."""
    if len(text) < KEY_MAX_LENGTH or (
        len(text) == KEY_MAX_LENGTH and not _HASHED_TAIL.search(text)
    ):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    return f"{text[: KEY_MAX_LENGTH - _DIGEST_CHARS - 1]}~{digest}"


def order_key(source: str, source_id: str) -> str:
    """The ``orderKey`` of a store order: ``"<source>:<source_id>"``.

    ``source`` is the connection's slug: 1-32 characters of ``a-z``, ``0-9``, ``.``, ``_``
    and ``-``, starting with a letter or digit (so the first ``:`` always ends it).
    ``source_id`` is the store's own id, any non-blank text. A key longer than 50 characters
    becomes its first 33 characters, ``~`` and 16 hex digits of the SHA-256 of the whole key:
    still stable, still starting with the source, and practically collision-free.
    ``ValueError`` for a bad slug or a blank id.
    """
    if not _SOURCE_SLUG.fullmatch(source):
        raise ValueError(
            f"source {source!r} is not a slug: use 1-32 of a-z, 0-9, '.', '_', '-', "
            "starting with a letter or digit"
        )
    if not source_id.strip():
        raise ValueError("source_id is blank: an order key needs the store's order id")
    return _bounded(f"{source}:{source_id}")


def line_item_key(line_id: str) -> str:
    """The ``lineItemKey`` of an order line: its line id, bounded like an order key.

    Shipments come back with this key; map it to a line by computing it for each line.
    """
    return _bounded(line_id)


# --- eligibility ------------------------------------------------------------------------------


def _skip_reason(
    order: domain.Order, status: SendableStatus, rules: Rules, now: datetime
) -> str | None:
    eligibility = rules.eligibility
    if eligibility.sync_start is not None and order.created_at < eligibility.sync_start:
        return (
            f"created {order.created_at.isoformat()}, before the sync start "
            f"{eligibility.sync_start.isoformat()}"
        )
    if order.deleted:
        return None
    if status not in eligibility.statuses:
        return f"status {order.status!r} maps to {status!r}, which is not a status that syncs"
    if eligibility.skip_on_hold and status == "on_hold":
        return f"on hold (store status {order.status!r}), and on-hold orders are skipped"
    window = eligibility.ship_window_days
    if window is not None and order.ship_by is not None:
        opens = order.ship_by - timedelta(days=window)
        if now < opens:
            return (
                f"ship-by {order.ship_by.isoformat()} is more than {window} days away; "
                f"the order syncs from {opens.isoformat()}"
            )
    return None


# --- text limits ------------------------------------------------------------------------------


def _cut(text: str | None, limit: int, where: str, problems: _Problems) -> str | None:
    """Free text over the limit, cut to it (by characters) with a warning."""
    if text is None or len(text) <= limit:
        return text
    problems.warning(where, f"{len(text)} characters, cut to the limit of {limit}")
    return text[:limit]


def _drop_if_long(text: str | None, limit: int, where: str, problems: _Problems) -> str | None:
    """A value that is useless cut short (an e-mail, a phone number): left out if too long."""
    if text is None or len(text) <= limit:
        return text
    problems.warning(where, f"{len(text)} characters, over the limit of {limit}: left out")
    return None


def _present(values: dict[str, object]) -> dict[str, Any]:
    """Only the given fields: what is absent is not sent (ShipStation clears it either way).

    The wire models are built from this with ``model_construct`` (whose ``**values`` pydantic
    types as ``Any``, hence the return type): every value is already of its field's type, and
    ``_build`` proves the finished payload serialises before anyone gets it.
    """
    return {name: value for name, value in values.items() if value is not None}


# --- money ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Money:
    """Turns order-currency amounts into account-currency amounts, and into USD for customs."""

    currency: str
    account_currency: str
    rate: Decimal
    usd_rate: Decimal | None

    @property
    def converted(self) -> bool:
        return self.currency != self.account_currency

    def account(self, amount: Decimal) -> Decimal:
        if not self.converted:
            return amount
        return domain.round_to_minor(amount * self.rate, self.account_currency)

    @property
    def can_declare_customs(self) -> bool:
        return self.currency == "USD" or self.usd_rate is not None

    def usd(self, amount: Decimal) -> Decimal | None:
        if self.currency == "USD":
            return amount
        if self.usd_rate is None:
            return None
        return domain.round_to_minor(amount * self.usd_rate, "USD")


def _money(order: domain.Order, rules: Rules, problems: _Problems) -> _Money:
    account = rules.money.account_currency
    rate = rules.money.rate(order.currency, account)
    if rate is None:
        problems.error(
            "currency",
            f"the order is in {order.currency} but the ShipStation account is in {account}, "
            f"and no {order.currency}/{account} rate is configured (money.rates): refused, "
            "ShipStation does no conversion",
        )
        rate = Decimal(1)
    return _Money(order.currency, account, rate, rules.money.rate(order.currency, "USD"))


def _net_unit_price(order: domain.Order, index: int, problems: _Problems) -> Decimal:
    """The line's unit price without tax, in the order's currency.

    A tax-inclusive price loses the line's tax, spread over its units and rounded to the
    currency's minor unit; when the units cannot carry it exactly, a warning says so.
    """
    line = order.lines[index]
    if not order.prices_include_tax or line.tax == 0:
        return line.unit_price
    net_line = line.gross - line.tax
    unit = domain.round_to_minor(net_line / line.quantity, order.currency)
    if unit * line.quantity != net_line:
        problems.warning(
            f"lines.{index}.unit_price",
            f"without tax the line comes to {net_line}, which {line.quantity} units cannot "
            f"split exactly: unit price {unit}, so the line shows {unit * line.quantity}",
        )
    return unit


# --- addresses --------------------------------------------------------------------------------


def _given(address: domain.Address | None) -> domain.Address | None:
    return None if address is None or address.is_empty else address


def _fall_back(
    order: domain.Order, rules: Rules, problems: _Problems
) -> tuple[domain.Address | None, domain.Address | None]:
    billing, shipping = _given(order.billing), _given(order.shipping)
    mode = rules.address.fallback
    if shipping is None and billing is not None and mode in ("billing_to_shipping", "both"):
        problems.warning("shipping", "no shipping address: the billing address is used")
        shipping = billing
    if billing is None and shipping is not None and mode in ("shipping_to_billing", "both"):
        problems.warning("billing", "no billing address: the shipping address is used")
        billing = shipping
    return billing, shipping


def _wire_address(
    address: domain.Address, name: str, where: str, rules: Rules, problems: _Problems
) -> ss.Address:
    limits = rules.limits
    return ss.Address.model_construct(
        **_present(
            {
                "name": _cut(name, limits.name, f"{where}.name", problems),
                "company": _cut(address.company, limits.company, f"{where}.company", problems),
                "street1": _cut(address.street1, limits.street, f"{where}.street1", problems),
                "street2": _cut(address.street2, limits.street, f"{where}.street2", problems),
                "street3": _cut(address.street3, limits.street, f"{where}.street3", problems),
                "city": _cut(address.city, limits.city, f"{where}.city", problems),
                "state": _cut(address.state, limits.state, f"{where}.state", problems),
                "postalCode": address.postal_code,
                "country": address.country,
                "phone": _drop_if_long(address.phone, limits.phone, f"{where}.phone", problems),
                "residential": address.residential,
            }
        )
    )


def _address_name(
    address: domain.Address, order: domain.Order, where: str, problems: _Problems
) -> str | None:
    if address.name is not None:
        return address.name
    if order.customer_name is not None:
        problems.warning(f"{where}.name", "no name on the address: the customer name is used")
        return order.customer_name
    problems.error(f"{where}.name", "missing, and the order has no customer name to use")
    return None


def _ship_to(
    shipping: domain.Address | None, order: domain.Order, rules: Rules, problems: _Problems
) -> ss.Address | None:
    if shipping is None:
        fallback = rules.address.fallback
        problems.error(
            "shipping",
            "no shipping address, and no billing address to use instead"
            if fallback in ("billing_to_shipping", "both")
            else f"no shipping address (address.fallback is {fallback!r})",
        )
        return None
    name = _address_name(shipping, order, "shipping", problems)
    for part in ("street1", "city"):
        if getattr(shipping, part) is None:
            problems.error(f"shipping.{part}", "missing: ShipStation needs it to ship")
    country = shipping.country
    if country is None:
        problems.error("shipping.country", "missing: an ISO 3166-1 alpha-2 code is required")
    elif not is_iso_country(country):
        problems.error(
            "shipping.country", f"{country!r} is not an ISO 3166-1 alpha-2 code (such as 'US')"
        )
    exempt = country in rules.address.postcode_optional_countries
    if shipping.postal_code is None and not exempt:
        problems.error(
            "shipping.postal_code", f"missing, and {country or 'the country'} has postcodes"
        )
    elif shipping.postal_code is not None and len(shipping.postal_code) > rules.limits.postal_code:
        problems.error(
            "shipping.postal_code",
            f"{len(shipping.postal_code)} characters, over the limit of {rules.limits.postal_code}",
        )
    state = shipping.state
    if country in rules.address.state_required_countries:
        if state is None:
            problems.error("shipping.state", f"missing: required for {country}")
        elif len(state) != 2 or not state.isascii() or not state.isalpha():
            problems.error(
                "shipping.state", f"{state!r}: {country} needs the two-letter state code"
            )
        else:
            shipping = shipping.model_copy(update={"state": state.upper()})
    return _wire_address(shipping, name or "", "shipping", rules, problems)


def _bill_to(
    billing: domain.Address | None, order: domain.Order, rules: Rules, problems: _Problems
) -> ss.Address | None:
    if billing is None:
        if order.customer_name is None:
            problems.error("billing", "no billing address, and no customer name to bill")
            return None
        billing = domain.Address(name=order.customer_name)
    name = _address_name(billing, order, "billing", problems)
    if billing.country is not None and not is_iso_country(billing.country):
        problems.error(
            "billing.country",
            f"{billing.country!r} is not an ISO 3166-1 alpha-2 code (such as 'US')",
        )
    return _wire_address(billing, name or "", "billing", rules, problems)


# --- lines ------------------------------------------------------------------------------------


def _wire_weight(weight: domain.Weight) -> ss.Weight:
    units, factor = _WIRE_WEIGHT[weight.unit]
    return ss.Weight(value=(weight.value * factor).normalize(), units=units)


def _order_weight(order: domain.Order) -> ss.Weight | None:
    """The parcel weight: the sum over product lines, when every one of them has a weight;
    in their common unit, or in grams when they differ."""
    products = [line for line in order.lines if not line.adjustment]
    weights = [line.weight for line in products]
    if not products or any(weight is None for weight in weights):
        return None
    known = [weight for weight in weights if weight is not None]
    units = {_WIRE_WEIGHT[weight.unit][0] for weight in known}
    if len(units) == 1:
        unit = units.pop()
        total = sum(
            (
                _WIRE_WEIGHT[w.unit][1] * w.value * line.quantity
                for line, w in zip(products, known, strict=True)
            ),
            Decimal(0),
        )
    else:
        unit = "grams"
        total = sum(
            (w.in_grams() * line.quantity for line, w in zip(products, known, strict=True)),
            Decimal(0),
        )
    return ss.Weight(value=total.quantize(_WEIGHT_STEP).normalize(), units=unit)


def _product_id(product_id: str | None) -> int | None:
    """ShipStation's ``productId`` is a 32-bit integer; other store ids are not sent."""
    if product_id is None or not _INT32_DIGITS.fullmatch(product_id):
        return None
    number = int(product_id)
    return number if number < 2**31 else None


def _items(
    order: domain.Order,
    net_units: list[Decimal],
    rules: Rules,
    money: _Money,
    problems: _Problems,
) -> list[ss.OrderItem]:
    limits = rules.limits
    items: list[ss.OrderItem] = []
    for index, line in enumerate(order.lines):
        where = f"lines.{index}"
        options = [
            ss.ItemOption(
                name=_cut(option.name, limits.option, f"{where}.options.{n}.name", problems),
                value=_cut(option.value, limits.option, f"{where}.options.{n}.value", problems),
            )
            for n, option in enumerate(line.options)
        ]
        sku = None if line.sku is None else rules.sku_map.get(line.sku, line.sku)
        items.append(
            ss.OrderItem.model_construct(
                **_present(
                    {
                        "lineItemKey": line_item_key(line.line_id),
                        "sku": sku,
                        "name": _cut(line.name, limits.item_name, f"{where}.name", problems),
                        "imageUrl": line.image_url,
                        "weight": None if line.weight is None else _wire_weight(line.weight),
                        "quantity": line.quantity,
                        "unitPrice": money.account(net_units[index]),
                        "taxAmount": money.account(line.tax) if line.tax else None,
                        "warehouseLocation": line.warehouse_location,
                        "options": options,
                        "productId": _product_id(line.product_id),
                        "adjustment": line.adjustment,
                        "upc": line.upc,
                    }
                )
            )
        )
    return items


def _discount_items(
    order: domain.Order, rules: Rules, money: _Money, problems: _Problems
) -> list[ss.OrderItem]:
    """Each discount as an adjustment line: quantity 1, negative unit price."""
    used = {line_item_key(line.line_id) for line in order.lines}
    items: list[ss.OrderItem] = []
    for index, discount in enumerate(order.discounts):
        base = f"discount:{discount.code}"
        name = f"Discount {discount.code}"
        if discount.line_id is not None:
            base = f"{base}:{discount.line_id}"
            line = order.line(discount.line_id)
            name = f"{name} on {line.name if line else discount.line_id}"
        key, repeat = line_item_key(base), 1
        while key in used:
            repeat += 1
            key = line_item_key(f"{base}#{repeat}")
        used.add(key)
        net = discount.amount - (discount.tax if order.prices_include_tax else Decimal(0))
        items.append(
            ss.OrderItem(
                lineItemKey=key,
                name=_cut(name, rules.limits.item_name, f"discounts.{index}.code", problems),
                quantity=1,
                unitPrice=-money.account(net),
                adjustment=True,
            )
        )
    return items


# --- customs ----------------------------------------------------------------------------------


def _customs(
    order: domain.Order,
    net_units: list[Decimal],
    rules: Rules,
    money: _Money,
    problems: _Problems,
) -> tuple[ss.InternationalOptions, bool]:
    """Customs lines for every product line (values in USD), and whether any is incomplete."""
    if not money.can_declare_customs:
        problems.error(
            "currency",
            f"customs values must be in USD, and no {order.currency}/USD rate is configured "
            "(money.rates)",
        )
    incomplete = False
    customs_items: list[ss.CustomsItem] = []
    for index, line in enumerate(order.lines):
        if line.adjustment:
            continue
        customs = line.customs or domain.Customs()
        where = f"lines.{index}.customs"
        if customs.hs_code is None or customs.country_of_origin is None:
            incomplete = True
            problems.warning(
                where,
                "no HS code or no country of origin: the customs declaration is incomplete",
            )
        origin = customs.country_of_origin
        if origin is not None and not is_iso_country(origin):
            problems.error(
                f"{where}.country_of_origin", f"{origin!r} is not an ISO 3166-1 alpha-2 code"
            )
        value = customs.value if customs.value is not None else net_units[index]
        customs_items.append(
            ss.CustomsItem.model_construct(
                **_present(
                    {
                        "description": customs.description or line.name,
                        "quantity": line.quantity,
                        "value": money.usd(value),
                        "harmonizedTariffCode": customs.hs_code,
                        "countryOfOrigin": origin,
                    }
                )
            )
        )
    options = ss.InternationalOptions(
        contents=rules.international.contents,
        nonDelivery=rules.international.non_delivery,
        customsItems=customs_items,
    )
    return options, incomplete


# --- order-level pieces -----------------------------------------------------------------------


def template_values(
    order: domain.Order, source: str, key: str, country: str | None
) -> dict[str, str | None]:
    """What each of a custom-field template's placeholders (``TEMPLATE_FIELDS``) stands for;
    the Custom Store export fills its templates from the same."""
    return {
        "source": source,
        "source_id": order.source_id,
        "order_key": key,
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "total": str(order.total),
        "customer_email": order.customer_email,
        "customer_username": order.customer_username,
        "customer_name": order.customer_name,
        "payment_method": order.payment_method,
        "requested_service": order.requested_service,
        "warehouse": order.warehouse,
        "tags": ", ".join(order.tags),
        "shipping_country": country,
    }


def _custom_fields(
    order: domain.Order,
    rules: Rules,
    source: str,
    key: str,
    country: str | None,
    problems: _Problems,
) -> dict[str, str]:
    """``customField1..3`` from their templates; ``country`` is the ship-to country used."""
    values = template_values(order, source, key, country)
    rendered: dict[str, str] = {}
    for wire_name, template in rules.custom_fields.templates().items():
        text, missing = render_template(template, values, order.custom)
        for placeholder in missing:
            problems.warning(
                placeholder,
                f"{wire_name}'s template uses {{{placeholder}}}, which this order lacks: "
                "rendered empty",
            )
        fitted = _cut(text, rules.limits.custom_field, f"advancedOptions.{wire_name}", problems)
        if fitted:
            rendered[wire_name] = fitted
    return rendered


def _warehouse_id(
    order: domain.Order, country: str | None, rules: Rules, problems: _Problems
) -> int | None:
    routing = rules.warehouses
    if (
        routing.by_location
        and order.warehouse is not None
        and order.warehouse not in routing.by_location
    ):
        problems.warning(
            "warehouse",
            f"store location {order.warehouse!r} is not in warehouses.by_location: routed "
            "by country or to the default",
        )
    return routing.route(order.warehouse, country)


def _tag_ids(order: domain.Order, rules: Rules, extra: Iterable[int]) -> list[int] | None:
    ids = {tag_id for tag in order.tags if (tag_id := rules.tag_id(tag)) is not None}
    ids.update(extra)
    return sorted(ids) or None


def _internal_notes(
    order: domain.Order, money: _Money, rules: Rules, problems: _Problems
) -> str | None:
    """The store's internal notes, after a record of the original currency when converted
    (first, so that cutting long notes never loses it)."""
    parts: list[str] = []
    if money.converted:
        parts.append(
            f"Converted from {order.currency}: the store's total is {order.total} "
            f"{order.currency}; rate {money.rate} {money.account_currency} per {order.currency}."
        )
    if order.internal_notes is not None:
        parts.append(order.internal_notes)
    return _cut("\n".join(parts) or None, rules.limits.notes, "internal_notes", problems)


def _check_total(
    order: domain.Order,
    items: list[ss.OrderItem],
    shipping: Decimal,
    tax: Decimal,
    money: _Money,
    problems: _Problems,
) -> None:
    """Warn when the total ShipStation will compute differs from the store's total beyond
    what rounding the converted amounts explains."""
    terms = [item.unitPrice * item.quantity for item in items if item.unitPrice and item.quantity]
    computed = sum(terms, Decimal(0)) + shipping + tax
    expected = money.account(order.total)
    rounded_terms = len(items) + 2 if money.converted else 0
    half_unit = Decimal(1).scaleb(-domain.minor_units(money.account_currency)) / 2
    if abs(computed - expected) > rounded_terms * half_unit:
        problems.warning(
            "total",
            f"ShipStation will compute an order total of {computed} {money.account_currency} "
            f"(lines + shipping + tax), but the store's total is {expected}",
        )


# --- the mapping ------------------------------------------------------------------------------


def map_order(order: domain.Order, rules: Rules, *, source: str, now: datetime) -> Mapped:
    """``order`` mapped to a ShipStation order under ``rules``.

    ``source`` is the connection's slug (see ``order_key``); ``now`` (aware) decides the
    ship-by window. ``ValueError`` only for a bad ``source`` or a naive ``now``: problems of
    the order itself are reported in ``Mapped.problems``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    key = order_key(source, order.source_id)
    problems = _Problems()
    status, known = rules.status.resolve(order.status)
    if not known and not order.deleted:
        problems.warning(
            "status",
            f"store status {order.status!r} is not in the status map: treated as {status!r}",
        )
    skip = _skip_reason(order, status, rules, now)
    if skip is not None:
        return Mapped(key, None, problems.items, eligible=False, skip_reason=skip, status=status)
    if order.deleted:
        return Mapped(key, None, problems.items, eligible=True, action="delete")
    payload = _build(order, rules, status, source, key, problems)
    return Mapped(
        key,
        None if problems.has_errors else payload,
        problems.items,
        eligible=True,
        status=status,
    )


def _build(
    order: domain.Order,
    rules: Rules,
    status: SendableStatus,
    source: str,
    key: str,
    problems: _Problems,
) -> ss.Order | None:
    limits = rules.limits
    money = _money(order, rules, problems)
    if len(order.number) > limits.order_number:
        problems.error(
            "number",
            f"{len(order.number)} characters, over ShipStation's limit of {limits.order_number}; "
            "an order number cannot be cut",
        )
    billing, shipping = _fall_back(order, rules, problems)
    ship_to = _ship_to(shipping, order, rules, problems)
    bill_to = _bill_to(billing, order, rules, problems)
    country = shipping.country if shipping is not None else None
    if not any(not line.adjustment for line in order.lines):
        problems.error("lines", "no product lines: nothing to ship")
    net_units = [_net_unit_price(order, index, problems) for index in range(len(order.lines))]
    items = _items(order, net_units, rules, money, problems)
    items += _discount_items(order, rules, money, problems)
    include_tax = order.prices_include_tax
    shipping_amount = money.account(
        order.shipping_amount - (order.shipping_tax if include_tax else Decimal(0))
    )
    tax_amount = money.account(order.tax_amount)
    international: ss.InternationalOptions | None = None
    extra_tags: list[int] = []
    if country is not None and country not in rules.international.domestic_countries:
        international, incomplete = _customs(order, net_units, rules, money, problems)
        incomplete_tag = rules.international.incomplete_customs_tag_id
        if incomplete and incomplete_tag is not None:
            extra_tags.append(incomplete_tag)
    advanced = ss.AdvancedOptions.model_construct(
        **_present(
            {
                "warehouseId": _warehouse_id(order, country, rules, problems),
                "storeId": rules.store_id,
                "source": _cut(rules.marketplace or source, limits.source, "source", problems),
                **_custom_fields(order, rules, source, key, country, problems),
            }
        )
    )
    _check_total(order, items, shipping_amount, tax_amount, money, problems)
    username = order.customer_username or order.customer_email
    fields = _present(
        {
            "orderNumber": order.number,
            "orderKey": key,
            "orderDate": order.created_at,
            "paymentDate": order.paid_at,
            "shipByDate": order.ship_by,
            "orderStatus": status,
            "customerUsername": _cut(username, limits.name, "customer_username", problems),
            "customerEmail": _drop_if_long(
                order.customer_email, limits.email, "customer_email", problems
            ),
            "billTo": bill_to,
            "shipTo": ship_to,
            "items": items,
            "amountPaid": None if order.amount_paid is None else money.account(order.amount_paid),
            "taxAmount": tax_amount,
            "shippingAmount": shipping_amount,
            "customerNotes": _cut(order.customer_notes, limits.notes, "customer_notes", problems),
            "internalNotes": _internal_notes(order, money, rules, problems),
            "gift": order.gift,
            "giftMessage": _cut(order.gift_message, limits.gift_message, "gift_message", problems),
            "paymentMethod": _cut(
                order.payment_method, limits.payment_method, "payment_method", problems
            ),
            "requestedShippingService": _cut(
                order.requested_service, limits.requested_service, "requested_service", problems
            ),
            "weight": _order_weight(order),
            "internationalOptions": international,
            "advancedOptions": advanced,
            "tagIds": _tag_ids(order, rules, extra_tags),
        }
    )
    if problems.has_errors:
        return None
    payload = ss.Order.model_construct(**fields)
    try:
        ss.to_wire(payload)
    except ValueError as exc:  # an amount JSON cannot carry exactly, say
        problems.error("order", f"cannot be sent as ShipStation JSON: {exc}")
        return None
    return payload


# --- change detection -------------------------------------------------------------------------


def _one_number_spelling(value: JsonValue) -> JsonValue:
    """The wire body with integral floats as ints: ``Decimal("39.00")`` goes out as ``39.0``
    and ``Decimal("39")`` as ``39``; both are the same amount and must hash alike."""
    if isinstance(value, dict):
        return {name: _one_number_spelling(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_one_number_spelling(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def fingerprint(payload: ss.Order | Mapping[str, JsonValue]) -> str:
    """A stable SHA-256 (hex) of the payload as sent: equal payloads, equal fingerprints;
    any change to a sent field, a different one. Unchanged orders are not re-sent.

    Takes the order or its wire body (``to_wire``), which a caller that sends it has anyway.
    """
    wire = ss.to_wire(payload) if isinstance(payload, ss.Order) else dict(payload)
    text = json.dumps(
        _one_number_spelling(wire),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

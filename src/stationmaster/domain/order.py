"""The canonical order: what stationmaster knows about a store's order, whatever the store.

Connectors translate their store's orders into this shape and the sync rules translate it
into ShipStation's. Invariants that hold for every store are checked here (positive
quantities, finite money, aware times, unique line ids, discounts pointing at real lines,
tax never larger than the tax-inclusive amount holding it); everything that depends on
configuration (required address parts, currencies, statuses) is left to the rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from pydantic import Field, model_validator

from stationmaster.domain.address import Address
from stationmaster.domain.measures import Weight
from stationmaster.domain.values import (
    CountryCode,
    CurrencyCode,
    DomainModel,
    FreeText,
    Instant,
    Money,
    NonNegativeMoney,
    OptionalText,
    PositiveMoney,
    Quantity,
    Text,
)


class LineOption(DomainModel):
    """A chosen variant of a product, such as ``Size: L``."""

    name: Text
    value: FreeText


class Customs(DomainModel):
    """What a customs declaration needs about one unit of a line."""

    description: OptionalText = None
    hs_code: OptionalText = None
    """Harmonized System tariff code, such as ``6912.00``."""
    country_of_origin: CountryCode = None
    value: NonNegativeMoney | None = None
    """Declared value of one unit in the order's currency; ``None`` means the unit price."""


class Line(DomainModel):
    """One line of an order: ``quantity`` units of one product, or a non-physical adjustment.

    ``unit_price`` and ``tax`` follow the order's ``prices_include_tax``; ``tax`` is the tax
    of the whole line, not of one unit. ``adjustment`` lines (fees, store credits) are sent
    as such and carry no weight or customs; only they may have a negative price.
    """

    line_id: Text
    sku: OptionalText = None
    name: Text
    quantity: Quantity
    unit_price: Money
    tax: NonNegativeMoney = Decimal(0)
    weight: Weight | None = None
    """Weight of one unit."""
    options: list[LineOption] = Field(default_factory=list)
    image_url: OptionalText = None
    product_id: OptionalText = None
    upc: OptionalText = None
    warehouse_location: OptionalText = None
    customs: Customs | None = None
    adjustment: bool = False

    @model_validator(mode="after")
    def _only_adjustments_go_negative(self) -> Self:
        if self.unit_price >= 0:
            return self
        if not self.adjustment:
            raise ValueError(
                f"unit_price {self.unit_price} is negative on a product line; a reduction is "
                "a Discount (or a line with adjustment=true)"
            )
        if self.tax:
            raise ValueError("a negative adjustment line cannot carry tax")
        return self

    @property
    def gross(self) -> Decimal:
        """``quantity`` times ``unit_price``, exactly."""
        return self.unit_price * self.quantity


class Discount(DomainModel):
    """A reduction of the order (or of one line) by ``amount``, a positive number.

    When the order's prices include tax, ``tax`` is the part of ``amount`` that was tax.
    """

    code: Text
    amount: PositiveMoney
    line_id: OptionalText = None
    tax: NonNegativeMoney = Decimal(0)


class Order(DomainModel):
    """A store's order.

    ``status`` is the store's own status string (mapped to ShipStation's by the rules).
    ``tax_amount`` is the order's whole tax (lines and shipping); ``shipping_tax`` the part
    of it charged on shipping, needed to take tax out of a tax-inclusive shipping amount.
    ``total`` is what the store says the customer owes; ``amount_paid`` what was paid so far
    (``None`` when the store does not say). ``custom`` holds extra values for the
    custom-field templates; ``warehouse`` is the store's own location code.
    """

    source_id: Text
    number: Text
    status: Text
    currency: CurrencyCode
    created_at: Instant
    updated_at: Instant
    paid_at: Instant | None = None
    ship_by: Instant | None = None
    customer_email: OptionalText = None
    customer_username: OptionalText = None
    customer_name: OptionalText = None
    billing: Address | None = None
    shipping: Address | None = None
    lines: list[Line] = Field(default_factory=list)
    discounts: list[Discount] = Field(default_factory=list)
    shipping_amount: NonNegativeMoney = Decimal(0)
    shipping_tax: NonNegativeMoney = Decimal(0)
    tax_amount: NonNegativeMoney = Decimal(0)
    total: NonNegativeMoney
    amount_paid: NonNegativeMoney | None = None
    prices_include_tax: bool = False
    customer_notes: OptionalText = None
    internal_notes: OptionalText = None
    gift: bool = False
    gift_message: OptionalText = None
    payment_method: OptionalText = None
    requested_service: OptionalText = None
    """The shipping service the buyer picked at checkout, as the store names it."""
    tags: list[Text] = Field(default_factory=list)
    custom: dict[Text, FreeText] = Field(default_factory=dict)
    warehouse: OptionalText = None
    deleted: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        line_ids = [line.line_id for line in self.lines]
        duplicates = sorted({line_id for line_id in line_ids if line_ids.count(line_id) > 1})
        if duplicates:
            raise ValueError(f"lines: line_id must be unique, repeated: {duplicates}")
        for index, discount in enumerate(self.discounts):
            if discount.line_id is not None and discount.line_id not in line_ids:
                raise ValueError(
                    f"discounts.{index}.line_id: no line has line_id {discount.line_id!r}"
                )
        if self.prices_include_tax:
            self._tax_within_inclusive_amounts()
        return self

    def _tax_within_inclusive_amounts(self) -> None:
        for index, line in enumerate(self.lines):
            if line.tax > abs(line.gross):
                raise ValueError(
                    f"lines.{index}.tax: {line.tax} is more than the tax-inclusive line "
                    f"amount {line.gross}"
                )
        for index, discount in enumerate(self.discounts):
            if discount.tax > discount.amount:
                raise ValueError(
                    f"discounts.{index}.tax: {discount.tax} is more than the tax-inclusive "
                    f"discount {discount.amount}"
                )
        if self.shipping_tax > self.shipping_amount:
            raise ValueError(
                f"shipping_tax: {self.shipping_tax} is more than the tax-inclusive "
                f"shipping_amount {self.shipping_amount}"
            )

    def line(self, line_id: str) -> Line | None:
        """The line with this id, if the order has one."""
        return next((line for line in self.lines if line.line_id == line_id), None)

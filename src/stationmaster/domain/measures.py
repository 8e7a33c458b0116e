"""Physical measures on order lines: a weight with its unit, and exact conversions to grams."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import Field

from stationmaster.domain.values import DomainModel

WeightUnit = Literal["g", "kg", "oz", "lb"]

GRAMS_PER_UNIT: Final[dict[WeightUnit, Decimal]] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    # Both are exact by definition (international avoirdupois pound, 1959).
    "oz": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
}


class Weight(DomainModel):
    """The weight of one unit of a line."""

    value: Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=15, decimal_places=6)]
    unit: WeightUnit

    def in_grams(self) -> Decimal:
        return self.value * GRAMS_PER_UNIT[self.unit]

"""The value types every canonical model is built from: text, money, instants, codes.

Stores hand over messy data, so these types decide once what "clean" means: text is stripped
and a blank optional value is absent; money is an exact, finite ``Decimal`` of bounded size;
instants are aware and in UTC (a naive datetime is refused, since guessing its zone is how
orders go missing); codes are upper-case. A failure names the field, as pydantic does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class DomainModel(BaseModel):
    """Base of the canonical models: immutable, and unknown fields are a mistake to report."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _clean_text(value: object) -> object:
    """Strip text; refuse lone surrogates, which no UTF-8 wire can carry."""
    if not isinstance(value, str):
        return value
    if _LONE_SURROGATE.search(value):
        raise ValueError("text holds a lone surrogate (broken UTF-16): not valid Unicode")
    return value.strip()


def _blank_as_absent(value: object) -> object:
    cleaned = _clean_text(value)
    return None if cleaned == "" else cleaned


def _upper_or_absent(value: object) -> object:
    cleaned = _blank_as_absent(value)
    return cleaned.upper() if isinstance(cleaned, str) else cleaned


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Text = Annotated[str, BeforeValidator(_clean_text), Field(min_length=1)]
"""Required text: stripped, and not blank."""

FreeText = Annotated[str, BeforeValidator(_clean_text)]
"""Text that may be empty (an option's value, a template value): stripped."""

OptionalText = Annotated[str | None, BeforeValidator(_blank_as_absent)]
"""Optional text: stripped; blank means absent (``None``)."""

Money = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=15, decimal_places=6)]
"""An amount in the order's currency: finite, exact, at most 15 digits (so any JSON wire
can carry it without rounding) and at most 6 of them after the point."""

NonNegativeMoney = Annotated[Money, Field(ge=0)]
PositiveMoney = Annotated[Money, Field(gt=0)]

Instant = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A moment in time: must carry a zone, stored in UTC."""

CurrencyCode = Annotated[str, BeforeValidator(_upper_or_absent), Field(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 code such as ``USD`` (lower case accepted and raised)."""

CountryCode = Annotated[str | None, BeforeValidator(_upper_or_absent)]
"""A country as the store gave it, upper-cased; the sync rules check it is ISO 3166-1 alpha-2."""

Quantity = Annotated[int, Field(gt=0, lt=2**31)]
"""A count of units: positive, and small enough for ShipStation's 32-bit integers."""

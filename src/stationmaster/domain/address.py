"""A postal address as the store holds it: every part optional, judged later by the rules.

Stores send half-filled addresses (a billing address with only a name, a shipping address
without a postcode in a country that has none). Refusing those here would lose orders, so
the model only cleans the text; ``stationmaster.sync.rules`` decides what is required where.
"""

from __future__ import annotations

from stationmaster.domain.values import CountryCode, DomainModel, OptionalText


class Address(DomainModel):
    name: OptionalText = None
    company: OptionalText = None
    street1: OptionalText = None
    street2: OptionalText = None
    street3: OptionalText = None
    city: OptionalText = None
    state: OptionalText = None
    postal_code: OptionalText = None
    country: CountryCode = None
    """ISO 3166-1 alpha-2 expected; upper-cased here, checked by the sync rules."""
    phone: OptionalText = None
    email: OptionalText = None
    residential: bool | None = None

    @property
    def is_empty(self) -> bool:
        """True when no part of the address is given (an address in name only is not empty)."""
        return all(getattr(self, name) is None for name in type(self).model_fields)

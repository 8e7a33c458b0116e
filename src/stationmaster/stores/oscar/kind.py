"""The ``oscar`` store kind: the settings a connection's ``[store]`` table takes, and its opener.

In ``stationmaster.toml``::

    [[connections]]
    name = "shop"
    store = { kind = "oscar", settings_module = "shop.settings" }

Importing this module needs neither Django nor Oscar; opening the store does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from stationmaster.domain import WeightUnit

if TYPE_CHECKING:
    from stationmaster.stores.oscar.connector import OscarStore
    from stationmaster.stores.registry import StoreContext

StatusName = Annotated[str, Field(min_length=1, max_length=100)]


class OscarSettings(BaseModel):
    """How stationmaster reads and writes one django-oscar shop."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    settings_module: str | None = None
    """The shop's Django settings module (``shop.settings``). Leave it out when Django is
    already set up: ``python manage.py stationmaster ...``, ``--django-settings``, or
    ``DJANGO_SETTINGS_MODULE``."""
    statuses: frozenset[StatusName] | None = None
    """Oscar statuses whose orders the feed hands out (``None``: every order, and the rules'
    status map decides). An order in another status is passed over until it changes into
    one of these; list a cancelled status too if ShipStation must hear of cancellations."""
    shipped_event_type: StatusName = "Shipped"
    """The ``ShippingEventType`` each package is recorded with (created if missing)."""
    voided_event_type: StatusName = "Voided"
    """The ``ShippingEventType`` a package's event becomes when its label is voided."""
    prices_include_tax: bool = False
    """``True`` when the shop's catalogue prices include tax (UK-style strategies): lines,
    discounts and shipping go out with tax included, as the customer saw them. ``False``
    when tax is added at checkout (US-style): amounts without tax, the tax apart."""
    weight_attribute: str | None = "weight"
    """The product attribute code holding a unit's weight (``None``: send no weights)."""
    weight_unit: WeightUnit = "kg"
    """The unit of that attribute (Oscar's weight-based shipping assumes kilograms)."""
    partner: str | None = None
    """The partner (by name) whose stock records ``adjust_stock`` changes; needed only when
    several partners stock the same SKU."""
    gap_wait_seconds: Annotated[float, Field(ge=0)] = 30.0
    """How long the feed waits at a hole in the change numbering for a slower transaction
    to commit (PostgreSQL); longer than the longest transaction that writes orders."""


def open_oscar(settings: OscarSettings, context: StoreContext) -> OscarStore:
    """The connection's store; Django is set up first (one :class:`DjangoNotReady` if it
    cannot be)."""
    from stationmaster.stores.oscar.setup import require_django

    require_django(settings.settings_module)
    from stationmaster.stores.oscar.connector import OscarStore  # needs Django set up

    return OscarStore(settings, connection=context.connection)

"""The ``vendure`` store kind: its settings (the connection's ``[store]`` table) and its opener.

Example::

    [connections.store]
    kind = "vendure"
    admin_api_url = "https://shop.example.com/admin-api"
    username = "stationmaster"
    password_env = "VENDURE_PASSWORD"

The password itself is never in the file: ``password_env`` names the environment variable that
holds it, read when the connection is opened.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stationmaster.errors import ConfigError
from stationmaster.stores.registry import StoreContext
from stationmaster.stores.vendure.connector import VendureStore

DEFAULT_STATES: Final = (
    "PaymentAuthorized",
    "PaymentSettled",
    "PartiallyShipped",
    "Shipped",
    "PartiallyDelivered",
    "Delivered",
    "Cancelled",
)
"""Order states the feed reads by default: every placed order (carts and checkouts in progress
are left out), including cancelled ones so that ShipStation learns of the cancellation."""

Name = Annotated[str, Field(min_length=1)]


class VendureSettings(BaseModel):
    """How to reach one Vendure server's Admin API, and how to write to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    admin_api_url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    """The Admin GraphQL endpoint, such as ``https://shop.example.com/admin-api``."""
    username: Name
    """An administrator whose role may read orders, update orders and update catalog."""
    password_env: Name = "VENDURE_PASSWORD"
    """The environment variable that holds the administrator's password."""
    channel_token: str | None = None
    """The channel to work in (its token); none: the default channel."""
    channel_token_header: Name = "vendure-token"
    """The header Vendure reads the channel token from (``apiOptions.channelTokenKey``)."""
    page_size: Annotated[int, Field(ge=1, le=1000)] = 100
    """Most orders one Admin API request reads (Vendure's own cap is 1000 by default)."""
    states: Annotated[tuple[Name, ...], Field(min_length=1)] = DEFAULT_STATES
    """Order states the change feed reads; orders in other states are not synced."""
    fulfillment_handler: Name = "manual-fulfillment"
    """The fulfillment handler code new fulfillments are created with."""
    method_arg: Name = "method"
    """The handler argument that takes the method text (carrier, service and package key)."""
    tracking_arg: Name = "trackingCode"
    """The handler argument that takes the tracking number."""
    mark_delivered: bool = False
    """Move new fulfillments on to ``Delivered`` right after ``Shipped`` (for stores that treat
    a handed-over parcel as delivered)."""
    stock_location_id: str | None = None
    """The stock location stock adjustments apply to; none: the variant's only location."""
    stock_keys_field: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    """A text custom field of ProductVariant where stock adjustments keep their idempotency
    keys, so a key sent again changes nothing; none: keys are not kept in Vendure."""
    money_decimals: Annotated[int, Field(ge=0, le=6)] = 2
    """Digits after the point in Vendure's integer amounts (its MoneyStrategy precision; the
    default strategy uses 2 for every currency)."""
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    """How long one Admin API request may take."""

    @field_validator("states")
    @classmethod
    def _unique_states(cls, states: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(states))

    def password(self, environ: Mapping[str, str] | None = None) -> str:
        """The password from ``password_env``; a :class:`ConfigError` when it is not set."""
        value = (os.environ if environ is None else environ).get(self.password_env)
        if not value:
            raise ConfigError(
                f"Vendure password missing: set the environment variable {self.password_env}"
            )
        return value


def open_vendure(settings: VendureSettings, context: StoreContext) -> VendureStore:
    """The Vendure store of a connection (nothing is sent until the first operation)."""
    return VendureStore(settings, password=settings.password())

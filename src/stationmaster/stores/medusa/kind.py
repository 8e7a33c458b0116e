"""The ``medusa`` store kind: its settings (the connection's ``[store]`` table) and its opener.

Example::

    [connections.store]
    kind = "medusa"
    base_url = "https://shop.example.com"
    email_env = "MEDUSA_EMAIL"
    password_env = "MEDUSA_PASSWORD"

The credentials of the admin user are never in the file: ``email_env`` and ``password_env``
name the environment variables that hold them, read when the connection is opened (``email``
may instead be given in the file, since it is no secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stationmaster.errors import ConfigError
from stationmaster.stores.medusa.connector import MedusaStore
from stationmaster.stores.registry import StoreContext

DEFAULT_STATUSES: Final = ("pending", "completed", "requires_action", "canceled")
"""Order statuses the feed reads by default: every placed order (drafts and archived orders are
left out), including cancelled ones so that ShipStation learns of the cancellation."""

Name = Annotated[str, Field(min_length=1)]


class MedusaSettings(BaseModel):
    """How to reach one Medusa v2 server's Admin API, and how to write to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    """The server's root URL, such as ``https://shop.example.com`` (the API is under it)."""
    email: Annotated[str, Field(min_length=1)] | None = None
    """The e-mail of an admin user (Medusa's ``emailpass`` auth provider); none: read it from
    ``email_env``."""
    email_env: Name = "MEDUSA_EMAIL"
    """The environment variable that holds the admin user's e-mail, when ``email`` is not set."""
    password_env: Name = "MEDUSA_PASSWORD"
    """The environment variable that holds the admin user's password."""
    statuses: Annotated[tuple[Name, ...], Field(min_length=1)] = DEFAULT_STATUSES
    """Order statuses the change feed reads; orders in other statuses are not synced."""
    page_size: Annotated[int, Field(ge=1, le=1000)] = 100
    """Most orders one Admin API request reads."""
    location_id: str | None = None
    """The stock location new fulfillments ship from; none: the one Medusa picks from the
    order's shipping option."""
    notify_customer: bool = False
    """Let Medusa send its own fulfillment and shipment notifications to the customer."""
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    """How long one Admin API request may take."""

    @field_validator("statuses")
    @classmethod
    def _unique_statuses(cls, statuses: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(statuses))

    def admin_email(self, environ: Mapping[str, str] | None = None) -> str:
        """``email``, or the value of ``email_env``; a :class:`ConfigError` when neither is set."""
        return self.email or _from_env(self.email_env, "admin e-mail", environ)

    def password(self, environ: Mapping[str, str] | None = None) -> str:
        """The password from ``password_env``; a :class:`ConfigError` when it is not set."""
        return _from_env(self.password_env, "password", environ)


def _from_env(name: str, what: str, environ: Mapping[str, str] | None) -> str:
    value = (os.environ if environ is None else environ).get(name)
    if not value:
        raise ConfigError(f"Medusa {what} missing: set the environment variable {name}")
    return value


def open_medusa(settings: MedusaSettings, context: StoreContext) -> MedusaStore:
    """The Medusa store of a connection (nothing is sent until the first operation)."""
    return MedusaStore(settings, email=settings.admin_email(), password=settings.password())

"""The change feed over Medusa orders: Admin API list parameters for the Vendure feed's cursor.

The cursor is :class:`~stationmaster.stores.vendure.feed.FeedCursor`, for the same reasons as
there: Medusa sorts a list by one field (``order=updated_at``), its ids (``order_01J...``)
follow creation, not change, and many orders can share an ``updated_at``. PostgreSQL keeps
microseconds while the API shows milliseconds, so an order is listed at the millisecond its
stamp falls in; "updated at or after T" (``updated_at[$gte]``) then takes every order shown at
T, and the cursor's memory of the orders handed out at T keeps them from coming twice.

Medusa ignores list filters it does not know (it answers with every order instead), so the
connector asks only for those the Admin API documents for orders: ``status``, ``updated_at``
and ``id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pydantic import JsonValue

from stationmaster.stores.medusa.rest import Query
from stationmaster.stores.vendure.feed import BadCursor, FeedCursor, wire_time

ORDER_FIELDS: Final = (
    "id",
    "display_id",
    "status",
    "email",
    "currency_code",
    "created_at",
    "updated_at",
    "total",
    "tax_total",
    "*customer",
    "*shipping_address",
    "*billing_address",
    "*items",
    "*items.adjustments",
    "*shipping_methods",
    "*shipping_methods.adjustments",
    "*payment_collections",
    "*payment_collections.payments",
)
"""What the connector reads of an order (relations need Medusa's ``*relation`` syntax)."""

SHIPMENT_FIELDS: Final = (
    "id",
    "display_id",
    "status",
    "metadata",
    "*items",
    "*fulfillments",
    "*fulfillments.items",
    "*fulfillments.labels",
)
"""What applying a shipment reads of an order: its lines, fulfillments and ledger."""


def parse_cursor(value: JsonValue) -> FeedCursor:
    """The cursor in ``value`` (``None``: the start); :class:`BadCursor` for anything else."""
    try:
        return FeedCursor.parse(value)
    except BadCursor:
        raise BadCursor(f"not a Medusa feed cursor: {value!r:.200}") from None


def list_params(cursor: FeedCursor, statuses: Sequence[str], limit: int) -> Query:
    """Query parameters of ``GET /admin/orders`` for a page after ``cursor``, oldest first."""
    params: dict[str, str | int | list[str]] = {
        "fields": ",".join(ORDER_FIELDS),
        "status[]": list(statuses),
        "order": "updated_at",
        "limit": cursor.take(limit),
        "offset": 0,
    }
    if cursor.at is not None:
        params["updated_at[$gte]"] = wire_time(cursor.at)
    return params

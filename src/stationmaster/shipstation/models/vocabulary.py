"""The values ShipStation documents for its enumerated fields, as constants, not as types.

Responses have carried values no document lists (order statuses added over the years, a
``billToParty`` of ``"4"``), and one unknown value must not make a whole page unreadable. So
wire fields holding these are plain ``str`` and stored raw; code that needs to decide
something compares against the sets below and treats anything else as "needs review".
"""

from __future__ import annotations

from typing import Final, Literal, get_args

OPEN_STATUSES: Final = frozenset(
    {"awaiting_payment", "awaiting_shipment", "pending_fulfillment", "on_hold"}
)
"""Order statuses in which ShipStation still accepts updates."""

LOCKED_STATUSES: Final = frozenset({"shipped", "cancelled", "rejected_fulfillment"})
"""Order statuses ShipStation no longer lets an update change (``rejected_fulfillment``:
not in the documented open list, so treated as locked)."""

ORDER_STATUSES: Final = OPEN_STATUSES | LOCKED_STATUSES

CONFIRMATIONS: Final = frozenset(
    {"none", "delivery", "signature", "adult_signature", "direct_signature"}
)
WEIGHT_UNITS: Final = frozenset({"pounds", "ounces", "grams"})
DIMENSION_UNITS: Final = frozenset({"inches", "centimeters"})
INSURANCE_PROVIDERS: Final = frozenset(
    {"shipsurance", "carrier", "provider", "xcover", "parcelguard"}
)
CUSTOMS_CONTENTS: Final = frozenset(
    {"merchandise", "documents", "gift", "returned_goods", "sample"}
)
NON_DELIVERY_OPTIONS: Final = frozenset({"return_to_sender", "treat_as_abandoned"})
BILL_TO_PARTIES: Final = frozenset({"my_account", "my_other_account", "recipient", "third_party"})

WebhookEvent = Literal[
    "ORDER_NOTIFY",
    "ITEM_ORDER_NOTIFY",
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
]
"""Events one can subscribe to. A type only where we choose the value (the subscribe call);
deliveries and ``GET /webhooks`` keep ``str`` since ShipStation may add events."""

WEBHOOK_EVENTS: Final[frozenset[str]] = frozenset(get_args(WebhookEvent))

SortDirection = Literal["ASC", "DESC"]
